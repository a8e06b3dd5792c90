"""Schema as sqlite-utils Migrations: a database made by an earlier version upgrades in place.

tests/fixtures/db/main-f5ad5e0.db was built by `ingest_paths` at commit f5ad5e0 (before migrations and
before pages had two outcome columns) from seeds 000 and 004 and the first 20,000 bytes of the real
hongze 2023 PDF (a truncated download: pdfminer's "Unexpected EOF")."""

from __future__ import annotations

import json
import shutil
import sqlite3

from conftest import FIXTURES, shared

from pipelines.ingest import ingest_paths, reparse
from pipelines.schema import KEYED_TABLES, MIGRATIONS, RECORD_JSON_COLUMNS, ensure_schema, open_db

OLD = FIXTURES / "db" / "main-f5ad5e0.db"


def test_a_database_made_by_main_f5ad5e0_upgrades_in_place(tmp_path):
    path = tmp_path / "old.db"
    shutil.copy(OLD, path)
    db = open_db(str(path))
    assert [m.name for m in MIGRATIONS.applied(db)][:3] == ["0001_tables", "0002_fetch_and_parse_outcomes",
                                                           "0003_cell_reading"]
    assert not MIGRATIONS.pending(db)
    assert {"source", "confidence", "resolved_by", "computed"} <= set(db["cells"].columns_dict)
    # 0008: failed fetches and failed parses counted apart, and the crawl health table
    assert "0008_crawl_health" in [m.name for m in MIGRATIONS.applied(db)]
    for table in ("crawl_runs", "crawl_run_sites"):
        assert {"errors", "fetch_errors", "parse_errors"} <= set(db[table].columns_dict)
    assert db["crawl_health"].pks == ["run_id", "site"] and db["crawl_health"].count == 0
    rows = {p.rsplit("/", 1)[1]: (o, f, q, d) for p, o, f, q, d in db.execute(
        "SELECT path, outcome, fetch_outcome, parse_outcome, detail FROM pages")}
    # the old `error` of a truncated PDF was a parse failure: its bytes were fetched (read) whole
    assert rows == {
        "000_bf21e4edf43461de.txt": ("ok", "ok", "ok", ""),
        "004_087a8e6c0d9ad53e.txt": ("ok", "ok", "ok", ""),
        "hongze-2023-report-truncated.pdf": ("error", "ok", "error", "cannot read pdf: PdfminerException: Unexpected EOF"),
    }
    # 0009: record_json without what the row's columns and the page hold, and without empty values
    for (rest,) in db.execute("SELECT record_json FROM reports"):
        rest = json.loads(rest)
        assert not set(rest) & set(RECORD_JSON_COLUMNS) and "text" not in rest
        assert all(v not in ("", None, [], {}) for v in rest.values())
        assert rest["source"]["kind"] and not {"url", "sha256"} & set(rest["source"])
    # 0010: the distributed run a crawl_runs row was loaded for
    assert "redis_run" in db["crawl_runs"].columns_dict
    # 0011: whom a spam finding is about, kept on the finding
    assert {"agency", "agency_id", "year", "site"} <= set(db["spam_findings"].columns_dict)
    # 0013: the tables keyed by text keep their key once (WITHOUT ROWID), every row and index kept
    for table in KEYED_TABLES:
        assert "WITHOUT ROWID" in db[table].schema.upper(), table
    old = sqlite3.connect(OLD)
    for table, cols in (("archive", "sha256, size"), ("report_sources", "report_key, page_source, report_id"),
                        ("agencies", "id, name, province"),
                        ("applications_wide", ", ".join(f"[{c[1]}]" for c in old.execute("PRAGMA table_info(applications_wide)")))):
        sql = f"SELECT {cols} FROM [{table}]"
        assert sorted(db.execute(sql)) == sorted(old.execute(sql)), table
    # 0014: the cells by number (cell_values, cell_keys), `cells` a view that reads every old row back
    cells_sql = "SELECT report_id, table_name, key, value, raw, unparsed FROM cells ORDER BY 1, 2, 3"
    old_cells = old.execute(cells_sql).fetchall()
    assert len(old_cells) == 205 and db.execute(cells_sql).fetchall() == old_cells
    assert db.execute("SELECT type FROM sqlite_master WHERE name = 'cells'").fetchone() == ("view",)
    assert db.execute("SELECT count(*) FROM cell_values").fetchone() == (205,)
    assert "WITHOUT ROWID" in db["cell_values"].schema.upper()
    assert db.execute("SELECT DISTINCT source, confidence, resolved_by, computed FROM cells").fetchall() == [
        (None, None, None, None)]  # made before 0003: how a cell was read is not known
    # 0015: the checks by number too (check_values, check_keys), `checks` a view that reads every old row back
    checks_sql = "SELECT report_id, rule, key, ok, detail FROM checks ORDER BY 1, 2, 3"
    old_checks = old.execute(checks_sql).fetchall()
    assert len(old_checks) == 43 and db.execute(checks_sql).fetchall() == old_checks
    assert db.execute("SELECT type FROM sqlite_master WHERE name = 'checks'").fetchone() == ("view",)
    assert db.execute("SELECT count(*) FROM check_values").fetchone() == (43,)
    assert "WITHOUT ROWID" in db["check_values"].schema.upper()
    assert db.execute("SELECT count(*) FROM failing_checks_current").fetchone() == old.execute(
        "SELECT count(*) FROM checks WHERE ok = 0").fetchone()
    old.close()
    assert {"idx_agencies_name", "idx_applications_wide_new_received__total"} <= set(
        r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'"))
    # the data is all there, and the summary answers
    assert sorted(db.execute("SELECT agency, year, new_requests FROM report_summary").fetchall()) == [
        ("阿拉善盟行政公署", 2019, 9), ("阿拉山口市", 2018, None)]
    # and it takes new data through today's code
    counts = ingest_paths(db, [str(shared("seeds", "001_5ead8cc1c8ee6d6d.txt"))])
    assert counts == {"new": 1} and db["reports"].count == 3
    # opening again changes nothing: no DDL runs on an up-to-date database
    assert ensure_schema(db) is False


def test_reparse_visits_the_page_whose_extraction_failed(tmp_path):
    """The old reparse skipped every page with outcome `error` — exactly the pages an extractor fix is for
    (on this database it returned nothing for the truncated PDF)."""
    path = tmp_path / "old.db"
    shutil.copy(OLD, path)
    db = open_db(str(path))
    result = reparse(db)
    assert sum(result.values()) == 3  # the two reports and the truncated PDF
    (outcome, detail), = db.execute("SELECT parse_outcome, detail FROM pages WHERE path LIKE '%truncated.pdf'")
    assert (outcome, detail) == ("error", "cannot read pdf: PdfminerException: Unexpected EOF")  # still unreadable


def test_a_new_database_gets_every_migration(tmp_path):
    db = open_db(str(tmp_path / "new.db"))
    assert not MIGRATIONS.pending(db)
    assert {"fetch_outcome", "parse_outcome", "outcome"} <= set(db["pages"].columns_dict)
    assert all("WITHOUT ROWID" in db[t].schema.upper() for t in KEYED_TABLES)


def test_an_index_change_adds_indexes_without_rebuilding_the_summary(tmp_path, monkeypatch):
    """At a million reports report_summary takes minutes to rebuild; its rows are kept in sync by
    pipelines/derived.py, so a release that only adds an index adds the index. A change of what the rows are
    made of (a view) rebuilds them."""
    from pipelines import schema

    path = tmp_path / "old.db"
    shutil.copy(OLD, path)
    db = open_db(str(path))
    # a mark no rebuild would keep: the summary's rows are made again from the live view
    db.execute("UPDATE report_summary SET title = 'kept' WHERE year = 2019")
    db.conn.commit()
    monkeypatch.setitem(schema.SUMMARY_SQL_INDEXES, "idx_report_summary_test_new", "(title, year)")
    assert ensure_schema(db) is True
    names = {n for (n,) in db.execute("SELECT name FROM sqlite_master WHERE tbl_name = 'report_summary'")}
    assert {"idx_report_summary_test_new", "idx_report_summary_refusal_rate", "idx_report_summary_year_refused"} <= names
    assert db.execute("SELECT title FROM report_summary WHERE year = 2019").fetchone() == ("kept",)
    # the new index has planner statistics at once (not only after the next write session)
    assert db.execute("SELECT count(*) FROM sqlite_stat1 WHERE idx = 'idx_report_summary_test_new'").fetchone() == (1,)

    monkeypatch.setitem(schema.VIEWS, "test_view", "SELECT 1 AS one")
    assert ensure_schema(db) is True
    assert db.execute("SELECT title FROM report_summary WHERE year = 2019").fetchone() != ("kept",)
    assert db.execute("SELECT count(*) FROM report_summary").fetchone() == (2,)
    # made again, the summary's statistics are gathered again (DROP TABLE took them)
    assert db.execute("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'report_summary'").fetchone()[0] >= 15


def test_an_upgrade_that_would_drop_a_check_of_no_report_stops_and_keeps_the_checks(tmp_path):
    """0015 copies the checks report by report: a check whose report row is missing would not be copied, so
    the migration raises before dropping anything, and the old table stays as it was."""
    path = tmp_path / "old.db"
    shutil.copy(OLD, path)
    con = sqlite3.connect(path)
    with con:
        con.execute("INSERT INTO checks VALUES ('no-such-report-r1', 'balance', 'total', 0, '1 + 0 ≠ 2 + 0')")
    con.close()
    try:
        open_db(str(path))
    except RuntimeError as e:
        assert str(e) == "0015_checks_by_number: 1 of 44 checks belong to no report row"
    else:
        raise AssertionError("the upgrade went on")
    con = sqlite3.connect(path)
    assert con.execute("SELECT type FROM sqlite_master WHERE name = 'checks'").fetchone() == ("table",)
    assert con.execute("SELECT count(*) FROM checks").fetchone() == (44,)
    assert "0015_checks_by_number" not in {n for (n,) in con.execute("SELECT name FROM _sqlite_migrations")}
