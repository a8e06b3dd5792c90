"""A real crawl, over HTTP, of the offline demo portal (plus the real corpus pages it mounts unmodified),
by the real `nianbao crawl` command in a subprocess, into a real SQLite file.

One portal for the module. The first crawl is checked against the portal's manifest site by site; the
second, after one report changed, must fetch only what changed; a crawl killed with SIGKILL and resumed
must end with the same reports, cells, checks and findings as an uninterrupted one.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import EXPECTED, load_expected, q, shared

from crawler.run import write_sites_csv
from demo.portal import DemoPortal

NIANBAO = str(Path(sys.executable).with_name("nianbao"))


def crawl(sites_csv: Path, db: Path, *extra: str, wait: bool = True):
    args = [NIANBAO, "crawl", "--sites-file", str(sites_csv), "--db", str(db), "--no-throttle", *extra]
    if not wait:
        return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return subprocess.run(args, capture_output=True, text=True, timeout=600)



@pytest.fixture(scope="module")
def portal():
    p = DemoPortal(size=1, corpus_dir=str(shared("corpus"))).start()
    yield p
    p.stop()


@pytest.fixture(scope="module")
def first(portal, tmp_path_factory):
    """The first crawl: (db, sites csv, manifest, requests the portal saw, the process)."""
    tmp = tmp_path_factory.mktemp("crawl")
    sites_csv, db = tmp / "sites.csv", tmp / "crawl.db"
    write_sites_csv(portal.sites(), str(sites_csv))
    portal.reset_log()
    proc = crawl(sites_csv, db)
    return db, sites_csv, portal.manifest(), list(portal.requests), proc


def cells_of(db: Path, page_url: str) -> dict:
    rows = q(db, "SELECT c.table_name || '.' || c.key, c.value FROM cells c JOIN pages p ON p.report_id = c.report_id "
                 "WHERE p.url = ? AND c.table_name != 'prose'", page_url)
    return dict(rows)


def test_crawl_finishes_and_records_a_run(first):
    db, _, manifest, _, proc = first
    assert proc.returncode == 0, proc.stderr[-3000:]
    (finish, fetched), = q(db, "SELECT finish_reason, pages_fetched FROM crawl_runs")
    assert finish == "finished" and fetched > 100
    assert "crawl run 1: finished" in proc.stdout


def test_every_report_found_per_site(first):
    db, _, manifest, _, _ = first
    for key, site in manifest.items():
        agencies = {r.get("site_agency") or site["agency"] for r in site["reports"]} if key != "real" else \
            {"平潭综合实验区", "淮安市人民政府"}  # the real site is two registry rows (two mounted columns)
        found = q(db, "SELECT count(DISTINCT report_id) FROM pages WHERE site IN (%s) AND report_id IS NOT NULL"
                  % ",".join("?" * len(agencies)), *agencies)[0][0]
        assert found == len(site["reports"]), (key, found, len(site["reports"]))
        for report in site["reports"] if isinstance(site["reports"], list) else []:
            assert q(db, "SELECT count(*) FROM pages WHERE url = ? AND report_id IS NOT NULL",
                     report["values_from"])[0][0] == 1, report["url"]


def test_every_generated_cell_is_extracted_as_generated(first):
    db, _, manifest, _, _ = first
    checked = 0
    for key, site in manifest.items():
        for report in site["reports"] if isinstance(site["reports"], list) else []:
            if not report.get("values"):
                continue
            got = cells_of(db, report["values_from"])
            want = {k: v for k, v in report["values"].items() if not k.startswith("prose.")}
            assert got == want, (key, report["url"], {k: (got.get(k), v) for k, v in want.items() if got.get(k) != v})
            checked += 1
    assert checked >= 75


def test_pagination_of_every_adapter_was_followed(first):
    _, _, manifest, requests, _ = first
    paths = {(m, p) for m, p, _ in requests}
    assert ("GET", "/trs/zwgk/zfxxgk/zfxxgknb/index_2.html") in paths          # TRS createPageHTML
    assert ("POST", "/hanweb/module/web/jpage/dataproxy.jsp") in {(m, p.split("?")[0]) for m, p in paths}  # Hanweb
    assert any(p.startswith("/trsdyn/trsapi/list2") for _, p in paths)          # TRS 动静结合 API
    assert any(p.startswith("/trsdyn/zwgk/zfxxgk/zfxxgknb/index_1.htm") for _, p in paths)
    assert any(p.startswith("/jsonapi/api/list") and "page=2" in p for _, p in paths)  # JSON API
    assert ("GET", "/gbk/xxgk/gknb/list_2.html") in paths                       # 下一页 links
    assert ("GET", "/trs/") in paths                                           # column found from the home page


def test_attachments_are_parsed(first):
    db, _, manifest, _, _ = first
    attached = [r for r in manifest["trs"]["reports"] if r["attachments"]]
    assert {Path(r["values_from"]).suffix for r in attached} == {".pdf", ".docx"}
    for r in attached:
        kind, = q(db, "SELECT kind FROM pages WHERE url = ?", r["values_from"])[0]
        assert kind in ("pdf", "docx")
        assert cells_of(db, r["values_from"]) == {k: v for k, v in r["values"].items() if not k.startswith("prose.")}


def test_spam_is_recorded_unconfirmed_and_the_text_restored(first):
    db, _, manifest, _, _ = first
    rows = q(db, "SELECT s.kind, s.action, s.text, s.reviewed FROM spam_findings s JOIN pages p ON p.id = s.page_id "
                 "WHERE p.site = ?", manifest["hacked"]["agency"])
    kinds = {(k, a) for k, a, _, _ in rows}
    assert ("keyword_substitution", "restored") in kinds
    assert kinds & {("hidden_element", "removed"), ("link_farm", "removed")}
    assert all(r[3] is None for r in rows)  # 未核实 until a person reviews it
    texts = q(db, "SELECT r.text FROM reports r JOIN pages p ON p.report_id = r.id WHERE p.site = ?",
              manifest["hacked"]["agency"])
    assert all("365体育投注" not in t for t, in texts)
    assert any("习近平新时代中国特色社会主义思想" in t for t, in texts)
    # and no finding anywhere else: the clean demo sites accuse nobody (the clone's findings are the clone's)
    others = q(db, "SELECT count(*) FROM spam_findings s JOIN pages p ON p.id = s.page_id WHERE p.site != ? "
                   "AND p.id NOT IN (SELECT page_id FROM clone_pages)", manifest["hacked"]["agency"])[0][0]
    assert others == 0


FAMILY_SITES = {"xj": "hex32-shtml", "gd": "guangdong-post", "vsb": "vsb", "hwnb": "hanweb-annual-module",
                "ah": "anhui-annual-report", "hb": "hebei-columns", "sx": "snowflake-id", "hlj": "heilongjiang",
                "ha": "henan-dated", "ln": "liaoning-id-index"}


def test_each_address_family_is_crawled_end_to_end(first):
    """One demo site per address family seen on real portals: every report fetched at its family's address,
    extracted and published — including listings whose link text says only "2023年度" (hwnb, sx, ln: known by
    address) and Liaoning's …/<HEX>/index.shtml, which looks like a listing page."""
    from crawler.addresses import family_of, report_by_address

    db, _, manifest, _, _ = first
    for key, family in FAMILY_SITES.items():
        site = manifest[key]
        assert len(site["reports"]) == 2, key
        for r in site["reports"]:
            assert family_of(r["url"]).name == family, r["url"]
            (report_id, quarantined), = q(db, "SELECT report_id, quarantined FROM pages WHERE url = ?", r["url"])
            assert report_id and quarantined == 0, r["url"]
            (agency, year), = q(db, "SELECT agency, year FROM report_summary WHERE report_id = ?", report_id)
            assert (agency, year) == (r["agency"], r["year"]), r["url"]
        if key in ("hwnb", "sx", "ln"):
            assert all(report_by_address(r["url"]) for r in site["reports"])


def test_the_clone_is_quarantined_and_published_as_a_clone_finding(first):
    db, _, manifest, _, _ = first
    gd, clone = manifest["gd"], manifest["gd"]["clone"]
    for url in clone["pages"]:
        (quarantined, outcome), = q(db, "SELECT quarantined, outcome FROM pages WHERE url = ?", url)
        assert (quarantined, outcome) == (1, "quarantined"), url
    (host, copied, copied_host, matched_by, first_seen, last_seen, pages, spam), = q(
        db, "SELECT clone_host, copied_agency, copied_host, matched_by, first_seen, last_seen, pages, spam_found "
            "FROM clone_sites")
    assert (host.split(":")[0], copied, copied_host, matched_by, pages) == \
        ("localhost", gd["agency"], clone["copies_host"], "column path", 2)
    assert first_seen <= last_seen and spam >= 2          # the injected casino links, on each of its pages
    # never the agency's report: gd's two reports are published once each, from gd's own host
    published = q(db, "SELECT s.year, p.url FROM report_summary s JOIN pages p ON p.report_id = s.report_id "
                      "WHERE s.agency = ?", gd["agency"])
    assert sorted(y for y, _ in published) == sorted(r["year"] for r in gd["reports"])
    assert all(u.startswith("http://127.0.0.1:") for _, u in published)


def test_robots_disallowed_column_is_never_fetched(first):
    db, _, manifest, requests, _ = first
    assert not [p for _, p, _ in requests if p.startswith(manifest["robots"]["disallowed"])]
    outcomes = q(db, "SELECT outcome FROM pages WHERE site = ?", manifest["robots"]["agency"])
    assert outcomes == [("robots",)]


def test_antibot_site_is_blocked_once_not_retried(first):
    db, _, manifest, requests, _ = first
    assert len([p for _, p, _ in requests if p.startswith("/antibot/")]) == 1
    (outcome, status, detail), = q(db, "SELECT outcome, http_status, detail FROM pages WHERE site = ?",
                                   manifest["antibot"]["agency"])
    assert (outcome, status) == ("blocked", 412) and "$_ts" in detail
    assert q(db, "SELECT count(*) FROM reports r JOIN pages p ON p.report_id = r.id WHERE p.site = ?",
             manifest["antibot"]["agency"])[0][0] == 0


def test_hostile_pages_each_get_a_clear_outcome(first):
    db, _, manifest, requests, _ = first
    rows = {Path(u).name: (o, d) for u, o, d in q(db, "SELECT url, outcome, detail FROM pages WHERE site = ?",
                                                   manifest["hostile"]["agency"])}
    assert rows["b"][0] == "error" and rows["b"][1].startswith("redirect loop:")
    assert rows["offsite.html"][0] == "off_domain" and "example.invalid" in rows["offsite.html"][1]
    assert rows["truncated.html"][0] == "error" and "truncated" in rows["truncated.html"][1]
    assert rows["huge.html"][0] == "error" and "too large" in rows["huge.html"][1]
    assert rows["shell.html"][0] == "blocked" and "near-empty" in rows["shell.html"][1]
    assert sum(1 for o, _ in rows.values() if o == "ok") == 1
    assert not any("example.invalid" in p for _, p, _ in requests)


def test_real_corpus_pages_crawled_unmodified_give_their_hand_read_values(first):
    db, _, manifest, _, _ = first
    by_title = {"平潭综合实验区2022": "pingtan-2022-report.html.json", "平潭综合实验区2024": "pingtan-2024-report.html.json",
                "洪泽区人民政府2023": "hongze-2023-report.pdf.json", "淮安市人民政府2024": "huaian-2024-report.pdf.json"}
    seen = set()
    for report in manifest["real"]["reports"]:
        key = next(k for k in by_title if k[:-4] in report["title"] and k[-4:] in report["title"])
        exp = load_expected(EXPECTED / by_title[key])
        want = {f"{t}.{k}": v for t in ("active", "applications", "review_litigation") for k, v in exp[t].items()}
        assert cells_of(db, report["values_from"]) == want, key
        seen.add(key)
    assert seen == set(by_title)
    # the eight reports the real listing names but the corpus does not hold are recorded, not lost
    assert q(db, "SELECT count(*) FROM pages WHERE site = '平潭综合实验区' AND outcome = 'error' AND detail = 'HTTP 404' "
                 "AND url LIKE '%/t20%'")[0][0] == len(manifest["real"]["not_found"])


def test_second_crawl_fetches_only_what_changed(first, portal):
    db, sites_csv, manifest, _, _ = first
    changed = manifest["trs"]["changes_in_generation_2"]
    before = cells_of(db, changed["url"])[changed["key"]]
    portal.advance()
    portal.reset_log()
    proc = crawl(sites_csv, db)
    assert proc.returncode == 0, proc.stderr[-3000:]
    requests = list(portal.requests)
    run = q(db, "SELECT reports_new, reports_changed, not_modified FROM crawl_runs WHERE id = 2")[0]
    assert run[:2] == (0, 1)
    # report pages and attachments answered 304 except the one that changed; listings were re-read
    report_paths = {urlsplit(r["values_from"]).path for s in manifest.values()  # a path: Liaoning's are all index.shtml
                    if isinstance(s["reports"], list) for r in s["reports"]}
    full = [p for m, p, st in requests if st == 200 and urlsplit(p).path in report_paths]
    assert full == [urlsplit(changed["url"]).path]
    assert run[2] >= 70
    assert any(p.startswith("/trs/zwgk/zfxxgk/zfxxgknb/index") and st == 200 for _, p, st in requests)
    revs = q(db, "SELECT r.revision, r.is_current FROM reports r WHERE r.report_key = "
                 "(SELECT report_key FROM pages WHERE url = ? AND report_key IS NOT NULL LIMIT 1) ORDER BY revision",
             changed["url"])
    assert revs == [(1, 0), (2, 1)]
    after = dict(q(db, "SELECT c.table_name || '.' || c.key, c.value FROM cells c JOIN reports r ON r.id = c.report_id "
                       "WHERE r.is_current = 1 AND r.report_key = (SELECT report_key FROM pages WHERE url = ? "
                       "AND report_key IS NOT NULL LIMIT 1)", changed["url"]))
    assert after[changed["key"]] == before + 12


def test_report_gone_from_its_listing_is_marked_removed_not_deleted(first, portal):
    db, sites_csv, manifest, _, _ = first
    gone = manifest["hanweb"]["reports"][-1]
    portal.withdraw("hanweb", gone["url"])
    proc = crawl(sites_csv, db)
    assert proc.returncode == 0, proc.stderr[-3000:]
    key, = q(db, "SELECT report_key FROM pages WHERE url = ? AND report_key IS NOT NULL LIMIT 1", gone["values_from"])[0]
    rows = q(db, "SELECT is_current, removed_at IS NOT NULL FROM reports WHERE report_key = ?", key)
    assert rows == [(1, 1)]  # still there, current, marked removed
    assert q(db, "SELECT count(*) FROM report_summary WHERE report_id IN (SELECT id FROM reports WHERE report_key = ?)",
             key) == [(0,)]
    (removed,), = q(db, "SELECT removed FROM crawl_run_sites WHERE site = ? ORDER BY run_id DESC LIMIT 1",
                    manifest["hanweb"]["agency"])
    assert removed == 1
    # nothing else was marked removed: the other sites' reports are all still listed
    assert q(db, "SELECT count(*) FROM reports WHERE removed_at IS NOT NULL") == [(1,)]


def content(db: Path) -> dict:
    """What a crawl produced, without ids, timestamps and crawl_runs."""
    return {
        "reports": sorted(q(db, "SELECT report_key, revision, is_current, record_hash, agency, year FROM reports")),
        "cells": sorted(q(db, "SELECT r.report_key, r.revision, c.table_name, c.key, c.value, c.raw FROM cells c "
                              "JOIN reports r ON r.id = c.report_id")),
        "checks": sorted(q(db, "SELECT r.report_key, r.revision, k.rule, k.key, k.ok, k.detail FROM checks k "
                               "JOIN reports r ON r.id = k.report_id")),
        "findings": sorted(q(db, "SELECT source, kind, text, action FROM spam_findings")),
        # every report revision has its search entry (written with the cells at the commit of its batch)
        "search": sorted(q(db, "SELECT r.report_key, r.revision FROM reports r WHERE r.rowid IN "
                               "(SELECT rowid FROM reports_fts)")),
        # what each URL came to (a resumed crawl also meets pages it had stored: 304, not_modified)
        "outcomes": sorted(set(q(db, "SELECT url, outcome FROM pages WHERE outcome NOT IN ('listing', 'not_modified')"))),
    }


def test_kill_9_mid_crawl_then_resume_equals_an_uninterrupted_crawl(tmp_path):
    portal = DemoPortal(size=1, corpus_dir=str(shared("corpus"))).start()
    try:
        sites_csv = tmp_path / "sites.csv"
        write_sites_csv(portal.sites(), str(sites_csv))
        whole, resumed, jobdir = tmp_path / "whole.db", tmp_path / "resumed.db", tmp_path / "job"
        assert crawl(sites_csv, whole).returncode == 0
        proc = crawl(sites_csv, resumed, "--jobdir", str(jobdir), wait=False)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            time.sleep(0.2)
            if resumed.exists():
                try:
                    n = q(resumed, "SELECT count(*) FROM pages WHERE report_id IS NOT NULL")[0][0]
                except sqlite3.OperationalError:
                    continue
                if n >= 25:
                    break
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        assert proc.returncode == -signal.SIGKILL
        assert jobdir.exists()  # the queue survived the kill
        partial = q(resumed, "SELECT count(DISTINCT report_key) FROM reports")[0][0]
        again = crawl(sites_csv, resumed, "--jobdir", str(jobdir))
        assert again.returncode == 0, again.stderr[-3000:]
        assert not jobdir.exists()  # a finished crawl clears its queue
        a, b = content(whole), content(resumed)
        assert 25 <= partial < len({r[0] for r in a["reports"]})
        assert a["search"] == sorted((key, revision) for key, revision, *_ in a["reports"])
        for part in a:
            assert b[part] == a[part], part
        # no duplicate rows in the resumed database
        assert q(resumed, "SELECT count(*) FROM (SELECT report_key, revision FROM reports GROUP BY 1, 2 HAVING count(*) > 1)") \
            == [(0,)]
    finally:
        portal.stop()
