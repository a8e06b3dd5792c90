"""The distributed crawl (crawler/distributed.py, pipelines/load.py) on a real `redis-server` on 127.0.0.1.

Two crawl workers and one loader against the demo portal; one worker is killed with SIGKILL mid-crawl while it
has requests in flight; the other finishes its share, and the database ends with every report exactly once and
the same reports, cells, checks, spam findings and page outcomes as a one-process `nianbao crawl`.
redis-server is a Debian package (`.ci/run` installs it); without it these tests fail, they never skip.
"""

from __future__ import annotations

import os
import pickle
import shutil
import signal
import socket
import subprocess
import time
from contextlib import contextmanager
from urllib.parse import urlsplit

import pytest
from conftest import q, shared
from test_crawl_e2e import NIANBAO, content, crawl

from crawler.distributed import ITEMS, ITEMS_LOADING, RUN_TTL, HostSlots, connect, inflight_key, keys, site_key
from crawler.run import write_sites_csv
from demo.portal import DemoPortal


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is not installed: the distributed tests need the Debian package "
                    "(apt-get install redis-server; .ci/run installs it)")
    port, folder = free_port(), tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen([binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no",
                             "--dir", str(folder)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        for _ in range(100):
            try:
                connect(url)
                break
            except Exception:  # noqa: BLE001 - not listening yet
                if proc.poll() is not None:
                    pytest.fail(f"redis-server exited with {proc.returncode}")
                time.sleep(0.05)
        yield url
    finally:
        proc.kill()
        proc.wait()


def nianbao(*args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run([NIANBAO, *args], capture_output=True, text=True, timeout=timeout)


def items_by(server, worker: str) -> int:
    return sum(pickle.loads(raw)["worker"] == worker for raw in server.lrange(ITEMS, 0, -1))


def test_two_workers_one_killed_one_loader_equal_a_one_process_crawl(redis_url, tmp_path):
    portal = DemoPortal(size=1, corpus_dir=str(shared("corpus"))).start()
    try:
        sites_csv = tmp_path / "sites.csv"
        write_sites_csv(portal.sites(), str(sites_csv))
        whole, dist = tmp_path / "whole.db", tmp_path / "dist.db"
        one = crawl(sites_csv, whole)
        assert one.returncode == 0, one.stderr[-3000:]

        server = connect(redis_url)
        server.flushdb()
        queued = nianbao("enqueue", "--redis", redis_url, "--sites-file", str(sites_csv))
        assert queued.returncode == 0, queued.stderr
        run = server.get("nianbao:run").decode()
        assert f"run {run}: {len(portal.sites())} start requests" in queued.stdout
        # a small global delay per host keeps the crawl long enough to kill a worker in the middle of it;
        # short heartbeat and lease times so the test does not wait the production 15 s / 60 s
        worker = [NIANBAO, "crawl", "--redis", redis_url, "--db", str(dist), "--no-throttle",
                  "--set", "DOWNLOAD_DELAY=0.05", "--set", "NIANBAO_HEARTBEAT_TTL_MS=5000",
                  "--set", "NIANBAO_HOST_LEASE_S=5"]
        logs = [open(tmp_path / f"worker{i}.log", "w+") for i in range(2)]
        victim = subprocess.Popen(worker, stdout=logs[0], stderr=subprocess.STDOUT)
        survivor = subprocess.Popen(worker, stdout=logs[1], stderr=subprocess.STDOUT)
        victim_id = f"{socket.gethostname()}-{victim.pid}"
        deadline = time.monotonic() + 120
        in_flight: list[bytes] = []
        while time.monotonic() < deadline and victim.poll() is None:
            in_flight = server.lrange(inflight_key(run, victim_id), 0, -1)
            if in_flight and items_by(server, victim_id) >= 10:
                break
            time.sleep(0.02)
        assert in_flight and victim.poll() is None, "the worker to kill finished (or never fetched) first"
        os.kill(victim.pid, signal.SIGKILL)
        assert victim.wait() == -signal.SIGKILL
        killed_holding = [pickle.loads(r) for r in server.lrange(inflight_key(run, victim_id), 0, -1)]
        assert killed_holding, "the killed worker had requests in flight"
        time.sleep(0.5)   # what the killed worker had sent is answered by now; reclaiming waits for its 5 s TTL
        seen_before = len(portal.requests)

        assert survivor.wait(timeout=600) == 0, (tmp_path / "worker1.log").read_text()[-3000:]
        # the survivor re-queued the dead worker's in-flight requests and fetched them
        assert server.llen(inflight_key(run, victim_id)) == 0
        assert server.llen(keys(run)["requests"]) == 0

        loaded = nianbao("load", "--redis", redis_url, "--db", str(dist), "--quiet")
        assert loaded.returncode == 0, loaded.stderr[-3000:]
        assert server.llen(ITEMS) == 0 and not server.exists(ITEMS_LOADING)

        a, b = content(whole), content(dist)
        for part in a:
            assert b[part] == a[part], part
        # every report exactly once, and each request the killed worker held was sent again, by the other
        assert q(dist, "SELECT count(*) FROM (SELECT report_key, revision FROM reports GROUP BY 1, 2 "
                       "HAVING count(*) > 1)") == [(0,)]
        asked_after = {(m, p) for m, p, _ in portal.requests[seen_before:]}
        for request in killed_holding:
            parts = urlsplit(request["url"])
            assert (request["method"], parts.path + (f"?{parts.query}" if parts.query else "")) in asked_after
        # the bytes behind every stored page are in the workers' WARC files, readable where reparse looks
        import sqlite3

        from pipelines.warc_archive import page_bytes

        conn = sqlite3.connect(dist)
        pages = conn.execute("SELECT id, sha256 FROM pages WHERE report_id IS NOT NULL").fetchall()
        # delivery is at least once: a page the killed worker had pushed but not yet acknowledged is fetched again
        # by the survivor, and the portal's view counter (浏览次数) makes those bytes differ — a second page row of
        # the same address and the same report. Addresses, not fetches, must match the one-process crawl.
        sources = "SELECT count(DISTINCT source) FROM pages WHERE report_id IS NOT NULL"
        assert q(dist, sources) == q(whole, sources)
        assert len(pages) - q(whole, "SELECT count(*) FROM pages WHERE report_id IS NOT NULL")[0][0] <= len(killed_holding)
        for page_id, digest in pages:
            assert page_bytes(conn, page_id) is not None
        conn.close()
        # the run is recorded as the one-process crawl records it, site by site (a page two workers fetched counted
        # once; the caps, listing failures and links listed are every worker's)
        (finish,), = q(dist, "SELECT finish_reason FROM crawl_runs")
        assert finish == "finished"
        per_site = ("SELECT site, pages_fetched, listing_pages, reports_found, new, changed, unchanged, blocked, errors, "
                    "off_domain, robots, removed FROM crawl_run_sites ORDER BY site")
        assert q(dist, per_site) == q(whole, per_site)
    finally:
        portal.stop()


@contextmanager
def enqueued_run(redis_url: str, tmp_path):
    """A size-1 demo portal, an empty Redis and a run of its sites enqueued: (portal, server)."""
    portal = DemoPortal(size=1).start()
    try:
        sites_csv = tmp_path / "sites.csv"
        write_sites_csv(portal.sites(), str(sites_csv))
        server = connect(redis_url)
        server.flushdb()
        assert nianbao("enqueue", "--redis", redis_url, "--sites-file", str(sites_csv)).returncode == 0
        yield portal, server
    finally:
        portal.stop()


def test_the_duplicate_filter_lives_one_run(redis_url, tmp_path):
    with enqueued_run(redis_url, tmp_path) as (portal, server):
        sites_csv = tmp_path / "sites.csv"
        first = server.get("nianbao:run").decode()
        assert 0 < server.ttl(keys(first)["seen"]) <= RUN_TTL
        assert server.scard(keys(first)["seen"]) == len(portal.sites())
        # each site's start request counts towards its caps, as in a one-process crawl (no clock started yet)
        for site in portal.sites():
            made = server.hgetall(site_key(first, "made", site["agency"]))
            assert made == {b"requests": b"1", b"listing": b"1"}, site["agency"]
        assert nianbao("enqueue", "--redis", redis_url, "--sites-file", str(sites_csv)).returncode == 0
        second = server.get("nianbao:run").decode()
        assert second != first
        assert not list(server.scan_iter(match=f"nianbao:{first}:*"))   # the previous run's queue and filter
        assert server.llen(keys(second)["requests"]) == len(portal.sites())


def test_host_concurrency_and_delay_are_shared_by_all_workers(redis_url):
    server = connect(redis_url)
    server.flushdb()
    one_at_a_time = HostSlots(server, "t", concurrency=1, delay_ms=0, lease_ms=60_000)
    assert one_at_a_time.try_acquire("gov.example:80", "worker-a") == 0
    assert one_at_a_time.try_acquire("gov.example:80", "worker-b") > 0    # the host's one slot is taken
    assert one_at_a_time.try_acquire("other.example:80", "worker-b") == 0  # another host is not
    one_at_a_time.release("gov.example:80", "worker-a")
    assert one_at_a_time.try_acquire("gov.example:80", "worker-b") == 0
    spaced = HostSlots(server, "t2", concurrency=8, delay_ms=60_000, lease_ms=60_000)
    assert spaced.try_acquire("gov.example:80", "worker-a") == 0
    wait = spaced.try_acquire("gov.example:80", "worker-b")            # a free slot, but the delay is running
    assert 0 < wait <= 60_000
    spaced.release("gov.example:80", "worker-a")
    assert spaced.try_acquire("gov.example:80", "worker-b") > 0        # releasing does not cut the delay short


def load_items(server, redis_url: str, db, batch: list[bytes]) -> None:
    """`nianbao load` of exactly these pushed items (the list emptied first) into db."""
    server.delete(ITEMS)
    server.rpush(ITEMS, *batch)
    loaded = nianbao("load", "--redis", redis_url, "--db", str(db), "--quiet")
    assert loaded.returncode == 0, loaded.stderr[-3000:]


def test_a_run_loaded_in_two_sessions_is_recorded_as_one_run(redis_url, tmp_path):
    """A loader stopped half-way and started again goes on counting in the same crawl_runs row: crawl health never
    compares half a run with the run before (which would flag every site as having lost half its reports)."""
    with enqueued_run(redis_url, tmp_path) as (_portal, server):
        worker = nianbao("crawl", "--redis", redis_url, "--db", str(tmp_path / "w.db"), "--no-throttle")
        assert worker.returncode == 0, worker.stderr[-3000:]
        items = server.lrange(ITEMS, 0, -1)   # newest first: the loader takes from the right
        assert len(items) > 20

        load_items(server, redis_url, tmp_path / "once.db", items)
        half = len(items) // 2
        load_items(server, redis_url, tmp_path / "twice.db", items[half:])   # the older half first, as a stopped loader leaves it
        (runs,), = q(tmp_path / "twice.db", "SELECT count(*) FROM crawl_runs")
        assert runs == 1
        load_items(server, redis_url, tmp_path / "twice.db", items[:half])
        per_site = ("SELECT site, pages_fetched, listing_pages, reports_found, new, changed, unchanged, linked, "
                    "blocked, errors, off_domain, robots, not_a_report FROM crawl_run_sites ORDER BY site")
        once, twice = q(tmp_path / "once.db", per_site), q(tmp_path / "twice.db", per_site)
        assert twice == once and sum(r[3] for r in once) >= 10
        run = "SELECT count(*), max(pages_fetched), max(reports_new), max(redis_run) FROM crawl_runs"
        assert q(tmp_path / "twice.db", run) == q(tmp_path / "once.db", run)
        assert q(tmp_path / "twice.db", run)[0][0] == 1


def test_a_report_fetched_twice_in_a_run_is_counted_once_even_with_new_bytes(redis_url, tmp_path):
    """A worker killed after pushing a page and before acknowledging its request leaves the request to another
    worker, which fetches the page again — and a CMS page's bytes change between two fetches (a view counter, a
    timestamp), so the second copy is a new page id. The run still counts one page, as a one-process crawl would."""
    with enqueued_run(redis_url, tmp_path) as (_portal, server):
        worker = nianbao("crawl", "--redis", redis_url, "--db", str(tmp_path / "w.db"), "--no-throttle")
        assert worker.returncode == 0, worker.stderr[-3000:]
        items = server.lrange(ITEMS, 0, -1)
        decoded = [pickle.loads(i) for i in items]
        report = next(d for d in decoded if d["record"] and d["record"].get("year")
                      and ((d["record"].get("source") or {}).get("encoding") or "").startswith("utf-8"))
        again = dict(report, sha256="0" * 64, size=report["size"] + 1,   # the same URL, other bytes
                     fetched=dict(report["fetched"], fetched_at="2099-01-01T00:00:00+00:00"))

        load_items(server, redis_url, tmp_path / "once.db", items)
        load_items(server, redis_url, tmp_path / "twice.db", [pickle.dumps(again, protocol=5), *items])   # the re-fetch loaded last
        per_site = ("SELECT site, pages_fetched, listing_pages, reports_found, new, changed, unchanged, linked, "
                    "blocked, errors FROM crawl_run_sites ORDER BY site")
        assert q(tmp_path / "twice.db", per_site) == q(tmp_path / "once.db", per_site)
        # both copies are kept as pages (the evidence), one report
        url = report["fetched"]["url"]
        assert q(tmp_path / "twice.db", "SELECT count(*) FROM pages WHERE url = ?", url) == [(2,)]
        assert q(tmp_path / "twice.db", "SELECT count(DISTINCT report_key) FROM pages WHERE url = ?", url) == [(1,)]
