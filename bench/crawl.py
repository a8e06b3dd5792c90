"""bench/crawl — a crawl of a large generated demo portal, full pipeline on vs. off, same run.

    .venv/bin/python bench/crawl.py [--size 26]

Starts the offline demo portal on 127.0.0.1 at a size that yields ≥ 2,000 report pages, then runs the real
`nianbao crawl` twice with throttling off: once with the store pipeline (archive → decode → chrome → spam →
extract → store into SQLite) and once with no item pipeline at all (fetch and parse listings only).
Prints pages per second for both, the ratio, and each crawl's peak RSS. Target: the pipelines cost less
than half the crawl's throughput (ratio ≥ 0.5).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler.run import write_sites_csv  # noqa: E402
from demo.portal import DemoPortal  # noqa: E402

NIANBAO = str(Path(sys.executable).with_name("nianbao"))


def run_crawl(sites_csv: str, db: str, *extra: str) -> tuple[float, int, str]:
    """(seconds, peak RSS in MB of the crawl process, its summary line)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen([NIANBAO, "crawl", "--sites-file", sites_csv, "--db", db, "--no-throttle", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - t0
    out = proc.stdout.read().strip()
    return elapsed, usage.ru_maxrss // 1024, out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=26, help="portal size (26 → 2,055 report pages)")
    args = ap.parse_args()
    portal = DemoPortal(size=args.size).start()
    try:
        reports = sum(len(s["reports"]) for s in portal.manifest().values())
        with tempfile.TemporaryDirectory(prefix="nianbao-bench-") as tmp:
            sites = str(Path(tmp) / "sites.csv")
            write_sites_csv(portal.sites(), sites)
            portal.reset_log()
            t_off, rss_off, _ = run_crawl(sites, str(Path(tmp) / "off.db"), "--set", "ITEM_PIPELINES={}")
            pages_off = len(portal.requests)
            portal.reset_log()
            t_on, rss_on, summary = run_crawl(sites, str(Path(tmp) / "on.db"))
            pages_on = len(portal.requests)
            size_mb = (Path(tmp) / "on.db").stat().st_size / 1e6
    finally:
        portal.stop()
    print(f"demo portal size {args.size}: {reports} report pages in the manifest")
    print(f"{'crawl':<26}{'pages':>7}{'seconds':>9}{'pages/s':>9}{'peak RSS MB':>13}")
    print(f"{'pipelines off (fetch only)':<26}{pages_off:>7}{t_off:>9.1f}{pages_off / t_off:>9.1f}{rss_off:>13}")
    print(f"{'pipelines on (store)':<26}{pages_on:>7}{t_on:>9.1f}{pages_on / t_on:>9.1f}{rss_on:>13}")
    ratio = (pages_on / t_on) / (pages_off / t_off)
    print(f"throughput with pipelines ÷ without: {ratio:.2f} (target ≥ 0.5); database {size_mb:.0f} MB")
    print(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
