"""The front door through HTTP: a real `nianbao serve` over the real seeds, the corpus and the bundled 沭阳 OCR
report (printed 沐阳, registered 沭阳), asserted against the hand-read values of tests/expected/.

Covers the landing page, the report page (tables as printed, failing checks, evidence lines), the agency page
reached by an alias, the safe source view (headers), search operators and filters, CSV for Excel and the Atom
feeds. The browser journeys are in tests/e2e/test_front_journeys.py.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
from urllib.parse import quote

import pytest
from conftest import EXPECTED, ROOT
from e2e.served import SHARED, Server, build_db

from pipelines.warc_archive import page_bytes

SHUYANG = ROOT / "demo" / "reports" / "shuyang-2025-ocr.md"


@pytest.fixture(scope="module")
def db_path(tmp_path_factory):
    return build_db(tmp_path_factory.mktemp("front") / "front.db", SHARED / "seeds", SHARED / "corpus", SHUYANG)


@pytest.fixture(scope="module")
def server(db_path, tmp_path_factory):
    s = Server(db_path, tmp_path_factory.mktemp("serve-log"))
    yield s
    s.stop()


def expected(name: str) -> dict:
    return json.loads((EXPECTED / f"{name}.json").read_text(encoding="utf-8"))


def report_key(db_path, agency_id: str, year: int) -> str:
    with sqlite3.connect(db_path) as con:
        return con.execute("SELECT report_key FROM reports WHERE agency_id = ? AND year = ? AND is_current = 1",
                           [agency_id, year]).fetchone()[0]


def page_text(body: bytes) -> str:
    """The visible text of an HTML page, tags dropped (enough to assert what a reader sees)."""
    text = re.sub(r"<(script|style)\b.*?</\1>", "", body.decode("utf-8"), flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text))


def get(server, path: str) -> tuple[int, dict, bytes]:
    return server.get(path)


def test_landing_says_what_the_database_holds(server, db_path):
    status, headers, body = get(server, "/")
    assert status == 200 and headers["content-type"].startswith("text/html")
    text = page_text(body)
    with sqlite3.connect(db_path) as con:
        reports = con.execute("SELECT count(*) FROM report_summary").fetchone()[0]
        latest = con.execute("SELECT max(year) FROM report_summary WHERE processed IS NOT NULL").fetchone()[0]
    assert f"{reports} 份报告" in text and latest == 2025
    assert "2025 年拒绝率最高" in text and "办理总计 ≥ 20 件" in text
    # 洪泽 2023 (real PDF) fails its review total: listed among the reports that do not add up
    assert "洪泽区人民政府" in text and "数字对不上的报告" in text
    # the spam seed (新巴尔虎左旗) is listed unconfirmed, never as an accusation
    assert "未核实" in text and "不是对任何机关的指控" in text
    for link in ("/search", f"/{server.db}.db", "/download/report_summary.csv", "/feeds/reports.atom",
                 "/-/dashboards/overview", f"/{server.db}/refusal_rate_ranking?year=2025"):
        assert f'href="{link}' in body.decode(), link


def test_report_page_shows_the_tables_as_printed(server, db_path):
    want = expected("pingtan-2024-report.html")
    key = report_key(db_path, "平潭综合实验区", 2024)
    status, _, body = get(server, f"/report/{key}")
    assert status == 200
    html = body.decode()
    text = page_text(body)
    assert "平潭综合实验区 2024 年政府信息公开工作年度报告" in text
    for label in ("一、本年新收政府信息公开申请数量", "(一)予以公开", "(七)总计", "四、结转下年度继续办理", "行政复议"):
        assert label in text, label
    # national row order: 本年新收 before 上年结转 before 予以公开 … before 结转下年
    order = [text.index(s) for s in ("一、本年新收", "二、上年结转", "(一)予以公开", "(七)总计", "四、结转下年度")]
    assert order == sorted(order)
    apps = want["applications"]
    for key_, value in [("new_received.total", apps["new_received.total"]), ("granted.total", apps["granted.total"]),
                        ("total.total", apps["total.total"])]:
        cell = re.search(rf'data-key="applications\.{re.escape(key_)}"><a [^>]*>([^<]+)</a>', html)
        assert cell and cell.group(1) == str(value), (key_, cell and cell.group(1), value)
    assert "45 项通过" in text or "项通过" in text
    assert "/source/" in html and "纯文本" in text  # sources: the safe view and the text view


def test_a_failing_figure_links_to_its_source_line(server, db_path):
    """洪泽 2023 (real PDF): 行政复议 total printed 0 while its parts are 10 + 1 + 0 + 0."""
    want = expected("hongze-2023-report.pdf")
    assert ["review_total", "review"] in want["failing_checks"], want["failing_checks"]
    key = report_key(db_path, "洪泽区人民政府", 2023)
    html = get(server, f"/report/{key}")[2].decode()
    assert "0 ≠ 10 + 1 + 0 + 0" in html
    cell = re.search(r'<td class="num bad" data-key="review_litigation\.review\.total"><a href="([^"]+)"', html)
    assert cell, "the failing 行政复议 total is red and links to its evidence"
    evidence = cell.group(1).replace("&amp;", "&")
    line = int(re.search(r"line=(\d+)", evidence).group(1))
    status, _, body = get(server, evidence.split("#")[0])
    assert status == 200
    hl = re.search(rf'<li id="L{line}" class="hl">(.*?)</li>', body.decode(), re.S)
    assert hl, "the evidence line is highlighted"
    marked = re.search(r"<mark>([^<]+)</mark>", hl.group(1))
    numbers = re.findall(r"\d+", re.sub(r"<[^>]+>", "", hl.group(1)))
    assert marked and marked.group(1) == "0" and numbers[:5] == ["10", "1", "0", "0", "0"], hl.group(1)


def test_agency_page_reached_by_an_alias(server, db_path):
    """沭阳县人民政府 is registered; its 2025 report is printed 沐阳 (an OCR misprint). Both names find it."""
    want = expected("shuyang-2025-ocr.md")
    assert want["agency"] == "沐阳县人民政府"
    for q in ("沭阳", "沐阳"):
        html = get(server, f"/search?q={quote(q)}")[2].decode()
        assert f'href="/agency/{quote("沭阳县人民政府")}"' in html, q
    status, _, body = get(server, f"/agency/{quote('沭阳县人民政府')}")
    text = page_text(body)
    assert status == 200 and "江苏省" in text and "321322" in text
    assert "报告中印作 printed as：沐阳县人民政府" in text
    assert str(want["applications"]["new_received.total"]) in text  # 713 new requests in 2025
    # the canned queries' agency filters match the registered name and its aliases too
    assert [r["year"] for r in server.rows("outcome_mix_by_year", agency="沭阳")] == [2025]
    yoy = server.rows("agency_year_over_year", agency="沭阳县")
    assert [(r["agency"], r["year"], r["new_requests"]) for r in yoy] == [
        ("沐阳县人民政府", 2025, want["applications"]["new_received.total"])]


def test_datasette_table_filter_by_registered_agency_finds_a_misprint(server):
    """Datasette's own filters on report_summary: `agency` is the name as printed (沐阳), `registered_agency` the
    registry's (沭阳县人民政府), so filtering by 沭阳 finds the misprinted report."""
    rows = server.rows("report_summary", registered_agency__contains="沭阳")
    assert [(r["agency"], r["registered_agency"], r["year"]) for r in rows] == [("沐阳县人民政府", "沭阳县人民政府", 2025)]
    assert server.rows("report_summary", agency__contains="沭阳") == []   # the printed name alone misses it


def test_search_past_the_count_cap_lists_newest_added_first(db_path, monkeypatch):
    """Ranking reads every match; past the count cap the results come in the index's own order, newest added
    first, and the page says so (the cap lowered to 3 so the 20-report database passes it)."""
    from pipelines import front_search

    monkeypatch.setattr(front_search, "COUNT_CAP", 3)
    with sqlite3.connect(db_path) as con:
        capped = front_search.search(con, "复议")
        newest = [r[0] for r in con.execute(
            "SELECT r.report_key FROM reports_fts JOIN reports r ON r.rowid = reports_fts.rowid "
            "JOIN report_summary s ON s.report_id = r.id WHERE reports_fts MATCH ? AND r.is_current = 1 "
            "AND r.quarantined = 0 AND r.removed_at IS NULL ORDER BY r.rowid DESC", [capped["expr"]])]
        assert (capped["count"], capped["capped"], capped["order"]) == (3, True, "recent")
        assert [r["report_key"] for r in capped["results"]] == newest[:front_search.PAGE_SIZE] and len(newest) > 3
        # by year past the cap: the cap's newest-added matches, sorted by year (sorting every match reads every one)
        by_year = front_search.search(con, "复议", order="year")
        year_of = dict(con.execute("SELECT report_key, year FROM reports WHERE is_current = 1"))
        assert by_year["order"] == "year_recent"
        assert [r["report_key"] for r in by_year["results"]] == sorted(newest[:3], key=lambda k: -year_of[k])
        assert [r["year"] for r in by_year["results"]] == sorted((year_of[k] for k in newest[:3]), reverse=True)
        monkeypatch.setattr(front_search, "COUNT_CAP", 1000)
        ranked = front_search.search(con, "复议")
        assert (ranked["capped"], ranked["order"]) == (False, "relevance")
        assert sorted(r["report_key"] for r in ranked["results"]) == sorted(newest)


def test_dashboard_agency_filter_is_the_registered_agency(server):
    """The dashboard's agency filter lists registered names and selects by agency, so 沭阳县人民政府 shows its
    2025 report although it is printed 沐阳 (it used to list printed names: 沭阳 found nothing)."""
    overview = server.json("/-/metadata.json")["plugins"]["datasette-dashboards"]["overview"]
    options = [r["name"] for r in server.json(f"/{server.db}.json", sql=overview["filters"]["agency"]["query"],
                                               _shape="objects")["rows"]]
    assert "沭阳县人民政府" in options and "沐阳县人民政府" not in options
    chart = overview["charts"]["requests-by-year"]["query"]
    sql = re.sub(r"\[\[([^\]]*:agency[^\]]*)\]\]", r"\1", chart)   # the agency clause kept, as when it is chosen
    sql = re.sub(r"\[\[.*?\]\]", "", sql)
    rows = server.json(f"/{server.db}.json", sql=sql, agency="沭阳县人民政府", _shape="objects")["rows"]
    assert [(r["year"], r["new_requests"]) for r in rows] == [
        (2025, expected("shuyang-2025-ocr.md")["applications"]["new_received.total"])]


def test_source_view_is_sandboxed_and_files_download_as_themselves(server, db_path):
    with sqlite3.connect(db_path) as con:
        html_page = con.execute("SELECT p.id FROM reports r JOIN pages p ON p.id = r.page_id "
                                "WHERE r.agency_id = '平潭综合实验区' AND r.year = 2024 AND r.is_current = 1").fetchone()[0]
        pdf_page = con.execute("SELECT id FROM pages WHERE kind = 'pdf' AND source LIKE '%hongze-2023-report.pdf'"
                               ).fetchone()[0]
        pdf_bytes = page_bytes(con, pdf_page)  # from the WARC archive beside the database
    status, _, body = get(server, f"/source/{html_page}")
    assert status == 200 and f'<iframe class="frame" id="source-frame" sandbox src="/source/{html_page}/frame"' in body.decode()
    status, headers, body = get(server, f"/source/{html_page}/frame")
    assert status == 200 and headers["content-type"] == "text/html; charset=utf-8"
    csp = headers["content-security-policy"]
    assert csp.startswith("sandbox;") and "allow-scripts" not in csp and "default-src 'none'" in csp
    assert headers["x-content-type-options"] == "nosniff" and "平潭综合实验区" in body.decode("utf-8")
    status, headers, body = get(server, f"/source/{pdf_page}/file")
    assert status == 200 and headers["content-type"] == "application/pdf" and body == pdf_bytes
    assert headers["content-disposition"].startswith("attachment;") and ".pdf" in headers["content-disposition"]
    assert "sandbox" in headers["content-security-policy"]
    assert get(server, f"/source/{pdf_page}/frame")[0] == 404  # a PDF is never framed


def test_search_operators_filters_and_hints(server):
    def results(path):
        html = get(server, path)[2].decode()
        return html, re.findall(r'<a href="/report/([0-9a-f]{16})"><b>([^<]+)</b> (\d{4}) 年报告</a>', html)

    html, both = results(f"/search?q={quote('行政复议 纠错')}")
    assert both, "some reports mention 行政复议 and 纠错"
    _, only_review = results(f"/search?q={quote('行政复议')}")
    _, either = results(f"/search?q={quote('纠错 OR 诉讼')}")
    _, without = results(f"/search?q={quote('行政复议 -纠错')}")
    assert {k for k, *_ in both} <= {k for k, *_ in only_review}
    assert not {k for k, *_ in both} & {k for k, *_ in without}
    assert len(either) >= len(both)
    # the snippet is a sentence about this report, not the legal preamble every report prints
    assert "本报告根据" not in re.sub(r"<[^>]+>", "", html.split('id="result-count"')[1])
    _, pingtan = results(f"/search?q={quote('复议')}&province={quote('福建省')}&order=year")
    assert pingtan and {a for _, a, _ in pingtan} == {"平潭综合实验区"}
    years = [int(y) for *_, y in pingtan]
    assert years == sorted(years, reverse=True)
    _, y2024 = results(f"/search?q={quote('复议')}&year=2024")
    assert y2024 and {int(y) for *_, y in y2024} == {2024}
    html, none = results(f"/search?q={quote('复议')}&year=2024&province={quote('西藏自治区')}")
    assert not none and "没有找到" in html and "去掉年度、省份或层级筛选再试" in html
    assert get(server, f"/search?q={quote('复议')}")[2].decode().count("<li>") <= 21  # bounded: 20 a page


def test_csv_downloads_open_in_excel_with_absolute_links(server, db_path):
    status, headers, body = get(server, "/download/refusal_rate_ranking.csv?year=2024")
    assert status == 200 and headers["content-disposition"].startswith("attachment;")
    assert body.startswith("\ufeff".encode("utf-8")), "a BOM, so Excel reads UTF-8"
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows and {r["year"] for r in rows} == {"2024"}
    assert all(r["source_link"].startswith(server.url + "/source/") for r in rows)
    assert all(r["report_page"].startswith(server.url + "/report/") for r in rows)
    with sqlite3.connect(db_path) as con:
        shown = con.execute("SELECT count(*) FROM report_summary").fetchone()[0]
    status, headers, body = get(server, "/download/report_summary.csv")
    assert status == 200 and "report_summary.csv" in headers["content-disposition"]
    assert len(list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))) == shown
    assert get(server, "/download/no_such_thing.csv")[0] == 404


def test_atom_feeds_filter_by_province(server):
    status, headers, body = get(server, "/feeds/reports.atom")
    assert status == 200 and headers["content-type"].startswith("application/atom+xml")
    import xml.etree.ElementTree as ET

    ns = {"a": "http://www.w3.org/2005/Atom"}
    entries = ET.fromstring(body).findall("a:entry", ns)
    assert entries and all(e.find("a:link", ns).get("href").startswith(server.url + "/report/") for e in entries)
    fujian = ET.fromstring(get(server, f"/feeds/reports.atom?province={quote('福建省')}")[2]).findall("a:entry", ns)
    assert fujian and all("平潭综合实验区" in e.find("a:title", ns).text for e in fujian)
    failing = ET.fromstring(get(server, "/feeds/failing.atom")[2]).findall("a:entry", ns)
    titles = [e.find("a:title", ns).text for e in failing]
    assert any(t.startswith("洪泽区人民政府 2023 年报告") for t in titles), titles
    assert any("0 ≠ 10 + 1 + 0 + 0" in e.find("a:summary", ns).text for e in failing)


def test_canned_query_headers_are_chinese(server):
    html = get(server, f"/{server.db}/refusal_rate_ranking?year=2024")[2].decode()
    assert '<th class="col-agency" scope="col" data-column="agency"><span class="zh">机关</span>' in html
    html = get(server, f"/{server.db}/report_summary")[2].decode()
    assert '<span class="zh">新收申请</span> <span class="en">new_requests</span>' in html
