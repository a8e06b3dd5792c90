"""The schema: every table, view and index of the database, created or upgraded in place (`ensure_schema`).

Used by `nianbao ingest`, the crawler and `nianbao reparse` alike through `open_db`. Re-running it on an
existing database upgrades it in place. `report_summary` is a materialised view kept here with its refresh.
"""

from __future__ import annotations

import sqlite_utils

from extract import formats as F
from pipelines.clones import ensure_tables as clone_tables

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


def column(key: str) -> str:
    """A canonical key as a SQL-friendly column name: 'new_received.total' → 'new_received__total'."""
    return key.replace(".", "__")


def ensure_schema(db: sqlite_utils.Database) -> None:
    """Create or upgrade every table, view and index (idempotent)."""
    # a rollback journal, not WAL: the one .db file is always the whole database (downloads, immutable serving)
    db.conn.execute("PRAGMA journal_mode = DELETE").fetchall()
    # the raw bytes are in WARC files beside the database (pipelines/warc_archive.py); this is where
    db["archive"].create({"sha256": str, "size": int, "content_type": str, "decoded_text": str, "warc_file": str,
                          "warc_offset": int, "warc_length": int}, pk="sha256", if_not_exists=True)
    if "decoded_text" not in db["archive"].columns_dict:
        db["archive"].add_column("decoded_text", str)
    if "data" in db["archive"].columns_dict:  # a database from before the WARC archive: its blobs move out
        from pipelines.warc_archive import migrate_blobs

        migrate_blobs(db.conn)
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
    # how each cell was read (docs/record-extensions.md): source (html/pdf/text/docx/ocr…), OCR confidence,
    # resolved_by (prose / all_readings_agree / identities), computed (a blank total filled with its sum)
    have = {r[1] for r in db.execute("PRAGMA table_info(cells)").fetchall()}
    for col, decl in (("source", "TEXT"), ("confidence", "REAL"), ("resolved_by", "TEXT"), ("computed", "INTEGER")):
        if col not in have:
            db.execute(f"ALTER TABLE cells ADD COLUMN {col} {decl}")
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
    clone_tables(db)   # clone_pages, clone_sites (pipelines/clones.py)
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
