"""The store: idempotent ingest, revisions only when the extracted record changes, two sources of one
report, quarantine, reparse from the archive, schema upgrade in place."""

from __future__ import annotations

import sqlite3

import pytest
from conftest import FIXTURES, shared

from pipelines.ingest import ingest_bytes, ingest_paths, reparse
from pipelines.schema import ensure_schema, open_db
from pipelines.search import bigrams, fts_query

TIME_SPAN = '<span class="article_time bf-pass">时间：2025-03-10 15:35</span>'
URL = "https://www.pingtan.gov.cn/zwgk/zfxxgk/zfxxgknb/202503/t20250310_97791.htm"


def page_with_counter(views: int, total: str = "218") -> bytes:
    """The real pingtan 2024 page with the view counter TRS portals print beside the date."""
    html = shared("corpus", "pingtan", "pingtan-2024-report.html").read_text(encoding="utf-8")
    assert html.count(TIME_SPAN) == 1
    html = html.replace(TIME_SPAN, TIME_SPAN + f'<span class="article_views">浏览次数：{views}</span>')
    if total != "218":
        # the 总计 cell of 一、本年新收 (a figure the agency corrected)
        assert html.count(">218<") == 2
        html = html.replace(">218<", f">{total}<", 1)
    return html.encode("utf-8")


@pytest.fixture
def db(tmp_path):
    return open_db(str(tmp_path / "t.db"))


def counts(db) -> dict:
    return {t: db[t].count for t in ("pages", "archive", "reports", "cells", "checks", "spam_findings",
                                     "agencies", "report_sources")}


def test_reingesting_the_same_sources_changes_nothing(db):
    first = ingest_paths(db, [str(shared("seeds"))])
    before = counts(db)
    second = ingest_paths(db, [str(shared("seeds"))])
    assert first == {"new": 5}
    assert second == {"unchanged": 5}
    assert counts(db) == before
    assert before["reports"] == 5 and before["archive"] == 5


def test_view_counter_change_is_a_new_fetch_but_not_a_new_revision(db):
    _, rid1, s1 = ingest_bytes(db, page_with_counter(1024), source=URL, url=URL)
    _, rid2, s2 = ingest_bytes(db, page_with_counter(1025), source=URL, url=URL)
    assert (s1, s2) == ("new", "unchanged") and rid1 == rid2
    assert db["pages"].count == 2 and db["archive"].count == 2  # both fetches archived byte for byte
    assert db["reports"].count == 1


def test_changed_figure_makes_a_revision_and_keeps_the_old_one(db):
    ingest_bytes(db, page_with_counter(1024), source=URL, url=URL)
    _, rid, status = ingest_bytes(db, page_with_counter(1030, total="219"), source=URL, url=URL)
    assert status == "changed"
    revs = list(db.query("SELECT id, revision, is_current FROM reports ORDER BY revision"))
    assert [(r["revision"], r["is_current"]) for r in revs] == [(1, 0), (2, 1)]
    assert revs[1]["id"] == rid
    values = {r["report_id"]: r["new_received__total"] for r in db.query(
        "SELECT report_id, new_received__total FROM applications_wide")}
    assert values == {revs[0]["id"]: 218, rid: 219}
    summary = list(db.query("SELECT report_id, new_requests FROM report_summary"))
    assert summary == [{"report_id": rid, "new_requests": 219}]
    # the corrected figure now breaks the table's own identities, and that is recorded
    failing = {(c["rule"], c["key"]) for c in db.query("SELECT rule, key FROM checks WHERE report_id = ? AND ok = 0", [rid])}
    assert ("row_total", "new_received") in failing and ("balance", "total") in failing


def test_pdf_and_word_copy_of_one_report_are_two_sources_of_one_report(db):
    pdf = shared("corpus", "huaian", "huaian-2024-report.pdf")
    docx = FIXTURES / "office" / "huaian-2024-filled.docx"
    _, rid1, s1 = ingest_bytes(db, pdf.read_bytes(), source=str(pdf), path=str(pdf))
    _, rid2, s2 = ingest_bytes(db, docx.read_bytes(), source=str(docx), path=str(docx))
    assert (s1, s2) == ("new", "linked") and rid1 == rid2
    assert db["reports"].count == 1
    assert {r["page_source"] for r in db.query("SELECT page_source FROM report_sources")} == {str(pdf), str(docx)}


def test_quarantined_mirror_is_stored_but_never_published(db):
    mirror = "https://www.moonvisionstudio.com/zwgk/t20250310_97791.htm"
    page_id, rid, status = ingest_bytes(db, page_with_counter(1), source=mirror, url=mirror)
    assert status == "new"
    assert db["reports"].get(rid)["quarantined"] == 1
    assert db["pages"].get(page_id)["outcome"] == "quarantined"
    assert "mirror_host" in db["pages"].get(page_id)["detail"]
    assert list(db.query("SELECT * FROM report_summary")) == []
    assert [r["kind"] for r in db.query("SELECT kind FROM spam_findings")] == ["mirror_host"]


def test_unreadable_page_is_a_row_that_says_why(db):
    page_id, rid, status = ingest_bytes(db, b"<html><body>\xe8\xae\xbf\xe9\x97\xae\xe5\xbc\x82\xe5\xb8\xb8</body></html>",
                                        source="https://www.example.gov.cn/x.html", url="https://www.example.gov.cn/x.html")
    assert (rid, status) == (None, "not_a_report")
    row = db["pages"].get(page_id)
    assert row["outcome"] == "not_a_report" and "annual report" in row["detail"]


def test_spam_findings_read_as_unconfirmed(db):
    ingest_paths(db, [str(shared("seeds", "002_a13882358a356a89.txt"))])
    rows = list(db.query("SELECT kind, text, action, status, report_id FROM spam_findings_status"))
    assert [(r["kind"], r["text"], r["action"], r["status"]) for r in rows] == [
        ("keyword_substitution", "365体育投注", "restored", "未核实 unconfirmed")] * 2
    assert all(r["report_id"] for r in rows)
    # kept on the finding for the review list (schema 0011): its report's agency, id and year
    assert db.execute("SELECT DISTINCT s.agency, s.agency_id, s.year FROM spam_findings s").fetchall() == \
        db.execute("SELECT DISTINCT r.agency, r.agency_id, r.year FROM spam_findings s JOIN reports r ON r.id = s.report_id").fetchall() \
        == [("新巴尔虎左旗", "新巴尔虎左旗", 2020)]


def test_a_findings_agency_and_year_follow_its_report_through_a_reparse(db):
    """The quarantined mirror's finding is about the report the mirror copies; a reparse writes whom it is
    about again (here over a value edited by hand), as it writes the report."""
    mirror = "https://www.moonvisionstudio.com/zwgk/t20250310_97791.htm"
    ingest_bytes(db, page_with_counter(1), source=mirror, url=mirror, site="www.moonvisionstudio.com")
    about = [("平潭综合实验区", "平潭综合实验区", 2024)]
    assert db.execute("SELECT agency, agency_id, year FROM spam_findings").fetchall() == about
    assert db.execute("SELECT s.site, p.site FROM spam_findings s JOIN pages p ON p.id = s.page_id").fetchall() == [
        ("www.moonvisionstudio.com",) * 2]
    db.execute("UPDATE spam_findings SET agency = 'stale', agency_id = NULL, year = 1999")
    db.conn.commit()
    assert reparse(db) == {"unchanged": 1}
    assert db.execute("SELECT agency, agency_id, year FROM spam_findings").fetchall() == about


def test_reparse_rebuilds_from_the_archive_without_changes(db):
    ingest_paths(db, [str(shared("seeds")), str(shared("corpus", "pingtan"))])
    before = counts(db)
    result = reparse(db)
    report_pages = db["pages"].count_where("report_id IS NOT NULL")  # 14 reports, two with a second source
    assert (before["reports"], report_pages) == (14, 16)
    assert set(result) <= {"unchanged", "not_a_report"} and result["unchanged"] == report_pages
    assert counts(db) == before


def test_schema_upgrade_in_place(tmp_path):
    path = str(tmp_path / "old.db")
    db = open_db(path)
    ingest_paths(db, [str(shared("seeds", "000_bf21e4edf43461de.txt"))])
    # an older database: report_summary was a view (not yet materialised), a view and an index missing
    db.execute("DROP TABLE report_summary")
    db.execute("CREATE VIEW report_summary AS SELECT * FROM report_summary_live")
    db.execute("DROP VIEW carry_over_mismatches")
    db.execute("DROP INDEX IF EXISTS idx_cells_table_name_key_value")
    db.conn.commit()
    db.conn.close()
    db = open_db(path)
    assert "report_summary" in db.table_names() and "carry_over_mismatches" in db.view_names()
    assert list(db.query("SELECT agency, new_requests FROM report_summary")) == [
        {"agency": "阿拉善盟行政公署", "new_requests": 9}]
    ensure_schema(db)  # and again: idempotent
    assert db["reports"].count == 1


def test_two_character_words_are_found_by_the_bigram_index(db):
    ingest_paths(db, [str(shared("seeds"))])
    for word in ("复议", "诉讼", "公开"):
        hits = list(db.query("SELECT count(*) n FROM reports_fts WHERE reports_fts MATCH ?", [fts_query(word)]))
        assert hits[0]["n"] >= 4, word
    assert bigrams("行政復議") == "行政 政复 复议"  # simplified before indexing
    # a longer word is a phrase of its bigrams: 阿拉山口 only in seed 004
    rows = list(db.query("SELECT r.agency FROM reports r JOIN reports_fts f ON f.rowid = r.rowid "
                         "WHERE reports_fts MATCH ?", [fts_query("阿拉山口")]))
    assert [r["agency"] for r in rows] == ["阿拉山口市"]


def test_database_is_plain_sqlite(tmp_path):
    path = tmp_path / "p.db"
    db = open_db(str(path))
    ingest_paths(db, [str(shared("seeds", "001_5ead8cc1c8ee6d6d.txt"))])
    db.conn.close()
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT value FROM cells WHERE key = 'fees.amount_wan_yuan'").fetchone() == (106.99516,)
    assert conn.execute("SELECT typeof(value) FROM cells WHERE key = 'licensing.decisions'").fetchone() == ("integer",)


def test_record_hash_is_stable_across_versions():
    """Stored hashes decide unchanged vs changed on the next crawl: the function must give what it gave when
    those reports were stored (value computed by the version that removed whitespace with re.sub(r"\\s+", "")."""
    from pipelines.writers import record_hash

    record = {"agency": "某市人民政府办公室", "year": 2023, "format": "2021", "title": "2023年 政府信息公开\u3000年报",
              "active": {"rules.made": 3}, "applications": {"new.total": 12}, "review_litigation": {},
              "prose": {}, "unparsed": [],
              "text": "一、总体情况\u3000\u3000本年度\xa0共\t收到\r\n申请\u2003\x1c12件\u200b。\n\n"}
    assert record_hash(record) == "776744f9550dcb91746d"


def test_a_printed_name_finds_its_registry_agency_as_trying_every_registered_name_would(tmp_path):
    """The in-memory matcher (built for registries of 100,000+ agencies) gives what the plain rule gives: an
    alias; else the first registered id, longest first, inside the printed name or (4+ characters) holding it.
    Checked on the demo's generated registry and on printed variants of its names: a city or county prefix
    added, the 人民政府 cut, a word in the middle, names no registry holds."""
    import numpy as np

    from demo.generator import make_agencies
    from pipelines.writers import _match_agency, agency_id, load_registry

    rng = np.random.default_rng(7)
    agencies = make_agencies(rng, 600, agency_id)
    db = open_db(str(tmp_path / "m.db"))
    sites = [{"agency": a["agency"], "level": a["level"], "region_code": a["region_code"], "province": a["province"],
              "portal_url": a["portal_url"], "aliases": "平潭综合实验区管委会" if n == 0 else ""}
             for n, a in enumerate(agencies)]
    with db.conn:
        load_registry(db, sites)
    registered = [r[0] for r in db.execute("SELECT id FROM agencies WHERE in_registry = 1 ORDER BY length(id) DESC")]

    def plain_rule(aid):
        for row_id, aliases in db.execute("SELECT id, aliases FROM agencies WHERE aliases IS NOT NULL").fetchall():
            if aid in {agency_id(a) for a in aliases.split(";") if a.strip()}:
                return row_id
        return next((r for r in registered if r in aid or (len(aid) >= 4 and aid in r)), aid)

    printed = ["平潭综合实验区管委会", "某某市不存在局", "人民政府", "政府", "教育局"]
    for a in agencies[:300]:
        name = a["agency"]
        printed += [(a["parent_place"] or "") + name, name.replace("人民政府", ""), name[:4], name[1:],
                    name[:2] + "区" + name[2:], "中共" + name + "办公室"]
    matched = {name: _match_agency(db, name) for name in printed}
    assert matched == {name: plain_rule(agency_id(name)) for name in printed}
    assert matched["平潭综合实验区管委会"] == agency_id(agencies[0]["agency"])
    assert sum(m in registered and agency_id(p) not in registered for p, m in matched.items()) > 300


def test_cells_are_stored_by_number_and_a_new_key_goes_with_its_transaction(db):
    """`cells` is a view of `cell_values` (report rowid, key number) and `cell_keys` (pipelines/schema.py
    0014). A key first seen on a page is numbered in that page's transaction: a rolled-back page takes its
    key with it, and the next page to use the key numbers it again, so no cell points at a missing key."""
    from pipelines.writers import CELL_ROWS, RowBuffer

    ingest_paths(db, [str(shared("seeds", "000_bf21e4edf43461de.txt"))])
    conn = db.conn
    (rid, n), = conn.execute("SELECT id, rowid FROM reports")
    stored = conn.execute("SELECT count(*) FROM cells WHERE report_id = ?", [rid]).fetchone()[0]
    assert stored > 100 and conn.execute("SELECT count(*) FROM cell_values WHERE report_n = ?", [n]).fetchone() == (stored,)
    assert conn.execute("SELECT value, raw FROM cells WHERE report_id = ? AND table_name = 'applications' "
                        "AND key = 'new_received.total'", [rid]).fetchone() == (9, "9")

    def store_odd_cell(value):
        rows = RowBuffer()
        rows.add_all(CELL_ROWS, [(n, "prose", "odd_figure", value, str(value), 0, "text", None, None, 0)])
        rows.flush(conn)

    conn.execute("SAVEPOINT page")
    store_odd_cell(7)
    assert conn.execute("SELECT value FROM cells WHERE key = 'odd_figure'").fetchall() == [(7,)]
    conn.execute("ROLLBACK TO page")
    conn.execute("RELEASE page")
    assert conn.execute("SELECT count(*) FROM cell_keys WHERE key = 'odd_figure'").fetchone() == (0,)
    with conn:
        store_odd_cell(8)
    assert conn.execute("SELECT report_id, table_name, value, raw, source FROM cells WHERE key = 'odd_figure'"
                        ).fetchall() == [(rid, "prose", 8, "8", "text")]
    assert conn.execute("SELECT count(*) FROM cell_values v LEFT JOIN cell_keys k ON k.n = v.key_n "
                        "WHERE k.n IS NULL").fetchone() == (0,)


def test_checks_are_stored_by_number_and_a_new_check_key_goes_with_its_transaction(db):
    """`checks` is a view of `check_values` (report rowid, check number) and `check_keys` (pipelines/schema.py
    0015). No (rule, key) is numbered before a check has it: it is numbered in that check's transaction."""
    from pipelines.writers import CHECK_ROWS, RowBuffer

    ingest_paths(db, [str(shared("seeds", "000_bf21e4edf43461de.txt"))])
    conn = db.conn
    (rid, n), = conn.execute("SELECT id, rowid FROM reports")
    stored = conn.execute("SELECT count(*) FROM checks WHERE report_id = ?", [rid]).fetchone()[0]
    assert stored > 20 and conn.execute("SELECT count(*) FROM check_values WHERE report_n = ?", [n]).fetchone() == (stored,)
    assert conn.execute("SELECT ok, detail FROM checks WHERE report_id = ? AND rule = 'balance' AND key = 'total'",
                        [rid]).fetchone() == (1, "9 + 0 = 9 + 0")

    def store_odd_check(ok):
        rows = RowBuffer()
        rows.add_all(CHECK_ROWS, [(n, "odd_rule", "odd_key", ok, "1 ≠ 2")])
        rows.flush(conn)

    conn.execute("SAVEPOINT page")
    store_odd_check(0)
    conn.execute("ROLLBACK TO page")
    conn.execute("RELEASE page")
    assert conn.execute("SELECT count(*) FROM check_keys WHERE rule = 'odd_rule'").fetchone() == (0,)
    with conn:
        store_odd_check(1)
    assert conn.execute("SELECT report_id, key, ok, detail FROM checks WHERE rule = 'odd_rule'").fetchall() == [
        (rid, "odd_key", 1, "1 ≠ 2")]
    assert conn.execute("SELECT count(*) FROM check_values v LEFT JOIN check_keys k ON k.n = v.check_n "
                        "WHERE k.n IS NULL").fetchone() == (0,)
