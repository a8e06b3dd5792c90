"""The journalist's front door, served by Datasette itself (routes registered by pipelines/publish.py).

Pages, each a permalink a story can cite:
* `/`                      what the database holds, a search box, questions, headline findings, downloads
* `/report/<report_key>`   one report: the three tables as printed, checks, evidence lines, sources, revisions
* `/report/<key>/text`     the cleaned text with line numbers; `?line=N` highlights the line a figure came from
* `/agency/<agency_id>`    every year an agency reported (and the gaps), a chart, carry-over, links to reports
* `/source/<page_id>`      the archived page shown safely: an HTML page in a sandboxed frame (`/frame` answers
                           with `Content-Security-Policy: sandbox`, no script permission); a PDF/DOCX as itself
                           (`/file`, its real extension and type, an attachment)
* `/search`                full-text search that serves a reader (see pipelines/front_search.py)

The SQL reads `reports`, `report_summary`, `cells`, `checks`, `report_sources`, `pages` (never its outcome
column), `archive` and `agencies`. Everything runs in Datasette's connection threads (`execute_fn`).
"""

from __future__ import annotations

import html
import json
import re
import sqlite3
from urllib.parse import quote

from extract import formats as F
from pipelines.schema import RECORD_JSON_COLUMNS

# ── Chinese labels for SQL column names (headers of canned queries, tables and the summary) ─────

COLUMN_LABELS = {
    "agency": "机关", "agency_id": "机关 id", "agency_name": "登记名称", "province": "省份", "level": "层级",
    "year": "年度", "format": "表格格式", "title": "标题", "published": "发布日期", "new_requests": "新收申请",
    "processed": "办理总计", "granted": "予以公开", "partly_granted": "部分公开", "withheld": "不予公开",
    "unavailable": "无法提供", "declined": "不予处理", "other": "其他处理", "reviews": "行政复议",
    "lawsuits": "行政诉讼", "fees_wan_yuan": "行政事业性收费（万元）", "processing_fee_yuan": "信息处理费（元）",
    "failed_checks": "未通过校验", "spam_findings": "疑似垃圾信息", "source_url": "原始网址", "source_link": "来源",
    "report_id": "报告版本", "page_id": "页面", "report_key": "报告", "carried_over": "上年结转",
    "carried_forward": "结转下年", "requests_stated_in_text": "正文所述申请数", "refused": "不予公开+不予处理",
    "refusal_rate_pct": "拒绝率 %", "rule": "校验规则", "identity": "应满足的等式", "key": "行/列",
    "key_label": "表中位置", "detail": "算术", "previous_year": "上一年度",
    "previous_carried_forward": "上年报告的结转下年", "difference": "差额", "status": "状态",
    "previous_report_id": "上年报告版本", "kind": "类型", "found_text": "发现的文字", "location": "位置",
    "action": "处理", "evidence": "上下文", "page": "页面", "site": "站点", "found_at": "发现时间",
    "finding_id": "发现 id", "missing_year": "缺少的年度", "gap": "缺失类型", "first_year": "最早年度",
    "last_year": "最近年度", "reports_held": "已有报告数", "portal_url": "政府网站", "snippet": "摘要",
    "hits": "出现次数", "active_total": "主动公开条数", "change_in_new_requests": "新收申请变化",
    "fees_as_printed": "收费（原文）", "processing_fee_evidence": "信息处理费（原文句子）", "reports": "报告数",
    "line": "行", "part": "段", "content": "内容", "download_link": "下载", "id": "id", "name": "名称",
    "region_code": "行政区划代码", "in_registry": "在名录中", "aliases": "别名", "revision": "修订号",
    "is_current": "现行版本", "removed_at": "删除时间", "text": "正文", "outcome": "结果", "url": "网址",
    "fetched_at": "抓取时间", "size": "字节数", "sha256": "sha256", "value": "数值", "raw": "原文",
    "unparsed": "未能确定", "table_name": "表", "ok": "通过", "registered_agency": "机关登记名称",
}
RULE_LABELS = {
    "balance": "本年新收 + 上年结转 = 办理结果总计 + 结转下年", "results_sum": "办理结果总计 = 各办理结果之和",
    "row_total": "总计列 = 六类申请人之和", "subtotal": "小计 = 其下各项之和",
    "review_total": "行政复议：总计 = 维持 + 纠正 + 其他 + 尚未审结",
    "suit_direct_total": "未经复议直接起诉：总计 = 各结果之和", "suit_after_review_total": "复议后起诉：总计 = 各结果之和",
    "prose_vs_table": "正文所述数字 = 表格中的数字",
}
LEVEL_LABELS = {"province": "省级", "city": "市级", "county": "县级", "township": "乡镇", "department": "部门"}


def zh_header(column: str) -> str:
    """'agency' → '机关 agency' (HTML-escaped): Chinese first, the SQL name beside it for SQL users."""
    zh = COLUMN_LABELS.get(column)
    name = html.escape(column)
    if not zh or zh == column:
        return name
    return f'<span class="zh">{html.escape(zh)}</span> <span class="en">{name}</span>'


# ── helpers ─────────────────────────────────────────────────────────────────────────────────────

def rows(conn: sqlite3.Connection, sql: str, params=()) -> list[dict]:
    cur = conn.execute(sql, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def one(conn: sqlite3.Connection, sql: str, params=()) -> dict | None:
    found = rows(conn, sql, params)
    return found[0] if found else None


def columns_of(conn: sqlite3.Connection, table: str) -> set[str]:
    return {r[1] for r in conn.execute(f"PRAGMA table_info([{table}])")}


def is_demo(name: str | None) -> bool:
    """Synthetic agencies of the demo carry 示例 in their name; the pages label them wherever shown."""
    return bool(name) and "示例" in name


def latest_year(conn: sqlite3.Connection) -> int | None:
    """The latest year with figures (a year with only a stray early report does not count)."""
    # max(), not GROUP BY year … LIMIT 1: it stops at the first report with figures down the year index, where
    # the grouping read the whole latest year first (190 ms at a million reports, most of the agency page)
    (year,) = conn.execute("SELECT max(year) FROM report_summary WHERE processed IS NOT NULL").fetchone()
    if year is None:
        (year,) = conn.execute("SELECT max(year) FROM report_summary").fetchone()
    return year


def agency_filter_sql(column: str) -> str:
    """SQL that is true when the agency id in `column` matches :agency by registered name, id, alias or any
    name printed on one of its reports (so 沭阳 finds the 沐阳 misprint, and 沐阳 finds 沭阳)."""
    return (f"{column} IN (SELECT a.id FROM agencies a WHERE a.id LIKE '%' || :agency || '%' "
            "OR a.name LIKE '%' || :agency || '%' OR a.aliases LIKE '%' || :agency || '%' "
            "UNION SELECT x.agency_id FROM reports x WHERE x.agency LIKE '%' || :agency || '%')")


# ── landing ─────────────────────────────────────────────────────────────────────────────────────

MIN_PROCESSED = 20  # the refusal ranking's minimum volume: a rate of 2 refusals out of 3 is not news


def landing_data(conn: sqlite3.Connection) -> dict:
    # one aggregate per subquery, each answered by its own index (min and max by one seek each)
    stats = one(conn, "SELECT (SELECT count(*) FROM report_summary) AS reports, "
                      "(SELECT count(DISTINCT province) FROM report_summary) AS provinces, "
                      "(SELECT min(year) FROM report_summary) AS first_year, "
                      "(SELECT max(year) FROM report_summary) AS last_year")
    # agencies with a published report (report_summary holds exactly those; every agency a report names has its
    # row in agencies): one index probe an agency, not a pass over every report (3.6 s over reports at a million
    # reports, 105 + 137 ms as DISTINCT over report_summary; 55 + 18 ms so)
    stats["agencies"] = conn.execute(
        "SELECT count(*) FROM agencies a WHERE EXISTS (SELECT 1 FROM report_summary s WHERE s.agency_id = a.id)"
    ).fetchone()[0]
    stats["demo_agencies"] = conn.execute(
        "SELECT count(*) FROM agencies a WHERE a.id LIKE '%示例%' "
        "AND EXISTS (SELECT 1 FROM report_summary s WHERE s.agency_id = a.id)").fetchone()[0]
    run = one(conn, "SELECT id, started_at, finished_at, finish_reason, pages_fetched, reports_new, reports_changed "
                    "FROM crawl_runs ORDER BY started_at DESC LIMIT 1") if _has_table(conn, "crawl_runs") else None
    year = latest_year(conn)
    refusals = rows(conn, """
        SELECT coalesce(a.name, s.agency) AS agency, s.agency AS printed, r.agency_id, r.report_key, s.province, s.year, s.processed, s.withheld, s.declined,
               s.withheld + s.declined AS refused,
               round(100.0 * (s.withheld + s.declined) / s.processed, 1) AS rate
        FROM report_summary s JOIN reports r ON r.id = s.report_id LEFT JOIN agencies a ON a.id = r.agency_id
        WHERE s.processed > 0 AND s.withheld IS NOT NULL AND s.declined IS NOT NULL AND s.year = ? AND s.processed >= ?
        ORDER BY round(100.0 * (s.withheld + s.declined) / s.processed, 1) DESC, s.processed DESC, s.agency
        LIMIT 5""", [year, MIN_PROCESSED])
    refused_most = rows(conn, """
        SELECT coalesce(a.name, s.agency) AS agency, s.agency AS printed, r.agency_id, r.report_key, s.year, s.processed, s.withheld + s.declined AS refused
        FROM report_summary s JOIN reports r ON r.id = s.report_id LEFT JOIN agencies a ON a.id = r.agency_id
        WHERE s.processed > 0 AND s.withheld IS NOT NULL AND s.declined IS NOT NULL AND s.year = ?
        ORDER BY s.withheld + s.declined DESC, round(100.0 * (s.withheld + s.declined) / s.processed, 1) DESC,
                 s.processed DESC, s.agency
        LIMIT 5""", [year])
    failing = rows(conn, """
        SELECT coalesce(a.name, s.agency) AS agency, s.agency AS printed, r.agency_id, r.report_key, s.year, s.failed_checks
        FROM report_summary s JOIN reports r ON r.id = s.report_id LEFT JOIN agencies a ON a.id = r.agency_id
        WHERE s.failed_checks > 0 ORDER BY s.year DESC, s.failed_checks DESC, s.agency LIMIT 8""")
    failing_total = conn.execute("SELECT count(*) FROM report_summary WHERE failed_checks > 0").fetchone()[0]
    spam = rows(conn, """
        SELECT c.site, c.findings, (SELECT r.report_key FROM reports r WHERE r.id = c.report_id) AS report_key, c.reviewed
        FROM (SELECT coalesce(s.site, s.agency) AS site, count(*) AS findings, min(s.report_id) AS report_id,
                     max(s.reviewed) AS reviewed
              FROM spam_findings s GROUP BY 1 ORDER BY findings DESC, site LIMIT 5) c
        ORDER BY c.findings DESC, c.site""")
    return {"stats": stats, "run": run, "year": year, "refusals": refusals, "refused_most": refused_most,
            "failing": failing, "failing_total": failing_total, "spam": spam, "min_processed": MIN_PROCESSED}


def _has_table(conn, name: str) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", [name]).fetchone() is not None


# ── report page ─────────────────────────────────────────────────────────────────────────────────

def table_layout(record: dict) -> dict:
    """The three national tables as the report prints them: rows in national order with Chinese labels,
    each cell a key into the record (`applications.granted.total`)."""
    fmt = record.get("format")
    out = {}
    cols = F.ACTIVE_COLUMNS.get(fmt) or {}
    active_cols = list(dict.fromkeys(c for cs in cols.values() for c in cs))
    out["active"] = {
        "title": "二、主动公开政府信息情况", "columns": [F.ACTIVE_COLUMN_LABELS[c] for c in active_cols],
        "rows": [{"key": row, "label": F.ACTIVE_LABELS[row],
                  "cells": [f"active.{row}.{c}" if c in cs else None for c in active_cols]}
                 for row, cs in cols.items()]}
    layout = record.get("applications_layout") or ("2021" if fmt == "2021" else "2019")
    out["applications"] = {
        "title": "三、收到和处理政府信息公开申请情况",
        "columns": [F.APPLICANT_COLUMN_LABELS[c] for c in F.APPLICANT_COLUMNS],
        "rows": [{"key": key, "label": F.APPLICATION_LABELS[key], "subtotal": sub,
                  "cells": [f"applications.{key}.{c}" for c in F.APPLICANT_COLUMNS]}
                 for key, _core, _o, sub in F.application_rows(layout)]}
    out["review_litigation"] = {
        "title": "四、政府信息公开行政复议、行政诉讼情况",
        "columns": [F.REVIEW_OUTCOME_LABELS[o] for o in F.REVIEW_OUTCOMES],
        "rows": [{"key": g, "label": F.REVIEW_GROUP_LABELS[g],
                  "cells": [f"review_litigation.{g}.{o}" for o in F.REVIEW_OUTCOMES]} for g in F.REVIEW_GROUPS]}
    return out


PROSE_LABELS = {"active_total": ("主动公开信息条数", None), "applications_received": ("收到申请数", "applications.new_received.total"),
                "reviews": ("行政复议数", "review_litigation.review.total"),
                "lawsuits": ("行政诉讼数", None), "processing_fee_yuan": ("信息处理费（元）", None)}


def evidence_lines(text: str, layout: dict) -> dict[str, int]:
    """Row key → the line of the cleaned text its figures were read from (1-based). Rows are found the way
    the extractor finds them: each row's label core, in printed order, after the previous row's line."""
    lines = text.split("\n")
    found: dict[str, int] = {}
    starts = {"active": F.ACTIVE_START, "applications": F.APPLICATIONS_START, "review_litigation": F.REVIEW_START}
    cores = {"active": F.ACTIVE_CORES,
             "applications": {k: c for k, c, _o, _s in F.application_rows("2021") + F.application_rows("2019")}}
    after = 0  # tables are printed in order: each is looked for after the previous one
    for table, spec in layout.items():
        start = next((i for i in range(after, len(lines)) if re.search(starts[table], lines[i])), None)
        if start is None:
            continue
        if table == "review_litigation":
            # table 四 prints its numbers on one line of ≥ 15 numbers (or three lines of five) after the heading
            for i in range(start, min(start + 40, len(lines))):
                nums = re.findall(r"\d+", lines[i])
                if len(nums) >= 5 and not re.search(r"[\u4e00-\u9fff]{2}", lines[i]):
                    for row in spec["rows"]:
                        found.setdefault(f"{table}.{row['key']}", i + 1)
                    break
            continue
        pos = start
        for row in spec["rows"]:
            core = cores[table].get(row["key"])
            if not core:
                continue
            for i in range(pos, min(pos + 60, len(lines))):
                if re.search(core, lines[i]) and re.search(r"\d", lines[i]):
                    found[f"{table}.{row['key']}"] = i + 1
                    pos = i
                    break
        after = max(after, pos)
    return found


def report_data(conn: sqlite3.Connection, report_key: str) -> dict | None:
    revisions = rows(conn, "SELECT id, revision, is_current, removed_at, quarantined, agency, agency_id, year, "
                           "format, applications_layout, title, published, page_id, source_url, first_seen, "
                           "last_seen, record_json, failed_checks, outcome FROM reports WHERE report_key = ? "
                           "ORDER BY revision", [report_key])
    if not revisions:
        return None
    current = next((r for r in revisions if r["is_current"]), revisions[-1])
    # record_json holds the rest of the record (schema.record_rest): its metadata are the row's columns
    record = {**{k: current.get(k) for k in RECORD_JSON_COLUMNS}, **json.loads(current.pop("record_json") or "{}")}
    for r in revisions:
        r.pop("record_json", None)
    text = conn.execute("SELECT text FROM reports WHERE id = ?", [current["id"]]).fetchone()[0] or ""
    agency = one(conn, "SELECT * FROM agencies WHERE id = ?", [current["agency_id"]]) or {}
    cell_cols = columns_of(conn, "cells")
    extra = [c for c in ("source", "confidence", "resolved_by", "computed") if c in cell_cols]
    cells = {}
    for c in rows(conn, f"SELECT table_name, key, value, raw, unparsed{''.join(', ' + e for e in extra)} "
                        "FROM cells WHERE report_id = ?", [current["id"]]):
        cells[f"{c['table_name']}.{c['key']}"] = c
    checks = rows(conn, "SELECT rule, key, ok, detail FROM checks WHERE report_id = ? ORDER BY ok, rule, key",
                  [current["id"]])
    failing = [c for c in checks if not c["ok"]]
    bad = _failing_cells(failing)
    layout = table_layout(record)
    lines = evidence_lines(text, layout)
    for table, spec in layout.items():
        shown = []
        for n, row in enumerate(spec["rows"]):
            row_cells = []
            present = [k for k in row["cells"] if k]
            offset = n * len(present) if table == "review_litigation" else 0  # table 四 prints one line of 15
            for key in row["cells"]:
                cell = cells.get(key) if key else None
                row_cells.append({"key": key, "cell": cell, "bad": key in bad,
                                  "col": offset + present.index(key) if key else None,
                                  "line": lines.get(".".join(key.split(".")[:2])) if key else None})
            if any(c["cell"] is not None for c in row_cells):
                shown.append({**row, "cells": row_cells})
        spec["rows"] = shown
    prose = []
    for key, (label, table_key) in PROSE_LABELS.items():
        cell = cells.get(f"prose.{key}")
        if cell is None:
            continue
        against = cells.get(table_key) if table_key else None
        prose.append({"key": key, "label": label, "value": cell["value"], "sentence": cell["raw"],
                      "table_value": against["value"] if against else None,
                      "line": _line_of(text, cell["raw"])})
    sources = rows(conn, """
        SELECT rs.page_source, rs.report_id, p.id AS page_id, p.url, p.path, p.kind, p.content_type, p.size,
               p.fetched_at, p.sha256
        FROM report_sources rs JOIN pages p ON p.source = rs.page_source AND p.report_key = rs.report_key
        WHERE rs.report_key = ? ORDER BY p.fetched_at""", [report_key])
    spam = rows(conn, "SELECT kind, text, location, action, evidence, reviewed FROM spam_findings WHERE report_id IN "
                      "(SELECT id FROM reports WHERE report_key = ?) ORDER BY location", [report_key])
    changes = _revision_changes(conn, revisions)
    return {"report_key": report_key, "report": current, "record": record, "agency": agency, "layout": layout,
            "checks": checks, "failing": failing, "prose": prose, "sources": sources, "spam": spam,
            "revisions": revisions, "changes": changes, "extra_cell_columns": extra,
            "unparsed": record.get("unparsed") or [], "page_meta": record.get("page_meta") or {},
            "demo": is_demo(agency.get("name") or current["agency"])}


def _failing_cells(failing: list[dict]) -> set[str]:
    """The cells a failing check points at, so the table shows them in red."""
    out = set()
    for c in failing:
        rule, key = c["rule"], c["key"]
        if rule in ("balance", "results_sum"):  # a column of table 三
            for row in ("new_received", "carried_over", "total", "carried_forward"):
                out.add(f"applications.{row}.{key}")
        elif rule in ("row_total", "subtotal"):
            out.add(f"applications.{key}.total")
        elif rule.endswith("_total"):
            out.add(f"review_litigation.{rule[:-len('_total')]}.total")
        elif rule == "prose_vs_table":
            out.add(f"prose.{key}")
    return out


def _line_of(text: str, sentence: str | None) -> int | None:
    if not sentence:
        return None
    probe = re.sub(r"\s+", "", sentence)[:12]
    for i, line in enumerate(text.split("\n")):
        if probe and probe in re.sub(r"\s+", "", line):
            return i + 1
    return None


def _revision_changes(conn, revisions: list[dict]) -> list[dict]:
    """For each revision after the first: which figures changed, old → new."""
    out = []
    for prev, cur in zip(revisions, revisions[1:]):
        old = {(r[0], r[1]): r[2] for r in conn.execute(
            "SELECT table_name, key, value FROM cells WHERE report_id = ?", [prev["id"]])}
        new = {(r[0], r[1]): r[2] for r in conn.execute(
            "SELECT table_name, key, value FROM cells WHERE report_id = ?", [cur["id"]])}
        diffs = [{"cell": f"{t}.{k}", "label": cell_label(t, k), "old": old.get((t, k)), "new": new.get((t, k))}
                 for (t, k) in sorted(set(old) | set(new)) if old.get((t, k)) != new.get((t, k))]
        out.append({"from": prev["revision"], "to": cur["revision"], "seen": cur["first_seen"], "diffs": diffs})
    return out


def cell_label(table: str, key: str) -> str:
    """'applications', 'granted.total' → '表三 (一)予以公开 · 总计'."""
    row, _, col = key.partition(".")
    if table == "applications":
        return f"表三 {F.APPLICATION_LABELS.get(row, row)} · {F.APPLICANT_COLUMN_LABELS.get(col, col)}"
    if table == "active":
        return f"表二 {F.ACTIVE_LABELS.get(row, row)} · {F.ACTIVE_COLUMN_LABELS.get(col, col)}"
    if table == "review_litigation":
        return f"表四 {F.REVIEW_GROUP_LABELS.get(row, row)} · {F.REVIEW_OUTCOME_LABELS.get(col, col)}"
    if table == "prose":
        return f"正文 {PROSE_LABELS.get(key, (key,))[0]}"
    return f"{table} {key}"


TRAILING_NUMBERS = re.compile(r"(?:(?<=\s)|^)(-?\d[\d,]*(?:\.\d+)?)(?=\s|$)")


def mark_line(line: str, col: int | None, mark: str = "") -> list[tuple[str, bool]]:
    """The line as (text, highlighted) pieces: the col-th number printed after the row's label, or else the
    first occurrence of `mark`."""
    label_end = max((m.end() for m in re.finditer(r"[\u4e00-\u9fff）)”]", line)), default=0)
    numbers = [m for m in TRAILING_NUMBERS.finditer(line) if m.start() >= label_end]
    target = None
    if col is not None and 0 <= col < len(numbers):
        target = numbers[col].span(1)
    elif mark and mark in line:
        start = line.index(mark)
        target = (start, start + len(mark))
    if target is None:
        return [(line, False)]
    return [(line[:target[0]], False), (line[target[0]:target[1]], True), (line[target[1]:], False)]


def report_text_data(conn, report_key: str) -> dict | None:
    r = one(conn, "SELECT id, agency, agency_id, year, title, text, page_id FROM reports WHERE report_key = ? "
                  "ORDER BY is_current DESC, revision DESC LIMIT 1", [report_key])
    if r is None:
        return None
    r["lines"] = (r.pop("text") or "").split("\n")
    return r


# ── agency page ─────────────────────────────────────────────────────────────────────────────────

def agency_data(conn: sqlite3.Connection, agency_id: str) -> dict | None:
    agency = one(conn, "SELECT * FROM agencies WHERE id = ?", [agency_id])
    if agency is None:
        return None
    years = rows(conn, """
        SELECT s.*, r.report_key, r.agency AS printed_name, w.carried_over__total AS carried_over,
               w.carried_forward__total AS carried_forward,
               CASE WHEN s.processed > 0 AND s.withheld IS NOT NULL AND s.declined IS NOT NULL
                    THEN round(100.0 * (s.withheld + s.declined) / s.processed, 1) END AS refusal_rate
        FROM reports r JOIN report_summary s ON s.report_id = r.id
        LEFT JOIN applications_wide w ON w.report_id = r.id
        WHERE r.agency_id = ? AND r.is_current = 1 ORDER BY s.year""", [agency_id])
    held = {y["year"] for y in years}
    last = latest_year(conn)
    missing = []
    if years:
        hi = max(max(held), last or 0)
        missing = [y for y in range(min(held), hi + 1) if y not in held]
    prev = None
    for y in years:
        y["carry"] = None
        if prev is not None and prev["year"] == y["year"] - 1:
            if y["carried_over"] is None or prev["carried_forward"] is None:
                y["carry"] = "无法核对"
            else:
                y["carry"] = "一致" if y["carried_over"] == prev["carried_forward"] else "不一致"
            y["prev_carried_forward"] = prev["carried_forward"]
        prev = y
    names = sorted({y["printed_name"] for y in years if y["printed_name"] and y["printed_name"] != agency["name"]})
    aliases = [a.strip() for a in (agency.get("aliases") or "").split(";") if a.strip()]
    return {"agency": agency, "years": years, "missing": missing, "printed_names": names, "aliases": aliases,
            "chart": year_chart(years), "demo": is_demo(agency.get("name")),
            "level_label": LEVEL_LABELS.get(agency.get("level") or "", agency.get("level"))}


def year_chart(years: list[dict], width: int = 640, height: int = 220) -> str:
    """An inline SVG bar chart of new requests by year with the refusal rate as a line: no script, no
    network, readable in a screenshot and a printout."""
    data = [y for y in years if y.get("new_requests") is not None]
    if not data:
        return ""
    pad_l, pad_r, pad_t, pad_b = 48, 48, 16, 28
    plot_w, plot_h = width - pad_l - pad_r, height - pad_t - pad_b
    top = max(y["new_requests"] for y in data) or 1
    step = plot_w / len(data)
    bar = max(6.0, step * 0.6)
    parts = [f'<svg class="year-chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
             'role="img" aria-label="新收申请（柱）与拒绝率（线） new requests (bars) and refusal rate (line)" '
             'xmlns="http://www.w3.org/2000/svg">',
             '<text x="4" y="12" font-size="11" fill="#4c78a8">新收申请（件）</text>',
             f'<text x="{width - 4}" y="12" font-size="11" fill="#c0392b" text-anchor="end">拒绝率 %</text>',
             f'<line x1="{pad_l}" y1="{pad_t + plot_h}" x2="{pad_l + plot_w}" y2="{pad_t + plot_h}" stroke="#999"/>']
    points = []
    for i, y in enumerate(data):
        h = plot_h * y["new_requests"] / top
        x = pad_l + i * step + (step - bar) / 2
        parts.append(f'<rect x="{x:.1f}" y="{pad_t + plot_h - h:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                     f'fill="#4c78a8"><title>{y["year"]}: {y["new_requests"]} 件</title></rect>')
        parts.append(f'<text x="{x + bar / 2:.1f}" y="{pad_t + plot_h - h - 3:.1f}" font-size="10" '
                     f'text-anchor="middle">{y["new_requests"]}</text>')
        parts.append(f'<text x="{x + bar / 2:.1f}" y="{height - 8}" font-size="11" '
                     f'text-anchor="middle">{y["year"]}</text>')
        if y.get("refusal_rate") is not None:
            points.append((x + bar / 2, pad_t + plot_h - plot_h * min(y["refusal_rate"], 100) / 100, y["refusal_rate"]))
    if len(points) > 1:
        parts.append('<polyline fill="none" stroke="#c0392b" stroke-width="2" points="'
                     + " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in points) + '"/>')
    for x, y, rate in points:
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="#c0392b"><title>拒绝率 {rate}%</title></circle>')
    parts.append("</svg>")
    return "".join(parts)


# ── the archived source, shown safely ───────────────────────────────────────────────────────────

EXTENSIONS = {"pdf": ("pdf", "application/pdf"),
              "docx": ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
              "doc": ("doc", "application/msword"), "wps": ("wps", "application/vnd.ms-works"),
              "xls": ("xls", "application/vnd.ms-excel"),
              "xlsx": ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
              "et": ("et", "application/vnd.ms-excel"), "html": ("html", "text/html"), "text": ("txt", "text/plain")}
# The frame's policy: a unique opaque origin with no permission at all (no script, form, popup, top
# navigation), nothing fetched (images, styles and frames from the archived page stay unloaded).
SANDBOX_CSP = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'"


def source_data(conn: sqlite3.Connection, page_id: str) -> dict | None:
    page = one(conn, "SELECT p.id, p.source, p.url, p.path, p.kind, p.content_type, p.encoding, p.size, p.sha256, "
                     "p.fetched_at, p.report_id, p.report_key, p.agency, p.year FROM pages p WHERE p.id = ?", [page_id])
    if page is None:
        return None
    kind = page["kind"] or _kind_from(page)
    page["kind"] = kind
    page["ext"], page["mime"] = EXTENSIONS.get(kind, ("bin", "application/octet-stream"))
    # documents download as what they are; a web page downloads as bytes (its .html name says what it is),
    # so no browser ever renders it outside the sandboxed frame
    page["download_mime"] = "application/octet-stream" if kind in ("html", "text", "bin") else page["mime"]
    page["framed"] = kind in ("html", "text")
    return page


def _kind_from(page: dict) -> str:
    ct = (page.get("content_type") or "").lower()
    name = (page.get("url") or page.get("path") or "").lower().split("?")[0]
    for kind, (ext, mime) in EXTENSIONS.items():
        if ct.startswith(mime) or name.endswith("." + ext):
            return kind
    return "bin"


def source_bytes(conn: sqlite3.Connection, sha256: str) -> bytes | None:
    """The archived bytes (from the WARC archive beside the database; ArchiveError when unreadable)."""
    from pipelines.warc_archive import archived_bytes

    return archived_bytes(conn, sha256)


def attachment_name(page: dict) -> str:
    stem = f"{page.get('agency') or 'nianbao'}-{page.get('year') or ''}-{page['id']}".replace("/", "_")
    return f"{stem}.{page['ext']}"


def content_disposition(filename: str) -> str:
    """RFC 6266 with an ASCII fallback: Chinese file names survive in every browser."""
    ascii_name = re.sub(r"_+", "_", re.sub(r"[^A-Za-z0-9._-]+", "_", filename)).strip("_") or "download"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


# ── downloads ───────────────────────────────────────────────────────────────────────────────────

MARKDOWN_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def csv_for_readers(text: str, base: str, db_name: str) -> str:
    """Datasette's CSV made for a reader: Markdown links → absolute URLs (an archived page → its safe source
    view), a `report_page` column of absolute report URLs when rows name a report, a BOM for Excel."""
    import csv
    import io

    reader = csv.reader(io.StringIO(text))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    header = next(reader, None)
    if header is None:
        return "\ufeff"
    rid = header.index("report_id") if "report_id" in header else None
    writer.writerow(header + (["report_page"] if rid is not None else []))

    def absolute(m: re.Match) -> str:
        target = m.group(1)
        page = re.match(r"archived_page\?page_id=([0-9a-f]{16})$", target)
        if page:
            return f"{base}/source/{page.group(1)}"
        if target.startswith(("http://", "https://")):
            return target
        return f"{base}/{db_name}/{target.lstrip('/')}" if not target.startswith("/") else base + target

    for row in reader:
        row = [MARKDOWN_LINK.sub(absolute, v) if "](" in v else v for v in row]
        if rid is not None:
            key = row[rid].rsplit("-r", 1)[0] if row[rid] else ""
            row.append(f"{base}/report/{key}" if key else "")
        writer.writerow(row)
    return "\ufeff" + out.getvalue()


FEEDS = {"reports": ("新发布的政府信息公开工作年度报告", "newly published reports"),
         "failing": ("新出现的算术校验失败", "newly failing checks")}


def feed_entries(conn: sqlite3.Connection, kind: str, province: str = "", limit: int = 50) -> list[dict]:
    """Newest first by the order reports were stored (rowid), optionally for one province."""
    where = ["r.is_current = 1", "r.quarantined = 0", "r.removed_at IS NULL"]
    params: dict = {"limit": limit}
    if kind == "failing":
        where.append("r.failed_checks > 0")
    if province:
        where.append("a.province = :province")
        params["province"] = province
    entries = rows(conn, f"""
        SELECT r.id, r.report_key, r.agency, r.agency_id, a.name AS agency_name, a.province, r.year, r.title,
               r.first_seen, r.failed_checks
        FROM reports r LEFT JOIN agencies a ON a.id = r.agency_id
        WHERE {' AND '.join(where)} ORDER BY r.rowid DESC LIMIT :limit""", params)
    if kind == "failing":
        for e in entries:
            e["checks"] = rows(conn, "SELECT rule, key, detail FROM checks WHERE report_id = ? AND ok = 0",
                               [e["id"]])
    return entries


def atom(kind: str, entries: list[dict], base: str, province: str, self_url: str) -> str:
    from xml.sax.saxutils import escape

    zh, en = FEEDS[kind]
    title = f"{zh}{'（' + province + '）' if province else ''} · nianbao"
    updated = max((e["first_seen"] or "" for e in entries), default="") or "1970-01-01T00:00:00+00:00"
    out = ['<?xml version="1.0" encoding="utf-8"?>', '<feed xmlns="http://www.w3.org/2005/Atom">',
           f"<title>{escape(title)}</title>", f"<subtitle>{escape(en)}</subtitle>",
           f'<link rel="self" href="{escape(self_url)}"/>', f'<link href="{escape(base)}/"/>',
           f"<id>{escape(self_url)}</id>", f"<updated>{escape(updated)}</updated>"]
    for e in entries:
        name = e["agency_name"] or e["agency"]
        demo = "（示例 demo）" if is_demo(name) else ""
        url = f"{base}/report/{e['report_key']}"
        if kind == "failing":
            summary = "；".join(f"{c['rule']} {c['key']}: {c['detail']}" for c in e.get("checks") or [])
            entry_title = f"{name}{demo} {e['year']} 年报告：{e['failed_checks']} 项校验未通过"
        else:
            summary = e["title"] or ""
            entry_title = f"{name}{demo} {e['year']} 年政府信息公开工作年度报告"
        out += ["<entry>", f"<title>{escape(entry_title)}</title>", f'<link href="{escape(url)}"/>',
                f"<id>{escape(url)}#{escape(e['id'])}</id>", f"<updated>{escape(e['first_seen'] or updated)}</updated>",
                f"<summary>{escape(summary)}</summary>",
                *( [f'<category term="{escape(e["province"])}"/>'] if e.get("province") else []), "</entry>"]
    out.append("</feed>")
    return "\n".join(out)
