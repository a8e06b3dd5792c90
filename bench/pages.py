"""bench/pages — the front door's pages timed through HTTP on a large generated database.

    .venv/bin/python bench/pages.py --reports 20000          # build (bench/publish.py) if missing, then time
    .venv/bin/python bench/pages.py --db bench/results/nianbao.db   # time an existing database (e.g. 100,000)

The database is built by bench/publish.py (`--build-only`: realistic generated reports through the real store
code). It is served exactly as `nianbao serve` serves it (immutable, SQL time limit) on a free 127.0.0.1 port,
and each page is requested --runs times after --warmup requests, one client, sequentially: the landing page
`/`, report pages `/report/<key>` and agency pages `/agency/<id>` cycling through a fixed random sample of
reports and agencies (the agencies with the most reports among them). Baseline, measured in the same run:
Datasette's own pages for the same things — the `reports` row page of the same report and the
`report_summary` table page filtered to the same agency. p50 = median, p95 = nearest-rank 95th percentile of
the wall time of the whole request. Target: p95 < 200 ms. The landing's first (uncached) request is reported
apart: its figures are computed once per immutable file.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_MS = 200.0
NIANBAO = Path(sys.executable).with_name("nianbao")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url: str) -> tuple[float, int, int]:
    t0 = time.perf_counter()
    with urllib.request.urlopen(url, timeout=60) as r:
        body = r.read()
        status = r.status
    return (time.perf_counter() - t0) * 1000, status, len(body)


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def sample(db_path: Path, n: int, seed: int) -> dict:
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as con:
        reports = con.execute("SELECT r.id, r.report_key, r.agency_id FROM report_summary s "
                              "JOIN reports r ON r.id = s.report_id").fetchall()
        total = len(reports)
        agencies = con.execute("SELECT count(DISTINCT agency_id) FROM reports").fetchone()[0]
    rng = random.Random(seed)
    picked = rng.sample(reports, min(n, len(reports)))
    return {"reports": total, "agencies": agencies, "report_ids": [p[0] for p in picked],
            "report_keys": [p[1] for p in picked], "agency_ids": [p[2] for p in picked]}


def serve(db_path: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen([str(NIANBAO), "serve", "--db", str(db_path), "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            fetch(base + "/-/versions.json")
            return proc, base
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("nianbao serve did not start")


def time_endpoint(urls: list[str], runs: int, warmup: int) -> dict:
    for i in range(warmup):
        fetch(urls[i % len(urls)])
    samples, sizes = [], []
    for i in range(runs):
        ms, status, size = fetch(urls[i % len(urls)])
        assert status == 200, (urls[i % len(urls)], status)
        samples.append(ms)
        sizes.append(size)
    return {"p50": statistics.median(samples), "p95": percentile(samples, 0.95), "kb": statistics.mean(sizes) / 1024}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reports", type=int, default=20_000, help="reports to build when --db does not exist")
    ap.add_argument("--db", default="", help="database (default bench/results/pages-<reports>.db)")
    ap.add_argument("--runs", type=int, default=40)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--sample", type=int, default=40, help="distinct reports/agencies cycled through")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    db_path = Path(args.db or ROOT / "bench" / "results" / f"pages-{args.reports}.db")
    if not db_path.exists():
        db_path.parent.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        subprocess.run([sys.executable, str(ROOT / "bench" / "publish.py"), "--build-only", "--reports",
                        str(args.reports), "--db", str(db_path)], check=True, cwd=ROOT)
        print(f"built {db_path} in {time.perf_counter() - t0:.0f} s")
    s = sample(db_path, args.sample, args.seed)
    size_mb = db_path.stat().st_size / 1e6
    print(f"database {db_path.name}: {s['reports']:,} published reports, {s['agencies']:,} agencies, "
          f"{size_mb:,.0f} MB; {os.cpu_count()} CPUs (shared); runs {args.runs} after {args.warmup} warm-up")
    proc, base = serve(db_path)
    try:
        db = db_path.stem
        cold_ms, _, _ = fetch(base + "/")
        q = urllib.parse.quote
        endpoints = [
            ("landing /", [base + "/"], None),
            ("report /report/<key>", [f"{base}/report/{k}" for k in s["report_keys"]], "baseline: reports row page"),
            ("agency /agency/<id>", [f"{base}/agency/{q(a)}" for a in s["agency_ids"]],
             "baseline: report_summary filtered"),
            ("baseline: reports row page", [f"{base}/{db}/reports/{q(r)}" for r in s["report_ids"]], None),
            ("baseline: report_summary filtered",
             [f"{base}/{db}/report_summary?agency={q(a)}" for a in s["agency_ids"]], None),
            ("search /search?q=复议", [f"{base}/search?q={q('复议')}"], None),
        ]
        results = {}
        for name, urls, _ in endpoints:
            results[name] = time_endpoint(urls, args.runs, args.warmup)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    print(f"landing, first request (figures computed, then cached for the immutable file): {cold_ms:.0f} ms")
    print(f"{'endpoint':<36}{'p50 ms':>9}{'p95 ms':>9}{'KB':>8}  {'target':<8}{'p50 ÷ baseline':>15}")
    for name, _, baseline in endpoints:
        r = results[name]
        meets = "" if name.startswith(("baseline", "search")) else ("meets" if r["p95"] < TARGET_MS else "MISSES")
        ratio = f"{r['p50'] / results[baseline]['p50']:.2f}" if baseline else ""
        print(f"{name:<36}{r['p50']:>9.1f}{r['p95']:>9.1f}{r['kb']:>8.1f}  {meets:<8}{ratio:>15}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
