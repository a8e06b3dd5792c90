"""Issue 9's hostile inputs, one test (or more) per numbered defect, each generated here from the real
corpus pages (demo/hostile.py), none committed at size.

The crawls are real: `nianbao crawl` in a subprocess over HTTP on 127.0.0.1, into a real SQLite file.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import q, shared

from crawler.netpolicy import NetPolicy, is_numeric_host, is_public_address, origin_of
from crawler.run import write_sites_csv
from demo.hostile import HostileSite

NIANBAO = str(Path(sys.executable).with_name("nianbao"))



def crawl(sites_csv: Path, db: Path, *extra: str):
    return subprocess.run([NIANBAO, "crawl", "--sites-file", str(sites_csv), "--db", str(db), "--no-throttle", *extra],
                          capture_output=True, text=True, timeout=300)


# ── defect 1: SSRF — the network policy ───────────────────────────────────────────────────────────

def test_policy_refuses_loopback_in_every_form_unless_the_exact_origin_is_named():
    policy = NetPolicy.from_sites([{"portal_url": "http://127.0.0.1:8700/"}, {"portal_url": "https://www.pingtan.gov.cn/"}])
    assert policy.refusal("http://127.0.0.1:8700/xxgk/ndbg/t1.html") is None        # named exactly
    for url in ("http://127.0.0.1:6379/", "http://127.0.0.1/", "http://[::1]:8700/", "http://2130706433:8700/",
                "http://0x7f.1:8700/", "http://127.1:8700/", "http://localhost:8700/", "http://10.0.0.5/",
                "http://169.254.169.254/latest/meta-data/", "http://www.pingtan.gov.cn@127.0.0.1:6379/",
                "ftp://www.pingtan.gov.cn/", "http://www.pingtan.gov.cn:6379/", "http://example.com/"):
        assert policy.refusal(url), url
    assert policy.refusal("https://www.pingtan.gov.cn/zwgk/t1.htm") is None
    assert policy.refusal("http://www.pingtan.gov.cn/zwgk/t1.htm") is None           # the other default port
    assert policy.refusal("https://www.fuzhou.gov.cn/") is None                      # any .gov.cn on :443


def test_gov_name_resolving_to_a_private_address_is_refused():
    policy = NetPolicy()
    to = {"www.evil.gov.cn": ["127.0.0.1"], "www.v6.gov.cn": ["::1", "93.184.216.34"],
          "www.meta.gov.cn": ["169.254.169.254"], "www.lan.gov.cn": ["192.168.1.2"],
          "www.mapped.gov.cn": ["::ffff:127.0.0.1"], "www.ok.gov.cn": ["202.108.22.5"]}
    resolve = lambda host, port: to[host]  # noqa: E731
    for host in ("www.evil.gov.cn", "www.v6.gov.cn", "www.meta.gov.cn", "www.lan.gov.cn", "www.mapped.gov.cn"):
        why = policy.refusal(f"https://{host}/ndbg/", resolve=resolve)
        assert why and "resolves to" in why, host
    assert policy.refusal("https://www.ok.gov.cn/ndbg/", resolve=resolve) is None
    assert not is_public_address("fe80::1%eth0") and is_public_address("202.108.22.5")
    assert origin_of("http://[::1]:99/").host == "::1" and origin_of("http://x.gov.cn:99999/") is None


def test_project_registry_names_no_loopback_origin():
    from crawler.netpolicy import registry_policy

    policy = registry_policy()
    assert not [o for o in policy.origins if o.host == "localhost" or (is_numeric_host(o.host) and
                                                                       not is_public_address(o.host))]
    assert policy.refusal("http://127.0.0.1:8700/") and policy.refusal("http://127.0.0.1/")


@pytest.fixture(scope="module")
def ssrf_crawl(tmp_path_factory):
    """A crawl of a hostile site (only its origin named) that links and redirects to a local service."""
    tmp = tmp_path_factory.mktemp("ssrf")
    with HostileSite(shared("corpus"), names=("half-gbk.html",)) as site:
        sites_csv, db = tmp / "sites.csv", tmp / "crawl.db"
        write_sites_csv(site.sites()[:1], str(sites_csv))
        proc = crawl(sites_csv, db)
        yield db, site, proc


def test_crawl_never_reaches_a_local_service(ssrf_crawl):
    db, site, proc = ssrf_crawl
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert site.service.requests == []
    assert ("GET", "/go/local") in site.requests   # the redirect itself was asked for, its target never
    for name, url in site.local_links().items():
        rows = q(db, "SELECT outcome, detail FROM pages WHERE url = ? OR detail LIKE ?", url, f"%{url}%")
        assert rows and {o for o, _ in rows} == {"off_domain"}, (name, rows)
    # and nothing of the service's answer is in the archive (the WARC files beside the database)
    import gzip

    from pipelines.warc_archive import warc_dir

    archived = [gzip.decompress(f.read_bytes()) for f in Path(warc_dir(str(db))).glob("*.warc.gz")]
    assert archived and not any(b"SECRET local service" in a for a in archived)


def test_direct_off_domain_link_is_off_domain_not_error(ssrf_crawl):
    """Defect 10 (part): a listing that links straight to a foreign host records `off_domain`."""
    db, site, _ = ssrf_crawl
    (outcome, detail), = q(db, "SELECT outcome, detail FROM pages WHERE url = ?", site.local_links()["foreign"])
    assert outcome == "off_domain" and "example.invalid" in detail
    (n,), = q(db, "SELECT off_domain FROM crawl_runs")
    assert n == len(site.local_links())


# ── the hostile documents, one by one: bounded in time and memory (defects 2–5, 7, 10) ──────────────

RUN_ONE = """
import json, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (2 * 1024 ** 3, 2 * 1024 ** 3))   # 2 GB: the 5 GB span bomb dies here
from demo.hostile import documents
from pipelines.parse import clean_and_extract
name = sys.argv[1]
rec = clean_and_extract(documents(sys.argv[2], [name])[name], filename=name)
print(json.dumps({k: rec.get(k) for k in ("outcome", "detail", "unparsed", "unparsed_reasons", "applications",
                                          "active", "review_litigation", "prose", "text", "chrome")}
                 | {"spam": len(rec["spam"])},
                 ensure_ascii=False))
"""


def extract_hostile(name: str, timeout: int = 90) -> dict:
    """clean_and_extract of one generated document in a child process under a 2 GB address-space limit; a
    time-out is a failure (the issue's pages ran past 120 s), never a skip."""
    import json

    proc = subprocess.run([sys.executable, "-c", RUN_ONE, name, str(shared("corpus"))], capture_output=True,
                          text=True, timeout=timeout, cwd=Path(__file__).resolve().parent.parent)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout)


def test_defect5_span_bomb_is_skipped_and_the_real_tables_still_read():
    rec = extract_hostile("span-bomb.html")
    assert rec["outcome"] == "ok" and "table skipped: a table of more than 50,000 cells" in rec["detail"]
    assert rec["applications"]["new_received.total"] == 218 and rec["review_litigation"]["review.total"] == 7


def test_a_text_run_past_the_html_parsers_limit_does_not_empty_the_page():
    """libxml2 drops everything after a text node over 10,000,000 bytes: the page was `empty`, "no text"."""
    rec = extract_hostile("huge-text-node.html")
    assert rec["outcome"] == "ok" and rec["applications"]["new_received.total"] == 218
    assert rec["review_litigation"]["review.total"] == 7
    assert "a text run over 10,000,000 characters" in rec["detail"]


def test_defect5_brace_less_style_is_read():
    rec = extract_hostile("style.html")
    assert rec["outcome"] == "ok" and rec["applications"]["new_received.total"] == 218


def test_defect5_8000_hidden_spam_blocks_are_each_found():
    rec = extract_hostile("hidden-blocks.html")
    assert rec["spam"] == 8000 and rec["applications"]["new_received.total"] == 218


def test_defect5_4000_link_farm_groups_are_each_found():
    rec = extract_hostile("link-farm.html")
    assert rec["spam"] == 4000 and rec["applications"]["new_received.total"] == 218


def test_defect5_20000_lines_through_the_trafilatura_fallback_keep_the_report():
    """The real page without its content container, plus 10,000 pasted paragraphs and a 10,000-link
    sidebar: the main-text line filter compared every line with every main-text line (61 s for its
    20,194 lines alone, by hand); now linear. The report is read whole, the sidebar is chrome."""
    from demo.hostile import FILLER_LINK, FILLER_PARAGRAPH

    rec = extract_hostile("many-lines.html")
    assert rec["outcome"] == "ok" and rec["chrome"]["container"] == "trafilatura"
    assert rec["applications"]["new_received.total"] == 218 and rec["review_litigation"]["review.total"] == 7
    assert rec["prose"] == {"active_total": 10407, "applications_received": 218, "processing_fee_yuan": 0}
    assert "通过政府门户网站全年主动公开各类政府信息10407条" in rec["text"]
    assert "五、存在的主要问题及改进情况" in rec["text"]
    # the pasted paragraphs are in the report's body: main text, kept; every sidebar link is removed
    assert rec["text"].count("工作情况说明") == 10_000 and FILLER_PARAGRAPH.format(9_999) in rec["text"]
    removed = rec["chrome"]["removed"]
    assert [r for r in removed if r.startswith("政务动态第")] == [FILLER_LINK.format(i) for i in range(10_000)]
    assert "政务动态" not in rec["text"] and "友情链接" in removed


def pairwise_filter(doc, keep: set[str]) -> list[str]:
    """The main-text rule as first written, line against line (quadratic): the reference."""
    from extract.normalize import normalize

    removed, kept = [], []
    for row in doc.rows:
        if row.grid:
            kept.append(row)
            continue
        key = re.sub(r"\s+", "", normalize(row.fields[0] or ""))
        if key and any(key in k or k in key for k in keep if len(k) >= 2 and (len(key) >= 4 or key == k)):
            kept.append(row)
        else:
            removed.append(row.fields[0] or "")
    doc.rows = kept
    return removed


def test_linear_main_text_filter_keeps_the_same_lines_as_the_pairwise_rule():
    import copy

    from demo.hostile import many_lines
    from extract.readers.html import parse_html, read_element
    from pipelines.chrome import clean_html_tree, filter_to_main_text

    pages = [shared("corpus", "pingtan", "pingtan-list-index.html").read_text(encoding="utf-8"),
             many_lines(shared("corpus"), n=2_000).decode("utf-8")]
    pages += [p.read_text(encoding="utf-8", errors="replace")
              for p in sorted((Path(__file__).parent / "fixtures" / "listings").glob("*.html"))]
    compared = 0
    for html in pages:
        tree = parse_html(html)
        content, chrome, _ = clean_html_tree(tree, html)
        keep = getattr(chrome, "keep_lines", None)
        if keep is None:
            continue
        doc = read_element(content)
        reference = copy.deepcopy(doc)
        assert filter_to_main_text(doc, keep) == pairwise_filter(reference, keep)
        assert [r.fields for r in doc.rows] == [r.fields for r in reference.rows]
        compared += 1
    assert compared >= 6


def test_defect5_docx_zip_bomb_is_refused_before_inflating():
    rec = extract_hostile("bomb.docx")
    assert rec["outcome"] == "error"
    assert "ZipBomb: word/document.xml declares 209,965,952 bytes inflated (limit 67,108,864)" in rec["detail"]


def test_defect5_zip_member_that_lies_about_its_size_is_caught():
    import io
    import zipfile

    from extract.limits import ZipBomb, check_zip

    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("word/document.xml", b"<w:p/>" * 2_000_000)
    data = bytearray(raw.getvalue())
    # rewrite the declared size (local header and central directory) to 1,000 bytes
    for sig, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        i = data.find(sig)
        data[i + offset:i + offset + 4] = (1000).to_bytes(4, "little")
    with pytest.raises(ZipBomb):
        check_zip(bytes(data))


def test_defect2_3_poison_figures_are_unparsed_with_the_reason():
    rec = extract_hostile("huge-figures.html")
    assert rec["outcome"] == "ok"
    assert rec["unparsed_reasons"] == {
        "applications.new_received.natural_person": "9223372036854775808 is above 999,999,999 (a count)",
        "applications.carried_over.natural_person": "5,000 characters is not a figure (limit 24)"}
    assert rec["applications"]["new_received.natural_person"] is None
    assert rec["applications"]["new_received.total"] == 218   # the rest of the row is read


def test_defect7_absurd_figures_are_unparsed_not_published():
    rec = extract_hostile("absurd-figures.html")
    assert rec["unparsed_reasons"] == {
        "active.licensing.decisions": "-4529 is negative (a count is ≥ 0)",
        "active.penalty.decisions": "999999999999999 is above 999,999,999 (a count)",
        "applications.new_received.total": "9223372036854775807 is above 999,999,999 (a count)"}
    assert rec["active"]["licensing.decisions"] is None and rec["active"]["coercion.decisions"] == 65
    assert "figures out of bounds" in rec["detail"]


def test_defect10_half_utf8_half_gbk_page_is_read_and_flagged():
    rec = extract_hostile("half-gbk.html")
    assert "mixed or damaged encoding (utf-8+gb18030)" in rec["detail"]
    assert rec["applications"]["new_received.total"] == 218 and rec["review_litigation"]["review.total"] == 7


def test_defect10_encrypted_pdf_says_so():
    rec = extract_hostile("encrypted.pdf")
    assert rec["outcome"] == "error"
    assert rec["detail"] == "the PDF is encrypted (password-protected): its text cannot be read without the password"


def test_defect10_cyclic_page_tree_is_not_called_a_scan():
    rec = extract_hostile("cyclic.pdf")
    assert rec["outcome"] == "ok" and "page tree refers back to itself" in rec["detail"]
    assert rec["applications"]["new_received.total"] == 21   # the real hongze figures, still read


def test_defect3_extract_json_prints_a_record_for_the_poison_page(tmp_path):
    import json

    from demo.hostile import documents

    page = tmp_path / "huge-figures.html"
    page.write_bytes(documents(shared("corpus"), ["huge-figures.html"])["huge-figures.html"])
    proc = subprocess.run([NIANBAO, "extract", str(page), "--json"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    rec = json.loads(proc.stdout)
    assert rec["unparsed"] == ["applications.new_received.natural_person", "applications.carried_over.natural_person"]


def test_defect3_ingest_goes_on_past_the_poison_page(tmp_path):
    import shutil

    from demo.hostile import documents

    folder = tmp_path / "batch"
    folder.mkdir()
    for f in sorted(shared("corpus", "pingtan").glob("*.txt")) + sorted(shared("corpus", "huaian").glob("*.pdf")):
        shutil.copy(f, folder / f.name)
    (folder / "0-huge-figures.html").write_bytes(documents(shared("corpus"), ["huge-figures.html"])["huge-figures.html"])
    db = tmp_path / "batch.db"
    proc = subprocess.run([NIANBAO, "ingest", str(folder), "--db", str(db), "--quiet"], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert q(db, "SELECT count(*) FROM pages") == [(len(list(folder.iterdir())),)]
    assert q(db, "SELECT value, unparsed FROM cells WHERE key = 'new_received.natural_person' AND report_id = "
                 "(SELECT report_id FROM pages WHERE path LIKE '%0-huge-figures.html')") == [(None, 1)]


# ── defect 4: the anti-bot near-empty test on a flood of `<` ────────────────────────────────────────

NEAR_EMPTY = """
import sys
from scrapy.http import HtmlResponse, Request
from crawler.middlewares import _near_empty
body = b"<html><body>" + b"<" * int(sys.argv[1])
print(_near_empty(HtmlResponse("http://127.0.0.1/x.html", body=body, headers={"Content-Type": "text/html"},
                               request=Request("http://127.0.0.1/x.html"))))
"""


def test_defect4_near_empty_check_on_a_flood_of_lt_finishes():
    """600 KB of `<`: the old pattern needed ~16× the 32 s the issue measured at 150 KB; a linear scan
    answers at once. The time-out is a failure."""
    proc = subprocess.run([sys.executable, "-c", NEAR_EMPTY, "600000"], capture_output=True, text=True, timeout=60,
                          cwd=Path(__file__).resolve().parent.parent)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "no text"   # no text outside tags: a near-empty shell, recorded blocked


def test_near_empty_check_reads_a_bounded_number_of_tags():
    """The check runs on the reactor thread: it steps over at most NEAR_EMPTY_SCAN_TAGS tags, whatever
    the body's size, and still finds the text of the real page and of a page whose text comes late."""
    from crawler.middlewares import visible_text
    from demo.hostile import tag_flood
    from extract.limits import NEAR_EMPTY_SCAN_TAGS, NEAR_EMPTY_TEXT

    assert visible_text(tag_flood(), NEAR_EMPTY_TEXT) == (0, NEAR_EMPTY_SCAN_TAGS)
    real = shared("corpus", "pingtan", "pingtan-2024-report.html").read_bytes()
    seen, tags = visible_text(real, NEAR_EMPTY_TEXT)
    assert seen >= NEAR_EMPTY_TEXT and tags < 400
    late = b"<html><body>" + b"<i></i>" * (NEAR_EMPTY_SCAN_TAGS // 2 - 100) + real
    assert visible_text(late, NEAR_EMPTY_TEXT)[0] >= NEAR_EMPTY_TEXT
    # a huge script or style is jumped over by one search, not tag by tag
    padded = real.replace(b"</head>", b"<script>var pad='" + b"<b>" * 2_000_000 + b"';</script></head>", 1)
    assert visible_text(padded, NEAR_EMPTY_TEXT)[0] >= NEAR_EMPTY_TEXT


def test_a_30_mb_tag_flood_is_recorded_blocked_and_the_crawl_goes_on(tmp_path):
    """A 30 MB body of empty tags through a real crawl: recorded `blocked` with the bound that decided,
    and the site's real report beside it is read."""
    from demo.hostile import tag_flood

    flood = tag_flood()
    with HostileSite(shared("corpus"), names=("half-gbk.html",), extra={"tag-flood.html": flood}) as site:
        sites_csv, db = tmp_path / "sites.csv", tmp_path / "crawl.db"
        write_sites_csv(site.sites()[:1], str(sites_csv))
        proc = crawl(sites_csv, db)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert q(db, "SELECT finish_reason FROM crawl_runs") == [("finished",)]
    assert q(db, "SELECT outcome, detail FROM pages WHERE url LIKE '%/tag-flood.html'") == [
        ("blocked", f"near-empty shell ({len(flood):,} bytes, under 200 bytes of text in its first 20,000 tags): "
                    "a JS-rendered or challenge page")]
    assert q(db, "SELECT outcome FROM pages WHERE url LIKE '%/half-gbk.html'") == [("ok",)]


# ── the hostile site crawled (defects 2, 4, 5, 9, 10) ─────────────────────────────────────────────────

@pytest.fixture(scope="module")
def hostile_crawl(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile")
    with HostileSite(shared("corpus")) as site:
        rows = site.sites()
        rows[1]["max_listing_pages"] = 12          # the endless 下一页 chain, capped per site
        sites_csv, db = tmp / "sites.csv", tmp / "crawl.db"
        write_sites_csv(rows, str(sites_csv))
        first = crawl(sites_csv, db, "--progress", "--set", "NIANBAO_PROGRESS_INTERVAL=0.5")
        again = crawl(sites_csv, db)
        reparse = subprocess.run([NIANBAO, "reparse", "--db", str(db), "--quiet"], capture_output=True, text=True,
                                 timeout=300)
        yield db, site, first, again, reparse


def test_hostile_crawl_finishes_with_every_page_recorded(hostile_crawl):
    db, site, first, _, _ = hostile_crawl
    assert first.returncode == 0, first.stderr[-3000:]
    (reason,), = q(db, "SELECT finish_reason FROM crawl_runs WHERE id = 1")
    assert reason == "finished"
    outcome = {Path(u).name: (o, d) for u, o, d in q(db, "SELECT url, outcome, detail FROM pages WHERE site = ?",
                                                     site.AGENCY)}
    assert set(site.docs) <= set(outcome)
    assert outcome["lt-flood.html"][0] == "blocked" and "near-empty" in outcome["lt-flood.html"][1]
    assert outcome["bomb.docx"][0] == "error" and "ZipBomb" in outcome["bomb.docx"][1]
    assert outcome["span-bomb.html"][0] == "ok" and "table skipped" in outcome["span-bomb.html"][1]
    assert outcome["half-gbk.html"][0] == "ok" and "utf-8+gb18030" in outcome["half-gbk.html"][1]
    for name in ("style.html", "hidden-blocks.html", "link-farm.html", "huge-figures.html", "absurd-figures.html"):
        assert outcome[name][0] == "ok", (name, outcome[name])
    for name in ("huge-figures.html", "absurd-figures.html"):
        assert "figures out of bounds, left unparsed" in outcome[name][1]
    assert sum(1 for o, _ in outcome.values() if o == "error") == 2   # bomb.docx, encrypted.pdf
    assert outcome["encrypted.pdf"] == ("error", "the PDF is encrypted (password-protected): its text cannot be "
                                                 "read without the password")


def test_defect2_poison_page_does_not_stop_later_crawls_or_reparse(hostile_crawl):
    db, site, _, again, reparse = hostile_crawl
    assert again.returncode == 0, again.stderr[-3000:]
    assert reparse.returncode == 0, reparse.stderr[-3000:]
    assert q(db, "SELECT finish_reason FROM crawl_runs ORDER BY id") == [("finished",), ("finished",)]
    assert q(db, "SELECT count(*) FROM pages WHERE outcome = 'archived'") == [(0,)]   # nothing left half-done
    assert q(db, "SELECT outcome FROM pages WHERE url LIKE '%/huge-figures.html'") == [("ok",)]
    # every figure stored is within the bounds (no 2^63, no 5,000 digits): storage never saw them
    assert q(db, "SELECT count(*) FROM cells WHERE abs(value) >= 1000000000") == [(0,)]


def test_defect9_endless_listing_is_capped_and_the_cap_recorded(hostile_crawl):
    import json

    db, site, first, _, _ = hostile_crawl
    listing = q(db, "SELECT count(*) FROM pages WHERE site = ? AND outcome = 'listing'", site.ENDLESS_AGENCY)[0][0]
    assert listing == 12
    per_site = json.loads(q(db, "SELECT per_site FROM crawl_runs WHERE id = 1")[0][0])
    assert per_site[site.ENDLESS_AGENCY]["capped"] == "max_listing_pages 12 reached"
    assert f"{site.ENDLESS_AGENCY}: stopped at a crawl limit: max_listing_pages 12 reached" in first.stderr


def test_defect10_progress_lines_on_scrapy_2_19(hostile_crawl):
    _, _, first, _, _ = hostile_crawl
    lines = [ln for ln in first.stderr.splitlines() if "] fetched " in ln]
    assert lines and all("queued" in ln for ln in lines), first.stderr[-2000:]
    assert "AttributeError" not in first.stderr


def test_defect9_request_and_wall_clock_caps_are_hit_and_recorded(tmp_path):
    """The endless chain again, entered at two places as two sites: one stopped by `max_requests`, the
    other by `max_site_seconds` — each recorded in crawl_runs.per_site and said by `nianbao crawl`."""
    import json

    with HostileSite(shared("corpus"), names=("half-gbk.html",)) as site:
        by_requests = {"agency": "请求上限站点", "level": "county", "portal_url": site.base_url + "/",
                       "column_url": site.base_url + "/endless/index.html", "verified": "local",
                       "max_requests": "9", "max_listing_pages": "1000"}
        by_clock = {"agency": "时间上限站点", "level": "county", "portal_url": site.base_url + "/",
                    "column_url": site.base_url + "/endless/index_5000.html", "verified": "local",
                    "max_site_seconds": "3", "max_listing_pages": "100000", "max_requests": "100000"}
        sites_csv, db = tmp_path / "sites.csv", tmp_path / "crawl.db"
        write_sites_csv([by_requests, by_clock], str(sites_csv))
        proc = crawl(sites_csv, db)
    assert proc.returncode == 0, proc.stderr[-3000:]
    per_site = json.loads(q(db, "SELECT per_site FROM crawl_runs")[0][0])
    assert per_site["请求上限站点"]["capped"] == "max_requests 9 reached"
    assert per_site["时间上限站点"]["capped"] == "max_site_seconds 3 reached"
    assert q(db, "SELECT count(*) FROM pages WHERE site = '请求上限站点'")[0][0] <= 9
    assert "请求上限站点: stopped at a crawl limit: max_requests 9 reached" in proc.stderr
    assert "时间上限站点: stopped at a crawl limit: max_site_seconds 3 reached" in proc.stderr


def test_site_limits_default_from_the_registry_and_override_per_row():
    from crawler.registry import SITE_LIMITS, site_limits

    assert site_limits({}) == SITE_LIMITS == {"max_listing_pages": 200, "max_requests": 5000, "max_site_seconds": 7200}
    assert site_limits({"max_requests": "30", "max_listing_pages": ""})["max_requests"] == 30


def test_defect10_clean_says_why_it_cannot_read(tmp_path):
    """`nianbao clean` exited 1 with no message on a file it could not read, and called a folder "no such
    file": each now gets one line on stderr saying what is wrong."""
    import random

    junk = tmp_path / "junk.bin"
    junk.write_bytes(random.Random(9).randbytes(5000))   # no encoding decodes it
    cases = {str(tmp_path): (2, "is a folder (give one file; nianbao ingest takes folders)"),
             "/proc/self/mem": (2, "cannot read the file: Input/output error"),   # root reads chmod 000 files
             str(junk): (1, "cannot decode: bytes do not decode in any declared or detected encoding"),
             str(tmp_path / "missing.html"): (2, "no such file")}
    for path, (code, why) in cases.items():
        r = subprocess.run([NIANBAO, "clean", path], capture_output=True, text=True, timeout=120)
        assert (r.returncode, r.stderr) == (code, f"nianbao clean: {path}: {why}\n"), path


# ── defects 6 and 7 through a real `nianbao serve` ──────────────────────────────────────────────────

@pytest.fixture(scope="module")
def served(tmp_path_factory):
    from e2e.served import Server, build_db

    from demo.hostile import documents

    tmp = tmp_path_factory.mktemp("served")
    poison = tmp / "absurd-figures.html"
    poison.write_bytes(documents(shared("corpus"), ["absurd-figures.html"])["absurd-figures.html"])
    db = build_db(tmp / "hostile.db", poison, shared("corpus", "huaian", "huaian-2024-report.pdf"))
    server = Server(db, tmp)
    yield server
    server.stop()


def test_defect6_function_bomb_fails_at_once_and_starves_no_reader(served):
    import threading
    import time

    bomb = {"sql": "select length(printf('%.*c', 2000000000, 'x'))"}
    answers = []
    threads = [threading.Thread(target=lambda: answers.append(served.get(f"/{served.db}.json", bomb)))
               for _ in range(3)]
    for t in threads:
        t.start()
    started = time.monotonic()
    status, _, body = served.get(f"/{served.db}/report_summary.json")   # an unrelated page, meanwhile
    waited = time.monotonic() - started
    for t in threads:
        t.join(60)
    assert status == 200 and b"\"rows\"" in body
    assert len(answers) == 3
    for code, _, text in answers:
        assert b"user-defined function raised exception" in text and b'"rows": []' in text, text[:300]
    assert waited < 30   # a liveness bound, not a speed target (the issue measured 65 s)


def test_defect6_ordinary_printf_still_works(served):
    rows = served.json(f"/{served.db}.json", sql="select printf('%05d|%.2f|%s', 7, 3.14159, 'x') AS s")["rows"]
    assert rows == [["00007|3.14|x"]]


def test_defect10_post_to_a_canned_query_is_405_not_500(served):
    import urllib.error
    import urllib.request

    req = urllib.request.Request(f"{served.url}/{served.db}/report_index", data=b"x=1", method="POST")
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(req, timeout=30)
    assert err.value.code == 405


def test_defect7_dashboard_requests_chart_is_not_emptied_by_a_poison_total(served):
    from e2e.served import metadata

    charts = metadata()["plugins"]["datasette-dashboards"]["overview"]["charts"]
    sql = next(c["query"] for c in charts.values() if "new_requests" in c.get("query", ""))
    sql = re.sub(r"\[\[.*?\]\]", "", sql, flags=re.S)
    data = served.json(f"/{served.db}.json", sql=sql, _shape="objects")
    assert data["ok"] and data["rows"], data
    assert all(abs(r["new_requests"] or 0) < 10 ** 12 for r in data["rows"])
