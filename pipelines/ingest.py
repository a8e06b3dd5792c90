"""Ingest local files, or re-parse the archive: the same steps as a crawl, without the network.

archive (raw bytes first) → decode → chrome → spam → extract → store. The crawler's store pipeline
calls `ingest_bytes` too, so a page gives the same rows however it arrived.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import sqlite_utils

from pipelines.parse import clean_and_extract
from pipelines.writers import bulk_writes, load_registry, store_page, store_record

SUFFIXES = {".html", ".htm", ".shtml", ".txt", ".md", ".pdf", ".docx", ".doc", ".wps", ".xls", ".xlsx", ".et",
            ".jpg", ".jpeg", ".png"}


def registry() -> tuple[list[dict], frozenset]:
    from crawler.registry import load_sites, registry_hosts

    return load_sites(), registry_hosts()


def ingest_bytes(db: sqlite_utils.Database, data: bytes, *, source: str, url: str | None = None,
                 path: str | None = None, content_type: str | None = None, fetched_at: str | None = None,
                 http_status: int | None = None, crawl_run_id: int | None = None, site: str | None = None,
                 registry_hosts=frozenset(), etag: str | None = None,
                 last_modified: str | None = None) -> tuple[str, str | None, str]:
    """(page id, report revision id, status). Never raises for bad input: a page that cannot be
    decoded, cleaned or parsed is stored with the outcome that says why."""
    page_id = store_page(db, source=source, data=data, url=url, path=path, fetched_at=fetched_at,
                         http_status=http_status, content_type=content_type, crawl_run_id=crawl_run_id, site=site,
                         etag=etag, last_modified=last_modified)
    record = clean_and_extract(data, filename=path or url, url=url, content_type=content_type,
                               registry_hosts=registry_hosts)
    report_id, status = store_record(db, record, page_id, source, fetched_at)
    return page_id, report_id, status


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


def ingest_paths(db: sqlite_utils.Database, paths: list[str], progress=None) -> Counter:
    sites, hosts = registry()
    files = files_under(paths)
    counts: Counter = Counter()
    with bulk_writes(db):
        with db.conn:
            load_registry(db, sites)
        for f in files:
            with db.conn:  # one page, all or nothing
                _, _, status = ingest_bytes(db, f.read_bytes(), source=str(f.resolve()), path=str(f),
                                            registry_hosts=hosts)
            counts[status] += 1
            if progress:
                progress(f, status)
    return counts


def reparse(db: sqlite_utils.Database, progress=None, only_pending: bool = False) -> Counter:
    """Rebuild every record from the archived bytes (after an extractor change), without recrawling.
    With only_pending, just the pages archived but never parsed (a crawl killed between the two)."""
    from pipelines.archive import ArchiveError, archived

    _, hosts = registry()
    counts: Counter = Counter()
    where = " WHERE outcome = 'archived'" if only_pending else " WHERE outcome NOT IN ('listing', 'not_modified', " \
        "'blocked', 'error', 'off_domain', 'robots')"
    pages = list(db.execute("SELECT id, source, url, path, content_type, fetched_at, sha256 FROM pages" + where).fetchall())
    with bulk_writes(db):
        for page_id, source, url, path, ctype, fetched_at, digest in pages:
            try:
                data = archived(db, digest)
            except ArchiveError as exc:
                # recorded on the page; its report keeps what was stored before; the next reparse tries again
                with db.conn:
                    db.conn.execute("UPDATE pages SET outcome = 'archive_error', detail = ? WHERE id = ?",
                                    [str(exc)[:500], page_id])
                counts["archive_error"] += 1
                if progress:
                    progress(source, "archive_error")
                continue
            if data is None:
                counts["missing_archive"] += 1
                continue
            with db.conn:
                record = clean_and_extract(data, filename=path or url, url=url, content_type=ctype,
                                           registry_hosts=hosts)
                _, status = store_record(db, record, page_id, source, fetched_at)
            counts[status] += 1
            if progress:
                progress(source, status)
    return counts
