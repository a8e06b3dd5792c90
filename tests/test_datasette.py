"""Publishing: a real `nianbao serve` over a database built from the real seeds and corpus, asserted through
Datasette's JSON API — every canned query with the rows a journalist should get, table search, facets, CSV
export, the database download, the archived page as inert text, the dashboards — plus the metadata rules
(units, the two kinds of fee, unconfirmed spam never worded as fact).

Data: ../shared/seeds and ../shared/corpus (see ../shared/corpus/SOURCES.md); the database is served under a
name other than "nianbao", as `nianbao demo` (data/demo.db) does, so the metadata's re-keying is exercised.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import sqlite3

import pytest
from e2e.served import SHARED, Server, build_db, canned_queries, metadata

from pipelines.warc_archive import page_bytes

SPAM_SEED = "002_a13882358a356a89.txt"  # 新巴尔虎左旗 2020: 365体育投注 substituted into the text, failing row totals
PARAMS = {  # parameters a journalist would type; every canned query must answer these with real rows
    "report_index": {},
    "requests_by_agency": {"year": "2024"},
    "refusal_rate_ranking": {},
    "failing_checks": {},
    "carry_over_between_years": {"agency": "平潭"},
    "spam_findings_review": {},
    "missing_reports": {},
    "search_reports": {"q": "复议"},
    "agency_year_over_year": {"agency": "平潭综合实验区"},
    "outcome_mix_by_year": {},
    "fees_vs_processing_fees": {},
    "archived_page": {"report_id": "?"},  # filled in with a real id by the test
    "clone_sites": {"host": ""},
}
# answered from crawl runs, which the corpus database has none of: asked of three real crawls of the demo
# portal in tests/test_crawl_health.py
CRAWL_QUERIES = {"sites_with_fewer_reports"}
# a clone serving pingtan's real 2024 report at the path of pingtan's 年报 column (a faithful reproduction)
CLONE_URL = "http://www.moonvisionstudio.com/zwgk/zfxxgk/zfxxgknb/202503/t20250320_105587.htm"


@pytest.fixture(scope="session")
def corpus_db(tmp_path_factory):
    path = build_db(tmp_path_factory.mktemp("datasette") / "corpus.db", SHARED / "seeds", SHARED / "corpus")
    from crawler.registry import registry_hosts
    from pipelines.ingest import ingest_bytes
    from pipelines.schema import open_db

    db = open_db(str(path))
    with db.conn:
        ingest_bytes(db, (SHARED / "corpus" / "pingtan" / "pingtan-2024-report.html").read_bytes(), source=CLONE_URL,
                     url=CLONE_URL, fetched_at="2026-02-01T00:00:00+00:00", registry_hosts=registry_hosts())
    db.conn.close()
    return path


@pytest.fixture(scope="module")
def server(corpus_db, tmp_path_factory):
    s = Server(corpus_db, tmp_path_factory.mktemp("serve-log"))
    yield s
    s.stop()


def by(rows, **match):
    return [r for r in rows if all(r.get(k) == v for k, v in match.items())]


def one(rows, **match):
    found = by(rows, **match)
    assert len(found) == 1, f"expected one row with {match}, got {len(found)}: {found[:3]}"
    return found[0]


def report_id(db_path, agency, year):
    with sqlite3.connect(db_path) as con:
        row = con.execute("SELECT id, page_id FROM reports WHERE agency = ? AND year = ? AND is_current = 1",
                          [agency, year]).fetchone()
    assert row, (agency, year)
    return row


# ── canned queries ──────────────────────────────────────────────────────────────────────────────

def test_at_least_the_journalist_queries_are_published(server):
    names = {q["name"] for q in server.json(f"/{server.db}.json")["queries"]}
    assert set(PARAMS) <= names
    assert len(names) >= 8
    for name, q in canned_queries().items():
        assert q.get("title") and q.get("description"), name


def test_every_canned_query_runs_and_returns_rows(server, corpus_db):
    rid, _ = report_id(corpus_db, "平潭综合实验区", 2024)
    for name in canned_queries():
        params = dict(PARAMS.get(name, {}))
        if name == "archived_page":
            params["report_id"] = rid
        rows = server.rows(name, **params)
        if name in CRAWL_QUERIES:
            assert rows == [], name   # it runs, and the corpus has no crawl
            continue
        assert rows, f"{name} {params} returned no rows"


def test_clone_sites_names_the_copied_site(server):
    row = one(server.rows("clone_sites", host="pingtan"), clone_host="www.moonvisionstudio.com")
    assert (row["site_copied"], row["copied_host"], row["pages"], row["first_seen"]) == \
        ("平潭综合实验区", "www.pingtan.gov.cn", 1, "2026-02-01T00:00:00+00:00")
    assert row["matched_by"] == "栏目路径一致 column path"


def test_requests_by_agency_for_a_year(server):
    rows = server.rows("requests_by_agency", year="2024")
    assert [r["agency"] for r in rows][:2] == ["淮安市人民政府", "平潭综合实验区"]
    assert {r["year"] for r in rows} == {2024}
    huaian = one(rows, agency="淮安市人民政府")
    assert (huaian["new_requests"], huaian["carried_over"], huaian["processed"], huaian["carried_forward"]) == \
        (3119, 34, 3050, 103)
    assert (huaian["granted"], huaian["partly_granted"], huaian["withheld"], huaian["unavailable"],
            huaian["declined"]) == (1362, 454, 178, 781, 88)
    assert one(rows, agency="平潭综合实验区")["new_requests"] == 218
    assert one(rows, agency="上海市科委")["new_requests"] == 34
    # the latest year with figures when the year is left blank (the canned query opens on an answer), every
    # year with year=all
    assert {r["year"] for r in server.rows("requests_by_agency")} == {2025}
    assert {r["year"] for r in server.rows("requests_by_agency", year="all")} >= {2019, 2020, 2023, 2024, 2025}


def test_refusal_rate_ranking(server):
    rows = server.rows("refusal_rate_ranking", year="all")
    top = [(r["agency"], r["year"], r["refusal_rate_pct"]) for r in rows[:3]]
    assert top == [("洪泽区人民政府", 2023, 19.0), ("平潭综合实验区", 2024, 18.3), ("平潭综合实验区", 2019, 13.0)]
    pingtan = one(rows, agency="平潭综合实验区", year=2024)
    assert (pingtan["processed"], pingtan["withheld"], pingtan["declined"], pingtan["refused"]) == (218, 39, 1, 40)
    assert all(r["processed"] >= 20 for r in rows)  # the default minimum volume
    rates = [r["refusal_rate_pct"] for r in rows]
    assert rates == sorted(rates, reverse=True)
    # 上海市科委 2024 prints its 不予公开 rows apart from their labels; placed by national order (every identity
    # holds) they count: 不予公开 1 + 1, 不予处理 0, of 35 processed
    kewei = one(rows, agency="上海市科委", year=2024)
    assert (kewei["processed"], kewei["withheld"], kewei["declined"], kewei["refused"]) == (35, 2, 0, 2)
    big = server.rows("refusal_rate_ranking", year="all", min_processed="100")
    assert [(r["agency"], r["year"]) for r in big] == [
        ("平潭综合实验区", 2024), ("平潭综合实验区", 2025), ("淮安市人民政府", 2024), ("沐阳县人民政府", 2025)]
    assert [(r["agency"], r["year"]) for r in server.rows("refusal_rate_ranking", year="2023")] == [
        ("洪泽区人民政府", 2023), ("平潭综合实验区", 2023)]
    # opened with no year, the ranking answers for the latest year with data; order=count ranks by count
    latest = server.rows("refusal_rate_ranking")
    assert latest and {r["year"] for r in latest} == {2025}
    by_count = server.rows("refusal_rate_ranking", year="all", order="count")
    counts = [r["refused"] for r in by_count]
    assert counts == sorted(counts, reverse=True) and counts[0] > by_count[-1]["refused"]


def test_failing_checks_show_the_identity_and_the_figures(server):
    rows = server.rows("failing_checks", agency="新巴尔虎左旗")
    assert {(r["agency"], r["year"]) for r in rows} == {("新巴尔虎左旗", 2020)}
    row_total = by(rows, rule="row_total")
    assert {r["key"] for r in row_total} == {"granted", "partly_granted", "withheld_internal_affairs",
                                             "unavailable_not_held", "other"}
    granted = one(row_total, key="granted")
    assert granted["detail"] == "0 ≠ 1 + 0 + 0 + 0 + 0 + 0"
    assert "总计列 = 六类申请人之和" in granted["identity"] and "予以公开" in granted["key_label"]
    assert one(rows, rule="results_sum")["detail"].startswith("17 ≠ 0 + 0")
    everything = server.rows("failing_checks")
    assert {(r["agency"], r["year"]) for r in everything} == {
        ("阿拉善盟行政公署", 2019), ("平潭综合实验区", 2013), ("新巴尔虎左旗", 2020), ("洪泽区人民政府", 2023)}
    hongze = by(everything, agency="洪泽区人民政府")
    assert {(r["rule"], r["detail"]) for r in hongze} == {
        ("review_total", "0 ≠ 10 + 1 + 0 + 0"), ("suit_after_review_total", "0 ≠ 5 + 0 + 0 + 0")}
    assert one(everything, agency="阿拉善盟行政公署", key="natural_person")["detail"] == "8 + 0 ≠ 9 + 0"


def test_carry_over_between_the_pingtan_years(server):
    rows = server.rows("carry_over_between_years", agency="平潭")
    assert [(r["previous_year"], r["year"]) for r in rows] == [
        (2018, 2019), (2019, 2020), (2020, 2021), (2021, 2022), (2022, 2023), (2023, 2024), (2024, 2025)]
    pair = one(rows, year=2022)
    assert (pair["previous_carried_forward"], pair["carried_over"], pair["difference"]) == (1, 1, 0)
    assert pair["status"].startswith("一致")
    assert one(rows, year=2019)["status"].startswith("无法核对")  # 2018 is a legacy report: no carried_forward
    assert not [r for r in rows if r["status"].startswith("不一致")]
    # agrees with the store's own view of mismatches
    assert server.rows("carry_over_mismatches") == []


def test_spam_findings_are_listed_as_unconfirmed(server):
    rows = server.rows("spam_findings_review")
    assert rows and {r["agency"] for r in rows} == {"新巴尔虎左旗"}
    assert {r["found_text"] for r in rows} == {"365体育投注"}
    assert {r["location"] for r in rows} == {"char 493 (line 9) of the decoded page",
                                              "char 3801 (line 692) of the decoded page"}
    for r in rows:
        assert r["status"].startswith("未核实"), r["status"]
        assert "已核实" not in r["status"]
        assert r["source_link"].startswith("[存档原文")
    q = canned_queries()["spam_findings_review"]
    assert "未核实" in q["title"] and "不能作为事实或指控" in q["description"]


def test_missing_reports(server):
    gaps = server.rows("missing_reports")
    pingtan = by(gaps, agency="平潭综合实验区")
    assert [(r["missing_year"], r["gap"][:6]) for r in pingtan] == [
        (2014, "序列中间缺失"), (2015, "序列中间缺失"), (2016, "序列中间缺失"), (2017, "序列中间缺失")]
    assert one(gaps, agency="巴青县", missing_year=2020)["gap"].startswith("最近年份缺失")
    in_2020 = {r["agency"] for r in server.rows("missing_reports", year="2020")}
    assert {"巴青县", "阿拉善盟行政公署", "淮安市人民政府"} <= in_2020
    assert not in_2020 & {"平潭综合实验区", "新巴尔虎左旗"}  # both have a 2020 report


def test_full_text_search_with_snippets(server):
    rows = server.rows("search_reports", q="复议")
    assert len(rows) >= 10
    assert all("【复议】" in r["snippet"] and r["hits"] >= 1 for r in rows)
    longer = server.rows("search_reports", q="信息处理费")  # a five-character word through the bigram index
    assert {r["agency"] for r in longer} >= {"平潭综合实验区", "淮安市人民政府"}
    assert all("【信息处理费】" in r["snippet"] for r in longer if r["hits"])
    both = server.rows("search_reports", q="信息处理费 闽财非税函")
    assert [(r["agency"], r["year"]) for r in both] == [("平潭综合实验区", 2021)]
    assert server.rows("search_reports", q="") == []
    assert server.rows("search_reports", q='"') == []


def bm25_tf(tf: int, length: int, average: float) -> float:
    return tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * length / max(average, 1)))


def test_search_ranks_by_how_often_the_word_occurs_for_the_length(server, corpus_db):
    """search_reports' documented order, worked out here in Python from the reports themselves: BM25's
    term-frequency part of the text plus the title's, lengths against the average of the matches."""
    rows = server.rows("search_reports", q="公开")
    con = sqlite3.connect(corpus_db)
    matched = con.execute("""SELECT r.id, r.year, coalesce(r.text_simplified, r.text), coalesce(r.title, '')
                             FROM reports r WHERE r.is_current = 1 AND r.quarantined = 0 AND r.removed_at IS NULL
                             AND r.rowid IN (SELECT rowid FROM reports_fts WHERE reports_fts MATCH '公开')""").fetchall()
    con.close()
    avg_text = sum(len(m[2]) for m in matched) / len(matched)
    avg_title = sum(len(m[3]) for m in matched) / len(matched)
    score = {m[0]: bm25_tf(m[2].count("公开"), len(m[2]), avg_text) + bm25_tf(m[3].count("公开"), len(m[3]), avg_title)
             for m in matched}
    assert len(rows) == len(matched) > 10  # fewer than 100 matches: every one is shown
    got = [score[r["report_id"]] for r in rows]
    assert got == sorted(got, reverse=True)
    assert [r["report_id"] for r in rows][:3] == sorted(score, key=lambda k: -score[k])[:3]
    assert rows[0]["hits"] > rows[-1]["hits"]


def test_one_agency_year_over_year(server):
    rows = server.rows("agency_year_over_year", agency="平潭综合实验区")
    assert [r["year"] for r in rows] == [2013, 2018, 2019, 2020, 2021, 2022, 2023, 2024, 2025]
    recent = {r["year"]: r for r in rows if r["year"] >= 2019}
    assert [recent[y]["new_requests"] for y in range(2019, 2026)] == [23, None, 70, 74, 81, 218, 154]
    assert [recent[y]["processed"] for y in range(2019, 2026)] == [23, None, 69, 75, 81, 218, 148]
    assert (recent[2024]["previous_year"], recent[2024]["change_in_new_requests"]) == (2023, 137)
    assert recent[2025]["change_in_new_requests"] == -64
    assert recent[2024]["fees_wan_yuan"] == 18651.06 and recent[2024]["processing_fee_yuan"] == 0
    assert recent[2021]["active_total"] == 2645 and recent[2024]["refusal_rate_pct"] == 18.3


def test_outcome_mix_and_the_two_fees(server):
    mix = {r["year"]: r for r in server.rows("outcome_mix_by_year")}
    assert (mix[2024]["granted"], mix[2024]["processed"]) == (1362 + 71 + 9, 3050 + 218 + 35)
    fees = one(server.rows("fees_vs_processing_fees"), agency="淮安市人民政府")
    assert (fees["fees_wan_yuan"], fees["processing_fee_yuan"]) == (96171.6, 3940)
    assert "3940" in fees["processing_fee_evidence"]


# ── every report links to its archived page, shown inert ─────────────────────────────────────────

def test_every_report_links_to_its_archived_page(server, corpus_db):
    index = server.rows("report_index")
    summary = server.rows("report_summary", _size="max")
    assert len(index) == len(summary) == 18
    with sqlite3.connect(corpus_db) as con:
        sha = dict(con.execute("SELECT id, sha256 FROM pages"))
    for r in index:
        m = re.fullmatch(r"\[存档原文 archived page\]\(archived_page\?page_id=([0-9a-f]+)\)", r["source_link"])
        assert m, r["source_link"]
        head = server.rows("archived_page", page_id=m.group(1))[0]
        assert head["line"] == 0 and sha[m.group(1)] in head["content"]
        assert head["download_link"].endswith(f"(/source/{m.group(1)}/file)")


def test_archived_page_shows_the_raw_text_and_downloads_the_bytes(server, corpus_db):
    rid, page_id = report_id(corpus_db, "新巴尔虎左旗", 2020)
    rows = server.rows("archived_page", report_id=rid)
    lines = {(r["line"], r["part"]): r["content"] for r in rows}
    # the spam finding's location ("line 692") is that line of the archived page, spam as it was found
    assert "以365体育投注新时代中国特色社会主义思想" in lines[(692, 1)]
    with sqlite3.connect(corpus_db) as con:
        digest = con.execute("SELECT sha256 FROM pages WHERE id = ?", [page_id]).fetchone()[0]
        data = page_bytes(con, page_id)  # from the WARC archive beside the database
    text = data.decode("utf-8").split("\n")
    assert [lines[(n, 1)] for n in (1, 2, 3)] == [t.rstrip("\r") for t in text[:3]]
    status, headers, body = server.get(f"/source/{page_id}/file")
    assert status == 200 and hashlib.sha256(body).hexdigest() == digest
    assert headers["content-disposition"].startswith("attachment")
    assert headers["content-type"] == "application/octet-stream" and headers["x-content-type-options"] == "nosniff"
    # a long HTML page pages through from_line; PDF reports show their extracted text
    html_rid, _ = report_id(corpus_db, "平潭综合实验区", 2022)
    page1 = server.rows("archived_page", report_id=html_rid)
    assert len(page1) == 1000 and page1[-1]["line"] < 1000
    page2 = server.rows("archived_page", report_id=html_rid, from_line=str(page1[-1]["line"] + 1))
    assert page2[1]["line"] == page1[-1]["line"] + 1 and "</html>" in page2[-1]["content"]
    pdf_rid, _ = report_id(corpus_db, "洪泽区人民政府", 2023)
    pdf = server.rows("archived_page", report_id=pdf_rid)
    assert "extracted text" in pdf[0]["content"] and pdf[1]["content"] == "洪泽区人民政府"


# ── Datasette's own features ───────────────────────────────────────────────────────────────────

@pytest.mark.parametrize("word", ["复议", "诉讼", "公开"])
def test_table_search_finds_two_character_words(server, word):
    data = server.json(f"/{server.db}/reports.json", _search=word, _shape="objects", _col="agency")
    assert len(data["rows"]) >= 10, word
    # not counted unless asked for (a common word matches every report: counting them all is the slow part)
    assert data["filtered_table_rows_count"] is None
    counted = server.json(f"/{server.db}/reports.json", _search=word, _count="1", _shape="objects", _col="agency")
    assert counted["filtered_table_rows_count"] >= len(data["rows"])


def test_table_search_is_bounded(server):
    """A table search neither counts nor facets every match (at a million reports a common word matches
    most of them); a URL that asks for a count or a facet gets it."""
    data = server.json(f"/{server.db}/reports.json", _search="复议", _col="year")
    assert len(data["rows"]) >= 10
    assert data["facet_results"] == {} and data["filtered_table_rows_count"] is None
    asked = server.json(f"/{server.db}/reports.json", _search="复议", _col="year", _facet="year", _count="1")
    assert asked["filtered_table_rows_count"] >= len(data["rows"]) and "year" in asked["facet_results"]
    assert sum(i["count"] for i in asked["facet_results"]["year"]["results"]) == asked["filtered_table_rows_count"]


def test_facets(server):
    data = server.json(f"/{server.db}/report_summary.json", _size="0")
    facets = {name: {i["value"]: i["count"] for i in f["results"]} for name, f in data["facet_results"].items()}
    assert set(facets) == {"year", "format", "province", "level"}
    assert facets["province"]["福建省"] == 9 and facets["province"]["江苏省"] == 3
    assert facets["format"] == {"2021": 10, "2019": 5, "legacy": 3}
    assert facets["year"][2024] == 4
    filtered = server.json(f"/{server.db}/report_summary.json", province="福建省", _shape="objects", _col="agency")
    assert {r["agency"] for r in filtered["rows"]} == {"平潭综合实验区"} and len(filtered["rows"]) == 9
    reports = server.json(f"/{server.db}/reports.json", _size="0")
    assert {"year", "format"} <= set(reports["facet_results"])
    agencies = server.json(f"/{server.db}/agencies.json", _size="0")
    assert {"province", "level"} <= set(agencies["facet_results"])



def test_the_cells_view_reads_a_report_and_links_it(server, corpus_db):
    """`cells` is a view over the cells stored by number (pipelines/schema.py 0014): filtered by report as a
    table was, faceted by table, and each report_id a link to its report's row, as the foreign key of the
    cells table was."""
    rid, _ = report_id(corpus_db, "平潭综合实验区", 2024)
    rows = server.rows("cells", report_id=rid, table_name="applications", key="new_received.total")
    assert [(r["value"], r["raw"], r["source"]) for r in rows] == [(218, "218", "html")]
    data = server.json(f"/{server.db}/cells.json", report_id=rid, _size="0", _facet="table_name")
    facet = {i["value"]: i["count"] for i in data["facet_results"]["table_name"]["results"]}
    with sqlite3.connect(corpus_db) as con:
        assert facet == dict(con.execute("SELECT k.table_name, count(*) FROM cell_values v JOIN cell_keys k "
                                         "ON k.n = v.key_n JOIN reports r ON r.rowid = v.report_n WHERE r.id = ? "
                                         "GROUP BY 1", [rid]))
    assert facet["applications"] > 100
    assert data["filtered_table_rows_count"] == sum(facet.values())
    # a database this size is counted and faceted as a table is, filtered or not (publish.VIEW_ROWS_SHOWN; the
    # views over many rows: the next two tests)
    with sqlite3.connect(corpus_db) as con:
        (total,), = con.execute("SELECT count(*) FROM cell_values")
        (failing,), = con.execute("SELECT count(*) FROM check_values WHERE ok = 0")
    assert server.json(f"/{server.db}/cells.json", _size="1")["filtered_table_rows_count"] == total
    failing_page = server.json(f"/{server.db}/checks.json", ok="0", _size="0")
    assert failing_page["filtered_table_rows_count"] == failing > 0
    assert {i["value"]: i["count"] for i in failing_page["facet_results"]["ok"]["results"]} == {0: failing}
    status, _, body = server.get(f"/{server.db}/cells", {"report_id": rid, "key": "new_received.total"})
    assert status == 200 and f'<a href="/{server.db}/reports/{rid}">{rid}</a>' in body.decode("utf-8")


def test_a_view_page_over_many_rows_is_neither_counted_nor_faceted_unless_asked():
    """What the server does to the query string of a view page over many rows (asgi_wrapper): at a million
    reports the count took 3 s (the time limit) and the facets 413 ms ("These facets timed out")."""
    from pipelines.publish import uncounted

    assert uncounted(b"") == b"_nocount=1&_nofacet=1"
    assert uncounted(b"ok=0") == b"ok=0&_nocount=1&_nofacet=1"
    assert uncounted(b"ok=0&_facet=rule") == b"ok=0&_facet=rule&_nocount=1"
    assert uncounted(b"ok=0&_count=1") == b"ok=0&_count=1&_nofacet=1"
    assert uncounted(b"report_id=x-r1") == b"report_id=x-r1"
    assert uncounted(b"report_id__exact=x-r1&ok=0") == b"report_id__exact=x-r1&ok=0"


def test_a_view_over_many_stored_rows_is_served_without_count_or_facets(corpus_db, monkeypatch):
    """The server reads a view's stored rows from the inspect file (check_values for `checks`): past
    VIEW_ROWS_SHOWN its page is neither counted nor faceted unless asked; over one report it is both. Real
    Datasette in this process, served as `nianbao serve` serves it (immutable, with its inspect file)."""
    import asyncio
    import json
    from pathlib import Path

    from datasette.app import Datasette

    from pipelines import publish

    inspect = json.loads(Path(publish.fresh_inspect(str(corpus_db))).read_text(encoding="utf-8"))
    ds = Datasette(immutables=[str(corpus_db)], metadata=publish.metadata_for(str(corpus_db)), inspect_data=inspect)
    stored = inspect[corpus_db.stem]["tables"]["check_values"]["count"]
    rid, _ = report_id(corpus_db, "平潭综合实验区", 2024)
    with sqlite3.connect(corpus_db) as con:
        (failing,), = con.execute("SELECT count(*) FROM check_values WHERE ok = 0")
        (of_report,), = con.execute("SELECT count(*) FROM check_values v JOIN reports r ON r.rowid = v.report_n "
                                    "WHERE r.id = ?", [rid])

    def page(limit, **params):
        monkeypatch.setattr(publish, "VIEW_ROWS_SHOWN", limit)
        query = "&".join(f"{k}={v}" for k, v in {"_size": "0", **params}.items())
        data = asyncio.run(ds.client.get(f"/{corpus_db.stem}/checks.json?{query}")).json()
        return sorted(data["facet_results"]), data["filtered_table_rows_count"]

    assert failing > 0 and of_report > 10
    assert page(stored, ok="0") == (["ok", "rule"], failing)  # not more than the bound: as Datasette does
    assert page(stored - 1, ok="0") == ([], None)
    assert page(stored - 1, ok="0", _count="1", _facet="key") == (["key", "ok", "rule"], failing)  # asked for
    assert page(stored - 1, report_id=rid) == (["ok", "rule"], of_report)
    assert page(stored - 1, report_id__exact=rid) == (["ok", "rule"], of_report)


def test_table_search_past_its_cap_reads_the_newest_matches(corpus_db, monkeypatch):
    """A table search with more matches than TABLE_SEARCH_CAP lists the newest-added CAP of them, in the
    table's order, and says so; one with fewer is Datasette's own. Real Datasette in this process."""
    import asyncio

    from datasette.app import Datasette

    from pipelines import publish

    ds = Datasette(immutables=[str(corpus_db)], metadata=publish.metadata_for(str(corpus_db)),
                   template_dir=str(publish.TEMPLATES))
    url = f"/{corpus_db.stem}/reports.json?_search=复议&_shape=objects&_col=year&_size=100"
    con = sqlite3.connect(corpus_db)
    matches = [r for r, in con.execute("SELECT rowid FROM reports_fts WHERE reports_fts MATCH '\"复议\"' "
                                       "ORDER BY rowid DESC")]
    id_of = dict(con.execute("SELECT rowid, id FROM reports"))
    year_of = dict(con.execute("SELECT id, year FROM reports"))
    con.close()
    assert len(matches) >= 10

    def get(cap):
        monkeypatch.setattr(publish, "TABLE_SEARCH_CAP", cap)
        return asyncio.run(ds.client.get(url)).json()

    whole, capped = get(len(matches)), get(3)
    assert sorted(r["id"] for r in whole["rows"]) == sorted(id_of[r] for r in matches)
    assert "newest-added" not in whole["human_description_en"]
    newest = [id_of[r] for r in matches[:3]]
    assert sorted(r["id"] for r in capped["rows"]) == sorted(newest)
    assert [r["year"] for r in capped["rows"]] == sorted((year_of[i] for i in newest), reverse=True)
    assert "最新收录的 3 条" in capped["human_description_en"] and "search_reports" in capped["human_description_en"]
    page = asyncio.run(ds.client.get(url.replace(".json", "")))
    assert page.status_code == 200 and "最新收录的 3 条" in page.text
    # beside a column filter the search stays whole: the newest matches might be of other years
    oldest_year = min(year_of[id_of[r]] for r in matches)
    filtered = asyncio.run(ds.client.get(url + f"&year={oldest_year}")).json()
    assert sorted(r["id"] for r in filtered["rows"]) == sorted(
        id_of[r] for r in matches if year_of[id_of[r]] == oldest_year)
    assert filtered["rows"] and "最新收录" not in filtered["human_description_en"]


def test_facet_counts_of_an_immutable_file_are_worked_out_once(corpus_db, monkeypatch):
    """A file served immutable cannot change: its facet queries run once, the unfiltered ones when the
    server starts (pipelines.publish.warm_up), and a table page then counts nothing again. Real
    Datasette in this process; its execute() counted."""
    import asyncio

    from datasette.app import Datasette

    from pipelines import publish

    publish._FACET_MEMO.clear()
    ds = Datasette(immutables=[str(corpus_db)], metadata=publish.metadata_for(str(corpus_db)),
                   template_dir=str(publish.TEMPLATES))
    name = corpus_db.stem
    facet_queries = []
    execute = Datasette.execute

    async def counting(self, db_name, sql, *args, **kwargs):
        if "count(*) as count" in sql:  # ColumnFacet's query
            facet_queries.append(sql)
        return await execute(self, db_name, sql, *args, **kwargs)

    monkeypatch.setattr(Datasette, "execute", counting)

    async def visit():
        await ds.invoke_startup()
        await publish.warm_up(ds)
        warmed = len(facet_queries)
        page = (await ds.client.get(f"/{name}/report_summary.json?_size=0")).json()
        both = (await ds.client.get(f"/{name}/report_summary.json?_size=0&province=福建省")).json()
        again = (await ds.client.get(f"/{name}/report_summary.json?_size=0&province=福建省")).json()
        return warmed, page, both, again

    warmed, page, filtered, again = asyncio.run(visit())
    assert warmed >= 4 + 2 + 2  # report_summary's four metadata facets, reports' two, agencies' two, …
    facets = {n: {i["value"]: i["count"] for i in f["results"]} for n, f in page["facet_results"].items()}
    con = sqlite3.connect(corpus_db)
    assert facets["province"] == dict(con.execute("SELECT province, count(*) FROM report_summary "
                                                  "WHERE province IS NOT NULL GROUP BY province"))
    assert facets["year"] == dict(con.execute("SELECT year, count(*) FROM report_summary GROUP BY year"))
    con.close()
    # the unfiltered page counted nothing; a filtered one counted its four facets once, not twice
    assert len(facet_queries) == warmed + 4
    assert {i["value"]: i["count"] for i in filtered["facet_results"]["year"]["results"]} == \
        {i["value"]: i["count"] for i in again["facet_results"]["year"]["results"]}
    assert sum(i["count"] for i in filtered["facet_results"]["province"]["results"]) == 9
    publish._FACET_MEMO.clear()


def test_csv_export_of_a_canned_query(server):
    status, headers, body = server.get(f"/{server.db}/refusal_rate_ranking.csv", {"year": "all", "_size": "max", "_dl": "1"})
    assert status == 200 and "attachment" in headers.get("content-disposition", "")
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8"))))
    assert (rows[0]["agency"], rows[0]["year"], rows[0]["refusal_rate_pct"]) == ("洪泽区人民政府", "2023", "19.0")
    assert len(rows) == len(server.rows("refusal_rate_ranking", year="all"))


def test_database_download(server, tmp_path):
    status, headers, body = server.get(f"/{server.db}.db")
    assert status == 200 and body.startswith(b"SQLite format 3\x00")
    (tmp_path / "download.db").write_bytes(body)
    with sqlite3.connect(tmp_path / "download.db") as con:
        assert con.execute("SELECT count(*) FROM reports WHERE quarantined = 0").fetchone()[0] == 18
        assert con.execute("SELECT count(*) FROM clone_pages").fetchone()[0] == 1   # the clone, kept apart
        assert con.execute("SELECT count(*) FROM archive").fetchone()[0] >= 18


# ── dashboards ─────────────────────────────────────────────────────────────────────────────────

def dashboard_sql(sql: str) -> str:
    return re.sub(r"\[\[.*?\]\]", "", sql)  # the optional filter clauses, as datasette-dashboards drops them


def test_dashboard_charts_query_the_served_database(server):
    from pipelines.publish import metadata_for

    overview = metadata_for(str(server.db_path))["plugins"]["datasette-dashboards"]["overview"]
    wrong = sorted(({c["db"] for c in overview["charts"].values() if "db" in c}
                    | {f["db"] for f in overview["filters"].values() if "db" in f}) - {server.db})
    assert not wrong, (
        f"the dashboard queries database(s) {wrong} but the served database is {server.db!r}: "
        "pipelines/publish.metadata_for must re-key plugins.datasette-dashboards.*.charts.*.db and "
        "*.filters.*.db to the served database, as it re-keys `databases`")
    status, _, body = server.get("/-/dashboards/overview")
    assert status == 200, body[:300]
    titles = [c["title"] for c in overview["charts"].values()]
    assert any("Requests received by year" in t for t in titles) and any("Outcome mix" in t for t in titles)
    for slug, chart in overview["charts"].items():
        if chart["library"] == "markdown":
            continue
        rows = server.json(f"/{server.db}.json", sql=dashboard_sql(chart["query"]), _shape="objects")["rows"]
        assert rows, slug


def test_outcome_mix_chart_data(server):
    chart = metadata()["plugins"]["datasette-dashboards"]["overview"]["charts"]["outcome-mix"]
    rows = server.json(f"/{server.db}.json", sql=dashboard_sql(chart["query"]), _shape="objects")["rows"]
    assert set(rows[0]) == {"year", "予以公开", "部分公开", "不予公开", "无法提供", "不予处理", "其他处理"}
    y2024 = one(rows, year=2024)
    # 上海市科委's 不予公开 (1 + 1) counts since its detached rows are placed by national order
    assert (y2024["予以公开"], y2024["不予公开"], y2024["不予处理"]) == (1362 + 71 + 9, 178 + 39 + 2, 88 + 1 + 0)


# ── metadata rules ─────────────────────────────────────────────────────────────────────────────

def test_every_wide_column_is_described_with_its_unit():
    from pipelines.schema import TABLE_KEYS, WIDE, column

    tables = metadata()["databases"]["nianbao"]["tables"]
    for table, keys in TABLE_KEYS.items():
        described = tables[WIDE[table]]["columns"]
        missing = [column(k) for k in keys if column(k) not in described]
        assert not missing, f"{WIDE[table]}: no description for {missing}"
        for k in keys:
            assert re.search(r"单位：|单位:", described[column(k)]), (table, k)


def test_the_two_fees_are_kept_apart():
    tables = metadata()["databases"]["nianbao"]["tables"]
    fees = tables["active_wide"]["columns"]["fees__amount_wan_yuan"]
    proc = tables["prose_wide"]["columns"]["processing_fee_yuan"]
    assert fees.startswith("表二 主动公开：行政事业性收费") and "万元" in fees and "不是向信息公开申请人收取的信息处理费" in fees
    assert proc.startswith("正文第六部分所述信息处理费") and "单位：元" in proc and "不是表二的行政事业性收费" in proc
    summary = tables["report_summary"]["columns"]
    assert "行政事业性收费" in summary["fees_wan_yuan"] and "万元" in summary["fees_wan_yuan"]
    assert "信息处理费" in summary["processing_fee_yuan"] and "单位：元" in summary["processing_fee_yuan"]
    assert "不是信息处理费" in summary["fees_wan_yuan"] and "不是行政事业性收费" in summary["processing_fee_yuan"]


def test_nothing_from_the_data_is_rendered_as_html():
    meta = metadata()
    # datasette-render-markdown (installed with datasette-dashboards) renders no column, not even its default
    # pattern; the canned queries' link columns are nianbao's own (publish.server_link: a path on this server)
    from pipelines.publish import LINK_COLUMNS, server_link

    md = meta["plugins"]["datasette-render-markdown"]
    assert md["patterns"] == [] and md["columns"] == []
    for name, q in canned_queries().items():
        for col in re.findall(r"AS (\w+_link)\b", q["sql"]):
            assert col in LINK_COLUMNS, (name, col)
    assert str(server_link("[存档原文 archived page](archived_page?page_id=a5d7522c76704e57)")) == (
        '<a href="archived_page?page_id=a5d7522c76704e57" rel="nofollow">存档原文 archived page</a>')
    assert str(server_link("[下载原始文件 download raw bytes](/source/ab12/file)")) == (
        '<a href="/source/ab12/file" rel="nofollow">下载原始文件 download raw bytes</a>')
    assert str(server_link("[a&b](/q?x=1&y=2)")) == '<a href="/q?x=1&amp;y=2" rel="nofollow">a&amp;b</a>'
    # anything else is not a link (Datasette then shows it escaped): other schemes and hosts, markup, quotes
    for hostile in ("[x](javascript:alert(1))", "[x](//evil.example/a)", "[x](http://evil.example)",
                    "[<b>x</b>](/a)", '[x](/a" onmouseover="y)', "[x](/a) and more", "[x](data:text/html,1)",
                    "x"):
        assert server_link(hostile) is None, hostile
    # a query page's rows are written in one call (query_rows_html): text escaped, a rendered cell kept
    from markupsafe import Markup

    from pipelines.publish import query_rows_html

    assert str(query_rows_html(["agency", "source_link"], [["<script>x</script>", server_link("[a](/b)")],
                                                         [7, Markup("&nbsp;")]])) == (
        '<tr><td class="col-agency">&lt;script&gt;x&lt;/script&gt;</td>'
        '<td class="col-source_link"><a href="/b" rel="nofollow">a</a></td></tr>\n'
        '<tr><td class="col-agency">7</td><td class="col-source_link">&nbsp;</td></tr>')
    from pipelines.publish import table_rows_html

    assert str(table_rows_html([[{"column": "title", "value": "<b>x</b>", "value_type": "str"},
                                 {"column": "year", "value": 2024, "value_type": "int"}]])) == (
        '<tr><td class="col-title type-str">&lt;b&gt;x&lt;/b&gt;</td><td class="col-year type-int">2024</td></tr>')
    # datasette-dashboards' table/metric/map charts write cells with innerHTML: Vega-Lite (SVG text) only
    for slug, chart in meta["plugins"]["datasette-dashboards"]["overview"]["charts"].items():
        assert chart["library"] in ("vega-lite", "markdown"), slug
    reports = meta["databases"]["nianbao"]["tables"]["reports"]
    assert (reports["fts_table"], reports["fts_pk"]) == ("reports_fts", "rowid")


def test_every_published_table_and_view_is_described(corpus_db):
    tables = metadata()["databases"]["nianbao"]["tables"]
    with sqlite3.connect(corpus_db) as con:
        names = [n for (n,) in con.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view') "
                                           "AND name NOT LIKE 'reports_fts%' AND name NOT LIKE 'sqlite_%'")]
    missing = [n for n in names if not (tables.get(n, {}).get("title") and
                                        (tables[n].get("description") or tables[n].get("description_html")))]
    assert not missing, f"datasette_metadata.json has no title/description for {missing}"
