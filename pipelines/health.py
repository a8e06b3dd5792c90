"""Crawl health: after each run, per site, the reports found against what the previous finished run found —
new, changed, removed, blocked, failed fetches, failed parses — and a flag on a site that went to zero or
lost more than half of its reports: the commonest silent failure of a government-site scraper (a portal
redesigned, a column moved, a new block). One row per run and site in `crawl_health` (schema migration
0008); `nianbao crawl` says which sites are flagged and exits 3 (gone to zero) or 4 (lost more than half).

`reports_found` is crawl_run_sites' count of distinct reports (`reports_found`, below): a report's HTML page and its
PDF attachment are one report; a page answered 304 finds the report it was stored as, so an incremental run that
fetched nothing new still finds what it found before.
"""

from __future__ import annotations

from collections import Counter, defaultdict

import sqlite_utils

GONE_TO_ZERO = "gone_to_zero"      # none found; an earlier run found some
LOST_OVER_HALF = "lost_over_half"  # fewer than half of what the previous finished run found
COLUMNS = ("run_id", "site", "reports_expected", "reports_found", "difference", "new", "changed", "removed",
           "blocked", "fetch_errors", "parse_errors", "flag")


def create_table(db: sqlite_utils.Database) -> None:
    """The table (schema migration 0008)."""
    db["crawl_health"].create({
        "run_id": int, "site": str, "reports_expected": int, "reports_found": int, "difference": int, "new": int,
        "changed": int, "removed": int, "blocked": int, "fetch_errors": int, "parse_errors": int, "flag": str,
    }, pk=("run_id", "site"), if_not_exists=True)


def page_errors(db: sqlite_utils.Database, run_id: int | None) -> defaultdict[str, Counter]:
    """site → {"fetch": n, "parse": n}: the pages this run recorded whose fetch failed, and those whose
    parse failed (an exception, a time-out or a memory excess in the extraction worker, or a record the
    store refused: `parse_outcome = 'error'` with the reason in `detail`)."""
    out: defaultdict[str, Counter] = defaultdict(Counter)
    if run_id is None:
        return out
    for site, fetch, parse, n in db.execute(
            "SELECT site, fetch_outcome = 'error', coalesce(parse_outcome = 'error', 0), count(*) FROM pages "
            "WHERE crawl_run_id = ? AND (fetch_outcome = 'error' OR parse_outcome = 'error') GROUP BY 1, 2, 3",
            [run_id]).fetchall():
        if fetch:
            out[site]["fetch"] += n
        if parse:
            out[site]["parse"] += n
    return out


def reports_found(db: sqlite_utils.Database, run_id: int | None) -> Counter:
    """site → the distinct reports this run's pages were stored as (report_key: one per agency and year, a
    quarantined copy apart), a page answered 304 counting as the report its stored copy was."""
    out: Counter = Counter()
    if run_id is None:
        return out
    for site, n in db.execute(
            "SELECT site, count(DISTINCT report_key) FROM ("
            "  SELECT site, report_key FROM pages WHERE crawl_run_id = :run AND report_key IS NOT NULL"
            "  UNION ALL"
            "  SELECT fresh.site, stored.report_key FROM pages fresh JOIN pages stored ON stored.source = fresh.source"
            "  WHERE fresh.crawl_run_id = :run AND fresh.fetch_outcome = 'not_modified'"
            "  AND stored.report_key IS NOT NULL"
            ") GROUP BY site", {"run": run_id}).fetchall():
        out[site] = n
    return out


def flag_of(expected: int | None, found: int, earlier_best: int | None) -> str | None:
    if found == 0 and earlier_best:
        return GONE_TO_ZERO
    if expected and 2 * found < expected:
        return LOST_OVER_HALF
    return None


def record_health(db: sqlite_utils.Database, run_id: int) -> list[dict]:
    """This run's crawl_health rows, from its crawl_run_sites rows and the earlier runs' (in the caller's
    transaction). The expectation is the latest earlier *finished* run's count: a run stopped early
    (a time limit, Ctrl-C) found less, and is no yardstick."""
    rows = []
    for site, found, new, changed, removed, blocked, fetch_errors, parse_errors in db.execute(
            "SELECT site, reports_found, new, changed, removed, blocked, fetch_errors, parse_errors "
            "FROM crawl_run_sites WHERE run_id = ? ORDER BY site", [run_id]).fetchall():
        previous = db.execute(
            "SELECT s.reports_found FROM crawl_run_sites s JOIN crawl_runs r ON r.id = s.run_id "
            "WHERE s.site = ? AND s.run_id < ? AND r.finish_reason = 'finished' ORDER BY s.run_id DESC LIMIT 1",
            [site, run_id]).fetchone()
        earlier_best = db.execute("SELECT max(reports_found) FROM crawl_run_sites WHERE site = ? AND run_id < ?",
                                  [site, run_id]).fetchone()[0]
        expected = previous[0] if previous else None
        found = found or 0
        rows.append({
            "run_id": run_id, "site": site, "reports_expected": expected, "reports_found": found,
            "difference": None if expected is None else found - expected, "new": new, "changed": changed,
            "removed": removed, "blocked": blocked, "fetch_errors": fetch_errors, "parse_errors": parse_errors,
            "flag": flag_of(expected, found, earlier_best),
        })
    if rows:
        db.conn.executemany(f"INSERT OR REPLACE INTO crawl_health ({', '.join(COLUMNS)}) VALUES "
                            f"({', '.join('?' * len(COLUMNS))})", [[r[c] for c in COLUMNS] for r in rows])
    return rows
