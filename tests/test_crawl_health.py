"""Crawl health and honest counters, over HTTP, by the real `nianbao crawl` in a subprocess.

The offline demo portal is crawled three times into one database: as generated; then in generation 2 (one
report on the TRS site changes a figure) with ten of the Hanweb site's eighteen reports gone from its
listing; then with every report of the hacked town's site gone. Each run's `crawl_health` rows must give
the real per-site numbers, flag the drop, and `nianbao crawl` must exit 4, then 3. A hostile site whose
pages make extraction fail must count those pages as parse errors, not hide them.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES, q, shared

from crawler.run import write_sites_csv
from demo.hostile import HostileSite
from demo.portal import DemoPortal
from pipelines.health import GONE_TO_ZERO, LOST_OVER_HALF, flag_of, reports_found
from pipelines.ingest import archive, ingest_bytes
from pipelines.models import FetchedResponse, FetchOutcome
from pipelines.schema import open_db

NIANBAO = str(Path(sys.executable).with_name("nianbao"))
QUERY = "sites_with_fewer_reports"


def crawl(sites_csv: Path, db: Path) -> subprocess.CompletedProcess:
    return subprocess.run([NIANBAO, "crawl", "--sites-file", str(sites_csv), "--db", str(db), "--no-throttle"],
                          capture_output=True, text=True, timeout=600)


def health(db: Path, run_id: int) -> dict[str, tuple]:
    """site → (expected, found, difference, new, changed, removed, blocked, fetch errors, parse errors, flag)."""
    return {r[0]: r[1:] for r in q(db, "SELECT site, reports_expected, reports_found, difference, new, changed, "
                                       "removed, blocked, fetch_errors, parse_errors, flag FROM crawl_health "
                                       "WHERE run_id = ?", run_id)}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """(db, manifest of generation 1, the three crawls)."""
    tmp = tmp_path_factory.mktemp("health")
    sites_csv, db = tmp / "sites.csv", tmp / "crawl.db"
    with DemoPortal(size=1) as portal:
        write_sites_csv(portal.sites(), str(sites_csv))
        manifest = portal.manifest()
        first = crawl(sites_csv, db)
        portal.advance()
        for report in manifest["hanweb"]["reports"][:10]:
            portal.withdraw("hanweb", report["url"])
        second = crawl(sites_csv, db)
        for report in manifest["hacked"]["reports"]:
            portal.withdraw("hacked", report["url"])
        third = crawl(sites_csv, db)
    return db, manifest, (first, second, third)


def test_first_run_finds_every_site_s_reports_and_expects_nothing_yet(runs):
    db, manifest, (first, _, _) = runs
    assert first.returncode == 0, first.stderr[-3000:]
    rows = health(db, 1)
    assert set(rows) == {s["agency"] for s in manifest.values()} | {"localhost (克隆站)"}
    for site in manifest.values():
        n = len(site["reports"])
        assert rows[site["agency"]][:3] == (None, n, None), site["agency"]
        assert rows[site["agency"]][-1] is None
    assert rows["示例县人民政府"] == (None, 18, None, 18, 0, 0, 0, 0, 0, None)
    # the hostile traps: a redirect loop, a truncated body and a 50 MB page are three failed fetches; the
    # near-empty shell is blocked
    assert rows["示例办公室"][6:] == (1, 3, 0, None)
    assert rows["示例委员会"][6] == 1   # the 412 $_ts site: blocked


def test_a_site_that_lost_more_than_half_is_flagged_and_the_exit_status_is_4(runs):
    db, manifest, (_, second, _) = runs
    assert second.returncode == 4, second.stderr[-3000:]
    rows = health(db, 2)
    assert rows["示例县人民政府"] == (18, 8, -10, 0, 0, 10, 0, 0, 0, LOST_OVER_HALF)
    assert rows["示例市人民政府"] == (16, 16, 0, 0, 1, 0, 0, 0, 0, None)   # generation 2: one figure changed
    for agency, row in rows.items():
        if agency != "示例县人民政府":
            assert row[0] == row[1] and row[-1] is None, (agency, row)
    assert "nianbao crawl: 示例县人民政府: 8 reports found, 18 in the previous run: lost more than half" \
        in second.stderr
    assert q(db, "SELECT count(*) FROM crawl_health WHERE run_id = 2 AND flag IS NOT NULL") == [(1,)]


def test_a_site_gone_to_zero_is_flagged_and_the_exit_status_is_3(runs):
    db, manifest, (_, _, third) = runs
    assert third.returncode == 3, third.stderr[-3000:]
    rows = health(db, 3)
    # nothing listed, nothing marked removed (an empty listing may be a broken one); but the drop is flagged
    assert rows["示例镇人民政府"] == (3, 0, -3, 0, 0, 0, 0, 0, 0, GONE_TO_ZERO)
    assert rows["示例县人民政府"] == (8, 8, 0, 0, 0, 0, 0, 0, 0, None)   # measured against run 2, not run 1
    assert "示例镇人民政府: 0 reports found, 3 in the previous run: yielded none" in third.stderr


def test_the_canned_query_answers_which_sites_dropped(runs):
    db, _, _ = runs

    def ask(run: str) -> list[dict]:
        out = subprocess.run([NIANBAO, "serve", "--db", str(db), "--get",
                              f"/{db.stem}/{QUERY}.json?_shape=array&run={run}"],
                             capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr[-2000:]
        return json.loads(out.stdout)

    latest = ask("")   # empty: the latest run
    assert [(r["run_id"], r["site"], r["flag"], r["reports_expected"], r["reports_found"]) for r in latest] == [
        (3, "示例镇人民政府", "归零 gone to zero", 3, 0)]
    assert [(r["site"], r["flag"], r["reports_expected"], r["reports_found"], r["removed"]) for r in ask("2")] == [
        ("示例县人民政府", "减少过半 lost more than half", 18, 8, 10)]
    assert ask("1") == []


def test_more_than_half_means_more_than_half():
    assert flag_of(18, 9, 18) is None            # exactly half lost: not flagged
    assert flag_of(18, 8, 18) == LOST_OVER_HALF
    assert flag_of(None, 5, None) is None        # a first run expects nothing
    assert flag_of(0, 0, 4) == GONE_TO_ZERO      # still none, when an earlier run found some
    assert flag_of(0, 0, None) is None           # never had any


def test_reports_found_counts_reports_not_pages(tmp_path):
    """A report published as a PDF and as a Word copy is two pages, one report found; in the next run both
    answer 304, and the site still has one report."""
    db = open_db(str(tmp_path / "found.db"))
    site, base = "淮安市人民政府", "https://www.huaian.gov.cn/zwgk/xxgknb/2024/"
    with db.conn:
        db["crawl_runs"].insert_all([{"id": 1}, {"id": 2}])
        pdf = shared("corpus", "huaian", "huaian-2024-report.pdf").read_bytes()
        docx = (FIXTURES / "office" / "huaian-2024-filled.docx").read_bytes()
        statuses = [ingest_bytes(db, data, source=base + name, url=base + name, crawl_run_id=1, site=site)[2]
                    for name, data in (("report.pdf", pdf), ("report.docx", docx))]
    assert statuses == ["new", "linked"]
    assert reports_found(db, 1) == {site: 1}
    with db.conn:
        for name in ("report.pdf", "report.docx"):
            archive(db, FetchedResponse(url=base + name, kind="attachment", site=site, status=304,
                                        fetch_outcome=FetchOutcome.NOT_MODIFIED, run_id=2))
    assert reports_found(db, 2) == {site: 1}


# ── counters tell the truth: a failed extraction is a parse error ────────────────────────────────────

def test_pages_whose_extraction_fails_are_counted_as_parse_errors(tmp_path):
    with HostileSite(shared("corpus"), names=("bomb.docx", "encrypted.pdf")) as site:
        sites_csv, db = tmp_path / "sites.csv", tmp_path / "crawl.db"
        write_sites_csv(site.sites()[:1], str(sites_csv))
        out = crawl(sites_csv, db)
    assert out.returncode == 0, out.stderr[-3000:]
    # both pages are recorded with the reason their extraction failed …
    failed = {Path(u).name: d for u, d in q(db, "SELECT url, detail FROM pages WHERE parse_outcome = 'error'")}
    assert set(failed) == {"bomb.docx", "encrypted.pdf"} and "ZipBomb" in failed["bomb.docx"]
    # … and counted: as parse errors, apart from failed fetches (there were none)
    assert q(db, "SELECT errors, fetch_errors, parse_errors FROM crawl_runs") == [(2, 0, 2)]
    assert q(db, "SELECT errors, fetch_errors, parse_errors FROM crawl_run_sites") == [(2, 0, 2)]
    assert q(db, "SELECT fetch_errors, parse_errors FROM crawl_health") == [(0, 2)]
    assert "fetch errors 0, parse errors 2," in out.stdout
