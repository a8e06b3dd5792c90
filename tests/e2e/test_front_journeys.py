"""The front door in a real browser (Playwright + Debian's chromium) over the demo database that `make demo`
builds (`nianbao demo --no-serve`: the offline demo portal crawled by the real spider, plus the bundled real
reports), with one hostile page ingested on top: the real 平潭综合实验区 2024 report page carrying a stored
`<script>`, an `onerror` handler and a `<meta http-equiv=refresh>`.

Each journey starts at `/` and reaches its answer in at most two clicks; the values asserted come from the
demo portal's own generator (its manifest) or from the hand-read expected values of the bundled real reports.
Screenshots of the landing, report, agency and search pages go to a temporary folder, or to docs/screenshots/
when NIANBAO_SCREENSHOTS=docs (how the README's pictures are refreshed).
"""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
from pathlib import Path

import pytest
from e2e.served import ROOT, Server, nianbao
from e2e.test_browser import CHROMIUM, CHROMIUM_ARGS, SHOTS

from demo.portal import DemoPortal

BUNDLED_PINGTAN = ROOT / "demo" / "reports" / "pingtan-2024-report.html"
MARKER = "<div class=TRS_Editor>"
HOSTILE_BODY = ("<script>document.documentElement.setAttribute('data-pwned','script');"
                "fetch('http://example.invalid/beacon')</script>"
                "<img src=x onerror=\"document.documentElement.setAttribute('data-pwned','onerror')\">")
HOSTILE_HEAD = '<meta http-equiv="refresh" content="0;url=/?pwned=refresh">'
EXPECTED = ROOT / "tests" / "expected"
# the bundled real reports (demo/reports) with their hand-read values and registered agencies
BUNDLED = {"shuyang-2025-ocr.md": "沭阳县人民政府", "pingtan-2024-report.html": "平潭综合实验区",
           "hongze-2023-report.pdf": "洪泽区人民政府"}
WITHHELD = ["withheld_state_secret", "withheld_prohibited_by_law", "withheld_three_safety", "withheld_third_party",
            "withheld_internal_affairs", "withheld_process_info", "withheld_enforcement_file", "withheld_inquiry"]
DECLINED = ["declined_petition", "declined_repeat", "declined_publication", "declined_excessive",
            "declined_confirmation"]


def _group(apps: dict, rows: list[str]):
    parts = [apps.get(f"{r}.total") for r in rows]
    return None if any(p is None for p in parts) else sum(parts)


@pytest.fixture(scope="module")
def truth():
    """What the demo database must hold, from the generator itself (its manifest: every generated figure, the
    planted failures) and the hand-read expected values of the bundled real reports — never from the database."""
    portal = DemoPortal(size=1).start()  # `nianbao demo`'s defaults: size 1, seed 7
    try:
        manifest = portal.manifest()
    finally:
        portal.stop()
    reports = []
    for site in manifest.values():
        for r in site["reports"] if isinstance(site["reports"], list) else []:
            apps = {k[len("applications."):]: v for k, v in r["values"].items() if k.startswith("applications.")}
            reports.append({"agency": r["registered_agency"], "printed": r["agency"], "year": r["year"],
                            "format": r["format"], "apps": apps, "values": r["values"],
                            "failing": r["planted_failures"], "quirks": r["quirks"], "demo": True})
    for name, registered in BUNDLED.items():
        want = json.loads((EXPECTED / f"{name}.json").read_text(encoding="utf-8"))
        values = {f"{t}.{k}": v for t in ("active", "applications", "review_litigation", "prose")
                  for k, v in (want.get(t) or {}).items()}
        reports.append({"agency": registered, "printed": want["agency"], "year": want["year"],
                        "format": want["format"], "apps": want.get("applications") or {}, "values": values,
                        "failing": want.get("failing_checks") or [], "quirks": [], "demo": False, "file": name})
    for r in reports:
        a = r["apps"]
        r["processed"] = a.get("total.total")
        r["withheld"], r["declined"] = _group(a, WITHHELD), _group(a, DECLINED)
        r["refused"] = None if None in (r["withheld"], r["declined"]) else r["withheld"] + r["declined"]
    return reports


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    d = tmp_path_factory.mktemp("front-e2e")
    db = d / "demo.db"
    p = nianbao("demo", "--no-serve", "--db", str(db), "--quiet", timeout=600)
    assert p.returncode == 0, f"nianbao demo failed:\n{p.stdout}\n{p.stderr[-3000:]}"
    html = BUNDLED_PINGTAN.read_text(encoding="utf-8")
    assert html.count(MARKER) == 1 and html.count("<head>") == 1
    hostile = d / "pingtan-2024-hostile.html"
    hostile.write_text(html.replace("<head>", "<head>" + HOSTILE_HEAD).replace(MARKER, MARKER + HOSTILE_BODY),
                       encoding="utf-8")
    p = nianbao("ingest", str(hostile), "--db", str(db), "--quiet")
    assert p.returncode == 0, p.stderr
    with sqlite3.connect(db) as con:
        hostile_page = con.execute("SELECT id FROM pages WHERE source LIKE '%pingtan-2024-hostile.html'").fetchone()[0]
    return {"db": db, "hostile_page": hostile_page}


@pytest.fixture(scope="module")
def server(demo, tmp_path_factory):
    s = Server(demo["db"], tmp_path_factory.mktemp("serve-log"))
    yield s
    s.stop()


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (the browser tests never skip)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser, server):
    """A fresh page; every request is recorded, and requests leaving 127.0.0.1 are blocked."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN", accept_downloads=True,
                                  base_url=server.url)
    requests: list[str] = []
    outside: list[str] = []

    def route(r):
        requests.append(r.request.url)
        if r.request.url.startswith(server.url) or r.request.url.startswith(("data:", "blob:")):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    pg = context.new_page()
    pg.set_default_timeout(20_000)
    pg.requests, pg.outside_requests = requests, outside
    yield pg
    context.close()


def table_rows(page) -> list[dict]:
    """Rows of a Datasette table or query page, keyed by SQL column name (data-column)."""
    return page.evaluate("""() => {
        const heads = [...document.querySelectorAll('table.rows-and-columns thead th')].map(th =>
            th.getAttribute('data-column') || th.innerText.trim());
        return [...document.querySelectorAll('table.rows-and-columns tbody tr')].map(tr =>
            Object.fromEntries([...tr.querySelectorAll('td')].map((td, i) => [heads[i], td.innerText.trim()])));
    }""")


class Journey:
    """A reader's path from `/`: every click goes through here, and a journey may take at most two."""

    def __init__(self, page):
        self.page, self.clicks = page, 0
        page.goto("/")

    def click(self, locator, download: bool = False):
        self.clicks += 1
        assert self.clicks <= 2, "the answer must be reached in at most two clicks from /"
        if download:
            with self.page.expect_download() as dl:
                locator.click()
            return dl.value
        locator.click()
        self.page.wait_for_load_state("load")
        return None


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=False)


def test_a_stored_script_onerror_and_meta_refresh_never_run_in_the_source_view(page, server, demo):
    pid = demo["hostile_page"]
    response = page.goto(f"/source/{pid}")
    assert response.status == 200
    frame_el = page.locator("#source-frame")
    assert frame_el.get_attribute("sandbox") == ""  # the attribute present with no permission at all
    frame = next(f for f in page.frames if f.url.endswith(f"/source/{pid}/frame"))
    frame.wait_for_load_state("load")
    page.wait_for_timeout(1500)  # a 0-second meta refresh or a failed image's handler would have fired by now
    # the archived page is shown as it looked …
    assert "平潭综合实验区" in frame.locator("body").inner_text()
    # … and nothing in it ran: no attribute set by the script or the handler, no navigation, no network call
    assert frame.locator("html").get_attribute("data-pwned") is None
    assert frame.url.endswith(f"/source/{pid}/frame") and page.url.endswith(f"/source/{pid}")
    assert not any("pwned=refresh" in u for u in page.requests), page.requests
    assert not any(u.endswith(f"/source/{pid}/x") for u in page.requests), "the <img src=x> was fetched"
    assert not page.outside_requests, page.outside_requests
    # the frame's own response carries the sandbox policy, so the bytes are inert even opened on their own
    status, headers, body = server.get(f"/source/{pid}/frame")
    assert status == 200 and HOSTILE_BODY.encode() in body and HOSTILE_HEAD.encode() in body
    csp = headers["content-security-policy"]
    assert csp.split(";")[0].strip() == "sandbox" and "allow-" not in csp and "default-src 'none'" in csp
    assert headers["x-content-type-options"] == "nosniff"
    direct = page.goto(f"/source/{pid}/frame")  # opened on its own, outside the frame
    page.wait_for_timeout(1500)
    assert direct.headers["content-security-policy"] == csp
    assert page.locator("html").get_attribute("data-pwned") is None
    assert page.url.endswith(f"/source/{pid}/frame")
    assert not page.outside_requests, page.outside_requests


def test_journey_a_who_refused_most_in_the_latest_year(page, truth):
    latest = max(r["year"] for r in truth if r["processed"] is not None)
    year = [r for r in truth if r["year"] == latest and r["refused"] is not None and r["processed"]]
    by_rate = sorted((r for r in year if r["processed"] >= 20),
                     key=lambda r: (-round(100 * r["refused"] / r["processed"], 1), -r["processed"]))
    by_count = sorted(year, key=lambda r: (-r["refused"], -r["processed"]))
    j = Journey(page)
    # on the landing page itself: the rate ranking (minimum volume stated) and the count ranking
    first = page.locator("#top-refusal-rate tr").nth(1).locator("td")
    assert first.nth(0).inner_text().replace("示例 demo", "").strip() == by_rate[0]["agency"]
    assert first.nth(1).inner_text() == f"{round(100 * by_rate[0]['refused'] / by_rate[0]['processed'], 1)}%"
    assert first.nth(2).inner_text() == f"{by_rate[0]['refused']} / {by_rate[0]['processed']}"
    assert f"{latest} 年拒绝率最高" in page.locator("#top-refusal-rate").locator("xpath=..").inner_text()
    top_count = page.locator("#top-refused-count tr").nth(1).locator("td")
    assert top_count.nth(1).inner_text() == str(by_count[0]["refused"])
    shot(page, "front-landing.png")
    # one click: the whole ranking by count, on the latest year
    j.click(page.locator("#ranking-by-count"))
    rows = table_rows(page)
    assert {r["year"] for r in rows} == {str(latest)}
    assert [(r["agency"], int(r["refused"])) for r in rows[:3]] == [(r["printed"], r["refused"]) for r in by_count[:3]]
    assert page.locator('th[data-column="refusal_rate_pct"] .zh').inner_text() == "拒绝率 %"


def test_journey_b_reports_that_do_not_add_up_and_the_line_behind_a_figure(page, truth):
    planted = next(r for r in truth if "planted_review" in r["quirks"])
    review = {o: planted["values"][f"review_litigation.review.{o}"] for o in ("upheld", "corrected", "other",
                                                                              "pending", "total")}
    assert ["review_total", "review"] in planted["failing"] and review["total"] == 0
    j = Journey(page)
    listed = page.locator("#failing-reports").inner_text()
    failing = [r for r in truth if r["failing"]]
    latest_failing = max(r["year"] for r in failing)
    assert all(r["agency"] in listed for r in failing if r["year"] == latest_failing)
    j.click(page.locator("#failing-reports tr", has_text=planted["agency"])
            .filter(has_text=f"{planted['year']} 年报告").get_by_role("link", name=f"{planted['year']} 年报告"))
    detail = f"0 ≠ {review['upheld']} + {review['corrected']} + {review['other']} + {review['pending']}"
    assert detail in page.locator("#failing-checks").inner_text()
    cell = page.locator('td.bad[data-key="review_litigation.review.total"] a')
    assert cell.inner_text() == "0"
    shot(page, "front-report.png")
    j.click(cell)
    line = page.locator("ol.lines li.hl")
    assert line.count() == 1 and line.locator("mark").inner_text() == "0"
    printed = re.findall(r"\d+", line.inner_text())
    assert printed[:5] == [str(review[o]) for o in ("upheld", "corrected", "other", "pending", "total")]
    assert page.evaluate("location.hash") == f"#{line.get_attribute('id')}"


def test_journey_c_reports_mentioning_review_and_correction(page, truth):
    demo_expected = {(r["agency"], r["year"]) for r in truth if r["demo"] and r["format"] != "legacy"
                     and r["values"].get("review_litigation.review.corrected")}
    real_with_both = set()
    for r in truth:
        if not r["demo"] and r["file"].endswith(".md"):
            text = (ROOT / "demo" / "reports" / r["file"]).read_text(encoding="utf-8")
            if "行政复议" in text and "纠错" in text:
                real_with_both.add((r["agency"], r["year"]))
    j = Journey(page)
    page.fill("input[name=q]", "行政复议 纠错")
    j.click(page.get_by_role("button", name="搜索 Search"))
    count = int(re.search(r"找到 (\d+) 份报告", page.locator("#result-count").inner_text()).group(1))
    assert count >= len(demo_expected) + len(real_with_both) and count - len(demo_expected) <= len(BUNDLED)
    found = page.locator("ol.results > li")
    assert found.count() == min(20, count)
    for i in range(found.count()):
        item = found.nth(i)
        head = item.locator("a").first.inner_text()
        agency, year = re.match(r"(.+?) (\d{4}) 年报告", head).groups()
        if "示例" in agency:
            assert (agency, int(year)) in demo_expected, head
        snippet = item.locator(".snippet").inner_text()
        assert item.locator(".snippet mark").inner_text() in ("行政复议", "纠错") and "本报告根据" not in snippet
    shot(page, "front-search.png")


def test_journey_d_one_agency_year_over_year_reached_by_an_alias(page, truth):
    series = sorted((r for r in truth if r["agency"] == "示例县人民政府"), key=lambda r: r["year"])
    misprinted = [r for r in series if r["printed"] != r["agency"]]
    assert [r["printed"] for r in misprinted] == ["示列县人民政府"]
    j = Journey(page)
    page.fill("input[name=q]", "示列县")
    page.locator("input[name=q]").press("Enter")  # typing and Enter: no click
    page.wait_for_url("**/search?q=**")
    j.click(page.locator("#agency-matches").get_by_role("link", name="示例县人民政府"))
    assert "浙江省" in page.locator("p.meta").first.inner_text()
    assert "报告中印作 printed as：示列县人民政府" in page.locator("#names").inner_text()
    rows = page.locator("#years tr")
    assert rows.count() == len(series) + 1
    for i, r in enumerate(series, start=1):
        cells = rows.nth(i).locator("td")
        assert cells.nth(0).inner_text().startswith(str(r["year"]))
        new = r["apps"].get("new_received.total")
        assert cells.nth(1).inner_text() == ("—" if new is None else str(new)), r["year"]
    assert "印作 示列县人民政府" in rows.nth(series.index(misprinted[0]) + 1).inner_text()
    assert page.locator("svg.year-chart rect").count() == sum(1 for r in series if r["apps"].get("new_received.total")
                                                              is not None)
    shot(page, "front-agency.png")


def test_journey_e_a_query_as_csv_and_the_whole_database(page, truth, tmp_path):
    j = Journey(page)
    db = j.click(page.locator("#download-db"), download=True)
    db.save_as(tmp_path / "whole.db")
    with sqlite3.connect(tmp_path / "whole.db") as con:
        held = {(a, y) for a, y in con.execute(
            "SELECT coalesce(a.name, s.agency), s.year FROM report_summary s JOIN reports r ON r.id = s.report_id "
            "LEFT JOIN agencies a ON a.id = r.agency_id")}
    assert held == {(r["agency"], r["year"]) for r in truth}
    j = Journey(page)
    latest = max(r["year"] for r in truth if r["processed"] is not None)
    j.click(page.locator("#ranking-by-rate"))
    csv_file = j.click(page.locator("a.download-excel-csv"), download=True)
    assert csv_file.suggested_filename == "refusal_rate_ranking.csv"
    raw = Path(csv_file.path()).read_bytes()
    assert raw.startswith("\ufeff".encode()), "a BOM: Excel opens it as UTF-8"
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    want = sorted((r for r in truth if r["year"] == latest and r["refused"] is not None and (r["processed"] or 0) >= 20),
                  key=lambda r: (-round(100 * r["refused"] / r["processed"], 1), -r["processed"]))
    assert [(r["agency"], int(r["refused"]), int(r["processed"])) for r in rows] == [
        (r["printed"], r["refused"], r["processed"]) for r in want]
    assert all(re.fullmatch(r"http://127\.0\.0\.1:\d+/source/[0-9a-f]{16}", r["source_link"]) for r in rows)
    assert all(re.fullmatch(r"http://127\.0\.0\.1:\d+/report/[0-9a-f]{16}", r["report_page"]) for r in rows)
