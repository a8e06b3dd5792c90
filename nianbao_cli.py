"""`nianbao` — the one command-line entry point.

    nianbao extract PATH [--json]     a document → its canonical record (tables, checks, prose, spam)
    nianbao clean PATH [--json]       a document → its cleaned text and the spam findings
    nianbao ingest PATH... --db DB    files or folders → archive → clean → extract → store (SQLite)
    nianbao reparse --db DB [--workers N]  rebuild every record from the archived bytes, on every core
    nianbao export --db DB --figures OUT.db   the figures-only download (no texts, no raw bytes)
    nianbao export --db DB --database OUT.db  the whole database as one compact file to publish
    nianbao serve --db DB             Datasette over the database (immutable, 127.0.0.1)
    nianbao demo [--no-serve] --db DB crawl the offline demo portal (+ bundled real reports) → a database → Datasette
    nianbao demo-portal [--port N]    serve the offline demo portal on 127.0.0.1
    nianbao crawl [--sites …] --db DB  crawl the registry's portals (what cron or a systemd timer runs)
    nianbao enqueue / crawl --redis / load   the same crawl on several machines (crawler/distributed.py)
    nianbao sites [--check]            list and validate the site registry

Here are only the options and the dispatch: each subcommand calls the module that owns the work
(pipelines/ingest.py, crawler/run.py, crawler/registry.py, demo/build.py, pipelines/publish.py), and what is
printed for a person is formatted by pipelines/console.py.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

EXTRACTABLE = {".html", ".htm", ".shtml", ".txt", ".md", ".pdf", ".docx", ".doc", ".wps", ".xls", ".et"}


def _record(command: str, args) -> dict | None:
    """Read, clean and extract one file; print a one-line error (never a traceback) when impossible."""
    from pipelines.ingest import local_pictures, parse

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
                     images=local_pictures(path))
    except Exception as exc:  # noqa: BLE001 - one line, never a traceback
        print(f"nianbao {command}: {path}: cannot read: {type(exc).__name__}: {exc}".splitlines()[0], file=sys.stderr)
        return {"outcome": "error"}


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
    from pipelines.console import format_record

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
        from pipelines.console import format_clean

        print(format_clean(rec))
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


class ReparseProgress:
    """`nianbao reparse`'s progress on stderr: one line rewritten in place while stderr is a terminal
    (pages done of all, pages per second), nothing per page otherwise; `summary()` is the closing line."""

    def __init__(self, stream=None, quiet: bool = False):
        self.stream = stream or sys.stderr
        self.live = not quiet and self.stream.isatty()
        self.total = self.done = 0
        self.t0 = self.shown = time.monotonic()

    def start(self, total: int) -> None:
        self.total, self.t0 = total, time.monotonic()

    def rate(self) -> float:
        return self.done / max(time.monotonic() - self.t0, 1e-9)

    def __call__(self, source, status) -> None:
        self.done += 1
        if self.live and (time.monotonic() - self.shown >= 0.2 or self.done == self.total):
            self.shown = time.monotonic()
            width = 30
            filled = width * self.done // max(self.total, 1)
            print(f"\r  reparse [{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} pages  "
                  f"{self.rate():.1f} pages/s", end="", file=self.stream, flush=True)

    def summary(self, workers: int) -> str:
        if self.live and self.done:
            print(file=self.stream)
        seconds = time.monotonic() - self.t0
        lanes = f"{workers} worker{'s' if workers != 1 else ''}" if workers else "in-process"
        return f"{self.done} pages in {seconds:.1f} s: {self.done / max(seconds, 1e-9):.1f} pages/s ({lanes})"


def cmd_reparse(args) -> int:
    from pipelines.ingest import default_workers, reparse
    from pipelines.lock import writer_lock
    from pipelines.schema import open_db

    # NIANBAO_EXTRACT_WORKERS=0 still parses in this process, without limits (as for ingest)
    workers = args.workers if args.workers is not None else (
        0 if os.environ.get("NIANBAO_EXTRACT_WORKERS") == "0" else default_workers())
    if workers < 0:
        print("nianbao reparse: --workers must be 0 or more", file=sys.stderr)
        return 2
    progress = ReparseProgress(sys.stderr, quiet=args.quiet)
    with writer_lock(args.db, wait=not args.no_wait):
        counts = reparse(open_db(args.db), progress=progress, workers=workers)
    print(f"reparsed {progress.summary(workers)}: "
          + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    return 0


def cmd_export(args) -> int:
    from pipelines.export import export_database, export_figures

    if not Path(args.db).is_file():
        print(f"nianbao export: {args.db}: no such database", file=sys.stderr)
        return 2
    if not (args.figures or args.database):
        print("nianbao export: say what to write: --figures OUT.db, --database OUT.db or both", file=sys.stderr)
        return 2
    for out in filter(None, (args.figures, args.database)):
        if Path(out).resolve() == Path(args.db).resolve():  # an export replaces OUT: never the database itself
            print(f"nianbao export: {out} is the database being exported; write the export elsewhere", file=sys.stderr)
            return 2
    if args.database:
        counts = export_database(args.db, args.database)
        print(f"database export: {counts['reports']} published reports, {counts['bytes'] / 1e6:.1f} MB → "
              f"{args.database}")
    if args.figures:
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
    """The offline demo (demo/build.py), then the database served (unless --no-serve)."""
    from demo.build import build_demo_database

    code = build_demo_database(Path(args.db), size=args.size, quiet=args.quiet, progress=_progress(args.quiet),
                               workers=_workers())
    if code or args.no_serve:
        return code
    return cmd_serve(args)


def cmd_demo_portal(args) -> int:
    from demo.build import serve_portal

    return serve_portal(size=args.size, port=args.port, corpus=args.corpus)


def cmd_crawl(args) -> int:
    from crawler.run import crawl, crawl_hosts, flagged_sites, load_site_rows, settings_overrides

    overrides = settings_overrides(args.log_level, progress=args.progress, no_throttle=args.no_throttle,
                                   pairs=args.set)
    if args.redis:  # a worker of a distributed crawl (crawler/distributed.py): no SQLite, its own WARC files
        from crawler.distributed import run_worker
        from pipelines.warc_archive import warc_dir

        return run_worker(args.redis, str(warc_dir(args.db)), overrides,
                          say=lambda m: print(m, file=sys.stderr if m.startswith("nianbao") else sys.stdout))
    sites = load_site_rows(args.sites_file, args.sites)
    if not sites:
        print("nianbao crawl: no site with a portal_url or column_url to crawl", file=sys.stderr)
        return 2
    hosts = crawl_hosts(args.sites_file)
    from pipelines.lock import writer_lock
    from pipelines.schema import open_db

    with writer_lock(args.db, wait=not args.no_wait):
        db = open_db(args.db)  # once for the whole crawl (crawler/state.py holds it)
        run_id = crawl(db, sites, jobdir=args.jobdir, overrides=overrides, hosts=hosts)
    from pipelines.console import format_crawl_run

    run = db["crawl_runs"].get(run_id)
    print(format_crawl_run(run_id, run))
    for site, counts in json.loads(run["per_site"] or "{}").items():
        if counts.get("capped"):
            print(f"nianbao crawl: {site}: stopped at a crawl limit: {counts['capped']}", file=sys.stderr)
    flagged = flagged_sites(db, run_id)   # crawl health: the table crawl_health, one row per site
    for f in flagged:
        what = ("yielded none (it used to yield reports)" if f["flag"] == "gone_to_zero"
                else "lost more than half of its reports")
        print(f"nianbao crawl: {f['site']}: {f['reports_found']} reports found, {f['reports_expected']} in the "
              f"previous run: {what}", file=sys.stderr)
    if any(f["flag"] == "gone_to_zero" for f in flagged):
        return 3
    if flagged:
        return 4
    return 0 if run["finish_reason"] == "finished" else 1


def cmd_enqueue(args) -> int:
    """A new distributed run: the sites and their start requests into Redis (crawler/distributed.py)."""
    from crawler.distributed import enqueue
    from crawler.run import crawl_hosts, load_site_rows, validators

    sites = load_site_rows(args.sites_file, args.sites)
    if not sites:
        print("nianbao enqueue: no site with a portal_url or column_url to crawl", file=sys.stderr)
        return 2
    known = {}
    if args.db:  # conditional requests for what this database already holds (a weekly crawl costs 304s)
        from pipelines.schema import open_db

        known = validators(open_db(args.db))
    run, n = enqueue(args.redis, sites, crawl_hosts(args.sites_file), known)
    print(f"run {run}: {n} start requests for {len(sites)} sites queued in {args.redis}")
    return 0


def cmd_load(args) -> int:
    """The one writer of a distributed crawl: items from Redis into the database (pipelines/load.py)."""
    from crawler.distributed import connect
    from pipelines.load import load
    from pipelines.lock import writer_lock
    from pipelines.schema import open_db

    with writer_lock(args.db, wait=not args.no_wait):
        db = open_db(args.db)
        counts, runs = load(connect(args.redis), db, follow=not args.no_follow,
                            say=None if args.quiet else lambda m: print(m, file=sys.stderr, flush=True))
    print(f"loaded {counts.get('items', 0)} items (crawl runs {', '.join(map(str, runs)) or 'none'}): "
          + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()) if k != "items"))
    return 0


def cmd_sites(args) -> int:
    from crawler.registry import load_sites, summary, validate
    from pipelines.console import format_registry_summary, format_site

    if args.classify:
        return classify_urls(args)
    path = Path(args.file) if args.file else None
    rows = load_sites(path) if path else load_sites()
    problems = validate(rows)
    for r in rows:
        print(format_site(r))
    print(format_registry_summary(summary(rows), problems))
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
    r.add_argument("--workers", type=int, metavar="N",
                   help="parse in N worker processes at once (default: every core; 0: in this process, no limits)")
    r.add_argument("--quiet", action="store_true")
    r.add_argument("--no-wait", action="store_true", help="refuse (exit 2) instead of waiting when another writer holds DB")
    r.set_defaults(func=cmd_reparse)
    ex = sub.add_parser("export", help="downloads cut to their use: --figures OUT.db (figures, checks, summary; no "
                                       "texts), --database OUT.db (the whole database, compacted)")
    ex.add_argument("--db", required=True)
    ex.add_argument("--figures", metavar="OUT.db", help="the figures-only download")
    ex.add_argument("--database", metavar="OUT.db", help="the whole database as one compact file (VACUUM INTO)")
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
    cr.add_argument("--redis", metavar="URL", help="run as a worker of a distributed crawl (redis://HOST:PORT/DB): "
                    "the queue from `nianbao enqueue`, items to `nianbao load`; writes only WARC files beside DB")
    cr.set_defaults(func=cmd_crawl)
    en = sub.add_parser("enqueue", help="start a distributed crawl: the registry's start requests into Redis")
    en.add_argument("--redis", required=True, metavar="URL")
    en.add_argument("--sites", nargs="*", help="agency names from the registry (default: every site with a URL)")
    en.add_argument("--sites-file", help="a registry CSV other than crawler/sites.csv")
    en.add_argument("--db", help="a database whose archived pages are asked for conditionally (If-None-Match)")
    en.set_defaults(func=cmd_enqueue)
    ld = sub.add_parser("load", help="the one writer of a distributed crawl: items from Redis into the database")
    ld.add_argument("--redis", required=True, metavar="URL")
    ld.add_argument("--db", required=True)
    ld.add_argument("--no-follow", action="store_true", help="load what is there and stop (default: until the crawl ends)")
    ld.add_argument("--quiet", action="store_true")
    ld.add_argument("--no-wait", action="store_true", help="refuse (exit 2) instead of waiting when another writer holds DB")
    ld.set_defaults(func=cmd_load)
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
