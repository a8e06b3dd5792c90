"""The offline demo portal (demo/portal/README.md), over real HTTP on 127.0.0.1.

Every generated report, run through nianbao's own cleaner and extractor, must give exactly the manifest's
values; the listing mechanics, conditional requests, encodings, robots.txt, the WAF page and the hostile
URLs behave as the contract says. example.invalid is never contacted: redirects are read, not followed.
"""

from __future__ import annotations

import http.client
import io
import json
import re
import signal
import subprocess
import sys
import time
import tracemalloc
from urllib.parse import urlencode, urljoin, urlsplit

import pytest
from conftest import ROOT, shared

from crawler.netpolicy import NetPolicy
from crawler.registry import registry_hosts
from demo.portal import DemoPortal
from demo.portal.sites import HUGE_SIZE, content_of
from demo.portal.web import Request
from demo.tables import place, ruled_grid
from extract import extract_bytes
from pipelines.parse import clean_and_extract

GENERATED = ["trs", "hanweb", "trsdyn", "jsonapi", "gbk", "hacked", "hostile"]
TABLES = ("active", "applications", "review_litigation", "prose")
SITE_COLUMNS = ["agency", "level", "region_code", "province", "portal_url", "column_url", "cms", "aliases",
                "verified", "notes"]


@pytest.fixture(scope="module")
def portal():
    p = DemoPortal(size=1, corpus_dir=shared("corpus"), seed=7).start()
    yield p
    p.stop()


@pytest.fixture(scope="module")
def manifest(portal):
    return portal.manifest()


def fetch(portal, path: str, method: str = "GET", headers: dict | None = None, body: bytes | None = None):
    """(status, headers with lower-case names, body) — one connection per request, never follows redirects."""
    if path.startswith("http"):
        parts = urlsplit(path)
        assert parts.hostname == "127.0.0.1", f"tests only talk to the local portal, not {path}"
        path = parts.path + (f"?{parts.query}" if parts.query else "")
    conn = http.client.HTTPConnection("127.0.0.1", portal.port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
    finally:
        conn.close()


def hrefs(html: str) -> list[str]:
    return re.findall(r'href="([^"]+)"', html)


def report_urls(manifest, key) -> set[str]:
    return {r["url"] for r in manifest[key]["reports"]}


# ── every report yields exactly the manifest ────────────────────────────────────────────────────

def _values(record: dict, table: str) -> dict:
    return record[table]


@pytest.mark.parametrize("key", GENERATED)
def test_every_report_extracts_to_the_manifest(portal, manifest, key):
    hosts = registry_hosts() | NetPolicy.from_sites(portal.sites()).hosts
    problems = []
    for r in manifest[key]["reports"]:
        status, h, page = fetch(portal, r["url"])
        assert status == 200, r["url"]
        rec = clean_and_extract(page, filename="x.html", url=r["url"], content_type=h["content-type"],
                                registry_hosts=hosts)
        got = {f: rec[f] for f in ("agency", "year", "title", "published")}
        want = {f: r[f] for f in ("agency", "year", "title", "published")}
        if got != want:
            problems.append((r["url"], "page", got, want))
        assert not rec["quarantined"], (r["url"], rec["spam"])
        if r["values_from"] != r["url"]:           # the figures are in the attachment
            assert r["attachments"] == [r["values_from"]]
            status, h, data = fetch(portal, r["values_from"])
            assert status == 200
            rec = extract_bytes(data, filename="x." + r["values_from"].rsplit(".", 1)[1])
            if (rec["agency"], rec["year"], rec["title"]) != (r["agency"], r["year"], r["title"]):
                problems.append((r["values_from"], "attachment", rec["agency"], rec["year"], rec["title"]))
        if (rec["format"], rec["applications_layout"]) != (r["format"], r["applications_layout"]):
            problems.append((r["url"], "format", rec["format"], rec["applications_layout"]))
        for table in TABLES:
            want = {k.split(".", 1)[1]: v for k, v in r["values"].items() if k.startswith(table + ".")}
            if rec[table] != want:
                diff = {k: (rec[table].get(k, "absent"), want.get(k, "absent"))
                        for k in set(rec[table]) | set(want) if rec[table].get(k, "absent") != want.get(k, "absent")}
                problems.append((r["url"], table, diff))
        failing = {(c["rule"], c["key"]) for c in rec["checks"] if not c["ok"]}
        if failing != {tuple(x) for x in r["planted_failures"]}:
            problems.append((r["url"], "checks", sorted(failing), r["planted_failures"]))
        assert rec["unparsed"] == [], (r["url"], rec["unparsed"])
        kinds = {f["kind"] for f in rec["spam"]}
        if not set(r["spam"]) <= kinds or (not r["spam"] and kinds):
            problems.append((r["url"], "spam", kinds, r["spam"]))
        if r["spam"]:
            assert "365" not in rec["text"] and "新葡京" not in rec["text"]
            assert "习近平新时代中国特色社会主义思想" in rec["text"] or r["format"] == "legacy"
    assert not problems, json.dumps(problems[:8], ensure_ascii=False, indent=1)


def test_site_report_counts_and_quirks_at_size_1(manifest):
    counts = {k: len(v["reports"]) for k, v in manifest.items()}
    assert counts == {"trs": 16, "hanweb": 18, "trsdyn": 22, "jsonapi": 12, "gbk": 8, "hacked": 3, "robots": 0,
                      "antibot": 0, "hostile": 1, "real": 4,
                      # one site per real address family (demo/portal/families.py), two reports each
                      "xj": 2, "gd": 2, "vsb": 2, "hwnb": 2, "ah": 2, "hb": 2, "sx": 2, "hlj": 2, "ha": 2, "ln": 2}
    trs = manifest["trs"]["reports"]
    assert {r["format"] for r in trs} == {"legacy", "2019", "2021"}
    assert {a.rsplit(".", 1)[1] for r in trs for a in r["attachments"]} == {"pdf", "docx"}
    quirks = {q for e in manifest.values() for r in e["reports"] for q in r["quirks"]}
    assert {"typos", "signed_change", "amount_yi", "amount_wan", "hybrid", "word_spans", "subtotals", "stats_table",
            "gen2", "planted_review", "planted_row_total", "planted_balance", "planted_prose"} <= quirks
    planted = [r for e in manifest.values() for r in e["reports"] if r["planted_failures"]]
    assert {tuple(f) for r in planted for f in r["planted_failures"]} >= {
        ("row_total", "granted"), ("results_sum", "natural_person"), ("balance", "commercial"),
        ("balance", "total"), ("review_total", "review"), ("prose_vs_table", "applications_received")}
    hybrid = next(r for r in trs if "hybrid" in r["quirks"])
    assert (hybrid["format"], hybrid["applications_layout"]) == ("2021", "2019")
    amounts = {r["values"]["active.procurement.amount_yuan"] for r in trs if "amount_yi" in r["quirks"]}
    assert all(isinstance(a, int) and a % 1000000 == 0 for a in amounts)
    signed = next(r for r in trs if "signed_change" in r["quirks"])
    assert signed["values"]["active.licensing.change"] == 3 and signed["values"]["active.penalty.change"] == -1
    blank = next(r for r in trs if "blank_cells" in r["quirks"])
    assert blank["values"]["active.regulations.new_made"] is None


def test_printed_quirks_are_in_the_pages(portal, manifest):
    by_quirk = {q: r for r in manifest["trs"]["reports"] for q in r["quirks"]}
    page = lambda q: fetch(portal, by_quirk[q]["url"])[2].decode("utf-8")  # noqa: E731
    assert "3.危机“三安全一稳定”" in page("typos")
    assert ">+3<" in page("signed_change") and ">-1<" in page("signed_change")
    assert re.search(r">\d(?:\.\d+)?亿元<", page("amount_yi"))
    assert re.search(r">\d+(?:\.\d+)?万元<", page("amount_wan"))
    assert "mso-" in page("word_spans") and "<o:p></o:p>" in page("word_spans")
    hybrid = page("hybrid")
    assert "本年制发件数" in hybrid and "逾期不补正" not in hybrid and "（六）其他处理" in hybrid
    assert 'rowspan="20"' in hybrid          # 三、本年度办理结果 over the 2019 rows
    full = page("gen2")
    assert 'rowspan="22"' in full and 'rowspan="8"' in full and 'colspan="10"' in full
    assert "主动公开政府信息" in full and "收到政府信息公开申请" in full


# ── attachments: the PDF writer and the DOCX ────────────────────────────────────────────────────

def _attachment_spec(portal, ext):
    site = portal.site("trs")
    return next(s for s in site.specs if s.attachment == ext)


def test_pdf_text_and_table_cells_come_back_exactly(portal):
    import pdfplumber

    spec = _attachment_spec(portal, "pdf")
    status, h, data = fetch(portal, spec.attachment_path)
    assert status == 200 and h["content-type"] == "application/pdf" and data.startswith(b"%PDF-1.4")
    assert b"/STSong-Light" in data and b"/UniGB-UCS2-H" in data and b"/FontFile" not in data
    blocks = content_of(spec, False).blocks
    want_tables = [ruled_grid(t) for kind, t in blocks if kind == "table"]
    got_tables, lines = [], []
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for page in pdf.pages:
            tables = page.find_tables()
            got_tables += [t.extract() for t in tables]
            boxes = [t.bbox for t in tables]
            outside = page.filter(lambda o: o.get("object_type") != "char" or not any(
                b[0] <= (o["x0"] + o["x1"]) / 2 <= b[2] and b[1] <= (o["top"] + o["bottom"]) / 2 <= b[3] for b in boxes))
            lines += [ln["text"] for ln in outside.extract_text_lines(layout=False, strip=True)]
    flat = [[None if c is None else c.replace("\n", "") for c in row] for t in got_tables for row in t]
    want = [[None if c is None else c.replace("\n", "") for c in row] for t in want_tables for row in t]
    assert flat == want
    text = "".join(ln for ln in lines if not re.fullmatch(r"- \d+ -", ln))
    assert text == spec.title + "".join(x for kind, x in blocks if kind != "table")


def test_docx_has_merged_cells(portal):
    import docx

    spec = _attachment_spec(portal, "docx")
    status, h, data = fetch(portal, spec.attachment_path)
    assert status == 200 and data.startswith(b"PK")
    d = docx.Document(io.BytesIO(data))
    assert len(d.tables) == 3 and d.paragraphs[0].text == spec.title
    xml = d.tables[1]._tbl.xml
    assert "w:gridSpan" in xml and "w:vMerge" in xml
    applications = [t for kind, t in content_of(spec, False).blocks if kind == "table"][1]
    cells, nrows, ncols = place(applications)
    assert len(d.tables[1].rows) == nrows and len(d.tables[1].columns) == ncols
    assert fetch(portal, spec.attachment_path)[2] == data      # deterministic bytes


# ── listings ────────────────────────────────────────────────────────────────────────────────────

def test_trs_home_link_text_and_create_page_html(portal, manifest):
    assert portal.sites()[0]["column_url"] == ""
    status, _, home = fetch(portal, "/trs/")
    m = re.search(r'<a href="([^"]+)">政府信息公开年报</a>', home.decode("utf-8"))
    column = urljoin(portal.base_url + "/trs/", m.group(1))
    found: set[str] = set()
    status, _, first = fetch(portal, column)
    count, current = map(int, re.search(r"createPageHTML\((\d+), (\d+), \"index\", \"html\"\)", first.decode()).groups())
    assert status == 200 and count >= 3 and current == 0
    for i in range(count):
        url = urljoin(column, "index.html" if i == 0 else f"index_{i}.html")
        status, h, body = fetch(portal, url)
        text = body.decode("utf-8")
        assert status == 200 and f"createPageHTML({count}, {i}, \"index\", \"html\")" in text
        found |= {urljoin(url, u) for u in hrefs(text) if re.search(r"/\d{6}/t\d{8}_\d+\.html$", u)}
    assert found == report_urls(manifest, "trs")
    assert fetch(portal, urljoin(column, f"index_{count}.html"))[0] == 404
    assert fetch(portal, "/trs/zwgk/zfxxgk/zfxxgknb/index.html")[2] == fetch(portal, "/trs/zwgk/zfxxgk/zfxxgknb/")[2]


def test_hanweb_datastore_first_page_and_dataproxy_post(portal, manifest):
    site = portal.site("hanweb")
    status, _, body = fetch(portal, site.column)
    text = body.decode("utf-8")
    outside = re.sub(r"(?s)<script.*?</script>", "", text)
    assert not re.search(r"/hanweb/art/", outside)            # the first page is only inside <datastore>
    store = re.search(r'(?s)<script type="text/xml">(<datastore>.*?</datastore>)</script>', text).group(1)
    total = int(re.search(r"<totalrecord>(\d+)</totalrecord>", store).group(1))
    ids = {k: re.search(rf"{k}=(\d+)", store).group(1) for k in ("webid", "columnid", "unitid")}
    first = re.findall(r'<record><!\[CDATA\[<li><a href="([^"]+)"', store)
    assert total == len(manifest["hanweb"]["reports"]) == 18 and len(first) == 15
    assert all(re.fullmatch(r"/hanweb/art/\d{4}/[1-9]\d?/[1-9]\d?/art_1229000001_\d+\.html", u) for u in first)
    form = {"col": "1", "appid": "1", "webid": ids["webid"], "path": "/", "columnid": ids["columnid"],
            "sourceContentType": "1", "unitid": ids["unitid"], "webname": "示例县人民政府", "permissiontype": "0"}
    status, h, xml = fetch(portal, "/hanweb/module/web/jpage/dataproxy.jsp?startrecord=16&endrecord=30&perpage=15",
                           "POST", {"Content-Type": "application/x-www-form-urlencoded"}, urlencode(form).encode())
    assert status == 200 and "xml" in h["content-type"]
    rest = re.findall(r'<record><!\[CDATA\[<li><a href="([^"]+)"', xml.decode("utf-8"))
    assert len(rest) == 3 and f"<totalrecord>{total}</totalrecord>" in xml.decode("utf-8")
    assert {portal.base_url + u for u in first + rest} == report_urls(manifest, "hanweb")
    assert fetch(portal, "/hanweb/module/web/jpage/dataproxy.jsp?startrecord=16&endrecord=30&perpage=15")[0] == 405
    bad = dict(form, columnid="1")
    status, _, xml = fetch(portal, "/hanweb/module/web/jpage/dataproxy.jsp?startrecord=1&endrecord=15&perpage=15",
                           "POST", {"Content-Type": "application/x-www-form-urlencoded"}, urlencode(bad).encode())
    assert b"<totalrecord>0</totalrecord>" in xml and b"<record>" not in xml


def test_trsdyn_static_pages_and_list2_api(portal, manifest):
    status, _, body = fetch(portal, "/trsdyn/zwgk/zfxxgk/zfxxgknb/index.html")
    text = body.decode("utf-8")
    assert 'require(["list2.trsapi", "tools"]' in text and 'quickMode: "动静结合"' in text
    assert "maxStaticIndex: 1" in text and "prepage: 10" in text
    total = int(re.search(r"recordCount: '(\d+)'", text).group(1))
    channel = re.search(r"searchId: (\d+)", text).group(1)
    classsql = re.search(r'classsql: "" \|\| "([^"]+)"', text).group(1)
    assert total == 22
    found = set()
    for page in ("index.html", "index_1.htm"):
        url = portal.base_url + "/trsdyn/zwgk/zfxxgk/zfxxgknb/" + page
        body = fetch(portal, url)[2].decode("utf-8")
        links = [urljoin(url, u) for u in hrefs(body) if re.fullmatch(r"\./\d{6}/t\d{8}_\d+\.htm", u)]
        assert len(links) == 10
        found |= set(links)
    assert fetch(portal, "/trsdyn/zwgk/zfxxgk/zfxxgknb/index_2.htm")[0] == 404
    status, h, data = fetch(portal, f"/trsdyn/trsapi/list2?{urlencode({'channelid': channel, 'classsql': classsql})}"
                                    "&page=2&prepage=10")
    api = json.loads(data)
    assert status == 200 and api["total"] == total and len(api["data"]) == 2
    assert set(api["data"][0]) >= {"title", "url", "date"}
    found |= {d["url"] for d in api["data"]}
    assert found == report_urls(manifest, "trsdyn")
    wrong = json.loads(fetch(portal, "/trsdyn/trsapi/list2?channelid=1&classsql=chnlid%3D1&page=0&prepage=10")[2])
    assert wrong["total"] == 0 and wrong["data"] == []


def test_jsonapi_pages(portal, manifest):
    text = fetch(portal, "/jsonapi/xxgk/nb/")[2].decode("utf-8")
    api = re.search(r'data-api="([^"]+)"', text).group(1)
    assert api == "/jsonapi/api/list?column=nb" and "/jsonapi/xxgk/nb/content/" not in text
    found, page = set(), 1
    while True:
        data = json.loads(fetch(portal, f"{api}&page={page}&size=10")[2])
        assert data["page"] == page and data["total"] == 12
        if not data["data"]:
            break
        found |= {portal.base_url + d["url"] for d in data["data"]}
        page += 1
    assert page == 3 and found == report_urls(manifest, "jsonapi")


def test_gbk_pages_lie_about_their_charset_and_page_with_next_links(portal, manifest):
    url = portal.base_url + "/gbk/xxgk/gknb/list.html"
    found, seen = set(), []
    while url:
        status, h, body = fetch(portal, url)
        assert status == 200 and h["content-type"] == "text/html; charset=utf-8"
        with pytest.raises(UnicodeDecodeError):
            body.decode("utf-8")
        text = body.decode("gbk")
        assert '<meta charset="gb2312">' in text
        seen.append(url)
        found |= {urljoin(url, u) for u in hrefs(text) if re.search(r"/\d{4}-\d\d-\d\d/\d+\.html$", u)}
        last = urljoin(url, re.search(r'<a href="([^"]+)">尾页</a>', text).group(1))
        nxt = re.search(r'<a href="([^"]+)">下一页</a>', text)
        url = urljoin(url, nxt.group(1)) if nxt else None
    assert seen[-1] == last and len(seen) == 2
    assert found == report_urls(manifest, "gbk")
    legacy = [r for r in manifest["gbk"]["reports"] if r["format"] == "legacy"]
    assert len(legacy) == 6 and sum("stats_table" in r["quirks"] for r in legacy) == 1
    body = fetch(portal, legacy[0]["url"])[2]
    assert body.decode("gbk").count("浏览") == 0 and "点击数：" in body.decode("gbk")


# ── HTTP behaviour ──────────────────────────────────────────────────────────────────────────────

def test_etag_last_modified_and_304(portal, manifest):
    report = manifest["trs"]["reports"][0]["url"]
    s1, h1, b1 = fetch(portal, report)
    s2, h2, b2 = fetch(portal, report)
    assert s1 == s2 == 200 and b1 != b2                      # the 浏览次数 counter moves on every request
    assert h1["etag"] == h2["etag"] and h1["last-modified"] == h2["last-modified"]
    strip = lambda b: re.sub(rb"\xe6\xb5\x8f\xe8\xa7\x88\xe6\xac\xa1\xe6\x95\xb0\xef\xbc\x9a<em>\d+</em>", b"", b)  # noqa: E731
    assert strip(b1) == strip(b2)
    s, h, b = fetch(portal, report, headers={"If-None-Match": h1["etag"]})
    assert (s, b) == (304, b"") and h["etag"] == h1["etag"]
    assert fetch(portal, report, headers={"If-None-Match": '"other"'})[0] == 200
    assert fetch(portal, report, headers={"If-Modified-Since": h1["last-modified"]})[0] == 304
    assert fetch(portal, report, headers={"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"})[0] == 200
    attachments = [a for r in manifest["trs"]["reports"] for a in r["attachments"]]
    for path in attachments + ["/trs/zwgk/zfxxgk/zfxxgknb/index_1.html", "/robots.txt", "/gbk/xxgk/gknb/list.html",
                               "/hanweb/col/col1229000001/index.html", "/jsonapi/api/list?column=nb&page=1&size=10"]:
        s, h, b = fetch(portal, path)
        assert s == 200 and h["etag"] and h["last-modified"]
        assert fetch(portal, path, headers={"If-None-Match": h["etag"]})[0] == 304
        assert fetch(portal, path, headers={"If-Modified-Since": h["last-modified"]})[0] == 304
    s, h, b = fetch(portal, report, "HEAD")
    assert s == 200 and b == b"" and int(h["content-length"]) > 1000


def test_robots_txt(portal):
    status, h, body = fetch(portal, "/robots.txt")
    assert status == 200 and h["content-type"].startswith("text/plain")
    assert body == b"User-agent: *\nDisallow: /robots/xxgk/ndbg/\n"


def test_robots_site_column_exists_but_is_disallowed(portal, manifest):
    e = manifest["robots"]
    assert e["expect"] == "robots" and e["reports"] == [] and e["disallowed"] == "/robots/xxgk/ndbg/"
    assert all(urlsplit(u).path.startswith("/robots/xxgk/ndbg/") for u in e["never_fetch"])
    home = fetch(portal, "/robots/")[2].decode("utf-8")
    assert "/robots/xxgk/ndbg/index.html" in home


@pytest.mark.parametrize("path", ["/antibot/", "/antibot/xxgk/ndbg/index.html", "/antibot/xxgk/ndbg/2023/t1.html"])
def test_antibot_answers_412_with_a_challenge(portal, manifest, path):
    status, h, body = fetch(portal, path)
    text = body.decode("utf-8")
    assert status == 412 and "$_ts" in text and "$_ts.cd" in text and "if(!$_ts)" in text
    assert re.search(r"<meta[^>]+r='m'", text) and "年度报告" not in text and "etag" not in h
    assert manifest["antibot"]["expect"] == "blocked"
    assert fetch(portal, path, "POST", body=b"x=1")[0] == 412


def test_hostile_urls(portal, manifest):
    listing = fetch(portal, "/hostile/xxgk/ndbg/index.html")[2].decode("utf-8")
    traps = {urlsplit(t["url"]).path for t in manifest["hostile"]["traps"]}
    assert traps <= set(hrefs(listing)) and len(traps) == 5
    assert {urlsplit(u).path for u in report_urls(manifest, "hostile")} <= set(hrefs(listing))
    s, h, _ = fetch(portal, "/hostile/loop/a")
    assert s == 302 and h["location"] == "/hostile/loop/b"
    s, h, _ = fetch(portal, "/hostile/loop/b")
    assert s == 302 and h["location"] == "/hostile/loop/a"
    s, h, _ = fetch(portal, "/hostile/xxgk/ndbg/offsite.html")
    assert s == 302 and urlsplit(h["location"]).hostname == "example.invalid"     # read, never followed
    conn = http.client.HTTPConnection("127.0.0.1", portal.port, timeout=10)
    conn.request("GET", "/hostile/xxgk/ndbg/truncated.html")
    resp = conn.getresponse()
    assert resp.status == 200 and resp.getheader("Content-Length") == "20000"
    with pytest.raises(http.client.IncompleteRead) as exc:
        resp.read()
    assert len(exc.value.partial) == 5000
    conn.close()
    s, h, body = fetch(portal, "/hostile/xxgk/ndbg/shell.html")
    assert s == 200 and len(body) < 200 and len(re.sub(r"<[^>]+>", "", body.decode())) < 50


def test_hostile_50mb_page_is_streamed(portal):
    tracemalloc.start()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", portal.port, timeout=30)
        conn.request("GET", "/hostile/xxgk/ndbg/huge.html")
        resp = conn.getresponse()
        declared = int(resp.getheader("Content-Length"))
        assert resp.status == 200 and declared == HUGE_SIZE > 50 * 1024 * 1024
        total = 0
        while chunk := resp.read(1 << 16):
            total += len(chunk)
        conn.close()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert total == declared
    assert peak < 8 * 1024 * 1024, f"{peak} bytes: the 50 MB page must be streamed, not built"


def test_unknown_paths_are_404(portal, manifest):
    assert fetch(portal, "/nope/")[0] == 404
    assert fetch(portal, "/trs/zwgk/zfxxgk/zfxxgknb/209901/t20990101_1.html")[0] == 404


def test_request_log(portal, manifest):
    portal.reset_log()
    report = urlsplit(manifest["hanweb"]["reports"][0]["url"]).path
    etag = fetch(portal, report)[1]["etag"]
    fetch(portal, report, headers={"If-None-Match": etag})
    fetch(portal, "/nope")
    fetch(portal, "/hanweb/module/web/jpage/dataproxy.jsp?startrecord=1&endrecord=15&perpage=15", "POST", body=b"")
    assert portal.requests == [("GET", report, 200), ("GET", report, 304), ("GET", "/nope", 404),
                               ("POST", "/hanweb/module/web/jpage/dataproxy.jsp?startrecord=1&endrecord=15&perpage=15",
                                200)]


# ── sites(), manifest(), the real site ──────────────────────────────────────────────────────────

def test_sites_rows(portal):
    rows = portal.sites()
    assert all(list(r) == SITE_COLUMNS for r in rows)
    # the clone answers on the host name localhost, same port (a watched copy: verified=mirror)
    assert all(urlsplit(r["portal_url"]).hostname == ("localhost" if r["verified"] == "mirror" else "127.0.0.1")
               and urlsplit(r["portal_url"]).port == portal.port for r in rows)
    assert [r["agency"] for r in rows] == ["示例市人民政府", "示例县人民政府", "示例新区管委会", "示例区人民政府",
                                           "示例旗人民政府", "示例镇人民政府", "示例局", "示例委员会", "示例办公室",
                                           "示例市交通运输局", "示例市人民政府办公室", "示例市商务局", "示例乐县人民政府",
                                           "示例市生态环境局", "示例市高新区管委会", "示例区审计局", "示例市人民防空办公室",
                                           "示例市发展和改革委员会", "示例省财政厅",
                                           "平潭综合实验区", "淮安市人民政府", "localhost (克隆站)"]
    assert {r["cms"] for r in rows} == {"trs", "hanweb", "jsonapi", ""}
    for r in rows[1:-1]:
        assert r["column_url"].startswith(portal.base_url)


def test_real_site_serves_the_corpus_byte_for_byte(portal, manifest):
    corpus = shared("corpus")
    base = "/real/pingtan/zwgk/zfxxgk/zfxxgknb/"
    for path, rel in ((base + "index.html", "pingtan/pingtan-list-index.html"),
                      (base + "202302/t20230220_80629.htm", "pingtan/pingtan-2022-report.html"),
                      (base + "202503/t20250310_97791.htm", "pingtan/pingtan-2024-report.html")):
        status, h, body = fetch(portal, path)
        assert status == 200 and body == (corpus / rel).read_bytes() and h["etag"]
    assert fetch(portal, base + "202403/t20240308_87885.htm")[0] == 404
    assert len(manifest["real"]["not_found"]) == 8
    listing = fetch(portal, "/real/huaian/xxgk/ndbg/index.html")[2].decode("utf-8")
    pdfs = [u for u in hrefs(listing) if u.endswith(".pdf")]
    assert len(pdfs) == 2 and "createPageHTML(1, 0" in listing
    got = {fetch(portal, urljoin("/real/huaian/xxgk/ndbg/index.html", u))[2] for u in pdfs}
    assert got == {(corpus / "huaian" / n).read_bytes() for n in ("hongze-2023-report.pdf", "huaian-2024-report.pdf")}
    assert len(manifest["real"]["reports"]) == 4
    for r in manifest["real"]["reports"]:
        status, h, data = fetch(portal, r["url"])
        rec = clean_and_extract(data, filename=urlsplit(r["url"]).path, url=r["url"], content_type=h["content-type"],
                                registry_hosts=registry_hosts() | NetPolicy.from_sites(portal.sites()).hosts)
        got = [rec[f] for f in ("agency", "year", "title", "format", "applications_layout", "published")]
        assert got == [r[f] for f in ("agency", "year", "title", "format", "applications_layout", "published")]


def test_no_real_site_without_corpus():
    p = DemoPortal(size=1)
    assert "real" not in p.manifest() and len(p.sites()) == 9 + 10 + 1   # + address families + the clone
    assert p.route(Request("GET", "/real/pingtan/zwgk/zfxxgk/zfxxgknb/index.html", {})).status == 404


# ── generations, determinism, size ──────────────────────────────────────────────────────────────

def test_advance_changes_exactly_one_figure_of_one_report():
    p = DemoPortal(size=1, seed=7).start()
    try:
        before = p.manifest()
        urls = [(k, r["url"]) for k, e in before.items() for r in e["reports"]]
        urls += [(k, a) for k, e in before.items() for r in e["reports"] for a in r["attachments"]]
        etags = {u: fetch(p, u, "HEAD")[1]["etag"] for _, u in urls}
        p.advance()
        after = p.manifest()
        changed = [u for _, u in urls if fetch(p, u, "HEAD")[1]["etag"] != etags[u]]
        assert len(changed) == 1 and changed[0] == after["trs"]["changes_in_generation_2"]["url"]
        diffs = []
        for k in before:
            for r0, r1 in zip(before[k]["reports"], after[k]["reports"]):
                diffs += [(r0["url"], key) for key in r0["values"] if r0["values"][key] != r1["values"][key]]
        assert diffs == [(changed[0], "active.licensing.decisions")]
        status, h, page = fetch(p, changed[0], headers={"If-None-Match": etags[changed[0]]})
        assert status == 200
        rec = clean_and_extract(page, filename="x.html", url=changed[0])
        new = next(r for r in after["trs"]["reports"] if r["url"] == changed[0])
        assert rec["active"]["licensing.decisions"] == new["values"]["active.licensing.decisions"]
    finally:
        p.stop()


def test_deterministic_for_a_seed():
    a, b, c = DemoPortal(size=1, seed=7), DemoPortal(size=1, seed=7), DemoPortal(size=1, seed=8)
    assert a.manifest() == b.manifest() and a.manifest() != c.manifest()
    for key in ("trs", "gbk"):
        spec = a.site(key).specs[-1]
        req = Request("GET", spec.path, {})
        assert a.route(req).body == b.route(req).body
    spec = a.site("trs").specs[-1]
    assert a.route(Request("GET", spec.attachment_path, {})).body == b.route(Request("GET", spec.attachment_path, {})).body


def test_size_reaches_2000_reports_quickly():
    t = time.perf_counter()
    p = DemoPortal(size=26)
    specs = [s for site in p._sites for s in site.specs if site.expect == "reports"]
    assert len(specs) >= 2000 and time.perf_counter() - t < 3
    assert len({s.path for s in specs}) == len(specs)
    assert len({(s.agency, s.year) for s in specs}) == len(specs)
    assert len(p.site("trs").listed) // p.site("trs").per_page >= 60
    for spec in specs[::250]:                              # built lazily, on request
        resp = p.route(Request("GET", spec.path, {}))
        assert resp.status == 200
        rec = clean_and_extract(resp.body.replace(b"{{nianbao:views}}", b"1"), filename="x.html",
                                content_type=resp.content_type)
        vals = p.site(spec.site).report_manifest(spec)["values"]
        assert rec["applications"] == {k[13:]: v for k, v in vals.items() if k.startswith("applications.")}


def test_cli_serves_until_interrupted():
    proc = subprocess.Popen([sys.executable, "-m", "demo.portal", "--port", "0", "--size", "1"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = proc.stdout.readline()
        m = re.search(r"http://127\.0\.0\.1:(\d+)/", first)
        assert m, first
        conn = http.client.HTTPConnection("127.0.0.1", int(m.group(1)), timeout=10)
        conn.request("GET", "/robots.txt")
        assert conn.getresponse().status == 200
        conn.close()
        out = ""
        while "Ctrl-C" not in out:
            out += proc.stdout.readline()
        assert "/trs/" in out and "/hanweb/col/col1229000001/index.html" in out
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
