"""The schema: every table, view and index of the database, created or upgraded in place (`ensure_schema`).

Used by `nianbao ingest`, the crawler and `nianbao reparse` alike through `open_db`. Re-running it on an
existing database upgrades it in place. `report_summary` is a materialised view kept here with its refresh.
"""

from __future__ import annotations

import hashlib
import json

import sqlite_utils
from sqlite_utils.migrations import Migrations

from extract import formats as F
from pipelines.clones import CLONE_SITES_VIEW

SCHEMA_VERSION = 3
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


MIGRATIONS = Migrations("nianbao")


def ensure_schema(db: sqlite_utils.Database) -> bool:
    """Bring the database to this version: pending migrations in order, then the derived objects (wide
    columns, indexes, views, the materialised summary) when their definitions changed. Returns whether
    anything was changed. A database made by any earlier version upgrades in place."""
    changed = bool(MIGRATIONS.pending(db))
    MIGRATIONS.apply(db)
    changed = _ensure_derived(db) or changed
    from pipelines.derived import ensure_tables  # the materialised answers (created, and filled, when missing)

    return ensure_tables(db) or changed


# ── migrations: append a new function for every change to a table; never edit an applied one ────────

@MIGRATIONS(name="0001_tables")
def tables_of_2026_11(db: sqlite_utils.Database) -> None:
    """The tables as of 2026-11 (idempotent: databases built before migrations existed have them already,
    perhaps without the columns the ifs add)."""
    # the raw bytes are in WARC files beside the database (pipelines/warc_archive.py); this is where
    db["archive"].create({"sha256": str, "size": int, "content_type": str, "decoded_text": str, "warc_file": str,
                          "warc_offset": int, "warc_length": int}, pk="sha256", if_not_exists=True)
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
    # (SQL, not sqlite-utils' create: run again over today's layout, where `checks` is a view since 0015)
    db.execute("CREATE TABLE IF NOT EXISTS checks (report_id TEXT, rule TEXT, key TEXT, ok INTEGER, detail TEXT, "
               "PRIMARY KEY (report_id, rule, key))")
    db["spam_findings"].create({
        "id": str, "page_id": str, "report_id": str, "source": str, "kind": str, "text": str, "location": str,
        "action": str, "evidence": str, "reviewed": int, "found_at": str,
    }, pk="id", if_not_exists=True)
    _wide_tables(db)
    _foreign_keys(db)
    if "reports_fts" not in db.table_names():
        db.execute("CREATE VIRTUAL TABLE reports_fts USING fts5(title, search_text, tokenize='unicode61')")
    db["nianbao_meta"].create({"key": str, "value": str}, pk="key", if_not_exists=True)


@MIGRATIONS(name="0002_fetch_and_parse_outcomes")
def fetch_and_parse_outcomes(db: sqlite_utils.Database) -> None:
    """`pages.outcome` mixed how the fetch went and how the parse went (`error` meant either): two columns.
    An old `error` row with a `kind` was a parse failure (only the parse step set `kind`)."""
    for col in ("fetch_outcome", "parse_outcome"):
        if col not in db["pages"].columns_dict:
            db.execute(f"ALTER TABLE pages ADD COLUMN {col} TEXT")
    db.execute("""UPDATE pages SET
        fetch_outcome = CASE WHEN outcome IN ('not_modified', 'blocked', 'off_domain', 'robots') THEN outcome
                             WHEN outcome = 'error' AND kind IS NULL THEN 'error' ELSE 'ok' END,
        parse_outcome = CASE WHEN outcome IN ('not_modified', 'blocked', 'off_domain', 'robots', 'listing') THEN NULL
                             WHEN outcome = 'error' AND kind IS NULL THEN NULL
                             WHEN outcome = 'archived' THEN 'pending' ELSE outcome END""")


@MIGRATIONS(name="0003_cell_reading")
def cell_reading(db: sqlite_utils.Database) -> None:
    """How each cell was read (docs/record-extensions.md): source (html/pdf/text/docx/ocr…), OCR confidence,
    resolved_by (prose / all_readings_agree / identities), computed (a blank total filled with its sum)."""
    have = {r[1] for r in db.execute("PRAGMA table_info(cells)").fetchall()}
    for col, decl in (("source", "TEXT"), ("confidence", "REAL"), ("resolved_by", "TEXT"), ("computed", "INTEGER")):
        if col not in have:
            db.execute(f"ALTER TABLE cells ADD COLUMN {col} {decl}")


@MIGRATIONS(name="0004_archive_to_warc", transactional=False)
def archive_to_warc(db: sqlite_utils.Database) -> None:
    """A database from before the WARC archive keeps its bytes in `archive.data`: they move out into WARC
    files beside it, each read back and checked against its sha256 before the column is dropped (it commits
    and VACUUMs as it goes, hence outside a transaction; resumable if interrupted)."""
    if "data" in db["archive"].columns_dict:
        from pipelines.warc_archive import migrate_blobs

        migrate_blobs(db.conn)


@MIGRATIONS(name="0005_keyed_tables")
def keyed_tables(db: sqlite_utils.Database) -> None:
    """cells and checks WITHOUT ROWID: their primary key is the table, not a second copy of every row beside
    it (at a million reports ~15 M cells and ~34 M checks). Copied once into the new layout."""
    for table in ("cells", "checks"):
        _rebuild_without_rowid(db, table)


RECORD_JSON_OMIT = ("text", "raw", "active", "applications", "review_litigation", "prose", "prose_evidence", "checks")
# what the reports row already holds in its own columns (front.report_data puts them back)
RECORD_JSON_COLUMNS = ("agency", "year", "format", "applications_layout", "title", "published", "quarantined", "outcome")


def record_rest(record: dict, source_url: str | None, page_sha256: str | None) -> dict:
    """A record as `reports.record_json` keeps it: without what cells, checks and the row's columns hold,
    without empty values, and its source without the url (`source_url`) and the sha256 (the page's)."""
    rest = {k: v for k, v in record.items()
            if k not in RECORD_JSON_OMIT and k not in RECORD_JSON_COLUMNS and v not in ("", None, [], {})}
    src = rest.get("source")
    if isinstance(src, dict):
        rest["source"] = {k: v for k, v in src.items()
                          if not (k == "url" and v == source_url) and not (k == "sha256" and v == page_sha256)}
    return rest


# `ascii`: the indexed text is only CJK bigrams and ASCII words split by spaces (pipelines/search.py), so it
# finds the same tokens as unicode61 (tests/test_search_index.py) while tokenising in half the time; a
# database made with unicode61 keeps it (same tokens, same answers) rather than re-reading every text
FTS_SQL = "CREATE VIRTUAL TABLE reports_fts USING fts5(title, search_text, content='', tokenize='ascii')"
# FTS5 keeps the terms of a transaction in memory and writes them as a segment when that memory passes
# `hashsize` (1 MB by default: five segments a batch of 250 reports, each merged again later). 16 MB holds a
# whole batch, one segment per commit: the search index's share of a bulk store −30 % (bench, 20,000 reports)
FTS_HASHSIZE = 16 * 1024 * 1024


@MIGRATIONS(name="0006_text_once")
def text_once(db: sqlite_utils.Database) -> None:
    """The cleaned text stored once: `text_simplified` only where it differs from `text`; the search index
    contentless (content='': the bigrams are indexed, not stored again); `record_json` without what cells
    and checks hold (it was two thirds of a report's row); no cells(table_name, key, value) index (every
    reader asks for a report's cells by primary key; ~10 GB at a million reports)."""
    from pipelines.search import bigrams

    sql = db.execute("SELECT sql FROM sqlite_master WHERE name = 'reports_fts'").fetchone()
    if sql is None or "content=''" not in sql[0].replace('"', "'"):
        if sql is not None:
            db.execute("DROP TABLE reports_fts")
        db.execute(FTS_SQL)
        rows = db.conn.execute("SELECT rowid, title, text FROM reports").fetchall()
        db.conn.executemany("INSERT INTO reports_fts (rowid, title, search_text) VALUES (?, ?, ?)",
                            [(rid, bigrams(t or ""), bigrams(x or "")) for rid, t, x in rows])
    db.execute("UPDATE reports SET text_simplified = NULL WHERE text_simplified = text")
    db.execute("UPDATE reports SET record_json = json_remove(record_json, "
               + ", ".join(f"'$.{k}'" for k in RECORD_JSON_OMIT if k != "text") + ") WHERE json_valid(record_json)")
    for name in ("idx_cells_table_name_key_value", "idx_checks_report_id_ok"):
        db.execute(f"DROP INDEX IF EXISTS {name}")


@MIGRATIONS(name="0007_clone_pages")
def clone_pages(db: sqlite_utils.Database) -> None:
    """Clone sites as a finding: one row per page quarantined for its host (pipelines/clones.py)."""
    from pipelines.clones import create_table

    create_table(db)


@MIGRATIONS(name="0008_crawl_health")
def crawl_health(db: sqlite_utils.Database) -> None:
    """Crawl health: failed fetches and failed parses counted apart (`errors` counted failed fetches only,
    so a page whose extraction failed was in no error count), and one row per run and site comparing the
    reports it found with the previous finished run (pipelines/health.py)."""
    for table in ("crawl_runs", "crawl_run_sites"):
        have = set(db[table].columns_dict)
        for col in ("fetch_errors", "parse_errors"):
            if col not in have:
                db.execute(f"ALTER TABLE [{table}] ADD COLUMN {col} INTEGER")
        # what earlier runs counted as errors were failed fetches; their failed parses were not counted (null)
        db.execute(f"UPDATE [{table}] SET fetch_errors = errors WHERE fetch_errors IS NULL")
    from pipelines.health import create_table

    create_table(db)


@MIGRATIONS(name="0009_record_json_rest")
def record_json_rest(db: sqlite_utils.Database) -> None:
    """`record_json` without what the row's own columns hold (agency, year, title …), without empty values,
    and its source without the url and sha256 the row and its page hold (~0.45 KB a report)."""
    drop = ", ".join(f"'$.{k}'" for k in RECORD_JSON_COLUMNS)
    db.execute(f"UPDATE reports SET record_json = json_remove(record_json, {drop}) WHERE json_valid(record_json)")
    keys = [k for (k,) in db.execute("SELECT DISTINCT j.key FROM reports r, json_each(r.record_json) j "
                                     "WHERE json_valid(r.record_json)")]
    for key in keys:
        path = '$."' + key.replace('"', '""') + '"'
        db.execute("UPDATE reports SET record_json = json_remove(record_json, ?) WHERE json_valid(record_json) AND "
                   "(json_type(record_json, ?) = 'null' OR json_extract(record_json, ?) IN ('', '[]', '{}'))",
                   [path, path, path])
    db.execute("UPDATE reports SET record_json = json_remove(record_json, '$.source.url') WHERE json_valid(record_json) "
               "AND json_extract(record_json, '$.source.url') = source_url")
    db.execute("UPDATE reports SET record_json = json_remove(record_json, '$.source.sha256') WHERE json_valid(record_json) "
               "AND json_extract(record_json, '$.source.sha256') = (SELECT p.sha256 FROM pages p WHERE p.id = reports.page_id)")


@MIGRATIONS(name="0010_crawl_runs_redis_run")
def crawl_runs_redis_run(db: sqlite_utils.Database) -> None:
    """`crawl_runs.redis_run`: the distributed run a `nianbao load` wrote the row for, so that a run loaded in
    several sessions stays one row (pipelines/load.py)."""
    if "redis_run" not in db["crawl_runs"].columns_dict:
        db.execute("ALTER TABLE crawl_runs ADD COLUMN redis_run TEXT")


@MIGRATIONS(name="0011_spam_findings_agency_year")
def spam_findings_agency_year(db: sqlite_utils.Database) -> None:
    """`spam_findings.agency`, `agency_id`, `year`: whom a finding is about (its report's, else its page's), and
    `site`, its page's: kept on the finding so the review list reads an (agency, year, location) index in its own
    order and the landing counts findings by site from one table. Worked out through two joins for every finding,
    the list took 420–720 ms at a million reports and the landing's count 460 ms."""
    cols = db["spam_findings"].columns_dict
    for name, kind in (("agency", "TEXT"), ("agency_id", "TEXT"), ("year", "INTEGER"), ("site", "TEXT")):
        if name not in cols:
            db.execute(f"ALTER TABLE spam_findings ADD COLUMN {name} {kind}")
    db.execute("""UPDATE spam_findings SET
                    agency = coalesce((SELECT r.agency FROM reports r WHERE r.id = spam_findings.report_id),
                                      (SELECT p.agency FROM pages p WHERE p.id = spam_findings.page_id)),
                    agency_id = (SELECT r.agency_id FROM reports r WHERE r.id = spam_findings.report_id),
                    year = coalesce((SELECT r.year FROM reports r WHERE r.id = spam_findings.report_id),
                                    (SELECT p.year FROM pages p WHERE p.id = spam_findings.page_id)),
                    site = (SELECT p.site FROM pages p WHERE p.id = spam_findings.page_id)""")


@MIGRATIONS(name="0012_search_index_hashsize")
def search_index_hashsize(db: sqlite_utils.Database) -> None:
    """The search index writes one segment per transaction, not one per megabyte of terms (FTS_HASHSIZE;
    kept in reports_fts_config, so every connection uses it)."""
    db.execute(f"INSERT INTO reports_fts (reports_fts, rank) VALUES ('hashsize', {FTS_HASHSIZE})")


# Tables keyed by text: as rowid tables each keeps its key twice, in the row and in the automatic index
# beside it (with a rowid in both). WITHOUT ROWID, the key is the table (0.3 KB a report: bench/publish.py).
# Not `reports` (its rowid is the search index's) nor `pages` (a reparse reads them in rowid order).
KEYED_TABLES = ("archive", "report_sources", "agencies", *WIDE.values())


@MIGRATIONS(name="0013_keyed_text_tables")
def keyed_text_tables(db: sqlite_utils.Database) -> None:
    """archive, report_sources, agencies and the wide tables WITHOUT ROWID (KEYED_TABLES), each copied
    once into the new layout; their secondary indexes are made again with the derived objects."""
    for table in KEYED_TABLES:
        if table in db.table_names():
            _rebuild_without_rowid(db, table)


# A cell is stored by number: its report's rowid (the search index's key too: kept by VACUUM, which copies
# rowids, never rewritten by `store_record`, which only inserts new revisions) and its key's number in
# `cell_keys`. Keyed by the text report id, table and key, a cell row was ~75 bytes of which ~58 were those
# three texts, and the hashed report ids put every insert somewhere random in a B-tree larger than the cache
# (14.8 KB a report at 20,000 reports, a fifth of it empty). By number, rows are appended in order: 3.5 KB a
# report. `cells` stays, as a view with the same columns: every query of it reads as before.
CELL_KEYS_SQL = ("CREATE TABLE IF NOT EXISTS cell_keys (n INTEGER PRIMARY KEY, table_name TEXT NOT NULL, "
                 "key TEXT NOT NULL, UNIQUE (table_name, key))")
CELL_VALUES_SQL = ("CREATE TABLE IF NOT EXISTS cell_values (report_n INTEGER NOT NULL, key_n INTEGER NOT NULL, "
                   "value NUMERIC, raw TEXT, unparsed INTEGER, source TEXT, confidence REAL, resolved_by TEXT, "
                   "computed INTEGER, PRIMARY KEY (report_n, key_n)) WITHOUT ROWID")
CELLS_VIEW_SQL = """
SELECT r.id AS report_id, k.table_name, k.key, v.value, v.raw, v.unparsed, v.source, v.confidence, v.resolved_by,
       v.computed
FROM cell_values v JOIN reports r ON r.rowid = v.report_n JOIN cell_keys k ON k.n = v.key_n"""


@MIGRATIONS(name="0014_cells_by_number")
def cells_by_number(db: sqlite_utils.Database) -> None:
    """`cells` as `cell_values` keyed by (report rowid, key number) and `cell_keys`, the numbered keys, with
    `cells` a view of the same columns (CELLS_VIEW_SQL). The keys are numbered in (table_name, key) order, the
    canonical ones first made, so the copy, report by report, appends. Every row is copied or nothing is."""
    db.execute(CELL_KEYS_SQL)
    db.execute(CELL_VALUES_SQL)
    keys = {(t, k) for t, ks in TABLE_KEYS.items() for k in ks}
    kind = db.execute("SELECT type FROM sqlite_master WHERE name = 'cells'").fetchone()
    if kind and kind[0] == "table":
        keys |= set(db.execute("SELECT DISTINCT table_name, key FROM cells").fetchall())
    db.conn.executemany("INSERT OR IGNORE INTO cell_keys (table_name, key) VALUES (?, ?)", sorted(keys))
    if not kind or kind[0] != "table":
        return
    # reports first (CROSS JOIN keeps that order): rows come out in (rowid, table_name, key) = primary key order
    db.execute("""INSERT INTO cell_values
                  SELECT r.rowid, k.n, c.value, c.raw, c.unparsed, c.source, c.confidence, c.resolved_by, c.computed
                  FROM reports r CROSS JOIN cells c ON c.report_id = r.id
                  JOIN cell_keys k ON k.table_name = c.table_name AND k.key = c.key""")
    _replace_by_view(db, "cells", "cell_values", CELLS_VIEW_SQL, "0014_cells_by_number")


def _replace_by_view(db: sqlite_utils.Database, table: str, copy: str, view_sql: str, migration: str) -> None:
    """`table`, whose rows are now all in `copy`, dropped for a view of the same name (`view_sql`). A row of
    no report was not copied: then nothing is dropped (the migration raises, its transaction rolls back)."""
    copied = db.execute(f"SELECT count(*) FROM {copy}").fetchone()[0]
    had = db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    if copied != had:
        raise RuntimeError(f"{migration}: {had - copied} of {had} {table} belong to no report row")
    db.execute(f"DROP TABLE {table}")
    db.execute(f"CREATE VIEW {table} AS {view_sql}")


# A check is stored by number too: its report's rowid and its (rule, key)'s number in `check_keys`. Keyed by the
# text report id, rule and key, the ~34 checks of a report were ~2.9 KB and every batch's landed at random in a
# B-tree of tens of millions of rows at a million reports (the store slowed as the file grew); by number they
# append. `checks` stays, as a view with the same columns. No key list is seeded: a (rule, key) is numbered
# with the first check that has it (numbered_rows in pipelines/writers.py), in that check's transaction.
CHECK_KEYS_SQL = ("CREATE TABLE IF NOT EXISTS check_keys (n INTEGER PRIMARY KEY, rule TEXT NOT NULL, "
                  "key TEXT NOT NULL, UNIQUE (rule, key))")
CHECK_VALUES_SQL = ("CREATE TABLE IF NOT EXISTS check_values (report_n INTEGER NOT NULL, check_n INTEGER NOT NULL, "
                    "ok INTEGER, detail TEXT, PRIMARY KEY (report_n, check_n)) WITHOUT ROWID")
CHECKS_VIEW_SQL = """
SELECT r.id AS report_id, k.rule, k.key, v.ok, v.detail
FROM check_values v JOIN reports r ON r.rowid = v.report_n JOIN check_keys k ON k.n = v.check_n"""


@MIGRATIONS(name="0015_checks_by_number")
def checks_by_number(db: sqlite_utils.Database) -> None:
    """`checks` as `check_values` keyed by (report rowid, check number) and `check_keys`, with `checks` a view
    of the same columns (CHECKS_VIEW_SQL); copied as 0014 copied the cells. Every row is copied or nothing is."""
    db.execute(CHECK_KEYS_SQL)
    db.execute(CHECK_VALUES_SQL)
    kind = db.execute("SELECT type FROM sqlite_master WHERE name = 'checks'").fetchone()
    if not kind or kind[0] != "table":
        return
    db.execute("INSERT OR IGNORE INTO check_keys (rule, key) SELECT DISTINCT rule, key FROM checks ORDER BY rule, key")
    db.execute("""INSERT INTO check_values
                  SELECT r.rowid, k.n, c.ok, c.detail
                  FROM reports r CROSS JOIN checks c ON c.report_id = r.id
                  JOIN check_keys k ON k.rule = c.rule AND k.key = c.key""")
    _replace_by_view(db, "checks", "check_values", CHECKS_VIEW_SQL, "0015_checks_by_number")


def _rebuild_without_rowid(db: sqlite_utils.Database, table: str) -> None:
    """`table` as a WITHOUT ROWID table of the same columns, key and rows (nothing when it is one already)."""
    import re

    row = db.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", [table]).fetchone()
    if row is None or "WITHOUT ROWID" in row[0].upper():  # (None: `cells`, a view since 0014)
        return
    sql = row[0]
    new_sql = re.sub(r"^CREATE TABLE\s+(\[[^\]]+\]|\"[^\"]+\"|\S+)", f"CREATE TABLE [{table}_keyed]", sql.strip())
    db.execute(new_sql.rstrip(";") + " WITHOUT ROWID")
    # in key order (the old automatic index's): the new B-tree is appended to, its pages filled
    pk = [name for _pos, name in sorted((p, n) for _c, n, _t, _nn, _d, p in db.execute(f"PRAGMA table_info([{table}])")
                                         if p)]
    db.execute(f"INSERT INTO [{table}_keyed] SELECT * FROM [{table}] ORDER BY {', '.join(f'[{c}]' for c in pk)}")
    db.execute(f"DROP TABLE [{table}]")
    # legacy: a rename that leaves views alone (they name the table, which exists again once renamed)
    db.execute("PRAGMA legacy_alter_table = ON")
    try:
        db.execute(f"ALTER TABLE [{table}_keyed] RENAME TO [{table}]")
    finally:
        db.execute("PRAGMA legacy_alter_table = OFF")


# ── derived objects: rebuilt when their definitions change, not on every open ──────────────────────

def _ensure_derived(db: sqlite_utils.Database) -> bool:
    fingerprint = hashlib.sha1(json.dumps([TABLE_KEYS, INDEXES, PARTIAL_INDEXES, SUMMARY_INDEXES, SUMMARY_SQL_INDEXES,
                                           VIEWS, FOREIGN_KEYS], sort_keys=True).encode()).hexdigest()[:16]
    row = db.execute("SELECT value FROM nianbao_meta WHERE key = 'derived'").fetchone()
    if row and row[0] == fingerprint and _derived_present(db):
        return False
    before = _index_sql(db)
    with db.atomic():
        _wide_tables(db)
        _foreign_keys(db)
        _indexes(db)
        _views(db)
        db["nianbao_meta"].upsert({"key": "derived", "value": fingerprint}, pk="key")
        db["nianbao_meta"].upsert({"key": "schema_version", "value": str(SCHEMA_VERSION)}, pk="key")
    _analyze_changed(db, before)
    return True


def _index_sql(db: sqlite_utils.Database) -> dict:
    return {(tbl, name): sql for tbl, name, sql in
            db.execute("SELECT tbl_name, name, sql FROM sqlite_master WHERE type = 'index'")}


def _analyze_changed(db: sqlite_utils.Database, before: dict) -> None:
    """Sampled planner statistics for the tables whose indexes were just made (a rebuilt report_summary's
    went with it): without them SQLite chose plans 10× slower at a million reports (report_index by year
    270 ms, the front search 190 ms) until the next write session gathered them."""
    after = _index_sql(db)
    tables = {tbl for (tbl, name), sql in after.items() if before.get((tbl, name)) != sql}
    if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").fetchone():
        # a table dropped and made again (report_summary) keeps its index SQL but loses its statistics
        have = {t for (t,) in db.execute("SELECT DISTINCT tbl FROM sqlite_stat1")}
        tables |= {tbl for (tbl, name), sql in after.items() if sql and tbl not in have}
    if not tables:
        return
    db.execute("PRAGMA analysis_limit = 1000").fetchall()
    for table in sorted(tables):
        db.execute(f"ANALYZE [{table}]").fetchall()
    db.execute("PRAGMA analysis_limit = 0").fetchall()
    db.conn.commit()


def _derived_present(db: sqlite_utils.Database) -> bool:
    """Every view, index and the summary table there (one look at sqlite_master): a database someone
    edited by hand, or an old one, is repaired even when the definitions did not change."""
    have = {(kind, name) for kind, name in db.execute("SELECT type, name FROM sqlite_master")}
    wanted = {("view", v) for v in VIEWS} | {("table", "report_summary")}
    wanted |= {("index", f"idx_{table}_{'_'.join(cols)}") for table, ixs in INDEXES.items() for cols in ixs}
    wanted |= {("index", summary_index_name(cols)) for cols in SUMMARY_INDEXES}
    wanted |= {("index", name) for name in PARTIAL_INDEXES}
    wanted |= {("index", name) for name in SUMMARY_SQL_INDEXES}
    return wanted <= have


def _wide_tables(db: sqlite_utils.Database) -> None:
    """One NUMERIC column per canonical key (new keys in extract/formats.py become new columns)."""
    for table, keys in TABLE_KEYS.items():
        t = db[WIDE[table]]
        cols = [column(k) for k in keys]
        if not t.exists():
            body = ", ".join(f"[{c}] NUMERIC" for c in cols)
            db.execute(f"CREATE TABLE [{WIDE[table]}] (report_id TEXT PRIMARY KEY, {body}) WITHOUT ROWID")
        else:
            for c in cols:
                if c not in t.columns_dict:
                    db.execute(f"ALTER TABLE [{WIDE[table]}] ADD COLUMN [{c}] NUMERIC")


FOREIGN_KEYS = [
    ("reports", "page_id", "pages", "id"), ("reports", "agency_id", "agencies", "id"),
    ("pages", "sha256", "archive", "sha256"), ("pages", "report_id", "reports", "id"),
    ("spam_findings", "page_id", "pages", "id"), ("spam_findings", "report_id", "reports", "id"),
    ("report_sources", "report_id", "reports", "id"),
]


def _foreign_keys(db: sqlite_utils.Database) -> None:
    """Declared (not enforced) so Datasette links a report to its page and a page to its archived bytes."""
    wanted = [fk for fk in FOREIGN_KEYS
              if not any(f.column == fk[1] and f.other_table == fk[2] for f in db[fk[0]].foreign_keys)]
    if wanted:
        db.add_foreign_keys(wanted)


INDEXES = {
        # fetched_at: the table page's order (metadata sort_desc), kind: one of its facets; without them a million
        # pages are read and sorted for the first page (3 s on a cold page cache)
        "pages": [["sha256"], ["report_id"], ["outcome"], ["source"], ["crawl_run_id"], ["fetch_outcome"],
                  ["parse_outcome"], ["fetched_at"], ["kind"]],
        "reports": [["report_key", "revision"], ["is_current", "year"], ["agency_id", "year"], ["year"],
                    ["is_current", "quarantined", "removed_at", "year"],
                    ["format"], ["quarantined"], ["record_hash"]],
        # (agency, year, location, agency_id): the review list's order, and an agency's findings told from
        # the index alone (its name or its id), never from 70,000 rows at a million reports
        "spam_findings": [["report_id"], ["page_id"], ["kind"], ["agency", "year", "location", "agency_id"]],
        "agencies": [["province"], ["level"], ["name"]],
        "applications_wide": [["new_received__total"]],
        "clone_pages": [["clone_host"]],
        "crawl_health": [["flag"]],
}


# Failing checks are a few in a hundred: an index of them alone, not of every check (the full (ok, rule) index
# was 1.7 KB a report, 4% of the file). Readers ask with a literal `ok = 0`, which is what lets SQLite use it.
PARTIAL_INDEXES = {"idx_check_values_failing": "CREATE INDEX IF NOT EXISTS idx_check_values_failing "
                                               "ON check_values (check_n) WHERE ok = 0"}
REPLACED_INDEXES = ("idx_checks_ok_rule", "idx_spam_findings_agency_year_location", "idx_checks_failing_rule")


def _indexes(db: sqlite_utils.Database) -> None:
    for name in REPLACED_INDEXES:
        db.execute(f"DROP INDEX IF EXISTS {name}")
    for sql in PARTIAL_INDEXES.values():
        db.execute(sql)
    for table, indexes in INDEXES.items():
        existing = {tuple(ix.columns) for ix in db[table].indexes}
        for cols in indexes:
            if tuple(cols) not in existing:
                db[table].create_index(cols, if_not_exists=True)


VIEWS = {
        "cells": CELLS_VIEW_SQL,
        "checks": CHECKS_VIEW_SQL,
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
       r.source_url, r.page_id,
       r.agency_id, w.carried_over__total AS carried_over, w.carried_forward__total AS carried_forward,
       p.active_total AS active_total,
       a.name AS registered_agency
FROM reports r
LEFT JOIN agencies a ON a.id = r.agency_id
LEFT JOIN applications_wide w ON w.report_id = r.id
LEFT JOIN review_wide v ON v.report_id = r.id
LEFT JOIN active_wide act ON act.report_id = r.id
LEFT JOIN prose_wide p ON p.report_id = r.id
WHERE r.is_current = 1 AND r.quarantined = 0 AND r.removed_at IS NULL""",
        # the mismatching pairs of year_pairs (pipelines/derived.py), kept in sync with the reports: the same join
        # over every current report took past the 3 s limit at a million reports (a 400 for the reader)
        "carry_over_mismatches": """
SELECT agency, year, previous_year, carried_over, previous_carried_forward, difference, report_id, previous_report_id
FROM year_pairs WHERE mismatch = 1""",
        "spam_findings_status": """
SELECT s.*, CASE WHEN s.reviewed = 1 THEN '已核实 confirmed' WHEN s.reviewed = 0 THEN '误报 rejected'
                 ELSE '未核实 unconfirmed' END AS status
FROM spam_findings s""",
        "clone_sites": CLONE_SITES_VIEW,   # who copies which government site (pipelines/clones.py)
}


def _views(db: sqlite_utils.Database) -> None:
    for name, sql in VIEWS.items():
        db.execute(f"DROP VIEW IF EXISTS {name}")
        db.execute(f"CREATE VIEW {name} AS {sql}")
    _summary_table(db)


# (year DESC, new_requests DESC, agency) and (province, …): the order requests_by_agency reads a year in, so a
# 1,000-row answer stops after 1,000 rows; they also serve what the (year) and (province) indexes served
# (year, agency), (province, agency, year), (province, year, agency): report_index's year, province, and year and
# province arms read in its ORDER BY's order (sorting a year's 77,000 reports was 250 ms at a million; now ~20)
SUMMARY_INDEXES = [["report_id"], ["year DESC", "new_requests DESC", "agency"],
                   ["province", "year DESC", "new_requests DESC", "agency"], ["level"], ["format"], ["agency", "year"],
                   ["failed_checks"], ["spam_findings"], ["new_requests"], ["agency_id", "year"],
                   ["year", "agency"], ["province", "agency", "year"], ["province", "year", "agency"]]


# report_summary's indexes on expressions or with a WHERE (name → columns and WHERE), made with the table as
# SUMMARY_INDEXES are (PARTIAL_INDEXES' are made before the summary may be rebuilt, which would drop these).
# refusal_rate_ranking's four orders (one year or all years; by rate or by count), each read in its index's order
# so a 1,000-row answer reads ~1,000 entries (a sort of a year's 77,000 reports was 240 ms at a million reports;
# this is 7–17 ms). The expressions and the WHERE are the query's own, word for word: SQLite uses an expression
# or a partial index only for the same expression and a WHERE that implies the index's.
REFUSAL_RATE = "round(100.0 * (withheld + declined) / processed, 1)"
REFUSAL_WHERE = "WHERE processed > 0 AND withheld IS NOT NULL AND declined IS NOT NULL"
SUMMARY_SQL_INDEXES = {
    "idx_report_summary_year_refusal_rate": f"(year, {REFUSAL_RATE} DESC, processed DESC, agency) {REFUSAL_WHERE}",
    "idx_report_summary_year_refused": f"(year, withheld + declined DESC, {REFUSAL_RATE} DESC, processed DESC, agency) "
                                       f"{REFUSAL_WHERE}",
    "idx_report_summary_refusal_rate": f"({REFUSAL_RATE} DESC, processed DESC, agency, year) {REFUSAL_WHERE}",
    "idx_report_summary_refused": f"(withheld + declined DESC, {REFUSAL_RATE} DESC, processed DESC, agency, year) "
                                  f"{REFUSAL_WHERE}",
    # the landing's newest reports with failing checks (a few in a hundred: a partial index of them alone)
    "idx_report_summary_failing_year": "(year DESC, failed_checks DESC, agency) WHERE failed_checks > 0",
    # the names printed on reports other than the registered one (沐阳 for 沭阳): the front search's agency
    # matching reads these few instead of every report's name (220 ms at a million reports)
    "idx_report_summary_printed_name": "(agency, agency_id) WHERE agency IS NOT registered_agency",
}


def summary_index_name(cols: list[str]) -> str:
    return "idx_report_summary_" + "_".join(c.split()[0] for c in cols)


def _summary_table(db: sqlite_utils.Database) -> None:
    """`report_summary` is the live view materialised: facets over 100,000 reports cost ~5 ms on a table
    and ~600 ms on the five-table join. Kept in sync by report key with the other derived tables
    (pipelines/derived.py)."""
    # rebuilt whole when what its rows are made of changed (the views, the wide tables' keys): the live view's
    # columns may have. A change of indexes only adds or drops indexes (a minute's rebuild at a million reports
    # saved, and the rows are in sync already: pipelines/derived.py keeps them so).
    made_of = hashlib.sha1(json.dumps([TABLE_KEYS, VIEWS], sort_keys=True).encode()).hexdigest()[:16]
    kind = db.execute("SELECT type FROM sqlite_master WHERE name = 'report_summary'").fetchone()
    row = db.execute("SELECT value FROM nianbao_meta WHERE key = 'summary_made_of'").fetchone()
    if not (kind and kind[0] == "table" and row and row[0] == made_of):
        if kind:
            db.execute(f"DROP {'VIEW' if kind[0] == 'view' else 'TABLE'} report_summary")
        db.execute("CREATE TABLE report_summary AS SELECT * FROM report_summary_live WHERE 0")
        refresh_summary(db)
        db["nianbao_meta"].upsert({"key": "summary_made_of", "value": made_of}, pk="key")
    for cols in SUMMARY_INDEXES:
        db.execute(f"CREATE INDEX IF NOT EXISTS {summary_index_name(cols)} ON report_summary ({', '.join(cols)})")
    for name, body in SUMMARY_SQL_INDEXES.items():
        db.execute(f"CREATE INDEX IF NOT EXISTS {name} ON report_summary {body}")


def refresh_summary(db: sqlite_utils.Database) -> None:
    db.execute("DELETE FROM report_summary")
    db.execute("INSERT INTO report_summary SELECT * FROM report_summary_live")


def open_db(path: str) -> sqlite_utils.Database:
    """The database at this version. The journal mode is left as it is: only a writer holding the lock
    (pipelines/lock.py) switches it, in bulk_writes — never under another connection."""
    db = sqlite_utils.Database(path)
    if ensure_schema(db):
        # reopen: sqlite-utils' add_foreign_keys rewrites the schema in a way that leaves this connection
        # unable to checkpoint a WAL ("database table is locked") until it is reopened
        db.conn.close()
        db = sqlite_utils.Database(path)
    return db
