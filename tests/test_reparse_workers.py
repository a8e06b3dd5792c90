"""`nianbao reparse --workers N`: the archive re-parsed in N worker processes at once, one writer, and the
same rows as a one-worker reparse.

A crawl of the offline demo portal (reports in HTML with PDF and DOCX attachments, a clone, spam, hostile
traps) is emptied of everything extraction made — reports, cells, checks, findings, links — so that a
reparse must rebuild it all from the archived bytes: which page becomes the report and which is linked to
it as a second source, and which revision is which, depends on the order pages are stored in: where a parallel reparse that
stored out of order would differ.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import q

from crawler.run import write_sites_csv
from demo.portal import DemoPortal

NIANBAO = str(Path(sys.executable).with_name("nianbao"))
EXTRACTED = ("reports", "cell_values", "check_values", "spam_findings", "report_sources", "active_wide",
             "applications_wide", "review_wide", "prose_wide")


@pytest.fixture(scope="module")
def crawled(tmp_path_factory) -> Path:
    """A crawled database, with its WARC archive beside it, emptied of what extraction made (but for
    clone_pages: what the crawl recognised as a copy stays a copy on reparse)."""
    tmp = tmp_path_factory.mktemp("reparse-workers")
    with DemoPortal(size=1) as portal:
        write_sites_csv(portal.sites(), str(tmp / "sites.csv"))
        run = subprocess.run([NIANBAO, "crawl", "--sites-file", str(tmp / "sites.csv"), "--db", str(tmp / "crawl.db"),
                              "--no-throttle"], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    conn = sqlite3.connect(tmp / "crawl.db")
    with conn:
        for table in EXTRACTED:
            conn.execute(f"DELETE FROM [{table}]")
        conn.execute("INSERT INTO reports_fts (reports_fts) VALUES ('delete-all')")  # contentless: emptied so
        conn.execute("UPDATE pages SET report_id = NULL, report_key = NULL WHERE parse_outcome IS NOT NULL")
    conn.close()
    return tmp


def copy_of(crawled: Path, name: str) -> Path:
    """The database and its WARC files in a folder of their own (the archive is found beside the database)."""
    folder = crawled / name
    folder.mkdir()
    shutil.copy(crawled / "crawl.db", folder / "crawl.db")
    for warc in crawled.glob("crawl-warc*"):
        shutil.copytree(warc, folder / warc.name) if warc.is_dir() else shutil.copy(warc, folder / warc.name)
    return folder / "crawl.db"


def rows(db: Path) -> dict:
    return {
        "reports": q(db, "SELECT id, report_key, revision, is_current, record_hash, figures_hash, agency, year, "
                         "page_id, cells_parsed, failed_checks, spam_findings, quarantined FROM reports ORDER BY rowid"),
        "cells": q(db, "SELECT report_id, table_name, key, value, raw, unparsed, source, resolved_by, computed "
                       "FROM cells ORDER BY 1, 2, 3"),
        "checks": q(db, "SELECT report_id, rule, key, ok, detail FROM checks ORDER BY 1, 2, 3"),
        "findings": q(db, "SELECT id, page_id, report_id, kind, text, location, action FROM spam_findings ORDER BY id"),
        "sources": q(db, "SELECT report_key, page_source, report_id, record_hash FROM report_sources ORDER BY 1, 2"),
        "pages": q(db, "SELECT id, outcome, parse_outcome, detail, report_id, report_key FROM pages ORDER BY id"),
        "clones": q(db, "SELECT page_id, clone_host, copied_agency, matched_by FROM clone_pages ORDER BY 1"),
    }


def reparse(db: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([NIANBAO, "reparse", "--db", str(db), *extra], capture_output=True, text=True, timeout=600)


def test_two_workers_store_exactly_what_one_worker_stores(crawled):
    one, two = copy_of(crawled, "one"), copy_of(crawled, "two")
    a, b = reparse(one, "--workers", "1"), reparse(two, "--workers", "2")
    assert a.returncode == 0 and b.returncode == 0, (a.stderr[-2000:], b.stderr[-2000:])
    counts = [re.sub(r"^reparsed \d+ pages in .*?\): ", "", p.stdout.strip()) for p in (a, b)]
    assert counts[0] == counts[1]
    assert counts[0] == "new 102, not_a_report 2"   # rebuilt from the archive, not merely kept
    ra, rb = rows(one), rows(two)
    assert len(ra["reports"]) >= 90 and len(ra["cells"]) > 5_000 and ra["findings"] and ra["clones"]
    assert all(r[4] and r[5] for r in ra["reports"])   # record and figures hashes stored (revisions are decided on them)
    for part in ra:
        assert rb[part] == ra[part], part


def test_reparse_says_how_fast_and_with_how_many_workers(crawled):
    db = copy_of(crawled, "rate")
    out = reparse(db, "--workers", "2")
    assert out.returncode == 0, out.stderr[-2000:]
    total = q(db, "SELECT count(*) FROM pages WHERE fetch_outcome = 'ok' AND parse_outcome IS NOT NULL")[0][0]
    assert re.match(rf"reparsed {total} pages in [\d.]+ s: [\d.]+ pages/s \(2 workers\): ", out.stdout), out.stdout
    # stderr is no terminal here: no progress line per page, no bar
    assert "reparse [" not in out.stderr and out.stderr.count("\n") <= 2, out.stderr[-2000:]


def test_a_bad_worker_count_is_refused(tmp_path):
    out = reparse(tmp_path / "x.db", "--workers", "-1")
    assert out.returncode == 2 and "--workers" in out.stderr
