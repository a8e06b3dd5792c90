"""bench/scale — the distributed crawl (crawler/distributed.py) by 1 and by N workers, and `nianbao reparse`
on 1 worker and on every core, same run.

    .venv/bin/python bench/scale.py [--size 26] [--workers 2]               # the distributed crawl
    .venv/bin/python bench/scale.py --no-crawl --reparse-pages 10000       # reparse only

Starts a real `redis-server` on 127.0.0.1 (a free port, no persistence, a temporary folder) and the offline demo
portal at `--size` (26 → 2,055 report pages), then for 1 and for N workers: `nianbao enqueue`, the workers as
subprocesses with throttling off (each fetches, archives into its own WARC file and parses under the usual
limits), then one `nianbao load` into a fresh database. Prints, per configuration: pages fetched (requests the
portal answered), crawl seconds (enqueue to the last worker's exit), pages per second, the CPU the workers used
(user + system seconds ÷ wall seconds = cores busy; the demo portal's
server, in this process, likewise), Redis `used_memory` after the crawl (the parsed items wait
there for the loader) and after the load, and the loader's items per second. The speed-up is N workers' pages/s
÷ 1 worker's, measured in the same run. The cores the machine has and its load average are printed with it:
workers on one machine share its cores (and the portal's server thread), so the speed-up there is bounded by
cores, not by the design.

`--reparse-pages N` (N > 0): `bench/publish.py --reports N --build-only` first writes N generated reports (and
their listings, attachments, corrections and mirrors: a little more than N pages) into a database and its WARC
archive through the crawler's own archive path (`pipelines.ingest.archive` → `store_page` → WARC); the pages are
realistic report pages the extractor reads (tables, prose, spam, mirrors). Then `nianbao reparse --workers 1` and
`nianbao reparse --workers <cores>` each run on their own copy of that database (the WARC folder shared: reparse
only reads it), and print the pages, seconds and pages/s the command reports, the cores its processes kept busy,
and the load average (1 min) sampled every 2 s while it ran. The rows the two produce (reports, cells, checks,
findings, sources, page outcomes, clone pages) are compared by a digest: they must be identical.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler.distributed import ITEMS, connect  # noqa: E402
from crawler.run import write_sites_csv  # noqa: E402
from demo.portal import DemoPortal  # noqa: E402
from pipelines.ingest import default_workers  # noqa: E402

NIANBAO = str(Path(sys.executable).with_name("nianbao"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_redis(folder: str) -> tuple[subprocess.Popen, str]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("bench/scale.py: redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    proc = subprocess.Popen([binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no",
                             "--dir", folder], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"redis://127.0.0.1:{port}/0"
    for _ in range(200):
        try:
            connect(url)
            return proc, url
        except Exception:  # noqa: BLE001 - not listening yet
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("bench/scale.py: redis-server did not start")


def used_memory(server) -> int:
    return int(server.info("memory")["used_memory"])


def crawl(url: str, sites_csv: str, db: str, workers: int, portal) -> dict:
    server = connect(url)
    server.flushdb()
    portal.reset_log()
    t0, portal_cpu = time.perf_counter(), time.process_time()
    subprocess.run([NIANBAO, "enqueue", "--redis", url, "--sites-file", sites_csv], check=True,
                   stdout=subprocess.DEVNULL)
    procs = [subprocess.Popen([NIANBAO, "crawl", "--redis", url, "--db", db, "--no-throttle"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(workers)]
    cpu, codes = 0.0, []
    for p in procs:
        _, status, usage = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        codes.append(p.returncode)
        cpu += usage.ru_utime + usage.ru_stime
    seconds = time.perf_counter() - t0
    portal_cpu = time.process_time() - portal_cpu   # this process serves the portal (its threads)
    out = {"portal_cpu": portal_cpu, "workers": workers, "pages": len(portal.requests), "seconds": seconds, "cpu": cpu, "codes": codes,
           "items": server.llen(ITEMS), "mem_crawl": used_memory(server)}
    t1 = time.perf_counter()
    subprocess.run([NIANBAO, "load", "--redis", url, "--db", db, "--no-follow", "--quiet"], check=True,
                   stdout=subprocess.DEVNULL)
    out["load_seconds"] = time.perf_counter() - t1
    out["mem_loaded"] = used_memory(server)
    return out


# ── reparse on 1 worker and on every core ───────────────────────────────────────────────────────

# what extraction makes, in an order that does not depend on the order rows were written in
EXTRACTED_ROWS = {
    "reports": "SELECT id, report_key, revision, is_current, record_hash, figures_hash, agency, year, page_id, "
               "cells_parsed, failed_checks, spam_findings, quarantined FROM reports ORDER BY id",
    "cells": "SELECT report_id, table_name, key, value, raw, unparsed, source, resolved_by, computed FROM cells "
             "ORDER BY 1, 2, 3",
    "checks": "SELECT report_id, rule, key, ok, detail FROM checks ORDER BY 1, 2, 3",
    "findings": "SELECT page_id, report_id, kind, text, location, action FROM spam_findings ORDER BY 1, 3, 4, 5",
    "sources": "SELECT report_key, page_source, report_id, record_hash FROM report_sources ORDER BY 1, 2",
    "pages": "SELECT id, outcome, parse_outcome, detail, report_id, report_key FROM pages ORDER BY id",
    "clones": "SELECT page_id, clone_host, copied_agency, matched_by FROM clone_pages ORDER BY 1",
}


def row_digests(db: Path) -> dict[str, tuple[int, str]]:
    """table → (rows, sha256 of its rows): two databases with the same digests hold the same rows."""
    conn = sqlite3.connect(db)
    out = {}
    for name, sql in EXTRACTED_ROWS.items():
        h, n = hashlib.sha256(), 0
        for row in conn.execute(sql):
            h.update(repr(row).encode())
            n += 1
        out[name] = (n, h.hexdigest())
    conn.close()
    return out


class LoadSampler:
    """The 1-minute load average every `every` seconds while a run lasts."""

    def __init__(self, every: float = 2.0):
        self.every, self.samples, self.stop = every, [os.getloadavg()[0]], threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        while not self.stop.wait(self.every):
            self.samples.append(os.getloadavg()[0])

    def __enter__(self) -> LoadSampler:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join()
        self.samples.append(os.getloadavg()[0])


def build_archive(folder: Path, reports: int) -> Path:
    """N generated reports archived and stored by bench/publish.py's real store path; the database path."""
    db = folder / "built.db"
    subprocess.run([sys.executable, str(ROOT / "bench" / "publish.py"), "--reports", str(reports), "--db", str(db),
                    "--build-only", "--no-vacuum"], check=True, stdout=subprocess.DEVNULL)
    return db


def reparse_run(built: Path, folder: Path, workers: int) -> dict:
    """`nianbao reparse --workers N` on a copy of the built database (the WARC folder shared, read only)."""
    db = folder / f"reparse{workers}.db"
    shutil.copy(built, db)
    warc = db.with_name(db.stem + "-warc")
    if not warc.exists():
        warc.symlink_to(built.with_name(built.stem + "-warc"), target_is_directory=True)
    with LoadSampler() as load:
        t0 = time.perf_counter()
        proc = subprocess.Popen([NIANBAO, "reparse", "--db", str(db), "--workers", str(workers), "--quiet"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        out, err = proc.communicate()
        seconds = time.perf_counter() - t0
    usage = resource_usage_of_children()
    if proc.returncode:
        raise SystemExit(f"nianbao reparse --workers {workers} failed ({proc.returncode}): {err[-2000:]}")
    # "reparsed 10412 pages in 612.3 s: 17.0 pages/s (1 worker): changed 9000, …"
    m = re.search(r"reparsed (\d+) pages in ([\d.]+) s: ([\d.]+) pages/s \([^)]*\): (.*)", out)
    if not m:
        raise SystemExit(f"nianbao reparse printed no summary: {out[-2000:]}")
    return {"workers": workers, "pages": int(m[1]), "seconds": float(m[2]), "rate": float(m[3]), "statuses": m[4],
            "wall": seconds, "cpu": usage, "load_mean": sum(load.samples) / len(load.samples),
            "load_max": max(load.samples), "digests": row_digests(db)}


_children_cpu = 0.0


def resource_usage_of_children() -> float:
    """CPU seconds (user + system) the children waited for since the last call used — the reparse command
    and its extraction workers."""
    import resource

    global _children_cpu
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    total = r.ru_utime + r.ru_stime
    used, _children_cpu = total - _children_cpu, total
    return used


def reparse_bench(reports: int, workers: int) -> int:
    with tempfile.TemporaryDirectory(prefix="nianbao-scale-reparse-") as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        built = build_archive(folder, reports)
        archived = sqlite3.connect(built).execute(
            "SELECT count(*), sum(size) FROM pages WHERE fetch_outcome = 'ok' AND parse_outcome IS NOT NULL"
        ).fetchone()
        print(f"archive: {reports} generated reports → {archived[0]} archived pages ({archived[1] / 1e6:.0f} MB) "
              f"by bench/publish.py in {time.perf_counter() - t0:.0f} s; {os.cpu_count()} cores", flush=True)
        resource_usage_of_children()   # the build's CPU is not the reparse's
        runs = []
        for n in (1, workers):
            runs.append(reparse_run(built, folder, n))
            r = runs[-1]
            print(f"  --workers {n}: {r['pages']} pages in {r['seconds']:.1f} s, {r['rate']:.1f} pages/s "
                  f"({r['statuses']}); load {r['load_mean']:.1f} mean, {r['load_max']:.1f} max", flush=True)
    print(f"nianbao reparse over {runs[0]['pages']} archived pages; {os.cpu_count()} cores; load average (1 min) "
          f"sampled every 2 s during each run")
    print(f"{'workers':>7}{'pages':>7}{'seconds':>9}{'pages/s':>9}{'cores busy':>12}{'load mean':>11}{'load max':>10}")
    for r in runs:
        print(f"{r['workers']:>7}{r['pages']:>7}{r['seconds']:>9.1f}{r['rate']:>9.1f}{r['cpu'] / r['wall']:>12.2f}"
              f"{r['load_mean']:>11.1f}{r['load_max']:>10.1f}")
    one, many = runs
    print(f"speed-up {workers} workers ÷ 1: {many['rate'] / one['rate']:.2f}×")
    same = one["digests"] == many["digests"]
    rows = ", ".join(f"{k} {n}" for k, (n, _h) in one["digests"].items())
    print(f"rows ({rows}): {'identical' if same else 'DIFFERENT'} on 1 and {workers} workers")
    if not same:
        for k in one["digests"]:
            if one["digests"][k] != many["digests"][k]:
                print(f"  {k}: {one['digests'][k]} vs {many['digests'][k]}")
        return 1
    return 0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=26, help="portal size (26 → 2,055 report pages)")
    ap.add_argument("--workers", type=int, default=2, help="crawl workers of the second crawl")
    ap.add_argument("--no-crawl", action="store_true", help="skip the distributed crawl")
    ap.add_argument("--reparse-pages", type=int, default=0, metavar="N",
                    help="also time `nianbao reparse` on 1 worker and on every core over ≥ N archived pages "
                         "(generated by bench/publish.py; 10000 takes ~30 min on 2 busy cores)")
    ap.add_argument("--reparse-workers", type=int, default=default_workers(),
                    help="workers of the second reparse (default: every core)")
    args = ap.parse_args()
    code = 0 if args.no_crawl else crawl_bench(args)
    if args.reparse_pages > 0:
        code = reparse_bench(args.reparse_pages, args.reparse_workers) or code
    return code


def crawl_bench(args) -> int:
    with tempfile.TemporaryDirectory(prefix="nianbao-scale-") as tmp:
        redis, url = start_redis(tmp)
        portal = DemoPortal(size=args.size).start()
        try:
            reports = sum(len(s["reports"]) for s in portal.manifest().values())
            sites = str(Path(tmp) / "sites.csv")
            write_sites_csv(portal.sites(), sites)
            rows = [crawl(url, sites, str(Path(tmp) / f"w{n}.db"), n, portal) for n in (1, args.workers)]
        finally:
            portal.stop()
            redis.kill()
            redis.wait()
    print(f"demo portal size {args.size}: {reports} report pages; {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.1f} at the end; redis-server on 127.0.0.1, throttling off")
    print(f"{'workers':>7}{'pages':>7}{'seconds':>9}{'pages/s':>9}{'cores busy':>12}{'redis MB crawled':>18}"
          f"{'redis MB loaded':>17}{'load items/s':>14}{'portal cores':>14}")
    for r in rows:
        print(f"{r['workers']:>7}{r['pages']:>7}{r['seconds']:>9.1f}{r['pages'] / r['seconds']:>9.1f}"
              f"{r['cpu'] / r['seconds']:>12.2f}{r['mem_crawl'] / 2**20:>18.1f}{r['mem_loaded'] / 2**20:>17.1f}"
              f"{r['items'] / r['load_seconds']:>14.1f}{r['portal_cpu'] / r['seconds']:>14.2f}")
        if any(r["codes"]):
            print(f"  (worker exit codes {r['codes']})")
    one, many = rows
    speedup = (many["pages"] / many["seconds"]) / (one["pages"] / one["seconds"])
    print(f"speed-up {args.workers} workers ÷ 1: {speedup:.2f}× (target ≥ 1.8× where the cores allow)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
