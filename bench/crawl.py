"""bench/crawl — a crawl of a large generated demo portal, full pipeline on vs. off, same run.

    .venv/bin/python bench/crawl.py [--size 26] [--runs 1] [--profile FILE.prof]

Starts the offline demo portal on 127.0.0.1 at a size that yields ≥ 2,000 report pages, then runs the real
`nianbao crawl` twice with throttling off: once with the store pipeline (archive → decode → chrome → spam →
extract → store into SQLite) and once with no item pipeline at all (fetch and parse listings only).
Prints pages per second for both, the ratio, each crawl's peak RSS and its CPU seconds (the crawl process
and its extraction worker; the portal's own CPU is not counted) — CPU per page moves far less than wall
time on a machine other jobs share. Beside them: the portal's CPU per page (this process serves it), the cores
the whole machine kept busy during the crawl (/proc/stat: 2.0 on 2 cores is a saturated machine, whose crawl
is CPU-bound whoever the CPU went to) and the load average at its end. `--runs N` repeats the pair N times (each figure printed, then the
median ratio). Target: the pipelines cost less than half the crawl's throughput (ratio ≥ 0.5).
`--profile FILE` runs the pipeline-on crawl under cProfile (slower: its ratio is not a measurement) and
prints the item pipeline's costliest calls.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler.run import write_sites_csv  # noqa: E402
from demo.portal import DemoPortal  # noqa: E402

NIANBAO = str(Path(sys.executable).with_name("nianbao"))


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU time of the whole machine so far, in clock ticks (/proc/stat)."""
    with open("/proc/stat") as f:
        ticks = [int(x) for x in f.readline().split()[1:]]
    idle = ticks[3] + ticks[4]   # idle + iowait
    return sum(ticks) - idle, sum(ticks)


def process_cpu(pid: int) -> float | None:
    """CPU seconds (user + system) a live process has used so far, its children not included (/proc/PID/stat)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def watch_cpu(pid: int, seen: list[float], done: threading.Event) -> None:
    """The crawl process's own CPU, sampled every 50 ms until it ends (the last sample is within 50 ms of it):
    its extraction worker's is the rest of what wait4 reports."""
    while not done.is_set():
        cpu = process_cpu(pid)
        if cpu is not None:
            seen[0] = max(seen[0], cpu)
        done.wait(0.05)


def run_crawl(sites_csv: str, db: str, *extra: str, profile: str | None = None) -> tuple:
    """(seconds, peak RSS in MB of the crawl process, CPU seconds of it and its children, its summary line,
    CPU seconds of the portal (this process serves it), the machine's cores busy meanwhile, CPU seconds of the
    crawl process alone)."""
    cmd = [NIANBAO, "crawl", "--sites-file", sites_csv, "--db", db, "--no-throttle", *extra]
    if profile:
        cmd = [sys.executable, "-m", "cProfile", "-o", profile, *cmd]
    t0, portal0, (busy0, total0) = time.perf_counter(), time.process_time(), machine_busy()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    own, done = [0.0], threading.Event()
    watcher = threading.Thread(target=watch_cpu, args=(proc.pid, own, done), daemon=True)
    watcher.start()
    _, status, usage = os.wait4(proc.pid, 0)
    done.set()
    watcher.join()
    elapsed = time.perf_counter() - t0
    busy1, total1 = machine_busy()
    cores_busy = (os.cpu_count() or 1) * (busy1 - busy0) / max(total1 - total0, 1)
    out = proc.stdout.read().strip()
    return (elapsed, usage.ru_maxrss // 1024, usage.ru_utime + usage.ru_stime, out,
            time.process_time() - portal0, cores_busy, own[0])


def show_profile(path: str) -> None:
    import pstats

    stats = pstats.Stats(path)
    stats.sort_stats("cumulative").print_stats(r"item_pipeline|pipelines/(ingest|writers|archive|warc_archive|worker)",
                                               25)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=26, help="portal size (26 → 2,055 report pages)")
    ap.add_argument("--runs", type=int, default=1, help="crawl pairs to run (each printed, then the median)")
    ap.add_argument("--profile", metavar="FILE", help="profile the pipeline-on crawl into FILE (cProfile) instead")
    args = ap.parse_args()
    portal = DemoPortal(size=args.size).start()
    rows, ratios, summary, size_mb = [], [], "", 0.0
    try:
        reports = sum(len(s["reports"]) for s in portal.manifest().values())
        with tempfile.TemporaryDirectory(prefix="nianbao-bench-") as tmp:
            sites = str(Path(tmp) / "sites.csv")
            write_sites_csv(portal.sites(), sites)
            if args.profile:
                portal.reset_log()
                t, _, cpu, summary, *_ = run_crawl(sites, str(Path(tmp) / "prof.db"), profile=args.profile)
                print(f"profiled crawl: {len(portal.requests)} pages in {t:.1f} s (under cProfile); {summary}")
                show_profile(args.profile)
                return 0
            for run in range(args.runs):
                portal.reset_log()
                t_off, rss_off, cpu_off, _, portal_off, busy_off, own_off = run_crawl(
                    sites, str(Path(tmp) / f"off{run}.db"), "--set", "ITEM_PIPELINES={}")
                pages_off = len(portal.requests)
                portal.reset_log()
                t_on, rss_on, cpu_on, summary, portal_on, busy_on, own_on = run_crawl(
                    sites, str(Path(tmp) / f"on{run}.db"))
                pages_on = len(portal.requests)
                size_mb = (Path(tmp) / f"on{run}.db").stat().st_size / 1e6
                rows.append((run, "pipelines off (fetch only)", pages_off, t_off, rss_off, cpu_off, own_off,
                             portal_off, busy_off, os.getloadavg()[0]))
                rows.append((run, "pipelines on (store)", pages_on, t_on, rss_on, cpu_on, own_on, portal_on,
                             busy_on, os.getloadavg()[0]))
                ratios.append((pages_on / t_on) / (pages_off / t_off))
    finally:
        portal.stop()
    print(f"demo portal size {args.size}: {reports} report pages in the manifest; "
          f"load average {os.getloadavg()[0]:.1f} at the end")
    print(f"{'run':<4}{'crawl':<27}{'pages':>7}{'seconds':>9}{'pages/s':>9}{'peak RSS MB':>13}{'CPU ms/page':>13}"
          f"{'of it crawl proc.':>19}{'worker':>8}{'portal ms/page':>16}{'machine cores busy':>20}{'load':>6}")
    for run, name, pages, t, rss, cpu, own, portal_cpu, busy, load in rows:
        print(f"{run + 1:<4}{name:<27}{pages:>7}{t:>9.1f}{pages / t:>9.1f}{rss:>13}{1000 * cpu / pages:>13.1f}"
              f"{1000 * own / pages:>19.1f}{1000 * (cpu - own) / pages:>8.1f}"
              f"{1000 * portal_cpu / pages:>16.1f}{busy:>20.2f}{load:>6.1f}")
    print("throughput with pipelines ÷ without: " + ", ".join(f"{r:.2f}" for r in ratios)
          + (f" (median {statistics.median(ratios):.2f})" if len(ratios) > 1 else "")
          + f" (target ≥ 0.5); database {size_mb:.0f} MB")
    print(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
