"""bench/scale — the distributed crawl (crawler/distributed.py) by 1 and by N workers, same run.

    .venv/bin/python bench/scale.py [--size 26] [--workers 2]

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
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler.distributed import ITEMS, connect  # noqa: E402
from crawler.run import write_sites_csv  # noqa: E402
from demo.portal import DemoPortal  # noqa: E402

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


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=26, help="portal size (26 → 2,055 report pages)")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
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
