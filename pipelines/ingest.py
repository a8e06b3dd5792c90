"""archive → parse → store: the one path from fetched or local bytes to rows.

The crawler's item pipeline, `nianbao ingest`, `nianbao reparse` and the benchmarks all call these three:

* `archive(db, fetched)` stores the raw bytes and the page row first (parse outcome `pending`);
* `parse(data, …)` is pure (bytes in, record out, no database): it runs in a worker process
  (pipelines/worker.py) under a time and a memory limit, or inline;
* `store(db, record, page_id, …)` writes the record's rows, all or nothing.

Each page is isolated: whatever one page raises, exceeds or breaks becomes that page's recorded outcome
(`parse_outcome = error` and the reason in `detail`), and the batch goes on.
"""

from __future__ import annotations

import os
import re
from collections import Counter, deque
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from pathlib import Path

import sqlite_utils

from pipelines.models import FetchedResponse, FetchOutcome, ParseOutcome, Record, error_record
from pipelines.writers import (
    RowBuffer,
    batch_rows,
    bulk_writes,
    load_registry,
    record_parse_failure,
    savepoint,
    store_batch,
    store_page,
    store_record,
)

SUFFIXES = {".html", ".htm", ".shtml", ".txt", ".md", ".pdf", ".docx", ".doc", ".wps", ".xls", ".xlsx", ".et",
            ".jpg", ".jpeg", ".png"}


def registry() -> tuple[list[dict], frozenset]:
    from crawler.registry import load_sites, registry_hosts

    return load_sites(), registry_hosts()


# ── the three steps ─────────────────────────────────────────────────────────────────────────────

def archive(db: sqlite_utils.Database, fetched: FetchedResponse, *, source: str | None = None,
            path: str | None = None, stored: tuple[str, int] | None = None) -> str:
    """The raw bytes and the page row, before anything parses them; returns the page id. `stored`: (sha256,
    size) of bytes a crawl worker already archived (pipelines/load.py)."""
    return store_page(db, source=source or fetched.url, data=fetched.body, url=fetched.url or None,
                      path=path, fetched_at=fetched.fetched_at, http_status=fetched.status,
                      fetch_outcome=fetched.fetch_outcome, listing=fetched.kind in ("listing", "portal"),
                      detail=fetched.detail, content_type=fetched.content_type, crawl_run_id=fetched.run_id,
                      site=fetched.site, etag=fetched.etag, last_modified=fetched.last_modified, http=fetched.http,
                      stored=stored)


def seen_unchanged(db: sqlite_utils.Database, fetched: FetchedResponse) -> None:
    """A 304 for a stored report or attachment: its reports were seen again (and are not removed)."""
    db.execute("UPDATE reports SET last_seen = ?, removed_at = NULL WHERE id IN "
               "(SELECT report_id FROM pages WHERE source = ? AND report_id IS NOT NULL)",
               [fetched.fetched_at, fetched.url])


def parse(data: bytes, *, filename: str | None = None, url: str | None = None, content_type: str | None = None,
          registry_hosts=frozenset(), images=None) -> Record:
    """decode → chrome → spam → extract (pipelines/parse.py); never raises. `images`: {src: bytes} (or a
    src → bytes function) of the page's pictures, to read a table pasted as a picture."""
    from pipelines.parse import clean_and_extract

    try:
        return clean_and_extract(data, filename=filename, url=url, content_type=content_type,
                                 registry_hosts=registry_hosts, images=images)
    except Exception as exc:  # noqa: BLE001 - a hostile page becomes a record that says why
        return error_record(f"cannot parse: {type(exc).__name__}: {exc}")


def store(db: sqlite_utils.Database, record: Record, page_id: str, source: str,
          seen_at: str | None = None) -> tuple[str | None, str]:
    """(report revision id, status); a record the store cannot write (a figure SQLite cannot hold …) leaves
    only its page row, with parse outcome `error` and the reason. Inside `store_batch` the page's write-only
    rows join the batch's (written before its commit) once the page has stored whole. A page whose extraction
    failed (a time-out, a memory excess, an exception: the record's outcome `error`) is status `error` too,
    not `not_a_report`: the summaries of ingest, reparse and the crawl count it as a failure."""
    batch = batch_rows(db)
    try:
        with savepoint(db, "store_page_record"):
            if batch is None:
                report_id, status = store_record(db, record, page_id, source, seen_at)
            else:
                rows = RowBuffer()
                report_id, status = store_record(db, record, page_id, source, seen_at, rows=rows)
                if not rows.bindable():  # SQLite's own error for this page, in its savepoint, as one page alone
                    rows.flush(db.conn)
                batch.extend(rows)
        if report_id is None and ParseOutcome.of(record.get("outcome")) == ParseOutcome.ERROR:
            status = "error"
        return report_id, status
    except Exception as exc:  # noqa: BLE001 - one page's failure is that page's outcome
        record_parse_failure(db, page_id, f"cannot store: {type(exc).__name__}: {exc}")
        return None, "error"


class Parser:
    """Where `parse` runs: inline (workers=0), or in a ParsePool under time and memory limits."""

    def __init__(self, workers: int = 0, **limits):
        self.pool = None
        if workers > 0:
            from pipelines.worker import ParsePool

            self.pool = ParsePool(workers, **limits)

    def __call__(self, data: bytes, **kwargs) -> Record:
        return self.pool.parse(data, **kwargs) if self.pool else parse(data, **kwargs)

    def close(self) -> None:
        if self.pool:
            self.pool.close()

    def __enter__(self) -> Parser:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def ingest_bytes(db: sqlite_utils.Database, data: bytes, *, source: str, url: str | None = None,
                 path: str | None = None, content_type: str | None = None, fetched_at: str | None = None,
                 http_status: int | None = None, crawl_run_id: int | None = None, site: str | None = None,
                 registry_hosts=frozenset(), etag: str | None = None, last_modified: str | None = None,
                 parser=parse) -> tuple[str, str | None, str]:
    """(page id, report revision id, status): archive → parse → store for one page. Never raises for bad
    input: a page that cannot be decoded, cleaned, parsed or stored is kept with the outcome that says why."""
    fetched = FetchedResponse(url=url or "", kind="report", site=site, status=http_status, body=data,
                              content_type=content_type, etag=etag, last_modified=last_modified,
                              fetched_at=fetched_at, run_id=crawl_run_id)
    page_id = archive(db, fetched, source=source, path=path)
    record = parser(data, filename=path or url, url=url, content_type=content_type, registry_hosts=registry_hosts,
                    images=archived_pictures(db, url, data))
    report_id, status = store(db, record, page_id, source, fetched_at)
    return page_id, report_id, status


PICTURE_SRC = re.compile(rb"""<img\b[^>]*?\bsrc\s*=\s*["']?([^"' >]+)""", re.I)


def archived_pictures(db: sqlite_utils.Database, page_url: str | None, data: bytes) -> dict | None:
    """{src: archived bytes} of a report page's pictures (the crawler fetches them like attachments), so a
    table pasted as an image is read into the page's record; None when the page has none archived."""
    from urllib.parse import urljoin

    from pipelines.archive import ArchiveError, archived

    if not page_url or b"<img" not in data[:4_000_000].lower():
        return None
    out = {}
    for raw in set(PICTURE_SRC.findall(data[:4_000_000])):
        src = raw.decode("latin-1").strip()
        # a fetched page's source is its URL: `source = ?1` is what lets SQLite read the source index (there is
        # none on url) rather than every page for each picture
        row = db.execute("SELECT sha256 FROM pages WHERE source = ?1 AND url = ?1 AND sha256 IS NOT NULL "
                         "ORDER BY fetched_at DESC LIMIT 1", [urljoin(page_url, src)]).fetchone()
        try:
            body = archived(db, row[0]) if row else None
        except ArchiveError:
            body = None
        if body:
            out[src] = body
    return out or None


def local_pictures(page: Path):
    """A saved page's pictures from beside it on disk (src relative to the page, or its file name in the
    page's folder) — never from outside that folder, never from the network (`nianbao extract`, `clean`)."""
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


# ── batches ─────────────────────────────────────────────────────────────────────────────────────

BATCH_PAGES = 250      # pages per transaction when storing many (store_batch)
BATCH_SECONDS = 2.0    # … or this long: a killed run loses at most this much, which the next one stores again


def in_batches(db: sqlite_utils.Database, items, store_one, pages: int = BATCH_PAGES,
               seconds: float = BATCH_SECONDS) -> None:
    """store_one(item) for every item, in store_batch transactions of `pages` pages or `seconds` seconds."""
    import time

    items = iter(items)
    more = True
    while more:
        more = False
        with store_batch(db):
            started = time.monotonic()
            for n, item in enumerate(items, 1):
                store_one(item)
                if n >= pages or time.monotonic() - started > seconds:
                    more = True
                    break

def files_under(paths: list[str]) -> list[Path]:
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out += sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in SUFFIXES
                          and f.name not in ("SOURCES.md", "README.md"))
        elif p.is_file():
            out.append(p)
        else:
            raise FileNotFoundError(str(p))
    return out


def ingest_paths(db: sqlite_utils.Database, paths: list[str], progress=None, workers: int = 0) -> Counter:
    sites, hosts = registry()
    files = files_under(paths)
    counts: Counter = Counter()
    with bulk_writes(db, load=True), Parser(workers) as parser:
        with db.conn:
            load_registry(db, sites)

        def ingest_file(f: Path) -> None:  # one page, all or nothing (ingest.store's savepoint)
            try:
                data = f.read_bytes()
            except OSError as exc:
                counts["unreadable"] += 1
                if progress:
                    progress(f, f"unreadable: {exc}")
                return
            _, _, status = ingest_bytes(db, data, source=str(f.resolve()), path=str(f), registry_hosts=hosts,
                                        parser=parser)
            counts[status] += 1
            if progress:
                progress(f, status)

        in_batches(db, files, ingest_file)
    return counts


def crawled_hosts(db: sqlite_utils.Database) -> frozenset[str]:
    """Hosts a crawl fetched from: the network policy allowed them then (a sites file named them), so a
    re-parse does not call their pages mirrors (the demo's 127.0.0.1 is in no project registry) — except
    the hosts that crawl recorded as copies."""
    from urllib.parse import urlsplit

    rows = db.execute("SELECT DISTINCT CASE WHEN instr(substr(url, 9), '/') > 0 "
                      "THEN substr(url, 1, instr(substr(url, 9), '/') + 8) ELSE url END FROM pages "
                      "WHERE crawl_run_id IS NOT NULL AND url IS NOT NULL AND fetch_outcome = ?",
                      [FetchOutcome.OK.value]).fetchall()
    # a host the crawl itself recorded as a copy (clone_pages) stays a copy on re-parse
    copies = {urlsplit("//" + h).hostname or "" for (h,) in
              db.execute("SELECT DISTINCT lower(clone_host) FROM clone_pages").fetchall()} \
        if db["clone_pages"].exists() else set()
    return frozenset(h for (u,) in rows if (h := (urlsplit(u or "").hostname or "").lower()) and h not in copies)


def default_workers() -> int:
    """Every core this process may run on (`nianbao reparse` without --workers)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


RELOAD_DEFERS = 0.5  # a reparse of more pages than half the reports held defers the unread indexes


def reparse(db: sqlite_utils.Database, progress=None, only_pending: bool = False, workers: int = 0,
            parser=None, hosts=None, sites=None) -> Counter:
    """Parse again every page whose bytes were fetched whole (after an extractor change), without
    recrawling — pages whose extraction failed included: those are the ones an extractor fix rescues.
    With only_pending, just the pages archived but never parsed (a crawl killed between the two).

    With `workers` > 1 the pages are parsed in that many worker processes at once (each page under the
    pool's time and memory limits) while this process, the one writer, reads the archive and stores the
    records in page order — the order a one-worker reparse stores them in, so revisions, links and
    every row come out the same. `progress(source, status)` is called per page; a `progress.start(total)`
    method, if it has one, first."""
    from pipelines.archive import ArchiveError, archived

    if hosts is None:   # a crawl passes its own: a watched copy it fetched is no government host
        hosts = registry()[1] | crawled_hosts(db)
    counts: Counter = Counter()
    where = ("fetch_outcome = ? AND parse_outcome IS NOT NULL" if not only_pending
             else "fetch_outcome = ? AND parse_outcome = 'pending'")
    pages = list(db.execute("SELECT id, source, url, path, content_type, fetched_at, sha256 FROM pages WHERE "
                            + where + " ORDER BY rowid", [FetchOutcome.OK.value]).fetchall())
    if not pages:
        return counts
    if hasattr(progress, "start"):
        progress.start(len(pages))
    owned = parser is None
    parser = parser or Parser(workers)
    lanes = len(parser.pool.all) if getattr(parser, "pool", None) else 1

    def readable():
        """(page, bytes) of each page in order; an unreadable archive is recorded on its page here."""
        for page in pages:
            page_id, source, _url, _path, _ctype, _fetched_at, digest = page
            try:
                data = archived(db, digest)
            except ArchiveError as exc:
                # recorded on the page (committed with the batch it falls in); its report keeps what was
                # stored before; the next reparse tries again
                db.conn.execute("UPDATE pages SET outcome = 'archive_error', detail = ? WHERE id = ?",
                                [str(exc)[:500], page_id])
                counts["archive_error"] += 1
                if progress:
                    progress(source, "archive_error")
                continue
            if data is None:
                counts["missing_archive"] += 1
                if progress:
                    progress(source, "missing_archive")
                continue
            yield page, data

    def parse_page(page, data) -> Record:
        _page_id, _source, url, path, ctype, _fetched_at, _digest = page
        return parser(data, filename=path or url, url=url, content_type=ctype, registry_hosts=hosts,
                      images=archived_pictures(db, url, data))

    def store_parsed(item) -> None:
        page, record = item
        page_id, source, url, _path, _ctype, fetched_at, _digest = page
        if sites:
            from pipelines.clones import attribute

            attribute(record, url, sites)
        _, status = store(db, record, page_id, source, fetched_at)
        counts[status] += 1
        if progress:
            progress(source, status)

    def parsed():
        """(page, record) in page order."""
        if lanes == 1:
            for page, data in readable():
                yield page, parse_page(page, data)
            return
        # parse ahead on every worker; store strictly in page order (one writer, the same rows as one worker)
        in_flight: deque = deque()
        with ThreadPoolExecutor(lanes, thread_name_prefix="nianbao-reparse") as threads:
            for page, data in readable():
                # pictures are looked up here, in the writer's thread: sqlite connections stay in one thread
                url, path, ctype = page[2], page[3], page[4]
                kwargs = dict(filename=path or url, url=url, content_type=ctype, registry_hosts=hosts,
                              images=archived_pictures(db, url, data))
                in_flight.append((page, threads.submit(parser, data, **kwargs)))
                if len(in_flight) >= 2 * lanes:
                    page0, done = in_flight.popleft()
                    yield page0, done.result()
            while in_flight:
                page0, done = in_flight.popleft()
                yield page0, done.result()

    # a whole archive re-parsed is a bulk load: the indexes nothing reads while storing are built at the end
    whole = not only_pending and len(pages) > RELOAD_DEFERS * max(1, db.conn.execute(
        "SELECT count(*) FROM reports").fetchone()[0])
    with bulk_writes(db, rewrite=whole), (parser if owned else nullcontext()):
        in_batches(db, parsed(), store_parsed)
    return counts
