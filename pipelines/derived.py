"""Materialised answers: what a canned query or a front-door page needs, computed when the data is written,
not when a reader asks. At a million reports a join over every current report costs seconds; a lookup in a
table laid out in the order the question reads it costs milliseconds.

* `report_summary`          one row per published report (the live view `report_summary_live` materialised)
* `failing_checks_current`  every failing check of a published report, with its agency and year
* `year_pairs`              consecutive years of one agency: carried over (N) against carried forward (N−1)
* `missing_years`           every year an agency has no published report for, between the first and last year
                            the database holds (and every year for a registry agency with none at all)
* `outcome_mix`             the outcome totals of each year

Kept in sync by report key: a write marks the report key pending (`derived_pending`, committed with the page,
so a killed crawl leaves nothing stale); inside a write session (`bulk_writes`) the rows are brought in line once
at its end (`sync_pending`), set-based, or rebuilt whole when most of the database changed; outside one, at
once. Indexes follow each question's ORDER BY so a LIMITed answer reads only the rows it shows.
"""

from __future__ import annotations

import sqlite3
import time
from contextlib import contextmanager

PUBLISHED = "{t}.is_current = 1 AND {t}.quarantined = 0 AND {t}.removed_at IS NULL"
# the same test kept out of index choice (unary +): a report looked up by agency and year must use the
# (agency_id, year) index; with no statistics SQLite took the (is_current, quarantined, removed_at, year) one
# for the INSERT … SELECT, reading every published report of the year for each report (quadratic: 14 s at
# 20,000 reports, most of the 736 s end of session at 100,000)
PUBLISHED_FILTER = "+{t}.is_current = 1 AND +{t}.quarantined = 0 AND +{t}.removed_at IS NULL"
OTHER = ("coalesce(w.other__total, w.other_subtotal__total, "
         "w.other_no_correction__total + w.other_unpaid_fee__total + w.other_other__total)")

# read from the checks' storage (pipelines/schema.py 0015), not the `checks` view: the view's own join of
# `reports` would be a second one. `ok = 0` literally: what lets SQLite read the partial index of failing checks.
FAILING_FROM = "FROM check_values c JOIN reports r ON r.rowid = c.report_n JOIN check_keys k ON k.n = c.check_n"
FAILING_SQL = f"""
SELECT r.agency, r.agency_id, a.province, r.year, k.rule, k.key, c.detail, r.id AS report_id, r.page_id
{FAILING_FROM} LEFT JOIN agencies a ON a.id = r.agency_id
WHERE c.ok = 0 AND {PUBLISHED.format(t='r')}"""
# the same, for the reports of a sync only (temp.pending_reports), read report by report
FAILING_OF_PENDING = ("FROM temp.pending_reports x CROSS JOIN reports r ON r.id = x.id "
                      "CROSS JOIN check_values c ON c.report_n = r.rowid JOIN check_keys k ON k.n = c.check_n")

PAIRS_SQL = f"""
SELECT cur.agency_id, cur.agency, prev.year AS previous_year, wp.carried_forward__total AS previous_carried_forward,
       cur.year, wc.carried_over__total AS carried_over,
       wc.carried_over__total - wp.carried_forward__total AS difference,
       CASE WHEN wc.carried_over__total IS NULL OR wp.carried_forward__total IS NULL THEN '无法核对 not comparable'
            WHEN wc.carried_over__total = wp.carried_forward__total THEN '一致 consistent'
            ELSE '不一致 mismatch' END AS status,
       (wc.carried_over__total != wp.carried_forward__total) IS 1 AS mismatch,
       prev.page_id AS previous_page_id, cur.page_id, prev.id AS previous_report_id, cur.id AS report_id
FROM reports cur
JOIN reports prev ON prev.agency_id = cur.agency_id AND prev.year = cur.year - 1 AND {PUBLISHED_FILTER.format(t='prev')}
LEFT JOIN applications_wide wc ON wc.report_id = cur.id
LEFT JOIN applications_wide wp ON wp.report_id = prev.id
WHERE {PUBLISHED.format(t='cur')}"""

MIX_SQL = f"""
SELECT s.year, count(*) AS reports, sum(s.granted) AS granted, sum(s.partly_granted) AS partly_granted,
       sum(s.withheld) AS withheld, sum(s.unavailable) AS unavailable, sum(s.declined) AS declined,
       sum({OTHER}) AS other, sum(s.processed) AS processed
FROM report_summary s LEFT JOIN applications_wide w ON w.report_id = s.report_id"""

# one row per agency and missing year; :lo/:hi are the first and last year the database holds
MISSING_SQL = """
WITH RECURSIVE years(y) AS (SELECT :lo WHERE :lo IS NOT NULL UNION ALL SELECT y + 1 FROM years WHERE y < :hi),
span AS (SELECT agency_id, min(year) AS first_year, max(year) AS last_year, count(DISTINCT year) AS reports_held
         FROM report_summary WHERE {span_where} GROUP BY agency_id)
SELECT a.id AS agency_id, coalesce(a.name, a.id) AS agency, a.province, a.level, years.y AS missing_year,
       CASE WHEN span.agency_id IS NULL THEN '本库尚无该机关任何报告 no report at all'
            WHEN years.y < span.first_year THEN '早于本库最早一份 before the first report held'
            WHEN years.y < span.last_year THEN '序列中间缺失 gap in the series'
            ELSE '最近年份缺失 recent year missing' END AS gap,
       span.first_year, span.last_year, span.reports_held, a.portal_url, a.in_registry,
       coalesce(years.y < span.last_year, 0) AS in_series,
       coalesce(years.y > span.first_year, 0) AS after_first
FROM agencies a CROSS JOIN years LEFT JOIN span ON span.agency_id = a.id
WHERE {agency_where} (span.agency_id IS NOT NULL OR a.in_registry = 1)
  AND NOT EXISTS (SELECT 1 FROM report_summary h WHERE h.agency_id = a.id AND h.year = years.y)"""

TABLES = {
    "failing_checks_current": (FAILING_SQL, [["agency", "year", "rule", "key"], ["year", "agency"], ["agency_id"],
                                             ["report_id"]]),
    "year_pairs": (PAIRS_SQL, [["mismatch DESC", "agency", "year"], ["agency_id", "year"], ["report_id"],
                               ["previous_report_id"]]),
    "missing_years": (None, [["after_first", "in_series DESC", "agency", "missing_year"],
                             ["missing_year", "in_series DESC", "agency"], ["agency_id"]]),
    "outcome_mix": (None, []),
}


def _index_name(table: str, cols: list[str]) -> str:
    return f"idx_{table}_" + "_".join(c.split()[0] for c in cols)


def ensure_tables(db) -> bool:
    """Create the derived tables and their indexes when missing (filling them), and the pending-keys table;
    returns whether anything was created."""
    conn = db.conn
    conn.execute("CREATE TABLE IF NOT EXISTS derived_pending (report_key TEXT PRIMARY KEY)")
    conn.execute("CREATE TABLE IF NOT EXISTS nianbao_meta (key TEXT PRIMARY KEY, value TEXT)")
    have = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    created = False
    if "failing_checks_current" not in have:
        conn.execute(f"CREATE TABLE failing_checks_current AS {FAILING_SQL} AND 0")
        created = True
    if "year_pairs" not in have:
        conn.execute(f"CREATE TABLE year_pairs AS {PAIRS_SQL} AND 0")
        created = True
    if "missing_years" not in have:
        conn.execute("CREATE TABLE missing_years AS " + MISSING_SQL.format(span_where="1", agency_where="0 AND"),
                     {"lo": None, "hi": None})
        created = True
    if "outcome_mix" not in have:
        conn.execute(f"CREATE TABLE outcome_mix AS {MIX_SQL} WHERE 0 GROUP BY s.year")
        created = True
    for table, (_sql, indexes) in TABLES.items():
        for cols in indexes:
            conn.execute(f"CREATE INDEX IF NOT EXISTS {_index_name(table, cols)} ON {table} ({', '.join(cols)})")
    if created:
        with conn:
            rebuild(db)
    return created


# indexes the write path never reads: dropped for a bulk load into an empty database, built once after it
LOAD_DEFERRED = {"cell_values": None, "check_values": None, "report_summary": None, "failing_checks_current": None,
                 "year_pairs": None, "missing_years": None, "outcome_mix": None, "agencies": None,
                 "pages": ["outcome", "crawl_run_id", "fetch_outcome", "parse_outcome", "fetched_at", "kind"],
                 "reports": ["is_current", "year", "format", "quarantined", "record_hash"]}


@contextmanager
def timed(into: dict | None, name: str):
    """The seconds the block took, as into[name] (nothing kept when `into` is None)."""
    t = time.perf_counter()
    try:
        yield
    finally:
        if into is not None:
            into[name] = round(time.perf_counter() - t, 2)


@contextmanager
def indexes_deferred(conn: sqlite3.Connection, tables: dict, keep: tuple = (), timings: dict | None = None):
    """Drop the secondary indexes of these tables (None = all of a table's; else those whose first column is
    listed), and create them again, from their own SQL, on leaving: an index built once over sorted data
    instead of updated at every row. An index whose first column is in `keep` stays: a statement run
    meanwhile looks rows up by it. `timings` gets the seconds each index took to build."""
    saved = []
    for table, first_cols in tables.items():
        for name, sql in conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
                                      "AND sql IS NOT NULL", [table]).fetchall():
            cols = [r[2] for r in conn.execute(f"PRAGMA index_info([{name}])")]
            if cols and cols[0] in keep:
                continue
            if first_cols is None or (cols and cols[0] in first_cols):
                saved.append((name, sql))
    for name, _sql in saved:
        conn.execute(f"DROP INDEX [{name}]")
    try:
        yield
    finally:
        for name, sql in saved:
            with timed(timings, name):
                conn.execute(sql.replace("CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", 1)
                             if "IF NOT EXISTS" not in sql else sql)


def rebuild(db, timings: dict | None = None) -> None:
    """Every derived table from scratch (a bulk load, a new year, an upgrade). `timings`: seconds per step."""
    # report_summary's (agency_id, year) index stays: missing_years asks it once per agency and year (without
    # it that is a scan of every report per agency and year — 108 s of CPU at 20,000 reports, quadratic)
    index_times: dict = {}
    with indexes_deferred(db.conn, {t: None for t in ("report_summary", *TABLES)}, keep=("agency_id",),
                          timings=index_times):
        _rebuild(db, timings if timings is not None else {})
    if timings is not None:
        timings["derived indexes"] = round(sum(index_times.values()), 2)


def _rebuild(db, timings: dict) -> None:
    conn = db.conn

    def step(name, *statements):
        with timed(timings, name):
            for sql in statements:
                conn.execute(sql)

    step("report_summary", "DELETE FROM report_summary", "INSERT INTO report_summary SELECT * FROM report_summary_live")
    step("failing_checks_current", "DELETE FROM failing_checks_current",
         f"INSERT INTO failing_checks_current {FAILING_SQL} ORDER BY r.agency, r.year, k.rule, k.key")
    step("year_pairs", "DELETE FROM year_pairs", f"INSERT INTO year_pairs {PAIRS_SQL}")
    with timed(timings, "missing_years"):
        _rebuild_missing(conn)
    step("outcome_mix", "DELETE FROM outcome_mix", f"INSERT INTO outcome_mix {MIX_SQL} GROUP BY s.year")
    conn.execute("DELETE FROM derived_pending")
    _remember_bounds(conn)


def _bounds(conn: sqlite3.Connection) -> tuple:
    # two lookups at the ends of a year index (0.01 ms at a million reports); min and max in one SELECT read
    # every entry (48 ms)
    return tuple(conn.execute("SELECT (SELECT min(year) FROM report_summary), (SELECT max(year) FROM report_summary)"
                              ).fetchone())


def _remember_bounds(conn: sqlite3.Connection) -> None:
    lo, hi = _bounds(conn)
    conn.execute("INSERT OR REPLACE INTO nianbao_meta (key, value) VALUES ('derived_years', ?)", [f"{lo}-{hi}"])


def _rebuild_missing(conn: sqlite3.Connection) -> None:
    lo, hi = _bounds(conn)
    conn.execute("DELETE FROM missing_years")
    conn.execute("INSERT INTO missing_years " + MISSING_SQL.format(span_where="1", agency_where=""),
                 {"lo": lo, "hi": hi})


def mark_pending(db, report_keys) -> None:
    db.conn.executemany("INSERT OR IGNORE INTO derived_pending (report_key) VALUES (?)", [[k] for k in report_keys])


def sync_pending(db, rebuild_share: float = 0.2, timings: dict | None = None) -> int:
    """Bring every derived table in line for the pending report keys; returns how many keys. Set-based: one
    statement per table for all of them, or a whole rebuild when they are most of the database (`timings`:
    its seconds per step)."""
    conn = db.conn
    pending = conn.execute("SELECT count(*) FROM derived_pending").fetchone()[0]
    if not pending:
        return 0
    total = conn.execute("SELECT count(*) FROM report_summary").fetchone()[0]
    stored = conn.execute("SELECT value FROM nianbao_meta WHERE key = 'derived_years'").fetchone()
    if pending > rebuild_share * max(total, 1) or total == 0:
        rebuild(db, timings)
        return pending
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS pending_reports (id TEXT PRIMARY KEY, agency_id TEXT, year INT)")
    conn.execute("DELETE FROM temp.pending_reports")
    conn.execute("INSERT OR IGNORE INTO temp.pending_reports SELECT r.id, r.agency_id, r.year FROM derived_pending p "
                 "JOIN reports r ON r.report_key = p.report_key")
    conn.execute("DELETE FROM report_summary WHERE report_id IN (SELECT id FROM temp.pending_reports)")
    conn.execute("INSERT INTO report_summary SELECT l.* FROM temp.pending_reports x CROSS JOIN report_summary_live l "
                 "ON l.report_id = x.id")
    conn.execute("DELETE FROM failing_checks_current WHERE report_id IN (SELECT id FROM temp.pending_reports)")
    conn.execute(f"INSERT INTO failing_checks_current {FAILING_SQL.replace(FAILING_FROM, FAILING_OF_PENDING, 1)}")
    # a report is the later year of one pair and the earlier year of the next
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS pending_pairs (agency_id TEXT, year INT, PRIMARY KEY (agency_id, year))")
    conn.execute("DELETE FROM temp.pending_pairs")
    conn.execute("INSERT OR IGNORE INTO temp.pending_pairs SELECT agency_id, year FROM temp.pending_reports "
                 "UNION SELECT agency_id, year + 1 FROM temp.pending_reports")
    conn.execute("DELETE FROM year_pairs WHERE (agency_id, year) IN (SELECT agency_id, year FROM temp.pending_pairs)")
    conn.execute(f"INSERT INTO year_pairs {PAIRS_SQL.replace('FROM reports cur', 'FROM temp.pending_pairs x CROSS JOIN reports cur ON cur.agency_id = x.agency_id AND cur.year = x.year', 1)}")
    if stored and stored[0] != "{}-{}".format(*_bounds(conn)):
        _rebuild_missing(conn)  # a new first or last year: every agency's gaps change
        _remember_bounds(conn)
    else:
        lo, hi = _bounds(conn)
        conn.execute("DELETE FROM missing_years WHERE agency_id IN (SELECT agency_id FROM temp.pending_reports)")
        conn.execute("INSERT INTO missing_years " + MISSING_SQL.format(
            span_where="agency_id IN (SELECT agency_id FROM temp.pending_reports)",
            agency_where="a.id IN (SELECT agency_id FROM temp.pending_reports) AND"), {"lo": lo, "hi": hi})
    conn.execute("DELETE FROM outcome_mix WHERE year IN (SELECT year FROM temp.pending_reports)")
    conn.execute(f"INSERT INTO outcome_mix {MIX_SQL} WHERE s.year IN (SELECT year FROM temp.pending_reports) "
                 "GROUP BY s.year")
    conn.execute("DELETE FROM derived_pending")
    return pending
