"""`nianbao` — the one command-line entry point.

    nianbao extract PATH [--json]     a document → its canonical record (tables, checks, prose, spam)
    nianbao clean PATH [--json]       a document → its cleaned text and the spam findings
    nianbao ingest PATH... --db DB    files or folders → archive → clean → extract → store (SQLite)
    nianbao reparse --db DB           rebuild every record from the archived bytes, without recrawling
    nianbao export --db DB --figures OUT.db   the figures-only download (no texts, no raw bytes)
    nianbao serve --db DB             Datasette over the database (immutable, 127.0.0.1)
    nianbao demo [--no-serve] --db DB crawl the offline demo portal (+ bundled real reports) → a database → Datasette
    nianbao demo-portal [--port N]    serve the offline demo portal on 127.0.0.1
    nianbao crawl [--sites …] --db DB  crawl the registry's portals (what cron or a systemd timer runs)
    nianbao sites [--check]            list and validate the site registry

Later subcommands (clean, ingest, serve, crawl, demo) front the rest of the data flow.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

EXTRACTABLE = {".html", ".htm", ".shtml", ".txt", ".md", ".pdf", ".docx", ".doc", ".wps", ".xls", ".et"}


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


def _record(command: str, args) -> dict | None:
    """Read, clean and extract one file; print a one-line error (never a traceback) when impossible."""
    from pipelines.ingest import parse

    path = Path(args.path)
    if not path.is_file():
        what = "is a folder (give one file; nianbao ingest takes folders)" if path.is_dir() else "no such file"
        print(f"nianbao {command}: {path}: {what}", file=sys.stderr)
        return None
    try:
        data = path.read_bytes()
    except OSError as exc:
        print(f"nianbao {command}: {path}: cannot read the file: {exc.strerror or exc}", file=sys.stderr)
        return None
    try:  # parse never raises: a page it cannot read is a record that says why
        return parse(data, filename=str(path), url=args.url, registry_hosts=_registry_hosts(),
                     images=_local_images(path))
    except Exception as exc:  # noqa: BLE001 - one line, never a traceback
        print(f"nianbao {command}: {path}: cannot read: {type(exc).__name__}: {exc}".splitlines()[0], file=sys.stderr)
        return {"outcome": "error"}


def _local_images(page: Path):
    """A saved page's pictures from beside it on disk (src relative to the page, or its file name in the
    page's folder) — never from outside that folder, never from the network."""
    from urllib.parse import unquote, urlsplit

    folder = page.resolve().parent

    def fetch(src: str) -> bytes | None:
        rel = unquote(urlsplit(src).path).lstrip("/")
        for cand in (folder / rel, folder / Path(rel).name):
            cand = cand.resolve()
            if cand.is_relative_to(folder) and cand.is_file() and cand.stat().st_size < 20_000_000:
                return cand.read_bytes()
        return None

    return fetch


def _registry_hosts() -> frozenset:
    """Hosts of the site registry (crawler/sites.csv) — the non-.gov.cn hosts that are not mirrors."""
    try:
        from crawler.registry import registry_hosts

        return registry_hosts()
    except ImportError:
        return frozenset()


def cmd_extract(args) -> int:
    path = Path(args.path)
    rec = _record("extract", args)
    if rec is None:
        return 2
    if "format" not in rec:
        return 1
    try:
        text = (json.dumps(rec, ensure_ascii=False, indent=2) if args.json
                else format_record(rec, color=sys.stdout.isatty() and not os.environ.get("NO_COLOR")))
    except Exception as exc:  # noqa: BLE001 - e.g. a figure too long to print: the record says so
        from pipelines.models import error_record

        rec = error_record(f"cannot print the record: {type(exc).__name__}: {exc}", rec.get("source"))
        text = json.dumps(rec, ensure_ascii=False, indent=2) if args.json else format_record(rec)
    print(text)
    if rec.get("outcome") == "error":
        print(f"nianbao extract: {path}: {rec.get('detail')}", file=sys.stderr)
        return 1
    return 0


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


def cmd_clean(args) -> int:
    rec = _record("clean", args)
    if rec is None:
        return 2
    if "format" not in rec:
        return 1
    if args.json:
        keep = ("title", "agency", "year", "published", "page_meta", "text", "spam", "quarantined", "chrome", "source",
                "outcome", "detail")
        json.dump({k: rec.get(k) for k in keep}, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        print(rec.get("title") or "(无标题)")
        if rec.get("page_meta"):
            print("  " + "  ".join(f"{k}: {v}" for k, v in rec["page_meta"].items()))
        print()
        print(rec.get("text", ""))
        print()
        print(format_findings(rec.get("spam", [])))
        if rec.get("quarantined"):
            print("QUARANTINED: stored, never published as a report")
        print(f"页面外壳 chrome: body from {rec['chrome']['container'] or 'the whole document'}, "
              f"{len(rec['chrome']['removed'])} lines removed")
    if rec.get("outcome") == "error":  # the exit status says it failed; stderr says why
        print(f"nianbao clean: {args.path}: {rec.get('detail') or 'cannot read'}", file=sys.stderr)
        return 1
    return 0


def _progress(quiet: bool):
    if quiet:
        return None

    def show(item, status):
        print(f"  {status:<13} {item}", file=sys.stderr)

    return show


def _workers() -> int:
    """Extraction worker processes for ingest and reparse (each page under a time and memory limit);
    NIANBAO_EXTRACT_WORKERS=0 parses in this process, without limits."""
    return int(os.environ.get("NIANBAO_EXTRACT_WORKERS", "1"))


def cmd_ingest(args) -> int:
    from pipelines.ingest import files_under, ingest_paths
    from pipelines.lock import writer_lock
    from pipelines.schema import open_db

    try:
        files_under(args.paths)
    except FileNotFoundError as exc:
        print(f"nianbao ingest: {exc}: no such file or folder", file=sys.stderr)
        return 2
    with writer_lock(args.db, wait=not args.no_wait):
        db = open_db(args.db)
        counts = ingest_paths(db, args.paths, progress=_progress(args.quiet), workers=_workers())
    print("ingested: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) + f" → {args.db}")
    return 0


def cmd_reparse(args) -> int:
    from pipelines.ingest import reparse
    from pipelines.lock import writer_lock
    from pipelines.schema import open_db

    with writer_lock(args.db, wait=not args.no_wait):
        counts = reparse(open_db(args.db), progress=_progress(args.quiet), workers=_workers())
    print("reparsed: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    return 0


def cmd_export(args) -> int:
    from pipelines.export import export_figures

    if not Path(args.db).is_file():
        print(f"nianbao export: {args.db}: no such database", file=sys.stderr)
        return 2
    counts = export_figures(args.db, args.figures)
    print(f"figures export: {counts['reports']} reports, {counts['checks']} failing checks, "
          f"{counts['agencies']} agencies, {counts['bytes'] / 1e6:.1f} MB → {args.figures}")
    return 0


def _datasette(argv: list[str]) -> int:
    """Run Datasette in this process (the installed console script's own interpreter)."""
    from datasette.cli import cli

    try:
        cli.main(args=argv, prog_name="datasette", standalone_mode=False)
    except SystemExit as exc:  # pragma: no cover - datasette exits on its own errors
        return int(exc.code or 0)
    return 0


def cmd_serve(args) -> int:
    from pipelines.lock import DatabaseBusy, ready_to_serve
    from pipelines.publish import serve_args

    if not Path(args.db).is_file():
        print(f"nianbao serve: {args.db}: no such database (build it with nianbao ingest or nianbao demo)",
              file=sys.stderr)
        return 2
    try:
        note = ready_to_serve(args.db)
    except DatabaseBusy as exc:
        print(f"nianbao serve: {exc}", file=sys.stderr)
        return 2
    if note:
        print(f"nianbao serve: {note}", file=sys.stderr)
    if getattr(args, "get", None):
        return _datasette(serve_args(args.db, host=args.host, port=args.port) + ["--get", args.get])
    print(f"serving {args.db} at http://{args.host}:{args.port}/", file=sys.stderr)
    return _datasette(serve_args(args.db, host=args.host, port=args.port))


def cmd_demo(args) -> int:
    """The offline demo: serve the demo portal on 127.0.0.1, crawl it with the real spider, add the bundled
    real example reports, then serve the database (unless --no-serve)."""
    import subprocess
    import tempfile

    from crawler.run import write_sites_csv
    from demo.portal import DemoPortal
    from pipelines.ingest import ingest_paths
    from pipelines.lock import writer_lock
    from pipelines.schema import open_db
    from pipelines.writers import load_registry

    root = Path(__file__).resolve().parent
    db_path = Path(args.db)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-journal", "-wal", "-shm"):
        Path(str(db_path) + suffix).unlink(missing_ok=True)
    portal = DemoPortal(size=args.size).start()
    print(f"demo portal: {portal.base_url}/ ({len(portal.sites())} sites)", file=sys.stderr)
    db = open_db(str(db_path))
    with db.conn:  # the synthetic agencies registered first: each report then has its province and level
        load_registry(db, portal.agencies())
    db.conn.close()
    try:
        with tempfile.TemporaryDirectory(prefix="nianbao-demo-") as tmp:
            sites_csv = str(Path(tmp) / "sites.csv")
            write_sites_csv(portal.sites(), sites_csv)
            crawl = subprocess.run([sys.executable, "-m", "nianbao_cli", "crawl", "--sites-file", sites_csv,
                                    "--db", str(db_path), "--no-throttle"] + ([] if args.quiet else ["--progress"]),
                                   cwd=root)
            if crawl.returncode not in (0, 3):
                print(f"nianbao demo: the crawl failed (exit {crawl.returncode})", file=sys.stderr)
                return crawl.returncode
    finally:
        portal.stop()
    with writer_lock(db_path):
        db = open_db(str(db_path))
        counts = ingest_paths(db, [str(root / "demo" / "reports")], progress=_progress(args.quiet), workers=_workers())
    reports = db.execute("SELECT count(*) FROM report_summary").fetchone()[0]
    print(f"demo database: {reports} published reports (crawl + {sum(counts.values())} bundled real documents) "
          f"→ {db_path}")
    db.conn.close()
    if args.no_serve:
        return 0
    return cmd_serve(args)


def cmd_demo_portal(args) -> int:
    import time

    from demo.portal import DemoPortal

    corpus = args.corpus
    portal = DemoPortal(size=args.size, port=args.port, corpus_dir=corpus).start()
    print(f"demo portal at {portal.base_url}/ — sites:")
    for site in portal.sites():
        print(f"  {site['agency']:<14} {site.get('column_url') or site['portal_url']}")
    print("Ctrl-C stops.")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        portal.stop()
    return 0


def cmd_crawl(args) -> int:
    from crawler.registry import registry_hosts
    from crawler.run import crawl, load_site_rows, silent_sites

    sites = load_site_rows(args.sites_file, args.sites)
    if not sites:
        print("nianbao crawl: no site with a portal_url or column_url to crawl", file=sys.stderr)
        return 2
    overrides = {"LOG_LEVEL": args.log_level}
    if args.progress:
        overrides["NIANBAO_PROGRESS"] = True
    if args.no_throttle:
        overrides.update({"AUTOTHROTTLE_ENABLED": False, "DOWNLOAD_DELAY": 0, "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
                          "CONCURRENT_REQUESTS": 16})
    for pair in args.set:
        name, _, value = pair.partition("=")
        try:
            overrides[name] = json.loads(value)
        except ValueError:
            overrides[name] = value
    hosts = registry_hosts()
    if args.sites_file:
        from crawler.registry import registry_hosts as hosts_of

        hosts = hosts | hosts_of(Path(args.sites_file))
    from pipelines.lock import writer_lock
    from pipelines.schema import open_db

    with writer_lock(args.db, wait=not args.no_wait):
        db = open_db(args.db)  # once for the whole crawl (crawler/state.py holds it)
        run_id = crawl(db, sites, jobdir=args.jobdir, overrides=overrides, hosts=hosts)
    run = db["crawl_runs"].get(run_id)
    print(f"crawl run {run_id}: {run['finish_reason']}; fetched {run['pages_fetched']}, new {run['reports_new']}, "
          f"changed {run['reports_changed']}, unchanged {run['unchanged']}, not modified {run['not_modified']}, "
          f"blocked {run['blocked']}, errors {run['errors']}, off-domain {run['off_domain']}, robots {run['robots']}")
    for site, counts in json.loads(run["per_site"] or "{}").items():
        if counts.get("capped"):
            print(f"nianbao crawl: {site}: stopped at a crawl limit: {counts['capped']}", file=sys.stderr)
    silent = silent_sites(db, run_id)
    if silent:
        print("nianbao crawl: sites that used to yield reports yielded none: " + ", ".join(silent), file=sys.stderr)
        return 3
    return 0 if run["finish_reason"] == "finished" else 1


def cmd_sites(args) -> int:
    from crawler.registry import load_sites, summary, validate

    if args.classify:
        return classify_urls(args)
    path = Path(args.file) if args.file else None
    rows = load_sites(path) if path else load_sites()
    problems = validate(rows)
    for r in rows:
        print(f"{r['agency']:<34}{r.get('level') or '':<11}{r.get('province') or '':<10}{r.get('portal_url') or '—':<40}"
              f"{r.get('verified') or ''}")
    s = summary(rows)
    print(f"{s['rows']} sites on {s['hosts']} hosts in {s['provinces']} provinces, {s['with_region_code']:.0%} with a "
          f"region code, {s['with_column']} with a known 年报 column, {s['seen']} seen (not fetched); "
          + (f"{len(problems)} problems" if problems else "registry valid"))
    for p in problems:
        print("  " + p, file=sys.stderr)
    return 1 if problems else 0


def classify_urls(args) -> int:
    """`nianbao sites --classify URL…`: URL<TAB>report|column|other<TAB>family-or-- per line."""
    from crawler.addresses import classify
    from crawler.registry import SITES, registry_hosts

    hosts = registry_hosts(Path(args.file) if args.file else SITES)
    for url in args.classify:
        print(classify(url, title=args.title or "", registry_hosts=hosts).line())
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="nianbao", description="政府信息公开工作年度报告: crawl, clean, extract, publish")
    sub = p.add_subparsers(dest="command", required=True)
    e = sub.add_parser("extract", help="a document (.html .txt .md .pdf .docx, .doc via LibreOffice) → its record")
    e.add_argument("path")
    e.add_argument("--json", action="store_true", help="print the canonical record as JSON")
    e.add_argument("--url", help="the URL the file was fetched from (a non-.gov.cn host outside the registry is a mirror)")
    e.set_defaults(func=cmd_extract)
    c = sub.add_parser("clean", help="a document → its text with page chrome and spam removed, and the spam findings")
    c.add_argument("path")
    c.add_argument("--json", action="store_true", help="print text, findings and metadata as JSON")
    c.add_argument("--url", help="the URL the file was fetched from")
    c.set_defaults(func=cmd_clean)
    i = sub.add_parser("ingest", help="files or folders → archive → clean → extract → store")
    i.add_argument("paths", nargs="+")
    i.add_argument("--db", required=True)
    i.add_argument("--quiet", action="store_true")
    i.add_argument("--no-wait", action="store_true", help="refuse (exit 2) instead of waiting when another writer holds DB")
    i.set_defaults(func=cmd_ingest)
    r = sub.add_parser("reparse", help="rebuild every record from the archived bytes (no recrawling)")
    r.add_argument("--db", required=True)
    r.add_argument("--quiet", action="store_true")
    r.add_argument("--no-wait", action="store_true", help="refuse (exit 2) instead of waiting when another writer holds DB")
    r.set_defaults(func=cmd_reparse)
    ex = sub.add_parser("export", help="a download cut to its use: --figures OUT.db (figures, checks, summary; no texts)")
    ex.add_argument("--db", required=True)
    ex.add_argument("--figures", required=True, metavar="OUT.db")
    ex.set_defaults(func=cmd_export)
    cr = sub.add_parser("crawl", help="crawl the registry's portals into the database")
    cr.add_argument("--db", required=True)
    cr.add_argument("--sites", nargs="*", help="agency names from the registry (default: every site with a URL)")
    cr.add_argument("--sites-file", help="a registry CSV other than crawler/sites.csv (e.g. the demo portal's)")
    cr.add_argument("--jobdir", help="keep the crawl queue here so a killed crawl resumes")
    cr.add_argument("--progress", action="store_true", help="print a progress line every few seconds")
    cr.add_argument("--no-throttle", action="store_true", help="no AutoThrottle or delay (only for local benchmarks)")
    cr.add_argument("--log-level", default="WARNING")
    cr.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                    help="a Scrapy setting (VALUE parsed as JSON when it can be), e.g. --set DOWNLOAD_DELAY=2")
    cr.add_argument("--no-wait", action="store_true", help="refuse (exit 2) instead of waiting when another writer holds DB")
    cr.set_defaults(func=cmd_crawl)
    dp = sub.add_parser("demo-portal", help="serve the offline demo portal on 127.0.0.1 until Ctrl-C")
    dp.add_argument("--port", type=int, default=8700)
    dp.add_argument("--size", type=int, default=1)
    dp.add_argument("--corpus", help="also mount real corpus pages from this folder (tests do)")
    dp.set_defaults(func=cmd_demo_portal)
    st = sub.add_parser("sites", help="list and validate the site registry")
    st.add_argument("--file", help="a registry CSV (default crawler/sites.csv)")
    st.add_argument("--classify", nargs="+", metavar="URL",
                    help="print URL<TAB>report|column|other<TAB>family (crawler/data/url_families.json) per URL")
    st.add_argument("--title", help="with --classify: the link text or page title, when known")
    st.set_defaults(func=cmd_sites)
    for name, func, helptext in (("serve", cmd_serve, "Datasette over a nianbao database"),
                                 ("demo", cmd_demo, "offline demo: serve the demo portal, crawl it, build the database, serve it")):
        sp = sub.add_parser(name, help=helptext)
        sp.add_argument("--db", required=True if name == "serve" else False, default="data/demo.db")
        sp.add_argument("--host", default="127.0.0.1")
        sp.add_argument("--port", type=int, default=8001)
        sp.add_argument("--quiet", action="store_true")
        if name == "serve":
            sp.add_argument("--get", metavar="PATH", help="answer one request (e.g. /db/reports.json) and exit")
        if name == "demo":
            sp.add_argument("--no-serve", action="store_true", help="build the database only")
            sp.add_argument("--size", type=int, default=1, help="scale of the generated portal")
        sp.set_defaults(func=func)
    return p


def main(argv: list[str] | None = None) -> int:
    from pipelines.lock import DatabaseBusy

    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return 130
    except DatabaseBusy as exc:
        print(f"nianbao {args.command}: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
