"""What the CLI prints for a person: a record's tables, a page's cleaned text and spam findings, the site
registry as a list, a crawl run's counts. Pure functions of their input (the CLI only chooses which)."""

from __future__ import annotations


def _color(on: bool):
    def paint(text: str, code: str) -> str:
        return f"\033[{code}m{text}\033[0m" if on else text

    return paint


def _cell(value, key: str, unparsed: set[str]) -> str:
    if key in unparsed:
        return "?"
    if value is None:
        return "—"
    return str(value)


def _how_read(info: dict) -> list[str]:
    """Cells not read as printed (docs/record-extensions.md): computed totals, prose-settled cuts, OCR."""
    groups: dict[str, list[str]] = {}
    for key, i in info.items():
        how = "computed" if i.get("computed") else i.get("resolved_by") or i.get("source") or "other"
        if i.get("source") == "ocr":
            how = "ocr"
        groups.setdefault(how, []).append(key)
    out = []
    for how, keys in groups.items():
        shown = ", ".join(sorted(keys)[:6]) + (f" … (+{len(keys) - 6})" if len(keys) > 6 else "")
        out.append(f"读法 read by {how} ({len(keys)}): {shown}")
    return out


def format_record(rec: dict, color: bool = False) -> str:
    """The record for a person: the three tables with Chinese labels, failing checks marked."""
    from extract import formats as F

    paint = _color(color)
    unparsed = set(rec.get("unparsed", []))
    out: list[str] = []
    title = rec.get("title") or "(无标题)"
    out.append(paint(title, "1"))
    out.append(f"机关 agency: {rec.get('agency') or '—'}   年度 year: {rec.get('year') or '—'}   "
               f"格式 format: {rec.get('format')}   表三 layout: {rec.get('applications_layout') or '—'}   "
               f"发布 published: {rec.get('published') or '—'}")
    if rec.get("outcome", "ok") != "ok":
        out.append(paint(f"结果 outcome: {rec['outcome']} — {rec.get('detail', '')}", "33"))

    failing = [c for c in rec.get("checks", []) if not c["ok"]]
    bad_rows = {c["key"] for c in failing if c["rule"] in ("row_total", "subtotal")}
    bad_cols = {c["key"] for c in failing if c["rule"] in ("balance", "results_sum")}

    active = rec.get("active") or {}
    if active:
        out.append("")
        out.append(paint("二、主动公开政府信息情况", "1"))
        columns = F.ACTIVE_COLUMNS.get(rec.get("format"), {})
        for row, cols in columns.items():
            keys = [f"{row}.{c}" for c in cols]
            if not any(k in active for k in keys):
                continue
            cells = "  ".join(f"{F.ACTIVE_COLUMN_LABELS[c]}={_cell(active.get(k), 'active.' + k, unparsed)}"
                              for c, k in zip(cols, keys))
            label = F.ACTIVE_LABELS[row]
            out.append(f"  {label:<{22 - _wide(label)}}{cells}")

    apps = rec.get("applications") or {}
    if apps:
        out.append("")
        out.append(paint("三、收到和处理政府信息公开申请情况", "1"))
        header = "".join(f"{F.APPLICANT_COLUMN_LABELS[c]:>8}" for c in F.APPLICANT_COLUMNS)
        out.append(f"  {'':<34}{header}")
        seen = []
        for key in F.APPLICATION_LABELS:
            if any(k.startswith(key + ".") for k in apps) and key not in seen:
                seen.append(key)
        for row in seen:
            label = F.APPLICATION_LABELS[row]
            cells = ""
            for c in F.APPLICANT_COLUMNS:
                text = _cell(apps.get(f"{row}.{c}"), f"applications.{row}.{c}", unparsed)
                cell = f"{text:>8}"
                if c in bad_cols or (row in bad_rows and c == "total"):
                    cell = paint(cell, "31")
                cells += cell
            mark = paint(" ✗", "31") if row in bad_rows else ""
            out.append(f"  {label[:17]:<{34 - _wide(label[:17])}}{cells}{mark}")

    rl = rec.get("review_litigation") or {}
    if rl:
        out.append("")
        out.append(paint("四、政府信息公开行政复议、行政诉讼情况", "1"))
        header = "".join(f"{F.REVIEW_OUTCOME_LABELS[o]:>6}" for o in F.REVIEW_OUTCOMES)
        out.append(f"  {'':<16}{header}")
        for g in F.REVIEW_GROUPS:
            cells = "".join(f"{_cell(rl.get(f'{g}.{o}'), f'review_litigation.{g}.{o}', unparsed):>8}"
                            for o in F.REVIEW_OUTCOMES)
            bad = any(c["rule"] == f"{g}_total" for c in failing)
            label = F.REVIEW_GROUP_LABELS[g]
            out.append(f"  {label:<{16 - _wide(label)}}{paint(cells, '31') if bad else cells}")

    prose = rec.get("prose") or {}
    if prose:
        out.append("")
        out.append(paint("文字中的数字 prose figures", "1"))
        for k, v in prose.items():
            out.append(f"  {k} = {v}   ← {rec.get('prose_evidence', {}).get(k, '')[:60]}")

    out.append("")
    checks = rec.get("checks", [])
    out.append(paint(f"校验 checks: {len(checks) - len(failing)} ok, {len(failing)} failing", "1"))
    for c in failing:
        out.append(paint(f"  ✗ {c['rule']} [{c['key']}]  {c['detail']}", "31"))
    if unparsed:
        out.append(paint(f"未能确定 unparsed ({len(unparsed)}): " + ", ".join(sorted(unparsed)), "33"))
        out.append("  (? = present in the document but not readable with certainty; — = printed blank)")
    out += _how_read(rec.get("cell_info") or {})
    if rec.get("spam"):
        out.append(paint(format_findings(rec["spam"]), "35"))
    if rec.get("quarantined"):
        out.append(paint("QUARANTINED: a mirror or spam-titled page — stored, never published as a report", "35"))
    return "\n".join(out)


def _wide(text: str) -> int:
    """How many extra columns wide characters take, so labels line up in a terminal."""
    return sum(1 for ch in text if ord(ch) > 0x2e80)


def format_findings(findings: list[dict]) -> str:
    if not findings:
        return "垃圾信息 spam findings: none"
    out = [f"垃圾信息 spam findings: {len(findings)} (未核实 — unconfirmed until a person reviews them)"]
    for f in findings:
        out.append(f"  [{f['kind']}] {f['action']}: {f['text'][:80]}")
        out.append(f"      where: {f['where']}")
        if f.get("context"):
            out.append(f"      {f['context'][:120]}")
    return "\n".join(out)



def format_clean(rec: dict) -> str:
    """`nianbao clean`: the title and page metadata, the report text, the spam findings, what chrome went."""
    out = [rec.get("title") or "(无标题)"]
    if rec.get("page_meta"):
        out.append("  " + "  ".join(f"{k}: {v}" for k, v in rec["page_meta"].items()))
    out += ["", rec.get("text", ""), "", format_findings(rec.get("spam", []))]
    if rec.get("quarantined"):
        out.append("QUARANTINED: stored, never published as a report")
    out.append(f"页面外壳 chrome: body from {rec['chrome']['container'] or 'the whole document'}, "
               f"{len(rec['chrome']['removed'])} lines removed")
    return "\n".join(out)


def format_site(row: dict) -> str:
    """One registry row as a line of `nianbao sites`."""
    return (f"{row['agency']:<34}{row.get('level') or '':<11}{row.get('province') or '':<10}"
            f"{row.get('portal_url') or '—':<40}{row.get('verified') or ''}")


def format_registry_summary(s: dict, problems: list[str]) -> str:
    """The last line of `nianbao sites` (s: crawler/registry.py `summary`)."""
    return (f"{s['rows']} sites on {s['hosts']} hosts in {s['provinces']} provinces, {s['with_region_code']:.0%} with a "
            f"region code, {s['with_column']} with a known 年报 column, {s['seen']} seen (not fetched); "
            + (f"{len(problems)} problems" if problems else "registry valid"))


def format_crawl_run(run_id: int, run: dict) -> str:
    """A `crawl_runs` row as the one line `nianbao crawl` prints."""
    return (f"crawl run {run_id}: {run['finish_reason']}; fetched {run['pages_fetched']}, new {run['reports_new']}, "
            f"changed {run['reports_changed']}, unchanged {run['unchanged']}, not modified {run['not_modified']}, "
            f"blocked {run['blocked']}, fetch errors {run['fetch_errors']}, parse errors {run['parse_errors']}, "
            f"off-domain {run['off_domain']}, robots {run['robots']}")
