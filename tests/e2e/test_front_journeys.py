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

import sqlite3

import pytest
from e2e.served import ROOT, Server, nianbao
from e2e.test_browser import CHROMIUM, CHROMIUM_ARGS, SHOTS

BUNDLED_PINGTAN = ROOT / "demo" / "reports" / "pingtan-2024-report.html"
MARKER = "<div class=TRS_Editor>"
HOSTILE_BODY = ("<script>document.documentElement.setAttribute('data-pwned','script');"
                "fetch('http://example.invalid/beacon')</script>"
                "<img src=x onerror=\"document.documentElement.setAttribute('data-pwned','onerror')\">")
HOSTILE_HEAD = '<meta http-equiv="refresh" content="0;url=/?pwned=refresh">'


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
