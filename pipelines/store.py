"""The store step: pages, archive, agencies, report revisions, cells, checks, spam findings → SQLite.

One place creates and upgrades the schema (`ensure_schema`), used by `nianbao ingest`, the crawler's
store pipeline and `nianbao reparse` alike. Re-running it on an existing database upgrades it in place.

Identity and revisions:
* a page is one fetched or ingested source version: id = hash(source, sha256 of its bytes), so
  re-ingesting the same bytes changes nothing;
* a report is one agency and year (`report_key`); an HTML page and its PDF attachment carrying the same
  report are two sources of one report;
* a new revision is made only when the *extracted record* changes (hash of the canonical figures,
  metadata and text — never the raw bytes, which carry view counters and timestamps); the old revision
  is kept with is_current = 0.
"""

from __future__ import annotations

import hashlib
import json
import re
from contextlib import contextmanager
from datetime import datetime, timezone

import sqlite_utils

from extract import formats as F
from extract.normalize import normalize, to_simplified
from pipelines.archive import archive_bytes

SCHEMA_VERSION = 1
TABLE_KEYS = {
    "active": [f"{r}.{c}" for fmt in ("2019", "2021") for r, cols in F.ACTIVE_COLUMNS[fmt].items() for c in cols],
    "applications": [f"{r}.{c}" for r in F.APPLICATION_LABELS for c in F.APPLICANT_COLUMNS]
    + [f"{g}.total" for g in ("withheld", "unavailable", "declined", "other_all")],
    "review_litigation": F.REVIEW_KEYS,
    "prose": ["active_total", "applications_received", "reviews", "lawsuits", "processing_fee_yuan"],
}
for _t, _keys in TABLE_KEYS.items():
    TABLE_KEYS[_t] = list(dict.fromkeys(_keys))
# Group totals of table 三 kept beside the cells (null when any part is null: blank is not zero).
GROUPS = {
    "withheld": [k for k, _c, _o, _s in F.application_rows("2021") if k.startswith("withheld_") and k != "withheld_subtotal"],
    "unavailable": [k for k, _c, _o, _s in F.application_rows("2021") if k.startswith("unavailable_") and k != "unavailable_subtotal"],
    "declined": [k for k, _c, _o, _s in F.application_rows("2021") if k.startswith("declined_") and k != "declined_subtotal"],
}
OTHER_ROWS = {"2019": ["other"], "2021": ["other_no_correction", "other_unpaid_fee", "other_other"]}
WIDE = {"active": "active_wide", "applications": "applications_wide", "review_litigation": "review_wide",
        "prose": "prose_wide"}


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def column(key: str) -> str:
    """A canonical key as a SQL-friendly column name: 'new_received.total' → 'new_received__total'."""
    return key.replace(".", "__")


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
def bulk_writes(db: sqlite_utils.Database):
    """While a crawl or an ingest writes: WAL without an fsync per commit. Afterwards the database is
    checkpointed back into its one file (rollback journal), complete for downloading and serving."""
    def pragma(sql: str) -> None:
        db.conn.execute(sql).fetchall()  # an unread PRAGMA result keeps its statement open (table locked)

    pragma("PRAGMA journal_mode = WAL")
    pragma("PRAGMA synchronous = NORMAL")
    try:
        yield db
    finally:
        db.conn.commit()
        with db.conn:
            refresh_summary(db)
        pragma("PRAGMA wal_checkpoint(TRUNCATE)")
        pragma("PRAGMA journal_mode = DELETE")
        pragma("PRAGMA synchronous = FULL")


def short_hash(*parts: str, n: int = 16) -> str:
    return hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()[:n]


# ── schema ──────────────────────────────────────────────────────────────────────────────────────

def ensure_schema(db: sqlite_utils.Database) -> None:
    """Create or upgrade every table, view and index (idempotent)."""
    # a rollback journal, not WAL: the one .db file is always the whole database (downloads, immutable serving)
    db.conn.execute("PRAGMA journal_mode = DELETE").fetchall()
    db["archive"].create({"sha256": str, "size": int, "content_type": str, "data": bytes, "decoded_text": str},
                         pk="sha256", if_not_exists=True)
    if "decoded_text" not in db["archive"].columns_dict:
        db["archive"].add_column("decoded_text", str)
    db["agencies"].create({"id": str, "name": str, "region_code": str, "province": str, "level": str,
                           "portal_url": str, "in_registry": int, "aliases": str}, pk="id", if_not_exists=True)
    db["pages"].create({
        "id": str, "source": str, "url": str, "path": str, "fetched_at": str, "http_status": int,
        "outcome": str, "detail": str, "content_type": str, "encoding": str, "size": int, "sha256": str,
        "kind": str, "report_id": str, "report_key": str, "agency": str, "year": int, "quarantined": int,
        "crawl_run_id": int, "site": str, "etag": str, "last_modified": str,
    }, pk="id", if_not_exists=True)
    for col in ("etag", "last_modified"):
        if col not in db["pages"].columns_dict:
            db["pages"].add_column(col, str)
    db["crawl_runs"].create({"id": int, "started_at": str, "finished_at": str, "sites": str, "finish_reason": str,
                             "pages_fetched": int, "reports_new": int, "reports_changed": int, "unchanged": int,
                             "not_modified": int, "blocked": int, "errors": int, "off_domain": int, "robots": int,
                             "per_site": str}, pk="id", if_not_exists=True)
    db["crawl_run_sites"].create({"run_id": int, "site": str, "pages_fetched": int, "listing_pages": int,
                                  "reports_found": int, "new": int, "changed": int, "unchanged": int, "linked": int,
                                  "not_modified": int, "blocked": int, "errors": int, "off_domain": int, "robots": int,
                                  "not_a_report": int, "removed": int}, pk=("run_id", "site"), if_not_exists=True)
    if "removed" not in db["crawl_run_sites"].columns_dict:
        db["crawl_run_sites"].add_column("removed", int)
    db["reports"].create({
        "id": str, "report_key": str, "agency_id": str, "agency": str, "year": int, "revision": int,
        "is_current": int, "removed_at": str, "format": str, "applications_layout": str, "title": str,
        "published": str, "page_id": str, "source_url": str, "text": str, "text_simplified": str,
        "record_hash": str, "figures_hash": str, "cells_parsed": int, "cells_unparsed": int,
        "quarantined": int, "outcome": str, "first_seen": str, "last_seen": str, "record_json": str,
        "failed_checks": int, "spam_findings": int,
    }, pk="id", if_not_exists=True)
    for col in ("failed_checks", "spam_findings"):
        if col not in db["reports"].columns_dict:
            db["reports"].add_column(col, int)
    db["report_sources"].create({"report_key": str, "page_source": str, "report_id": str, "record_hash": str,
                                 "last_seen": str}, pk=("report_key", "page_source"), if_not_exists=True)
    # NUMERIC affinity: counts stay integers, amounts keep their decimals (REAL would show 32 as 32.0)
    # (its foreign key is declared here: sqlite-utils' table rewrite would turn NUMERIC into REAL)
    db.execute("""CREATE TABLE IF NOT EXISTS cells (report_id TEXT REFERENCES reports(id), table_name TEXT, key TEXT,
                  value NUMERIC, raw TEXT, unparsed INTEGER, PRIMARY KEY (report_id, table_name, key))""")
    db["checks"].create({"report_id": str, "rule": str, "key": str, "ok": int, "detail": str},
                        pk=("report_id", "rule", "key"), if_not_exists=True)
    db["spam_findings"].create({
        "id": str, "page_id": str, "report_id": str, "source": str, "kind": str, "text": str, "location": str,
        "action": str, "evidence": str, "reviewed": int, "found_at": str,
    }, pk="id", if_not_exists=True)
    for table, keys in TABLE_KEYS.items():
        t = db[WIDE[table]]
        cols = [column(k) for k in keys]
        if not t.exists():
            body = ", ".join(f"[{c}] NUMERIC" for c in cols)
            db.execute(f"CREATE TABLE [{WIDE[table]}] (report_id TEXT PRIMARY KEY, {body})")
        else:
            for c in cols:
                if c not in t.columns_dict:
                    db.execute(f"ALTER TABLE [{WIDE[table]}] ADD COLUMN [{c}] NUMERIC")
    _foreign_keys(db)
    if "reports_fts" not in db.table_names():
        db.execute("CREATE VIRTUAL TABLE reports_fts USING fts5(title, search_text, tokenize='unicode61')")
    _indexes(db)
    _views(db)
    db["nianbao_meta"].upsert({"key": "schema_version", "value": str(SCHEMA_VERSION)}, pk="key")


FOREIGN_KEYS = [
    ("reports", "page_id", "pages", "id"), ("reports", "agency_id", "agencies", "id"),
    ("pages", "sha256", "archive", "sha256"), ("pages", "report_id", "reports", "id"),
    ("checks", "report_id", "reports", "id"),
    ("spam_findings", "page_id", "pages", "id"), ("spam_findings", "report_id", "reports", "id"),
    ("report_sources", "report_id", "reports", "id"),
]


def _foreign_keys(db: sqlite_utils.Database) -> None:
    """Declared (not enforced) so Datasette links a report to its page and a page to its archived bytes."""
    wanted = [fk for fk in FOREIGN_KEYS
              if not any(f.column == fk[1] and f.other_table == fk[2] for f in db[fk[0]].foreign_keys)]
    if wanted:
        db.add_foreign_keys(wanted)


def _indexes(db: sqlite_utils.Database) -> None:
    wanted = {
        "pages": [["sha256"], ["report_id"], ["outcome"], ["source"], ["crawl_run_id"]],
        "reports": [["report_key", "revision"], ["is_current", "year"], ["agency_id", "year"], ["year"],
                    ["is_current", "quarantined", "removed_at", "year"],
                    ["format"], ["quarantined"], ["record_hash"]],
        "cells": [["table_name", "key", "value"]],
        "checks": [["ok", "rule"], ["report_id", "ok"]],
        "spam_findings": [["report_id"], ["page_id"], ["kind"]],
        "agencies": [["province"], ["level"], ["name"]],
        "applications_wide": [["new_received__total"]],
    }
    for table, indexes in wanted.items():
        existing = {tuple(ix.columns) for ix in db[table].indexes}
        for cols in indexes:
            if tuple(cols) not in existing:
                db[table].create_index(cols, if_not_exists=True)


def _views(db: sqlite_utils.Database) -> None:
    views = {
        "report_summary_live": """
SELECT r.id AS report_id, r.agency, a.province, a.level, r.year, r.format, r.title, r.published,
       w.new_received__total AS new_requests, w.total__total AS processed,
       w.granted__total AS granted, w.partly_granted__total AS partly_granted,
       w.withheld__total AS withheld, w.unavailable__total AS unavailable, w.declined__total AS declined,
       w.other_all__total AS other,
       v.review__total AS reviews,
       v.suit_direct__total + v.suit_after_review__total AS lawsuits,
       act.fees__amount_wan_yuan AS fees_wan_yuan,
       p.processing_fee_yuan AS processing_fee_yuan,
       r.failed_checks, r.spam_findings,
       r.source_url, r.page_id
FROM reports r
LEFT JOIN agencies a ON a.id = r.agency_id
LEFT JOIN applications_wide w ON w.report_id = r.id
LEFT JOIN review_wide v ON v.report_id = r.id
LEFT JOIN active_wide act ON act.report_id = r.id
LEFT JOIN prose_wide p ON p.report_id = r.id
WHERE r.is_current = 1 AND r.quarantined = 0 AND r.removed_at IS NULL""",
        "carry_over_mismatches": """
SELECT cur.agency, cur.year, prev.year AS previous_year,
       wc.carried_over__total AS carried_over, wp.carried_forward__total AS previous_carried_forward,
       wc.carried_over__total - wp.carried_forward__total AS difference,
       cur.id AS report_id, prev.id AS previous_report_id
FROM reports cur
JOIN reports prev ON prev.agency_id = cur.agency_id AND prev.year = cur.year - 1
     AND prev.is_current = 1 AND prev.quarantined = 0
JOIN applications_wide wc ON wc.report_id = cur.id
JOIN applications_wide wp ON wp.report_id = prev.id
WHERE cur.is_current = 1 AND cur.quarantined = 0
  AND wc.carried_over__total IS NOT NULL AND wp.carried_forward__total IS NOT NULL
  AND wc.carried_over__total != wp.carried_forward__total""",
        "spam_findings_status": """
SELECT s.*, CASE WHEN s.reviewed = 1 THEN '已核实 confirmed' WHEN s.reviewed = 0 THEN '误报 rejected'
                 ELSE '未核实 unconfirmed' END AS status
FROM spam_findings s""",
    }
    for name, sql in views.items():
        db.execute(f"DROP VIEW IF EXISTS {name}")
        db.execute(f"CREATE VIEW {name} AS {sql}")
    _summary_table(db)


SUMMARY_INDEXES = [["report_id"], ["year"], ["province"], ["level"], ["format"], ["agency", "year"], ["failed_checks"],
                   ["spam_findings"], ["new_requests"]]


def _summary_table(db: sqlite_utils.Database) -> None:
    """`report_summary` is the live view materialised: facets over 100,000 reports cost ~5 ms on a table
    and ~600 ms on the five-table join. Kept in sync per report by store_record and mark_removed
    (sync_summary), and rebuilt whole at the end of every write session (bulk_writes)."""
    kind = db.execute("SELECT type FROM sqlite_master WHERE name = 'report_summary'").fetchone()
    if kind and kind[0] == "view":
        db.execute("DROP VIEW report_summary")
        kind = None
    if kind is None:
        db.execute("CREATE TABLE report_summary AS SELECT * FROM report_summary_live WHERE 0")
        refresh_summary(db)
    existing = {tuple(ix.columns) for ix in db["report_summary"].indexes}
    for cols in SUMMARY_INDEXES:
        if tuple(cols) not in existing:
            db["report_summary"].create_index(cols, if_not_exists=True)


def refresh_summary(db: sqlite_utils.Database) -> None:
    db.execute("DELETE FROM report_summary")
    db.execute("INSERT INTO report_summary SELECT * FROM report_summary_live")


def sync_summary(db: sqlite_utils.Database, report_keys) -> None:
    """Bring the summary rows of these reports (all their revisions) in line with the live view."""
    for key in report_keys:
        db.execute("DELETE FROM report_summary WHERE report_id IN (SELECT id FROM reports WHERE report_key = ?)", [key])
        # driven from the report_key index: the live view filtered on report_id alone would scan every
        # shown report, and the per-page cost would grow with the database
        db.execute("INSERT INTO report_summary SELECT l.* FROM reports x CROSS JOIN report_summary_live l "
                   "ON l.report_id = x.id WHERE x.report_key = ?", [key])


def open_db(path: str) -> sqlite_utils.Database:
    db = sqlite_utils.Database(path)
    ensure_schema(db)
    # reopen: sqlite-utils' add_foreign_keys rewrites the schema in a way that leaves this connection
    # unable to checkpoint a WAL ("database table is locked") until it is reopened
    db.conn.close()
    return sqlite_utils.Database(path)


# ── search text: bigrams, so two-character words are found ─────────────────────────────────────

CJK_RUN = re.compile(r"[\u3400-\u9fff]+|[A-Za-z0-9]+")


def bigrams(text: str) -> str:
    """'行政复议' → '行政 政复 复议'. SQLite's tokenizers see a run of Chinese as one token and trigram
    finds nothing shorter than three characters; indexing overlapping bigrams makes every two-character
    word (复议, 诉讼, 公开) a token. Longer queries become phrases of bigrams (see fts_query)."""
    out: list[str] = []
    for m in CJK_RUN.finditer(to_simplified(text)):
        run = m.group()
        if run.isascii() or len(run) == 1:
            out.append(run.lower())
        else:
            out.extend(run[i:i + 2] for i in range(len(run) - 1))
    return " ".join(out)


def fts_query(q: str) -> str:
    """A search box string → an FTS5 query over the bigram index: each word a phrase of its bigrams."""
    terms = []
    for word in (q or "").split():
        grams = bigrams(word)
        if grams:
            terms.append('"' + grams.replace('"', "") + '"')
    return " ".join(terms)


# ── writing ─────────────────────────────────────────────────────────────────────────────────────

def agency_id(name: str | None) -> str:
    return re.sub(r"\s+", "", normalize(name or "")) or "(unknown)"


def load_registry(db: sqlite_utils.Database, sites: list[dict]) -> None:
    """Registry agencies into `agencies` (upsert: re-loading a changed registry updates them)."""
    rows = [{
        "id": agency_id(s["agency"]), "name": s["agency"], "region_code": s.get("region_code") or None,
        "province": s.get("province") or None, "level": s.get("level") or None,
        "portal_url": s.get("portal_url") or None, "in_registry": 1,
        "aliases": s.get("aliases") or None,
    } for s in sites]
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


def record_hash(record: dict) -> str:
    """Hash of what was *extracted* (figures, metadata, text) — not of the raw bytes."""
    keep = {k: record.get(k) for k in ("agency", "year", "format", "applications_layout", "title", "published",
                                       "active", "applications", "review_litigation", "prose", "unparsed")}
    keep["text"] = re.sub(r"\s+", "", record.get("text") or "")
    return hashlib.sha256(json.dumps(keep, ensure_ascii=False, sort_keys=True).encode()).hexdigest()[:20]


def figures_hash(record: dict) -> str:
    keep = {k: record.get(k) for k in ("active", "applications", "review_litigation", "prose")}
    return hashlib.sha256(json.dumps(keep, ensure_ascii=False, sort_keys=True).encode()).hexdigest()[:20]


def _cells_parsed(record: dict) -> int:
    return sum(1 for t in ("active", "applications", "review_litigation") for v in record[t].values() if v is not None)


def store_page(db: sqlite_utils.Database, *, source: str, data: bytes, url: str | None = None,
               path: str | None = None, fetched_at: str | None = None, http_status: int | None = None,
               outcome: str = "archived", detail: str = "", content_type: str | None = None,
               crawl_run_id: int | None = None, site: str | None = None, archive: bool = True,
               etag: str | None = None, last_modified: str | None = None) -> str:
    """Archive the bytes (first, before any parsing) and record the page; returns the page id. Its outcome
    stays `archived` until the extraction of those bytes is stored (store_record)."""
    digest = archive_bytes(db, data, content_type) if archive else hashlib.sha256(data).hexdigest()
    page_id = short_hash(source, digest)
    row = {
        "id": page_id, "source": source, "url": url, "path": path, "fetched_at": fetched_at or now(),
        "http_status": http_status, "outcome": outcome, "detail": detail, "content_type": content_type,
        "size": len(data), "sha256": digest, "crawl_run_id": crawl_run_id, "site": site,
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
    page_update = {"outcome": outcome if outcome != "ok" else ("quarantined" if record.get("quarantined") else "ok"),
                   "detail": record.get("detail") or "", "encoding": (record.get("source") or {}).get("encoding"),
                   "kind": (record.get("source") or {}).get("kind"), "quarantined": int(bool(record.get("quarantined"))),
                   "agency": record.get("agency"), "year": record.get("year")}
    if record.get("quarantined"):
        page_update["detail"] = "; ".join(f"{f['kind']}: {f['text']}" for f in record["spam"]
                                          if f["action"] == "quarantined")[:500]
    _update(db, "pages", "id", page_id, page_update)
    _keep_decoded_copy(db, record, page_id)
    _store_findings(db, record, page_id, source, None, seen_at)
    if outcome not in ("ok",) or record.get("year") is None or not record.get("agency"):
        return None, "not_a_report"

    aid = _match_agency(db, record["agency"])
    key = short_hash(aid, str(record["year"]))
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
    sync_summary(db, [key])
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
        "text": text, "text_simplified": simplified, "record_hash": rhash, "figures_hash": fhash,
        "cells_parsed": _cells_parsed(record), "cells_unparsed": len(record.get("unparsed") or []),
        "quarantined": int(bool(record.get("quarantined"))), "outcome": record.get("outcome"),
        "first_seen": seen_at, "last_seen": seen_at,
        "record_json": json.dumps({k: v for k, v in record.items() if k not in ("text",)}, ensure_ascii=False),
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
            cells.append({"report_id": rid, "table_name": table, "key": k, "value": v, "raw": raw,
                          "unparsed": int(f"{table}.{k}" in unparsed)})
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
    row = db.execute("SELECT a.sha256, a.data, a.decoded_text FROM archive a JOIN pages p ON p.sha256 = a.sha256 "
                     "WHERE p.id = ?", [page_id]).fetchone()
    if row and row[2] is None:
        text = row[1].decode(enc.split("+")[0], errors="replace")
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
    sync_summary(db, report_keys)
    return n
