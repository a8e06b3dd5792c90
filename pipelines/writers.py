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
import re
from contextlib import contextmanager, nullcontext
from datetime import datetime, timezone
from urllib.parse import urlsplit

import sqlite_utils

from extract.normalize import normalize, to_simplified
from pipelines.archive import archive_bytes, archived
from pipelines.clones import store_clone
from pipelines.derived import LOAD_DEFERRED, indexes_deferred, mark_pending, sync_pending
from pipelines.models import FetchOutcome, ParseOutcome, Site, page_outcome
from pipelines.schema import GROUPS, OTHER_ROWS, RECORD_JSON_OMIT, TABLE_KEYS, WIDE, column
from pipelines.search import bigrams
from pipelines.warc_archive import close_archive, db_file


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


@contextmanager
def bulk_writes(db: sqlite_utils.Database, load: bool = False):
    """While a crawl or an ingest writes: WAL without an fsync per commit. Afterwards the database is
    checkpointed back into its one file (rollback journal), complete for downloading and serving."""
    def pragma(sql: str) -> None:
        db.conn.execute(sql).fetchall()  # an unread PRAGMA result keeps its statement open (table locked)

    pragma("PRAGMA journal_mode = WAL")
    pragma("PRAGMA synchronous = NORMAL")
    pragma("PRAGMA cache_size = -131072")  # 128 MB: the write path's indexes stay in memory at scale
    db._nianbao_bulk = True  # derived tables are synced once, at the end (sync_derived)
    # a load into an empty database by one writer (ingest, the benchmark; not the crawler, whose extension
    # opens the database beside it): the indexes nothing reads while writing are built once, at the end
    loading = load and db.conn.execute("SELECT 1 FROM reports LIMIT 1").fetchone() is None
    deferred = indexes_deferred(db.conn, LOAD_DEFERRED) if loading else nullcontext()
    with db.conn:
        deferred.__enter__()
    try:
        yield db
    finally:
        db._nianbao_bulk = False
        close_archive(db.conn)  # the WARC file flushed and synced before the commit that points into it
        db.conn.commit()
        with db.conn:
            deferred.__exit__(None, None, None)
            sync_pending(db)
        pragma("PRAGMA wal_checkpoint(TRUNCATE)")
        pragma("PRAGMA journal_mode = DELETE")
        pragma("PRAGMA synchronous = FULL")
        path = db_file(db.conn)
        if path:  # counts for `nianbao serve` (Datasette's --inspect-file), so it answers at once
            from pipelines.publish import write_inspect

            write_inspect(path)


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


def _match_agency(db: sqlite_utils.Database, name: str | None) -> str:
    """The registry agency a printed name belongs to ('淮安市洪泽区人民政府' → '洪泽区人民政府' when only
    that is registered); an unknown agency is still stored, with province and level null."""
    aid = agency_id(name)
    if db["agencies"].count_where("id = ?", [aid]):
        return aid
    if "aliases" in db["agencies"].columns_dict:
        for row_id, aliases in db.execute("SELECT id, aliases FROM agencies WHERE aliases IS NOT NULL").fetchall():
            if aid in {agency_id(a) for a in aliases.split(";") if a.strip()}:
                return row_id
    if name:
        for row in db.execute("SELECT id FROM agencies WHERE in_registry = 1 ORDER BY length(id) DESC").fetchall():
            if row[0] and (row[0] in aid or (len(aid) >= 4 and aid in row[0])):
                return row[0]
    _write(db, "agencies", {"id": aid, "name": name, "in_registry": 0}, "INSERT OR IGNORE")
    return aid


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
    keep["text"] = re.sub(r"\s+", "", record.get("text") or "")
    return hashlib.sha256(json.dumps(keep, ensure_ascii=False, sort_keys=True).encode()).hexdigest()[:20]


def figures_hash(record: dict) -> str:
    keep = {k: record.get(k) for k in ("active", "applications", "review_litigation", "prose")}
    return hashlib.sha256(json.dumps(keep, ensure_ascii=False, sort_keys=True).encode()).hexdigest()[:20]


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
                 seen_at: str | None = None) -> tuple[str | None, str]:
    """Store one extracted record for a page. Returns (report revision id, status) where status is
    new / changed / unchanged / linked / not_a_report."""
    seen_at = seen_at or now()
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
    _store_findings(db, record, page_id, source, None, seen_at)
    store_clone(db, record, page_id, (record.get("source") or {}).get("url") or source, seen_at)
    if outcome not in ("ok",) or record.get("year") is None or not record.get("agency"):
        return None, "not_a_report"

    aid = _match_agency(db, record["agency"])
    key = report_key_for(record, aid)
    rhash, fhash = record_hash(record), figures_hash(record)
    existing = db.execute("SELECT id, record_hash, figures_hash, cells_parsed, is_current, revision FROM reports "
                          "WHERE report_key = ? ORDER BY revision", [key]).fetchall()
    prev_source = db.execute("SELECT report_id, record_hash FROM report_sources WHERE report_key = ? AND page_source = ?",
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
        db.execute("UPDATE reports SET is_current = 0 WHERE report_key = ?", [key])
        _insert_revision(db, record, rid, key, aid, revision, rhash, fhash, page_id, seen_at)
    _write(db, "report_sources", {"report_key": key, "page_source": source, "report_id": rid, "record_hash": rhash,
                                  "last_seen": seen_at})
    # seen again: a report once marked removed from its listing is back
    db.execute("UPDATE reports SET last_seen = ?, removed_at = NULL WHERE id = ?", [seen_at, rid])
    _update(db, "pages", "id", page_id, {"report_id": rid, "report_key": key})
    db.execute("UPDATE spam_findings SET report_id = ? WHERE page_id = ?", [rid, page_id])
    if record.get("spam"):  # kept on the row so report_summary needs no per-row subquery
        db.execute("UPDATE reports SET spam_findings = (SELECT count(*) FROM spam_findings WHERE report_id = ?) "
                   "WHERE id = ?", [rid, rid])
    sync_derived(db, [key])
    return rid, status


def _insert_revision(db, record, rid, key, aid, revision, rhash, fhash, page_id, seen_at) -> None:
    src = record.get("source") or {}
    text = record.get("text") or ""
    simplified = to_simplified(text)
    _write(db, "reports", {
        "id": rid, "report_key": key, "agency_id": aid, "agency": record.get("agency"), "year": record.get("year"),
        "revision": revision, "is_current": 1, "removed_at": None, "format": record.get("format"),
        "applications_layout": record.get("applications_layout"), "title": record.get("title"),
        "published": record.get("published"), "page_id": page_id, "source_url": src.get("url") or src.get("path"),
        "text": text, "text_simplified": simplified if simplified != text else None,  # stored once
        "record_hash": rhash, "figures_hash": fhash,
        "cells_parsed": _cells_parsed(record), "cells_unparsed": len(record.get("unparsed") or []),
        "quarantined": int(bool(record.get("quarantined"))), "outcome": record.get("outcome"),
        "first_seen": seen_at, "last_seen": seen_at,
        # the rest of the record: figures, their printed text and the checks are in cells and checks
        "record_json": json.dumps({k: v for k, v in record.items() if k not in RECORD_JSON_OMIT}, ensure_ascii=False),
        "failed_checks": sum(1 for c in record.get("checks") or [] if not c["ok"]),
        "spam_findings": len(record.get("spam") or []),
    })
    unparsed = set(record.get("unparsed") or [])
    cells, wide = [], {t: {"report_id": rid} for t in WIDE}
    for table in ("active", "applications", "review_litigation", "prose"):
        for k, v in (record.get(table) or {}).items():
            raw = (record.get("raw") or {}).get(f"{table}.{k}")
            if table == "prose":  # a prose figure's printed text is the sentence it came from
                raw = (record.get("prose_evidence") or {}).get(k)
            info = (record.get("cell_info") or {}).get(f"{table}.{k}") or {}
            cells.append({"report_id": rid, "table_name": table, "key": k, "value": v, "raw": raw,
                          "unparsed": int(f"{table}.{k}" in unparsed),
                          "source": info.get("source") or (record.get("source") or {}).get("kind"),
                          "confidence": info.get("confidence"), "resolved_by": info.get("resolved_by"),
                          "computed": int(bool(info.get("computed")))})
            if k in TABLE_KEYS[table]:
                wide[table][column(k)] = v
    apps = record.get("applications") or {}
    for group, rows in GROUPS.items():
        parts = [apps.get(f"{r}.total") for r in rows]
        if apps:
            wide["applications"][column(f"{group}.total")] = None if any(p is None for p in parts) else sum(parts)
    layout = record.get("applications_layout")
    if apps and layout in OTHER_ROWS:
        parts = [apps.get(f"{r}.total") for r in OTHER_ROWS[layout]]
        wide["applications"]["other_all__total"] = None if any(p is None for p in parts) else sum(parts)
    if cells:
        _write(db, "cells", cells)
    for table, row in wide.items():
        _write(db, WIDE[table], row)
    checks = [{"report_id": rid, "rule": c["rule"], "key": c["key"], "ok": int(c["ok"]), "detail": c["detail"]}
              for c in record.get("checks") or []]
    if checks:
        _write(db, "checks", checks)
    rowid = db.execute("SELECT rowid FROM reports WHERE id = ?", [rid]).fetchone()[0]
    db.execute("INSERT INTO reports_fts (rowid, title, search_text) VALUES (?, ?, ?)",
               [rowid, bigrams(record.get("title") or ""), bigrams(text)])


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


def _store_findings(db, record, page_id, source, report_id, seen_at) -> None:
    rows = []
    for f in record.get("spam") or []:
        rows.append({
            # keyed by the source URL, not the fetch: the same spam on a re-fetched page is one finding
            "id": short_hash(source, f["kind"], f["text"], f["where"]), "page_id": page_id, "report_id": report_id,
            "source": source, "kind": f["kind"], "text": f["text"], "location": f["where"], "action": f["action"],
            "evidence": f.get("context") or "", "reviewed": None, "found_at": seen_at,
        })
    if rows:
        _write(db, "spam_findings", rows, "INSERT OR IGNORE")


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
