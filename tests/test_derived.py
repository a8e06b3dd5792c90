"""Materialised answers stay equal to a rebuild from scratch: after a bulk ingest, after an incremental change
(a corrected figure, a new year, a report removed from its listing), inside and outside a write session.
Also: the text stored once, the search index contentless, the figures-only export."""

from __future__ import annotations

import shutil
import sqlite3

import pytest
from conftest import shared

from pipelines.derived import TABLES, rebuild
from pipelines.export import export_figures
from pipelines.ingest import ingest_bytes, ingest_paths
from pipelines.schema import open_db
from pipelines.search import fts_query
from pipelines.writers import bulk_writes, mark_removed

DERIVED = ["report_summary", *TABLES]


def snapshot(path) -> dict:
    con = sqlite3.connect(path)
    try:
        return {t: sorted(map(repr, con.execute(f"SELECT * FROM {t}").fetchall())) for t in DERIVED}
    finally:
        con.close()


def rebuilt(path, tmp_path) -> dict:
    copy = tmp_path / "rebuilt.db"
    shutil.copy(path, copy)
    db = open_db(str(copy))
    with db.conn:
        rebuild(db)
    db.conn.close()
    return snapshot(copy)


@pytest.fixture
def corpus(tmp_path):
    path = tmp_path / "c.db"
    db = open_db(str(path))
    ingest_paths(db, [str(shared("seeds")), str(shared("corpus"))])
    db.conn.close()
    return path


def test_bulk_ingest_fills_every_derived_table(corpus, tmp_path):
    snap = snapshot(corpus)
    assert all(snap[t] for t in ("report_summary", "failing_checks_current", "year_pairs", "outcome_mix"))
    assert snap == rebuilt(corpus, tmp_path)
    con = sqlite3.connect(corpus)
    # every two consecutive pingtan years held are one pair
    pairs = con.execute("SELECT previous_year, year FROM year_pairs WHERE agency_id = '平潭综合实验区' "
                        "ORDER BY year").fetchall()
    years = [y for (y,) in con.execute("SELECT year FROM report_summary WHERE agency_id = '平潭综合实验区' ORDER BY year")]
    assert len(years) >= 5 and pairs == [(y - 1, y) for y in years if y - 1 in years]
    assert con.execute("SELECT count(*) FROM derived_pending").fetchone()[0] == 0
    # failing checks materialised = failing checks of published reports
    assert con.execute("SELECT count(*) FROM failing_checks_current").fetchone()[0] == con.execute(
        "SELECT count(*) FROM checks c JOIN reports r ON r.id = c.report_id WHERE c.ok = 0 AND r.is_current = 1 "
        "AND r.quarantined = 0 AND r.removed_at IS NULL").fetchone()[0]
    con.close()


def page(total: str) -> bytes:
    html = shared("corpus", "pingtan", "pingtan-2024-report.html").read_text(encoding="utf-8")
    return html.replace(">218<", f">{total}<", 1).encode("utf-8")


def corrected(db):
    """The pingtan 2024 page re-published with one figure corrected, from the same source."""
    path = shared("corpus", "pingtan", "pingtan-2024-report.html")
    return ingest_bytes(db, page("219"), source=str(path.resolve()), path=str(path))


@pytest.mark.parametrize("session", [False, True], ids=["at-once", "end-of-session"])
def test_incremental_changes_equal_a_rebuild(corpus, tmp_path, session):
    db = open_db(str(corpus))
    if session:
        with bulk_writes(db):
            with db.conn:
                _, _, status = corrected(db)
            assert db.execute("SELECT count(*) FROM derived_pending").fetchone()[0] == 1  # not yet synced
    else:
        with db.conn:
            _, _, status = corrected(db)
    assert status == "changed"
    key = db.execute("SELECT report_key FROM reports WHERE agency = '平潭综合实验区' AND year = 2023").fetchone()[0]
    with db.conn:
        assert mark_removed(db, [key]) == 1
    db.conn.close()
    snap = snapshot(corpus)
    assert snap == rebuilt(corpus, tmp_path)
    con = sqlite3.connect(corpus)
    # 2023 removed: no pair touches it, and it is a gap in pingtan's series now
    assert con.execute("SELECT count(*) FROM year_pairs WHERE agency_id = '平潭综合实验区' AND 2023 IN "
                       "(year, previous_year)").fetchone()[0] == 0
    assert con.execute("SELECT gap FROM missing_years WHERE agency_id = '平潭综合实验区' AND missing_year = 2023"
                       ).fetchone()[0].startswith("序列中间缺失")
    con.close()


def test_carry_over_mismatches_are_the_mismatching_year_pairs(corpus):
    """The view reads year_pairs (at a million reports its own join took past Datasette's time limit): a pair
    whose carried-over figure differs from the year before's carried-forward one is listed with both figures."""
    db = open_db(str(corpus))
    assert list(db.query("SELECT * FROM carry_over_mismatches")) == []  # pingtan's years all agree (7 pairs)
    rid, prev = db.execute("SELECT cur.report_id, prev.report_id FROM report_summary cur JOIN report_summary prev "
                           "ON prev.agency_id = cur.agency_id AND prev.year = 2024 WHERE cur.agency_id = "
                           "'平潭综合实验区' AND cur.year = 2025").fetchone()
    with db.conn:  # as if the 2025 report had printed 上年结转 5 (2024 carried 0 forward)
        db.execute("UPDATE applications_wide SET carried_over__total = 5 WHERE report_id = ?", [rid])
        rebuild(db)
    assert list(db.query("SELECT * FROM carry_over_mismatches")) == [{
        "agency": "平潭综合实验区", "year": 2025, "previous_year": 2024, "carried_over": 5,
        "previous_carried_forward": 0, "difference": 5, "report_id": rid, "previous_report_id": prev}]
    # counted from year_pairs' (mismatch, agency, year) index alone, no join of the reports
    plan = [r[3] for r in db.execute("EXPLAIN QUERY PLAN SELECT count(*) FROM carry_over_mismatches")]
    assert plan == ["SEARCH year_pairs USING COVERING INDEX idx_year_pairs_mismatch_agency_year (mismatch=?)"]
    db.conn.close()


def test_text_stored_once_and_the_index_holds_no_copy(corpus):
    con = sqlite3.connect(corpus)
    assert con.execute("SELECT count(*) FROM reports WHERE text_simplified = text").fetchone()[0] == 0
    # a report printed in traditional characters keeps its simplified copy; the others keep none
    assert con.execute("SELECT count(*) FROM reports WHERE text_simplified IS NULL").fetchone()[0] > 0
    sql = con.execute("SELECT sql FROM sqlite_master WHERE name = 'reports_fts'").fetchone()[0]
    assert "content=''" in sql
    assert con.execute("SELECT count(*) FROM sqlite_master WHERE name = 'reports_fts_content'").fetchone()[0] == 0
    hits = con.execute("SELECT count(*) FROM reports_fts WHERE reports_fts MATCH ?", [fts_query("行政复议")]).fetchone()[0]
    assert hits >= 10
    con.close()


def test_old_text_layout_is_upgraded_in_place(corpus):
    con = sqlite3.connect(corpus)
    con.execute("UPDATE reports SET text_simplified = text WHERE text_simplified IS NULL")
    con.execute("DROP TABLE reports_fts")  # the index as it was: bigram text stored beside the index
    con.execute("CREATE VIRTUAL TABLE reports_fts USING fts5(title, search_text, tokenize='unicode61')")
    con.execute("DELETE FROM _sqlite_migrations WHERE name = '0006_text_once'")  # as before that migration
    con.commit()
    con.close()
    open_db(str(corpus)).conn.close()
    con = sqlite3.connect(corpus)
    assert con.execute("SELECT count(*) FROM reports WHERE text_simplified = text").fetchone()[0] == 0
    assert "content=''" in con.execute("SELECT sql FROM sqlite_master WHERE name = 'reports_fts'").fetchone()[0]
    assert con.execute("SELECT count(*) FROM reports_fts WHERE reports_fts MATCH ?",
                       [fts_query("阿拉山口")]).fetchone()[0] >= 1
    con.close()


def test_figures_export_has_the_figures_and_no_text(corpus, tmp_path):
    out = tmp_path / "figures.db"
    counts = export_figures(str(corpus), str(out))
    con = sqlite3.connect(out)
    src = sqlite3.connect(corpus)
    published = src.execute("SELECT count(*) FROM report_summary").fetchone()[0]
    assert counts["reports"] == counts["report_summary"] == published
    tables = {n for (n,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"reports", "report_summary", "checks", "agencies", "applications_wide", "active_wide", "review_wide",
            "prose_wide"} <= tables and "cells" not in tables and "archive" not in tables
    cols = {r[1] for r in con.execute("PRAGMA table_info(reports)")}
    assert not cols & {"text", "text_simplified", "record_json"}
    # the figures are the database's own, e.g. pingtan 2024 new requests
    q = ("SELECT w.new_received__total FROM applications_wide w JOIN reports r ON r.id = w.report_id "
         "WHERE r.agency = '平潭综合实验区' AND r.year = 2024")
    assert con.execute(q).fetchone() == src.execute(q + " AND r.is_current = 1").fetchone()
    assert con.execute("SELECT count(*) FROM checks").fetchone()[0] == src.execute(
        "SELECT count(*) FROM failing_checks_current").fetchone()[0]
    assert out.stat().st_size < corpus.stat().st_size / 3
    con.close()
    src.close()


def test_cli_export_figures(corpus, tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    out = tmp_path / "f.db"
    proc = subprocess.run([str(Path(sys.executable).with_name("nianbao")), "export", "--db", str(corpus),
                           "--figures", str(out)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("figures export: ") and str(out) in proc.stdout
    con = sqlite3.connect(out)
    assert con.execute("SELECT count(*) FROM reports").fetchone()[0] > 10
    con.close()


def test_cli_export_database_is_a_compact_copy_with_its_counts(corpus, tmp_path):
    import json
    import subprocess
    import sys
    from pathlib import Path

    from pipelines.publish import inspect_path

    out = tmp_path / "published.db"
    proc = subprocess.run([str(Path(sys.executable).with_name("nianbao")), "export", "--db", str(corpus),
                           "--database", str(out)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    src, copy = sqlite3.connect(corpus), sqlite3.connect(out)
    published = src.execute("SELECT count(*) FROM reports WHERE is_current = 1 AND quarantined = 0 "
                            "AND removed_at IS NULL").fetchone()[0]
    assert proc.stdout.startswith(f"database export: {published} published reports, ")
    for table in ("reports", "cells", "checks", "pages", "report_summary", "reports_fts"):
        assert copy.execute(f"SELECT count(*) FROM [{table}]").fetchone()[0] == \
            src.execute(f"SELECT count(*) FROM [{table}]").fetchone()[0], table
    assert copy.execute("PRAGMA freelist_count").fetchone()[0] == 0
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    counts = json.loads(inspect_path(str(out)).read_text())  # nianbao serve answers at once on the copy
    assert counts[out.stem]["tables"]["reports"]["count"] == src.execute("SELECT count(*) FROM reports").fetchone()[0]
    src.close()
    copy.close()
    proc = subprocess.run([str(Path(sys.executable).with_name("nianbao")), "export", "--db", str(corpus)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "--figures OUT.db, --database OUT.db" in proc.stderr
    before = corpus.read_bytes()
    proc = subprocess.run([str(Path(sys.executable).with_name("nianbao")), "export", "--db", str(corpus),
                           "--database", str(corpus)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "is the database being exported" in proc.stderr
    assert corpus.read_bytes() == before


def test_the_end_of_a_write_session_says_what_it_spends(tmp_path, caplog):
    db = open_db(str(tmp_path / "s.db"))
    caplog.set_level("INFO", logger="pipelines.writers")
    with bulk_writes(db, load=True):
        ingest_bytes(db, shared("seeds", "001_5ead8cc1c8ee6d6d.txt").read_bytes(), source="001.txt")
    phases = db._nianbao_session_phases
    assert list(phases.seconds) == ["archive closed", "deferred indexes built", "derived tables synced",
                                    "statistics gathered", "WAL checkpointed", "journal back to DELETE",
                                    "inspect file written"]
    # the planner's statistics are in the file a crawl or an ingest leaves, for every table with an index
    stats = {r[0] for r in db.execute("SELECT tbl FROM sqlite_stat1")}
    assert {"reports", "cell_values", "check_values", "pages", "report_summary"} <= stats
    assert {"report_summary", "year_pairs", "missing_years"} <= set(phases.detail)  # a load rebuilds them
    assert any(r.getMessage().startswith("end of write session: archive closed") for r in caplog.records)


def test_year_pairs_finds_the_previous_year_by_agency_without_statistics(corpus):
    """A new database has no sqlite_stat1: the previous year's report must still be looked up by (agency_id,
    year), not among every published report of that year (quadratic: 479 s at 50,000 reports)."""
    from pipelines.derived import PAIRS_SQL

    con = sqlite3.connect(corpus)
    con.execute("DROP TABLE IF EXISTS sqlite_stat1")
    con.commit()
    con.close()
    con = sqlite3.connect(corpus)
    plan = [r[3] for r in con.execute("EXPLAIN QUERY PLAN INSERT INTO year_pairs " + PAIRS_SQL)]
    assert any(p.startswith("SEARCH prev USING INDEX idx_reports_agency_id_year") for p in plan), plan
