"""The evidence archive in WARC: what nianbao writes opens in warcio's own reader and passes `warcio index` and
`warcio check`; a crawl of the demo portal rebuilt from its WARC files by `nianbao reparse` gives the same
records, cells, checks and findings; a database from before the WARC archive (raw bytes as blobs) migrates
with every body's sha256 kept; a truncated or corrupt WARC file is a recorded error, never a crashed reparse."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import shared

from crawler.run import write_sites_csv
from demo.portal import DemoPortal
from pipelines.ingest import ingest_paths, reparse
from pipelines.schema import open_db
from pipelines.warc_archive import ArchiveError, archived_bytes, page_bytes, warc_dir

BIN = Path(sys.executable).parent
DERIVED = ("reports", "cell_values", "check_values", "spam_findings", "report_sources", "active_wide", "applications_wide",
           "review_wide", "prose_wide")


def records_of(db_path: Path) -> dict:
    """What a reader of the database sees, without timestamps: reports, cells, checks, findings."""
    con = sqlite3.connect(db_path)
    try:
        return {
            "reports": con.execute(
                "SELECT id, report_key, agency_id, agency, year, revision, is_current, format, title, published, "
                "page_id, source_url, text, text_simplified, record_hash, figures_hash, cells_parsed, cells_unparsed, "
                "quarantined, failed_checks, spam_findings FROM reports ORDER BY id").fetchall(),
            "cells": con.execute("SELECT report_id, table_name, key, value, raw, unparsed FROM cells "
                                 "ORDER BY 1, 2, 3").fetchall(),
            "checks": con.execute("SELECT report_id, rule, key, ok, detail FROM checks ORDER BY 1, 2, 3").fetchall(),
            "findings": con.execute("SELECT id, page_id, report_id, kind, text, location, action, evidence "
                                    "FROM spam_findings ORDER BY id").fetchall(),
            "summary": con.execute("SELECT * FROM report_summary ORDER BY report_id").fetchall(),
            "pages": con.execute("SELECT id, outcome, report_id, kind, encoding FROM pages ORDER BY id").fetchall(),
        }
    finally:
        con.close()


def warc_files(db_path: Path) -> list[Path]:
    return sorted(warc_dir(db_path).glob("*.warc.gz"))


def warcio_records(path: Path) -> list:
    from warcio.archiveiterator import ArchiveIterator

    out = []
    with open(path, "rb") as fh:
        for rec in ArchiveIterator(fh):
            out.append((rec.rec_type, rec.rec_headers.get_header("WARC-Target-URI"), rec.http_headers,
                        rec.content_stream().read()))
    return out


def warcio_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "warcio"), *args], capture_output=True, text=True, timeout=120)


# ── ingest: resource records ─────────────────────────────────────────────────────────────────────

@pytest.fixture
def seeds_db(tmp_path) -> Path:
    path = tmp_path / "seeds.db"
    db = open_db(str(path))
    assert ingest_paths(db, [str(shared("seeds"))]) == {"new": 5}
    db.conn.close()
    return path


def test_ingest_writes_resource_records_warcio_reads_back(seeds_db):
    files = warc_files(seeds_db)
    assert len(files) == 1 and files[0].name.endswith(".warc.gz")
    records = warcio_records(files[0])
    assert [r[0] for r in records] == ["warcinfo"] + ["resource"] * 5
    seeds = {p.resolve().as_uri(): p.read_bytes() for p in shared("seeds").iterdir() if p.suffix in (".html", ".txt")}
    for _type, uri, _http, body in records[1:]:
        assert seeds[uri] == body  # the file's own bytes under its file: URI
    con = sqlite3.connect(seeds_db)
    cols = {r[1] for r in con.execute("PRAGMA table_info(archive)")}
    assert "data" not in cols and {"warc_file", "warc_offset", "warc_length"} <= cols
    for page_id, digest in con.execute("SELECT id, sha256 FROM pages").fetchall():
        assert hashlib.sha256(page_bytes(con, page_id)).hexdigest() == digest
    # the database holds no raw bytes: it is smaller than the archive it indexes
    assert sum(f.stat().st_size for f in files) > 0
    assert con.execute("SELECT sum(size) FROM archive").fetchone()[0] == sum(len(b) for b in seeds.values())
    con.close()


def test_warcio_index_and_check_accept_our_files(seeds_db):
    path = warc_files(seeds_db)[0]
    index = warcio_cli("index", "-f", "warc-type,warc-target-uri,offset,length", str(path))
    assert index.returncode == 0, index.stderr
    lines = index.stdout.strip().splitlines()
    assert len(lines) == 6 and sum('"resource"' in line for line in lines) == 5
    con = sqlite3.connect(seeds_db)
    located = {(f, o, n) for f, o, n in con.execute("SELECT warc_file, warc_offset, warc_length FROM archive")}
    con.close()
    import json

    indexed = {(path.name, int(j["offset"]), int(j["length"])) for j in map(json.loads, lines)
               if j["warc-type"] == "resource"}
    assert indexed == located  # the database's (file, offset, length) are warcio's own
    check = warcio_cli("check", "-v", str(path))
    assert check.returncode == 0, check.stdout + check.stderr
    assert "digest pass" in check.stdout and "digest failed" not in check.stdout


def test_reparse_rebuilds_from_the_warc_files(seeds_db):
    before = records_of(seeds_db)
    db = open_db(str(seeds_db))
    assert reparse(db) == {"unchanged": 5}
    db.conn.close()
    assert records_of(seeds_db) == before


# ── corrupt and truncated files ──────────────────────────────────────────────────────────────────

def test_truncated_warc_is_a_recorded_error_for_its_pages_only(seeds_db):
    con = sqlite3.connect(seeds_db)
    rows = con.execute("SELECT p.id, a.warc_file, a.warc_offset, a.warc_length FROM pages p "
                       "JOIN archive a ON a.sha256 = p.sha256 ORDER BY a.warc_offset").fetchall()
    con.close()
    last_id, file, last_offset, _ = rows[-1]
    path = warc_dir(seeds_db) / file
    with open(path, "r+b") as fh:  # the last record cut in half, as by a full disk or a killed copy
        fh.truncate(last_offset + 100)
    before = records_of(seeds_db)
    db = open_db(str(seeds_db))
    counts = reparse(db)
    db.conn.close()
    assert counts == {"unchanged": 4, "archive_error": 1}
    con = sqlite3.connect(seeds_db)
    outcome, detail = con.execute("SELECT outcome, detail FROM pages WHERE id = ?", [last_id]).fetchone()
    assert outcome == "archive_error" and "truncated" in detail and file in detail
    with pytest.raises(ArchiveError):
        page_bytes(con, last_id)
    con.close()
    after = records_of(seeds_db)
    # its report is kept as it was stored; nothing else changed
    assert {k: v for k, v in after.items() if k != "pages"} == {k: v for k, v in before.items() if k != "pages"}


def test_corrupt_record_is_a_recorded_error_never_a_crash(seeds_db):
    con = sqlite3.connect(seeds_db)
    rows = con.execute("SELECT p.id, a.sha256, a.warc_file, a.warc_offset, a.warc_length FROM pages p "
                       "JOIN archive a ON a.sha256 = p.sha256 ORDER BY a.warc_offset").fetchall()
    con.close()
    page_id, digest, file, offset, length = rows[1]
    path = warc_dir(seeds_db) / file
    data = bytearray(path.read_bytes())
    for i in range(offset + length // 2, offset + length // 2 + 64):  # garbage in the middle of one gzip member
        data[i] ^= 0x5A
    path.write_bytes(bytes(data))
    (warc_dir(seeds_db) / "unrelated.txt").write_text("not a WARC")  # stray files are ignored
    db = open_db(str(seeds_db))
    counts = reparse(db)
    db.conn.close()
    assert counts == {"unchanged": 4, "archive_error": 1}
    con = sqlite3.connect(seeds_db)
    assert con.execute("SELECT outcome FROM pages WHERE id = ?", [page_id]).fetchone()[0] == "archive_error"
    # every other body still reads back whole
    for pid, sha in con.execute("SELECT id, sha256 FROM pages WHERE id != ?", [page_id]).fetchall():
        assert hashlib.sha256(page_bytes(con, pid)).hexdigest() == sha
    con.close()
    # a missing file too
    path.unlink()
    db = open_db(str(seeds_db))
    assert reparse(db) == {"archive_error": 5}
    db.conn.close()


# ── migration of a database with blobs ───────────────────────────────────────────────────────────

def old_style_copy(new_db: Path, old_db: Path) -> dict[str, bytes]:
    """The same database laid out as before the WARC archive: `archive(sha256, size, content_type, data,
    decoded_text)` with every body as a blob (the DDL of pipelines/schema.py up to 2026-12), no WARC folder."""
    shutil.copy(new_db, old_db)
    con = sqlite3.connect(old_db)
    bodies = {sha: page_bytes(sqlite3.connect(new_db), pid)
              for pid, sha in con.execute("SELECT id, sha256 FROM pages").fetchall()}
    con.execute("CREATE TABLE archive_old (sha256 TEXT PRIMARY KEY, size INTEGER, content_type TEXT, data BLOB, "
                "decoded_text TEXT)")
    for sha, size, ctype, text in con.execute("SELECT sha256, size, content_type, decoded_text FROM archive").fetchall():
        con.execute("INSERT INTO archive_old VALUES (?, ?, ?, ?, ?)", [sha, size, ctype, bodies[sha], text])
    con.execute("DROP TABLE archive")
    con.execute("ALTER TABLE archive_old RENAME TO archive")
    con.execute("DROP TABLE _sqlite_migrations")  # nor had it migrations (pipelines/schema.py) applied
    con.commit()
    con.close()
    assert not warc_dir(old_db).exists()
    return bodies


def test_old_database_blobs_move_into_warc_with_every_sha256_kept(seeds_db, tmp_path):
    old = tmp_path / "old.db"
    bodies = old_style_copy(seeds_db, old)
    before = records_of(old)
    con = sqlite3.connect(old)
    blob_sha = {sha: hashlib.sha256(data).hexdigest() for sha, data in con.execute("SELECT sha256, data FROM archive")}
    con.close()
    assert blob_sha and all(k == v for k, v in blob_sha.items()) and set(blob_sha) == set(bodies)
    size_before = old.stat().st_size
    open_db(str(old)).conn.close()  # opening upgrades it
    con = sqlite3.connect(old)
    assert "data" not in {r[1] for r in con.execute("PRAGMA table_info(archive)")}
    for sha in blob_sha:  # every body, byte for byte, from its new WARC record
        assert hashlib.sha256(archived_bytes(con, sha)).hexdigest() == sha
    con.close()
    assert old.stat().st_size < size_before  # the blobs left the file (VACUUMed)
    assert records_of(old) == before
    for f in warc_files(old):
        assert warcio_cli("check", str(f)).returncode == 0
    db = open_db(str(old))  # and the migrated database reparses from its WARC files
    assert reparse(db) == {"unchanged": 5}
    db.conn.close()


# ── a crawl of the demo portal → WARC → reparse ──────────────────────────────────────────────────

@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("warc-crawl")
    portal = DemoPortal(size=1).start()
    try:
        sites_csv, db = tmp / "sites.csv", tmp / "crawl.db"
        write_sites_csv(portal.sites(), str(sites_csv))
        proc = subprocess.run([str(BIN / "nianbao"), "crawl", "--sites-file", str(sites_csv), "--db", str(db),
                               "--no-throttle"], capture_output=True, text=True, timeout=600)
        assert proc.returncode in (0, 3), proc.stderr[-3000:]
    finally:
        portal.stop()
    return db


def test_crawl_writes_response_records_with_their_requests(crawled):
    files = warc_files(crawled)
    assert files
    responses, requests = {}, {}
    for f in files:
        for rec_type, uri, http, body in warcio_records(f):
            if rec_type == "response":
                responses[uri] = (http, body)
            elif rec_type == "request":
                requests[uri] = http
        check = warcio_cli("check", str(f))
        assert check.returncode == 0, check.stdout + check.stderr
    con = sqlite3.connect(crawled)
    reports = con.execute("SELECT p.url, p.sha256, p.etag, p.content_type FROM pages p JOIN archive a ON "
                          "a.sha256 = p.sha256 WHERE p.outcome = 'ok' AND p.url LIKE 'http%'").fetchall()
    con.close()
    assert len(reports) > 20
    seen = 0
    for url, sha, etag, ctype in reports:
        if url not in responses:
            continue  # the same bytes were archived once, under the URL that fetched them first
        http, body = responses[url]
        seen += 1
        assert hashlib.sha256(body).hexdigest() == sha
        assert http.get_statuscode() == "200" and http.get_header("Content-Type") == ctype
        if etag:
            assert http.get_header("ETag") == etag  # conditional requests can replay from the archive
        assert requests[url].protocol.startswith("GET")
        assert requests[url].get_header("User-Agent", "").startswith("nianbao/")
    assert seen > 20


def test_crawl_rebuilt_from_its_warc_files_gives_the_same_records(crawled, tmp_path):
    rebuilt = tmp_path / "rebuilt.db"
    shutil.copy(crawled, rebuilt)
    shutil.copytree(warc_dir(crawled), warc_dir(rebuilt))
    expected = records_of(crawled)
    assert len(expected["reports"]) > 20 and expected["findings"] and expected["checks"]
    con = sqlite3.connect(rebuilt)
    for table in DERIVED:  # everything extraction made: gone; only pages and the archive index stay
        con.execute(f"DELETE FROM {table}")
    con.execute("DELETE FROM report_summary")
    con.execute("INSERT INTO reports_fts (reports_fts) VALUES ('delete-all')")  # contentless: no DELETE
    con.commit()
    con.close()
    db = open_db(str(rebuilt))
    counts = reparse(db)
    db.conn.close()
    assert "archive_error" not in counts and counts["new"] == len({r[1] for r in expected["reports"]})
    assert records_of(rebuilt) == expected
