"""The published site in a real browser: Playwright drives Debian's headless Chromium against a real
`nianbao serve` over the seeds, the corpus and one hostile page — the real 平潭综合实验区 2024 report page with a
`<script>` (and an `onerror` handler) injected into its body. A stored script must never run in a reader's
browser: not on the report's rows, its search hits, its archived text, nor anywhere else it shows.

Screenshots (home, a canned query, the dashboard with its charts, a search result, the archived page) are written to
a temporary folder, or to docs/screenshots/ when NIANBAO_SCREENSHOTS=docs is set (how the README's pictures are
refreshed), so an ordinary test run never rewrites tracked files. Chromium and a CJK font come from apt (`.ci/run` installs
`chromium fonts-wqy-microhei`); their absence is a failure, never a skip.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import sqlite3
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import quote

import pytest
from e2e.served import ROOT, SHARED, Server, build_db

from pipelines.warc_archive import page_bytes

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
SHOTS = (ROOT / "docs" / "screenshots") if os.environ.get("NIANBAO_SCREENSHOTS") == "docs" else \
    Path(tempfile.gettempdir()) / "nianbao-screenshots"
SCRIPT = "<script>window.__pwned=1;document.title='PWNED'</script>"
PAYLOAD = (SCRIPT
           + "<img src=x onerror=\"window.__pwned=2;document.title='PWNED'\">"
           + "<p>说明：&lt;img src=x onerror=&quot;window.__pwned=3;document.title='PWNED'&quot;&gt;</p>")
MARKER = "<div class=TRS_Editor>"


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """A database whose 平潭综合实验区 2024 report comes from the hostile page (ingested first)."""
    d = tmp_path_factory.mktemp("e2e")
    html = (SHARED / "corpus" / "pingtan" / "pingtan-2024-report.html").read_text(encoding="utf-8")
    assert html.count(MARKER) == 1
    page = d / "pingtan-2024-hostile.html"
    page.write_text(html.replace(MARKER, MARKER + PAYLOAD), encoding="utf-8")
    db = build_db(d / "e2e.db", page, SHARED / "seeds", SHARED / "corpus")
    with sqlite3.connect(db) as con:
        rid, pid, sha = con.execute(
            "SELECT r.id, p.id, p.sha256 FROM reports r JOIN pages p ON p.id = r.page_id "
            "WHERE r.agency = '平潭综合实验区' AND r.year = 2024 AND r.is_current = 1").fetchone()
        source = con.execute("SELECT source FROM pages WHERE id = ?", [pid]).fetchone()[0]
        raw = page_bytes(con, pid)  # from the WARC archive beside the database
        reports = con.execute("SELECT count(*) FROM reports").fetchone()[0]
    assert source.endswith("pingtan-2024-hostile.html") and SCRIPT.encode() in raw, "the report must be the hostile page"
    return {"db": db, "report_id": rid, "page_id": pid, "sha256": sha, "reports": reports}


@pytest.fixture(scope="module")
def server(hostile, tmp_path_factory):
    s = Server(hostile["db"], tmp_path_factory.mktemp("serve-log"))
    yield s
    s.stop()


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (`apt-get install chromium "
                    "fonts-wqy-microhei`, as .ci/run does) — the browser tests never skip")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser, server):
    """A fresh page; requests leaving 127.0.0.1 are blocked and recorded (the site must work offline)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN", accept_downloads=True,
                                  base_url=server.url)
    outside: list[str] = []

    def route(r):
        if r.request.url.startswith(server.url) or r.request.url.startswith(("data:", "blob:")):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    pg = context.new_page()
    pg.set_default_timeout(20_000)
    pg.outside_requests = outside
    yield pg
    context.close()


def shot(page, name: str, full_page: bool = False) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=full_page)


def assert_not_pwned(page, where: str) -> None:
    assert page.evaluate("typeof window.__pwned") == "undefined", f"a stored script ran on {where}"
    assert page.title() != "PWNED", f"a stored script ran on {where}"


def table_rows(page) -> list[dict]:
    return page.evaluate("""() => {
        const heads = [...document.querySelectorAll('table.rows-and-columns thead th')].map(th =>
            th.getAttribute('data-column') || th.innerText.trim());
        return [...document.querySelectorAll('table.rows-and-columns tbody tr')].map(tr =>
            Object.fromEntries([...tr.querySelectorAll('td')].map((td, i) => [heads[i], td.innerText.trim()])));
    }""")


def test_a_cjk_font_is_installed():
    fc = shutil.which("fc-list")
    assert fc, "fontconfig is missing (it comes with chromium)"
    fonts = subprocess.run([fc, ":lang=zh"], capture_output=True, text=True).stdout
    assert fonts.strip(), "no Chinese font: install fonts-wqy-microhei, or screenshots show boxes (tofu)"


def test_home_page(page, server):
    page.goto("/")
    assert "政府信息公开工作年度报告" in page.locator("h1").first.inner_text()
    assert page.locator(f"a[href='/{server.db}']").count() >= 1
    assert_not_pwned(page, "/")
    shot(page, "home.png")


def test_run_a_canned_query(page, server):
    page.goto(f"/{server.db}")
    page.get_by_role("link", name="各机关某年收到和办理的申请 Requests by agency for a year").click()
    page.fill("input[name=year]", "2024")
    page.get_by_role("button", name="Run SQL").click()
    page.wait_for_url("**year=2024**")
    rows = table_rows(page)
    assert [r["agency"] for r in rows[:2]] == ["淮安市人民政府", "平潭综合实验区"]
    assert rows[0]["new_requests"] == "3119" and {r["year"] for r in rows} == {"2024"}
    link = page.locator("table.rows-and-columns tbody tr").first.get_by_role("link", name="存档原文 archived page")
    assert link.get_attribute("href").startswith("archived_page?page_id=")
    shot(page, "canned-query.png")


def test_apply_a_facet(page, server):
    page.goto(f"/{server.db}/report_summary")
    page.locator("#facet-province").get_by_role("link", name="福建省").click()
    page.wait_for_url("**province=**")
    rows = table_rows(page)
    assert len(rows) == 9 and {r["province"] for r in rows} == {"福建省"}
    assert {r["agency"] for r in rows} == {"平潭综合实验区"}


def test_search_a_two_character_word(page, server):
    page.goto(f"/{server.db}/reports")
    page.fill("#_search", "复议")
    page.locator("#_search").press("Enter")
    page.wait_for_url("**_search=**")
    assert "复议" in page.locator("h3").first.inner_text()
    assert len(table_rows(page)) >= 10
    page.goto(f"/{server.db}/search_reports?q={quote('诉讼')}")
    rows = table_rows(page)
    assert len(rows) >= 10 and all("【诉讼】" in r["snippet"] for r in rows)
    assert_not_pwned(page, "search_reports?q=诉讼")
    shot(page, "search.png")


def test_dashboard_charts_render(page, server):
    response = page.goto("/-/dashboards/overview")
    if response.status == 404 and "Database does not exist" in page.content():
        pytest.fail(f"the dashboard's charts name a database that is not served ({server.db!r}): "
                    "pipelines/publish.metadata_for must re-key plugins.datasette-dashboards chart/filter `db` "
                    "to the served database, as it re-keys `databases`")
    assert "政府信息公开年报总览" in page.locator("h1").inner_text(), page.content()[:500]
    for chart in ("requests-by-year", "outcome-mix", "refusal-rate", "checks-by-year"):
        page.wait_for_selector(f"#chart-{chart} svg .mark-rect path", state="attached")
    legend = page.locator("#chart-outcome-mix svg").first.text_content()
    for outcome in ("予以公开", "部分公开", "不予公开", "无法提供", "不予处理", "其他处理"):
        assert outcome in legend
    assert "2024" in page.locator("#chart-requests-by-year svg").first.text_content()
    assert not page.outside_requests, f"the dashboard fetched from outside: {page.outside_requests}"
    assert_not_pwned(page, "the dashboard")
    shot(page, "dashboard.png", full_page=True)


def test_the_hostile_report_never_runs_its_script(page, server, hostile):
    db, rid, pid, sha = server.db, hostile["report_id"], hostile["page_id"], hostile["sha256"]
    pages = {  # every page that shows the report, its figures, its text or its archived bytes → text it must show
        f"/{db}/reports/{rid}": "平潭综合实验区",
        f"/{db}/reports?year=2024": "平潭综合实验区",
        f"/{db}/reports?_search=onerror": "平潭综合实验区",
        f"/{db}/report_summary?year=2024": "平潭综合实验区",
        f"/{db}/report_index": "平潭综合实验区",
        f"/{db}/requests_by_agency?year=2024": "平潭综合实验区",
        f"/{db}/agency_year_over_year?agency={quote('平潭综合实验区')}": "18651.06",
        f"/{db}/search_reports?q=onerror": "onerror",
        f"/{db}/search_reports?q={quote('复议')}": "平潭综合实验区",
        f"/{db}/archived_page?report_id={rid}": "window.__pwned=1",
        f"/{db}/archived_page?page_id={pid}&from_line=340": "window.__pwned=1",
        f"/{db}/pages/{pid}": "pingtan-2024-hostile.html",
        f"/{db}/archive/{sha}": sha,
        f"/{db}/cells?report_id={rid}": "18651.06",
        f"/{db}/report_sources?report_id={rid}": "pingtan-2024-hostile.html",
        "/-/dashboards/overview": "",
    }
    for url, expected in pages.items():
        page.goto(url)  # waits for the load event: inline scripts and a failed <img>'s onerror have run by then
        assert expected in page.locator("body").inner_text(), f"{url} does not show {expected!r}"
        assert_not_pwned(page, url)
        assert not page.outside_requests, (url, page.outside_requests)

    # the archived page shows the markup as text, line by line
    page.goto(f"/{db}/archived_page?page_id={pid}&from_line=345")
    body = page.locator("table.rows-and-columns").inner_text()
    assert SCRIPT in body and "onerror=\"window.__pwned=2" in body
    assert page.locator("table.rows-and-columns script").count() == 0
    assert page.locator("table.rows-and-columns img").count() == 0
    shot(page, "archived-page.png")
    # its raw bytes are a download (an attachment), never a page the browser opens
    with page.expect_download() as dl:
        page.get_by_role("link", name="下载原始文件 download raw bytes").click()
    assert SCRIPT.encode() in Path(dl.value.path()).read_bytes()
    assert "archived_page" in page.url
    assert_not_pwned(page, "the archived page after downloading its bytes")


def test_download_the_database_and_a_canned_query_as_csv(page, server, hostile, tmp_path):
    page.goto(f"/{server.db}")
    with page.expect_download() as dl:
        page.locator(".download-sqlite a").click()
    db = tmp_path / "downloaded.db"
    dl.value.save_as(db)
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT count(*) FROM reports").fetchone()[0] == hostile["reports"] == 18
        assert con.execute("SELECT count(*) FROM reports WHERE agency = '平潭综合实验区'").fetchone()[0] == 9

    page.goto(f"/{server.db}/refusal_rate_ranking?year=all")
    csv_link = page.get_by_role("link", name="CSV", exact=True)
    csv_link.evaluate("a => { a.href = a.href + (a.href.includes('?') ? '&' : '?') + '_dl=1' }")
    with page.expect_download() as dl:
        csv_link.click()
    path = tmp_path / "refusal.csv"
    dl.value.save_as(path)
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert [(r["agency"], r["year"], r["refusal_rate_pct"]) for r in rows[:2]] == [
        ("洪泽区人民政府", "2023", "19.0"), ("平潭综合实验区", "2024", "18.3")]
    assert all(int(r["processed"]) >= 20 for r in rows)
