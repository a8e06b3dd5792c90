"""The store step: pages, archive, agencies, report revisions, cells, checks, spam findings → SQLite.

The tables themselves are declared in pipelines/schema.py; search text in pipelines/search.py.

Identity and revisions:
* a page is one fetched or ingested source version: id = hash(source, sha256 of its bytes), so
  re-ingesting the same bytes changes nothing;
* a report is one agency and year (`report_key`); an HTML page and its PDF attachment carrying the same
  report are two sources of one report; a quarantined copy (a clone) is keyed apart, never the agency's report;
* a new revision is made only when the *extracted record* changes (hash of the canonical figures,
  metadata and text — never the raw bytes, which carry view counters and timestamps); the old revision
  is kept with is_current = 0.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from contextlib import contextmanager, nullcontext
from datetime import datetime, timezone
from urllib.parse import urlsplit

import sqlite_utils

from extract.normalize import normalize, to_simplified
from pipelines.archive import archive_bytes, archived
from pipelines.clones import store_clone
from pipelines.derived import LOAD_DEFERRED, indexes_deferred, mark_pending, sync_pending, timed
from pipelines.models import FetchOutcome, ParseOutcome, Site, page_outcome
from pipelines.schema import GROUPS, OTHER_ROWS, TABLE_KEYS, WIDE, column, record_rest
from pipelines.search import bigrams, simplified_bigrams
from pipelines.warc_archive import close_archive, db_file

log = logging.getLogger(__name__)


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _write(db, table: str, rows: list[dict] | dict, mode: str = "INSERT OR REPLACE") -> None:
    """Plain INSERT inside the caller's transaction. (sqlite-utils' insert/upsert commit on their own,
    ten commits a page: slow, and a page would no longer be stored all or nothing.)"""
    rows = [rows] if isinstance(rows, dict) else rows
    if not rows:
        return
    cols = list(rows[0])
    sql = f"{mode} INTO [{table}] ({', '.join(f'[{c}]' for c in cols)}) VALUES ({', '.join('?' * len(cols))})"
    db.conn.executemany(sql, [[r.get(c) for c in cols] for r in rows])


def _update(db, table: str, pk: str, pk_value, values: dict) -> None:
    sets = ", ".join(f"[{c}] = ?" for c in values)
    db.conn.execute(f"UPDATE [{table}] SET {sets} WHERE [{pk}] = ?", [*values.values(), pk_value])


_INT64_MIN, _INT64_MAX = -(2 ** 63), 2 ** 63 - 1

# cells are written as `cell_values` (pipelines/schema.py 0014): (report rowid, key number, value, raw,
# unparsed, source, confidence, resolved_by, computed). A cell whose key has no number yet waits in the buffer
# as (report rowid, table_name, key, value …) under CELL_ROWS, numbered when the buffer is written. Checks
# (0015) always wait so, as (report rowid, rule, key, ok, detail) under CHECK_ROWS: their keys are not seeded.
CELLS_SQL = ("INSERT OR REPLACE INTO cell_values (report_n, key_n, value, raw, unparsed, source, confidence, "
             "resolved_by, computed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
CHECKS_SQL = "INSERT OR REPLACE INTO check_values (report_n, check_n, ok, detail) VALUES (?, ?, ?, ?)"
CELL_ROWS = "cells to number"
CHECK_ROWS = "checks to number"
# the buffer's rows to number: (the statement that writes them, the table that numbers their keys, its columns)
NUMBERED = {CELL_ROWS: (CELLS_SQL, "cell_keys", "table_name, key"), CHECK_ROWS: (CHECKS_SQL, "check_keys", "rule, key")}


class RowBuffer:
    """Rows the store writes and never reads back while storing (cells, checks, the wide tables, the search
    index): gathered per page, then per batch of pages, and written with one executemany per statement."""

    __slots__ = ("rows",)

    def __init__(self):
        self.rows: dict[str, list] = {}

    def add(self, sql: str, params) -> None:
        self.rows.setdefault(sql, []).append(params)

    def add_all(self, sql: str, params: list) -> None:
        self.rows.setdefault(sql, []).extend(params)

    def extend(self, other: RowBuffer) -> None:
        for sql, params in other.rows.items():
            self.rows.setdefault(sql, []).extend(params)

    def bindable(self) -> bool:
        """Every value one SQLite can hold (a page with any other is written at once, so SQLite's own error
        becomes that page's outcome exactly as on the one-page path). One pass, no copies: this runs per page."""
        for params in self.rows.values():
            for row in params:
                for v in row:
                    t = type(v)
                    if t is str or t is float or v is None or t is bool:
                        continue
                    if t is not int or not _INT64_MIN <= v <= _INT64_MAX:  # else SQLite raises OverflowError
                        return False
        return True

    def flush(self, conn) -> None:
        for sql, params in self.rows.items():
            if sql in NUMBERED:
                sql, keys_table, columns = NUMBERED[sql]
                params = numbered_rows(conn, keys_table, columns, params)
            conn.executemany(sql, params)
        self.rows.clear()


def numbered_rows(conn, keys_table: str, columns: str, rows: list[tuple]) -> list[tuple]:
    """Rows (report rowid, key part, key part, rest …) as (report rowid, key number, rest …). Their keys are
    added to `keys_table` here, in the transaction that writes their rows: a rolled-back page takes the keys
    it added with it, and the next page with such a key adds it again."""
    conn.executemany(f"INSERT OR IGNORE INTO {keys_table} ({columns}) VALUES (?, ?)",
                     sorted({(r[1], r[2]) for r in rows}))
    numbers = {(a, b): n for n, a, b in conn.execute(f"SELECT n, {columns} FROM {keys_table}")}
    return [(r[0], numbers[r[1], r[2]], *r[3:]) for r in rows]


def cell_numbers(db: sqlite_utils.Database) -> dict[str, dict[str, int]]:
    """{table_name: {key: number}} of the keys `cell_keys` held when this connection first stored a cell (the
    canonical ones, numbered by migration 0014). Only those: a key numbered later, in some transaction that
    may yet roll back, is never taken from here but numbered with its cells (numbered_rows)."""
    numbers = getattr(db, "_nianbao_cell_numbers", None)
    if numbers is None:
        numbers = {}
        for n, table, key in db.conn.execute("SELECT n, table_name, key FROM cell_keys"):
            numbers.setdefault(table, {})[key] = n
        db._nianbao_cell_numbers = numbers
    return numbers


@contextmanager
def store_batch(db: sqlite_utils.Database):
    """Many pages in one transaction: each page is still stored all or nothing (`pipelines.ingest.store` holds
    a savepoint per page), but the rows only ever written — cells, checks, wide tables, search index — are
    written once for the whole batch, one executemany per statement, before the commit. The rows come out
    the same as storing page by page (tests/test_store_batch.py)."""
    outer = batch_rows(db)
    if outer is not None:  # already inside a batch: the outer one writes them
        yield outer
        return
    rows = begin_rows(db)
    try:
        with db.conn:
            yield rows
            write_rows(db)
            if not getattr(db, "_nianbao_bulk", False):
                sync_pending(db)
    finally:
        db._nianbao_rows = None


def begin_rows(db: sqlite_utils.Database) -> RowBuffer:
    """From now on the pages stored gather their write-only rows here, for `write_rows` to write before the
    transaction commits (store_batch; the crawl, whose commits group 50 pages). Besides one executemany per
    statement, this keeps the search index's inserts out of the per-page savepoints: FTS5 writes its pending
    terms to disk as a new segment at every SAVEPOINT, a segment per page for its merges to undo."""
    rows = db._nianbao_rows = RowBuffer()
    return rows


def write_rows(db: sqlite_utils.Database) -> None:
    """Write the rows gathered since begin_rows (in the caller's transaction, before its commit: a report
    row is never committed without its cells) and stop gathering."""
    rows = batch_rows(db)
    if rows is not None:
        rows.flush(db.conn)
    db._nianbao_rows = None


def batch_rows(db: sqlite_utils.Database) -> RowBuffer | None:
    """The open batch's row buffer (store_batch), or None when pages are stored one by one."""
    return getattr(db, "_nianbao_rows", None)


@contextmanager
def bulk_writes(db: sqlite_utils.Database, load: bool = False, rewrite: bool = False):
    """While a crawl or an ingest writes: WAL without an fsync per commit. Afterwards the database is
    checkpointed back into its one file (rollback journal), complete for downloading and serving.
    `load`: a load into an empty database; `rewrite`: most of the database is written again (a reparse of
    the whole archive). Either way the indexes nothing reads while storing are dropped and built at the end."""
    def pragma(sql: str) -> None:
        db.conn.execute(sql).fetchall()  # an unread PRAGMA result keeps its statement open (table locked)

    pragma("PRAGMA journal_mode = WAL")
    pragma("PRAGMA synchronous = NORMAL")
    pragma("PRAGMA cache_size = -131072")  # 128 MB: the write path's indexes stay in memory at scale
    db._nianbao_bulk = True  # derived tables are synced once, at the end (sync_derived)
    # a load into an empty database by one writer (ingest, the benchmark; not the crawler, whose extension
    # opens the database beside it): the indexes nothing reads while writing are built once, at the end
    loading = rewrite or (load and db.conn.execute("SELECT 1 FROM reports LIMIT 1").fetchone() is None)
    index_times: dict = {}
    deferred = indexes_deferred(db.conn, LOAD_DEFERRED, timings=index_times) if loading else nullcontext()
    with db.conn:
        deferred.__enter__()
    try:
        yield db
    finally:
        db._nianbao_bulk = False
        phases = SessionPhases()
        with phases("archive closed"):
            close_archive(db.conn)  # the WARC file flushed and synced before the commit that points into it
            db.conn.commit()
        with db.conn:
            with phases("deferred indexes built"):
                deferred.__exit__(None, None, None)
            with phases("derived tables synced"):
                sync_pending(db, timings=phases.detail)
            with phases("statistics gathered"):
                # the query planner's statistics (sqlite_stat1), sampled: ~1,000 rows an index, 0.1 s at 30,000
                # reports where a full ANALYZE takes 0.7 s. Without them SQLite picked a quadratic plan for
                # year_pairs once (docs/benchmark-history.md), and a downloaded file would have none.
                pragma("PRAGMA analysis_limit = 1000")
                pragma("ANALYZE")
                pragma("PRAGMA analysis_limit = 0")
        with phases("WAL checkpointed"):
            pragma("PRAGMA wal_checkpoint(TRUNCATE)")
        with phases("journal back to DELETE"):
            pragma("PRAGMA journal_mode = DELETE")
            pragma("PRAGMA synchronous = FULL")
        path = db_file(db.conn)
        if path:  # counts for `nianbao serve` (Datasette's --inspect-file), so it answers at once
            from pipelines.publish import write_inspect

            with phases("inspect file written"):
                write_inspect(path)
        phases.detail.update({f"index {k}": v for k, v in index_times.items()})
        db._nianbao_session_phases = phases
        log.info("end of write session: %s", phases)
        log.debug("end of write session, in detail: %s", phases.detail)


class SessionPhases:
    """How long each phase of the end of a write session took (logged, and read by bench/publish.py)."""

    def __init__(self):
        self.seconds: dict[str, float] = {}
        self.detail: dict[str, float] = {}  # within the phases: each derived table, each deferred index

    def __call__(self, name: str):
        return timed(self.seconds, name)

    def __str__(self) -> str:
        return ", ".join(f"{k} {v:.2f} s" for k, v in self.seconds.items()) + f"; total {sum(self.seconds.values()):.2f} s"


def short_hash(*parts: str, n: int = 16) -> str:
    return hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()[:n]


# ── writing ─────────────────────────────────────────────────────────────────────────────────────

def agency_id(name: str | None) -> str:
    return re.sub(r"\s+", "", normalize(name or "")) or "(unknown)"


def load_registry(db: sqlite_utils.Database, sites: list[dict | Site]) -> None:
    """Registry agencies into `agencies` (upsert: re-loading a changed registry updates them)."""
    rows = [{
        "id": agency_id(s.agency), "name": s.agency, "region_code": s.region_code or None,
        "province": s.province or None, "level": s.level or None, "portal_url": s.portal_url or None,
        "in_registry": 1, "aliases": s.aliases or None,
    } for s in (x if isinstance(x, Site) else Site.from_row(x) for x in sites)]
    db["agencies"].upsert_all(rows, pk="id", alter=True)
    db._nianbao_agency_matcher = None


def _match_agency(db: sqlite_utils.Database, name: str | None) -> str:
    """The registry agency a printed name belongs to ('淮安市洪泽区人民政府' → '洪泽区人民政府' when only
    that is registered); an unknown agency is still stored, with province and level null."""
    aid = agency_id(name)
    conn = db.conn
    if conn.execute("SELECT 1 FROM agencies WHERE id = ?", [aid]).fetchone():
        return aid
    found = _agency_matcher(db).match(aid, bool(name))
    if found is not None:
        return found
    _write(db, "agencies", {"id": aid, "name": name, "in_registry": 0}, "INSERT OR IGNORE")
    return aid


class AgencyMatcher:
    """The registry's names in memory, for a printed name that is not one of them exactly: an alias, else the
    first registered id, longest first, that is part of the printed one or (4 characters or more printed) holds
    it. The same answer as trying every registered id in that order — which at a national registry (100,000+
    agencies) cost ~30 ms a report with an unregistered name, half the store time of a million-report load."""

    def __init__(self, conn):
        self.aliases: dict[str, str] = {}
        if any(r[1] == "aliases" for r in conn.execute("PRAGMA table_info(agencies)")):
            for row_id, aliases in conn.execute("SELECT id, aliases FROM agencies WHERE aliases IS NOT NULL"):
                for a in aliases.split(";"):
                    if a.strip():
                        self.aliases.setdefault(agency_id(a), row_id)
        self.ids = [r[0] for r in conn.execute(
            "SELECT id FROM agencies WHERE in_registry = 1 ORDER BY length(id) DESC").fetchall() if r[0]]
        self.rank = {i: n for n, i in enumerate(self.ids)}
        self.grams: dict[str, list[int]] = {}   # each 4 characters → the ranks of the ids holding them
        for n, i in enumerate(self.ids):
            for g in {i[k:k + 4] for k in range(len(i) - 3)}:
                self.grams.setdefault(g, []).append(n)

    def match(self, aid: str, named: bool = True) -> str | None:
        if aid in self.aliases:
            return self.aliases[aid]
        if not named:
            return None
        ranks = [r for i in range(len(aid)) for j in range(i + 1, len(aid) + 1)
                 if (r := self.rank.get(aid[i:j])) is not None]              # registered ids inside the printed
        if len(aid) >= 4:
            fewest = min((self.grams.get(aid[k:k + 4], ()) for k in range(len(aid) - 3)), key=len)
            ranks += [n for n in fewest if aid in self.ids[n]]             # registered ids holding the printed
        return self.ids[min(ranks)] if ranks else None


def _agency_matcher(db: sqlite_utils.Database) -> AgencyMatcher:
    """Built once per connection; again after `load_registry` or another connection's commit."""
    version = db.conn.execute("PRAGMA data_version").fetchone()[0]
    cached = getattr(db, "_nianbao_agency_matcher", None)
    if cached is None or cached[0] != version:
        cached = db._nianbao_agency_matcher = (version, AgencyMatcher(db.conn))
    return cached[1]


def report_key_for(record: dict, agency_id_: str) -> str:
    """One key per agency and year — except a quarantined copy (a clone, a stuffed title), keyed apart by its
    host so that it never becomes a revision or a second source of the agency's report."""
    key = short_hash(agency_id_, str(record["year"]))
    if record.get("quarantined"):
        host = (urlsplit((record.get("source") or {}).get("url") or "").netloc or "").lower()
        key = short_hash(key, "quarantined", host)
    return key


def record_hash(record: dict) -> str:
    """Hash of what was *extracted* (figures, metadata, text) — not of the raw bytes."""
    keep = {k: record.get(k) for k in ("agency", "year", "format", "applications_layout", "title", "published",
                                       "active", "applications", "review_litigation", "prose", "unparsed")}
    if record.get("cell_info"):  # how cells were read (OCR, prose, computed) is part of what was extracted
        keep["cell_info"] = record["cell_info"]
    # without its whitespace: str.split() takes exactly what re's \s does (each code point checked), 4× faster
    keep["text"] = "".join((record.get("text") or "").split())
    return hashlib.sha256(json.dumps(keep, ensure_ascii=False, sort_keys=True).encode()).hexdigest()[:20]


def figures_hash(record: dict) -> str:
    keep = {k: record.get(k) for k in ("active", "applications", "review_litigation", "prose")}
    return hashlib.sha256(json.dumps(keep, ensure_ascii=False, sort_keys=True).encode()).hexdigest()[:20]


PREPARED = "_prepared_for_store"


def _is_report(record: dict) -> bool:
    """A record the store keeps as a report (else its page is `not_a_report`)."""
    return record.get("outcome", "ok") == "ok" and record.get("year") is not None and bool(record.get("agency"))


def prepare_for_store(record: dict) -> dict:
    """Work out the search index's share of a report — its text in simplified characters and the bigrams of its
    title and text — where the record is made (an extraction worker, on another core), so that the one process
    that writes the database spends its time writing. Kept with the very text and title objects they were made
    from: `_search_entry` uses them only while the record still holds those same objects (pickling keeps the
    sharing), and works them out again otherwise."""
    if _is_report(record):
        text, title = record.get("text"), record.get("title")
        simplified = to_simplified(text or "")
        record[PREPARED] = {"text": text, "title": title, "simplified": simplified,
                            "title_search": bigrams(title or ""), "text_search": simplified_bigrams(simplified)}
    return record


def _search_entry(record: dict, prepared: dict | None) -> dict:
    """prepare_for_store's values if they were made from the record as it is now, else worked out now."""
    if prepared is None or prepared["text"] is not record.get("text") or prepared["title"] is not record.get("title"):
        prepared = prepare_for_store(record).pop(PREPARED)
    return prepared


def _cells_parsed(record: dict) -> int:
    return sum(1 for t in ("active", "applications", "review_litigation") for v in record[t].values() if v is not None)


def store_page(db: sqlite_utils.Database, *, source: str, data: bytes, url: str | None = None,
               path: str | None = None, fetched_at: str | None = None, http_status: int | None = None,
               fetch_outcome: FetchOutcome | str = FetchOutcome.OK, listing: bool = False, detail: str = "",
               content_type: str | None = None, crawl_run_id: int | None = None, site: str | None = None,
               archive: bool = True, etag: str | None = None, last_modified: str | None = None,
               http: dict | None = None, stored: tuple[str, int] | None = None) -> str:
    """Archive the bytes (first, before any parsing) and record the page; returns the page id. Its parse
    outcome stays `pending` until the extraction of those bytes is stored (store_record); a listing page
    or a failed fetch has nothing to parse (null). `http` (status, headers, request) makes the archived
    copy a WARC response record. `stored` = (sha256, size) of bytes a crawl worker already archived in its own
    WARC file (pipelines/load.py has given them their `archive` row): `data` is then not needed."""
    fetch_outcome = FetchOutcome(fetch_outcome)
    parse_outcome = None if listing or fetch_outcome != FetchOutcome.OK else ParseOutcome.PENDING
    fetched_at = fetched_at or now()
    if stored is not None:
        digest, size = stored
    else:
        size = len(data)
        digest = (archive_bytes(db, data, content_type, source=url or source, fetched_at=fetched_at,
                                http=http if http is not None else ({"status": http_status} if url else None))
                  if archive else hashlib.sha256(data).hexdigest())
    page_id = short_hash(source, digest)
    row = {
        "id": page_id, "source": source, "url": url, "path": path, "fetched_at": fetched_at or now(),
        "http_status": http_status, "fetch_outcome": fetch_outcome.value,
        "parse_outcome": parse_outcome.value if parse_outcome else None,
        "outcome": page_outcome(fetch_outcome, parse_outcome, "listing" if listing else None),
        "detail": detail, "content_type": content_type,
        "size": size, "sha256": digest, "crawl_run_id": crawl_run_id, "site": site,
        "etag": etag, "last_modified": last_modified,
    }
    # an upsert that keeps what extraction later added to the row (report_id, kind …)
    cols = list(row)
    db.conn.execute(
        f"INSERT INTO pages ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))}) ON CONFLICT(id) DO UPDATE SET "
        + ", ".join(f"{c} = excluded.{c}" for c in cols if c != "id"), [row[c] for c in cols])
    return page_id


def store_record(db: sqlite_utils.Database, record: dict, page_id: str, source: str,
                 seen_at: str | None = None, rows: RowBuffer | None = None) -> tuple[str | None, str]:
    """Store one extracted record for a page. Returns (report revision id, status) where status is
    new / changed / unchanged / linked / not_a_report. With `rows` (a batch, see store_batch) the
    write-only rows are left in it for the batch to write; without, they are written here."""
    seen_at = seen_at or now()
    prepared = record.pop(PREPARED, None)  # not part of the record (nor of its stored JSON)
    outcome = record.get("outcome", "ok")
    parsed = ParseOutcome.of(outcome)
    detail = record.get("detail") or ""
    if parsed == ParseOutcome.ERROR and outcome != "error":
        detail = f"unknown outcome {outcome!r} (not in pipelines/models.py ParseOutcome): {detail}"[:500]
    if parsed == ParseOutcome.OK and record.get("quarantined"):
        parsed = ParseOutcome.QUARANTINED
    page_update = {"outcome": page_outcome(FetchOutcome.OK, parsed), "parse_outcome": parsed.value,
                   "detail": detail, "encoding": (record.get("source") or {}).get("encoding"),
                   "kind": (record.get("source") or {}).get("kind"), "quarantined": int(bool(record.get("quarantined"))),
                   "agency": record.get("agency"), "year": record.get("year")}
    if record.get("quarantined"):
        page_update["detail"] = "; ".join(f"{f['kind']}: {f['text']}" for f in record["spam"]
                                          if f["action"] == "quarantined")[:500]
    _update(db, "pages", "id", page_id, page_update)
    _keep_decoded_copy(db, record, page_id)
    _store_findings(db, record, page_id, source, seen_at)
    store_clone(db, record, page_id, (record.get("source") or {}).get("url") or source, seen_at)
    if not _is_report(record):
        return None, "not_a_report"

    conn = db.conn
    aid = _match_agency(db, record["agency"])
    key = report_key_for(record, aid)
    rhash, fhash = record_hash(record), figures_hash(record)
    existing = conn.execute("SELECT id, record_hash, figures_hash, cells_parsed, is_current, revision FROM reports "
                            "WHERE report_key = ? ORDER BY revision", [key]).fetchall()
    prev_source = conn.execute("SELECT report_id, record_hash FROM report_sources WHERE report_key = ? AND page_source = ?",
                               [key, source]).fetchone()
    same = next((r for r in existing if r[1] == rhash), None)
    current = next((r for r in existing if r[4] == 1), None)
    status: str
    if same is not None:
        rid, status = same[0], "unchanged"
    elif prev_source is not None and prev_source[1] == rhash and current is not None:
        rid, status = current[0], "unchanged"  # a second source, unchanged since it was linked
    elif current is not None and prev_source is None and (
            current[2] == fhash or _cells_parsed(record) <= current[3]):
        rid, status = current[0], "linked"  # a second source of the same report (e.g. its PDF attachment)
    else:
        revision = (max(r[5] for r in existing) + 1) if existing else 1
        rid = f"{key}-r{revision}"
        status = "new" if not existing else "changed"
        if existing:
            conn.execute("UPDATE reports SET is_current = 0 WHERE report_key = ?", [key])
        page_rows = RowBuffer() if rows is None else rows
        _insert_revision(db, record, prepared, rid, key, aid, revision, rhash, fhash, page_id, seen_at, page_rows)
        if rows is None:
            page_rows.flush(conn)
    _write(db, "report_sources", {"report_key": key, "page_source": source, "report_id": rid, "record_hash": rhash,
                                  "last_seen": seen_at})
    if status not in ("new", "changed"):  # seen again: a report once marked removed from its listing is back
        conn.execute("UPDATE reports SET last_seen = ?, removed_at = NULL WHERE id = ?", [seen_at, rid])
    conn.execute("UPDATE pages SET report_id = ?, report_key = ? WHERE id = ?", [rid, key, page_id])
    # a finding is about its report's agency and year (pipelines/schema.py 0011)
    conn.execute("UPDATE spam_findings SET report_id = ?, agency = ?, agency_id = ?, year = ? WHERE page_id = ?",
                 [rid, record.get("agency"), aid, record.get("year"), page_id])
    if record.get("spam"):  # kept on the row so report_summary needs no per-row subquery
        conn.execute("UPDATE reports SET spam_findings = (SELECT count(*) FROM spam_findings WHERE report_id = ?) "
                     "WHERE id = ?", [rid, rid])
    if rows is None:
        sync_derived(db, [key])
    else:  # the batch syncs after writing its rows (store_batch)
        mark_pending(db, [key])
    return rid, status


FTS_INSERT_SQL = "INSERT INTO reports_fts (rowid, title, search_text) VALUES (?, ?, ?)"
REPORT_COLS = ("id", "report_key", "agency_id", "agency", "year", "revision", "is_current", "removed_at", "format",
               "applications_layout", "title", "published", "page_id", "source_url", "text", "text_simplified",
               "record_hash", "figures_hash", "cells_parsed", "cells_unparsed", "quarantined", "outcome",
               "first_seen", "last_seen", "record_json", "failed_checks", "spam_findings")
REPORT_SQL = (f"INSERT OR REPLACE INTO [reports] ({', '.join(f'[{c}]' for c in REPORT_COLS)}) "
              f"VALUES ({', '.join('?' * len(REPORT_COLS))})")
_WIDE_SQL: dict[tuple, str] = {}
_COLUMN = {k: column(k) for keys in TABLE_KEYS.values() for k in keys}
_WIDE_KEYS = {t: frozenset(keys) for t, keys in TABLE_KEYS.items()}  # (TABLE_KEYS holds lists: ordered columns)


def _wide_sql(table: str, cols: tuple) -> str:
    sql = _WIDE_SQL.get((table, cols))
    if sql is None:
        sql = _WIDE_SQL[(table, cols)] = (f"INSERT OR REPLACE INTO [{table}] ({', '.join(f'[{c}]' for c in cols)}) "
                                          f"VALUES ({', '.join('?' * len(cols))})")
    return sql


def _insert_revision(db, record, prepared, rid, key, aid, revision, rhash, fhash, page_id, seen_at,
                     rows: RowBuffer) -> None:
    """The revision's `reports` row now (later pages read it); its cells, checks, wide rows and search entry
    into `rows`, written by the caller (at once, or with the rest of a batch)."""
    src = record.get("source") or {}
    text = record.get("text") or ""
    search = _search_entry(record, prepared)
    simplified = search["simplified"]
    source_url = src.get("url") or src.get("path")
    page_sha256 = db.conn.execute("SELECT sha256 FROM pages WHERE id = ?", [page_id]).fetchone()
    report = (
        rid, key, aid, record.get("agency"), record.get("year"), revision, 1, None, record.get("format"),
        record.get("applications_layout"), record.get("title"), record.get("published"), page_id, source_url,
        text, simplified if simplified != text else None,  # stored once
        rhash, fhash, _cells_parsed(record), len(record.get("unparsed") or []),
        int(bool(record.get("quarantined"))), record.get("outcome"), seen_at, seen_at,
        # the rest of the record: figures, their printed text and the checks are in cells and checks, the
        # metadata in the row's columns
        json.dumps(record_rest(record, source_url, page_sha256[0] if page_sha256 else None), ensure_ascii=False),
        sum(1 for c in record.get("checks") or [] if not c["ok"]), len(record.get("spam") or []),
    )
    rowid = db.conn.execute(REPORT_SQL, report).lastrowid
    unparsed = set(record.get("unparsed") or [])
    raw_all = record.get("raw") or {}
    evidence = record.get("prose_evidence") or {}
    cell_info = record.get("cell_info") or {}
    kind = src.get("kind")
    wide = {t: {"report_id": rid} for t in WIDE}
    cells, to_number = [], []
    all_numbers = cell_numbers(db)
    for table in ("active", "applications", "review_litigation", "prose"):
        keys, wrow, numbers = _WIDE_KEYS[table], wide[table], all_numbers.get(table, {})
        for k, v in (record.get(table) or {}).items():
            name = f"{table}.{k}"
            # a prose figure's printed text is the sentence it came from
            raw = evidence.get(k) if table == "prose" else raw_all.get(name)
            info = cell_info.get(name)
            n = numbers.get(k)
            if n is not None and not info:  # (most cells: one tuple)
                cells.append((rowid, n, v, raw, int(name in unparsed), kind, None, None, 0))
            else:
                rest = (v, raw, int(name in unparsed), kind, None, None, 0) if not info else (
                    # how the cell was read: OCR, prose, a computed sum
                    v, raw, int(name in unparsed), info.get("source") or kind, info.get("confidence"),
                    info.get("resolved_by"), int(bool(info.get("computed"))))
                if n is not None:
                    cells.append((rowid, n, *rest))
                else:
                    to_number.append((rowid, table, k, *rest))
            if k in keys:
                wrow[_COLUMN[k]] = v
    rows.add_all(CELLS_SQL, cells)
    if to_number:
        rows.add_all(CELL_ROWS, to_number)
    apps = record.get("applications") or {}
    for group, group_rows in GROUPS.items():
        parts = [apps.get(f"{r}.total") for r in group_rows]
        if apps:
            wide["applications"][column(f"{group}.total")] = None if any(p is None for p in parts) else sum(parts)
    layout = record.get("applications_layout")
    if apps and layout in OTHER_ROWS:
        parts = [apps.get(f"{r}.total") for r in OTHER_ROWS[layout]]
        wide["applications"]["other_all__total"] = None if any(p is None for p in parts) else sum(parts)
    for table, row in wide.items():
        rows.add(_wide_sql(WIDE[table], tuple(row)), tuple(row.values()))
    rows.add_all(CHECK_ROWS, [(rowid, c["rule"], c["key"], int(c["ok"]), c["detail"]) for c in record.get("checks") or []])
    rows.add(FTS_INSERT_SQL, (rowid, search["title_search"], search["text_search"]))


def _keep_decoded_copy(db, record, page_id) -> None:
    """SQL cannot decode GBK: keep a UTF-8 copy of non-UTF-8 HTML/text pages so the archived page can
    be read as text in Datasette (the bytes stay as fetched)."""
    src = record.get("source") or {}
    enc = (src.get("encoding") or "").lower()
    if src.get("kind") not in ("html", "text") or not enc or enc.startswith(("utf-8", "ascii")):
        return
    row = db.execute("SELECT a.sha256, a.decoded_text FROM archive a JOIN pages p ON p.sha256 = a.sha256 "
                     "WHERE p.id = ?", [page_id]).fetchone()
    if row and row[1] is None:
        data = archived(db, row[0]) or b""
        text = data.decode(enc.split("+")[0], errors="replace")
        db.execute("UPDATE archive SET decoded_text = ? WHERE sha256 = ?", [text, row[0]])


def _store_findings(db, record, page_id, source, seen_at) -> None:
    """The page's findings, with no report yet (store_record links them once it knows the report)."""
    if not record.get("spam"):
        return
    site = db.conn.execute("SELECT site FROM pages WHERE id = ?", [page_id]).fetchone()
    rows = []
    for f in record["spam"]:
        rows.append({
            # keyed by the source URL, not the fetch: the same spam on a re-fetched page is one finding
            "id": short_hash(source, f["kind"], f["text"], f["where"]), "page_id": page_id, "report_id": None,
            "source": source, "kind": f["kind"], "text": f["text"], "location": f["where"], "action": f["action"],
            "evidence": f.get("context") or "", "reviewed": None, "found_at": seen_at,
            "agency": record.get("agency"), "agency_id": None, "year": record.get("year"),
            "site": site[0] if site else None,
        })
    _write(db, "spam_findings", rows, "INSERT OR IGNORE")
    # a page parsed again: findings with no report yet are about the page's agency and year as it reads now
    db.conn.execute("UPDATE spam_findings SET agency = ?, year = ? WHERE page_id = ? AND report_id IS NULL",
                    [record.get("agency"), record.get("year"), page_id])


def record_parse_failure(db: sqlite_utils.Database, page_id: str, detail: str) -> None:
    """A page whose parse or store failed as a whole: its row says so and why; nothing else of it is kept."""
    _update(db, "pages", "id", page_id, {"parse_outcome": ParseOutcome.ERROR.value, "outcome": "error",
                                         "detail": detail[:500]})


@contextmanager
def savepoint(db: sqlite_utils.Database, name: str = "page"):
    """All or nothing, nested inside whatever transaction the caller holds."""
    conn = db.conn
    conn.execute(f"SAVEPOINT {name}")
    try:
        yield
    except BaseException:
        if conn.in_transaction:
            conn.execute(f"ROLLBACK TO {name}")
            conn.execute(f"RELEASE {name}")
        raise
    conn.execute(f"RELEASE {name}")


def vanished_reports(db: sqlite_utils.Database, site: str, listed: set[str]) -> list[str]:
    """Current reports of a site none of whose sources its listings link to any more."""
    keys = [r[0] for r in db.execute(
        "SELECT DISTINCT r.report_key FROM reports r JOIN report_sources s ON s.report_key = r.report_key "
        "JOIN pages p ON p.source = s.page_source WHERE p.site = ? AND r.is_current = 1 AND r.removed_at IS NULL",
        [site]).fetchall()]
    out = []
    for key in keys:
        sources = {r[0] for r in db.execute("SELECT page_source FROM report_sources WHERE report_key = ?", [key])}
        if not sources & listed:
            out.append(key)
    return out


def mark_removed(db: sqlite_utils.Database, report_keys: list[str], when: str | None = None) -> int:
    """A report that vanished from its listing is marked removed, never deleted."""
    when = when or now()
    n = 0
    for key in report_keys:
        n += db.execute("UPDATE reports SET removed_at = ? WHERE report_key = ? AND is_current = 1 AND removed_at IS NULL",
                        [when, key]).rowcount
    sync_derived(db, report_keys)
    return n


def sync_derived(db: sqlite_utils.Database, report_keys) -> None:
    """Mark these reports' derived rows (summary, failing checks, year pairs, gaps, outcome mix) stale, in the
    page's own transaction; inside a write session they are brought in line once at its end, else now."""
    mark_pending(db, report_keys)
    if not getattr(db, "_nianbao_bulk", False):
        sync_pending(db)
