"""Hostile inputs (issue 9) through extraction and through a real crawl: time and peak memory per page.

    .venv/bin/python bench/hostile.py [--corpus ../shared/corpus]

1. Every document of demo/hostile.py (generated from the real corpus pages, at the issue's sizes: the
   DOCX inflates to 1.1 GB) through `clean_and_extract` in its own child process, one at a time: wall
   time and the child's peak RSS, against the unmodified real page measured the same way in the same run
   (the baseline). Targets: every document < 30 s and < 1 GB.
2. A real `nianbao crawl` of the hostile site (every document, the links and redirects to a local
   service, an endless 下一页 chain with its default cap lowered to 50) over 127.0.0.1: wall time, the
   peak RSS of the crawl and its extraction worker, and whether every page is recorded.
"""

from __future__ import annotations

import argparse
import json
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TIME_TARGET_S, MEMORY_TARGET_MB = 30.0, 1024

ONE = """
import resource, sys, time
from pathlib import Path
from pipelines.parse import clean_and_extract
data = Path(sys.argv[1]).read_bytes()
t = time.perf_counter()
rec = clean_and_extract(data, filename=sys.argv[1])
took = time.perf_counter() - t
print(f"{took:.3f} {rec['outcome']} {len(rec['spam'])} {(rec['detail'] or '').replace(chr(10), ' ')[:90]}")
"""


def run_one(path: Path, timeout: float = 120.0) -> dict:
    """clean_and_extract of one file in a fresh child: (seconds, peak MB, outcome, detail)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    try:
        proc = subprocess.run([sys.executable, "-c", ONE, str(path)], capture_output=True, text=True,
                              timeout=timeout, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return {"seconds": float("inf"), "mb": None, "outcome": f"TIMEOUT after {timeout:.0f} s", "detail": ""}
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if proc.returncode != 0:
        return {"seconds": float("nan"), "mb": peak // 1024, "outcome": "CRASH", "detail": proc.stderr[-200:]}
    took, outcome, spam, *detail = proc.stdout.split(" ", 3)
    # ru_maxrss of children is the largest child so far: only meaningful when it grew, else ≤ the earlier peak
    return {"seconds": float(took), "mb": peak // 1024 if peak > before else None, "outcome": outcome,
            "spam": int(spam), "detail": " ".join(detail).strip()}


def bench_extract(corpus: Path, tmp: Path) -> list[dict]:
    from demo import hostile

    sizes = {"bomb.docx": lambda c: hostile.zip_bomb_docx(c, inflated=1100 * 1024 * 1024)}
    rows = []
    base = tmp / "baseline-pingtan-2024-report.html"
    base.write_bytes((corpus / "pingtan" / "pingtan-2024-report.html").read_bytes())
    rows.append({"name": "baseline: real pingtan-2024 page", "kb": base.stat().st_size // 1024, **run_one(base)})
    for name, make in hostile.DOCUMENTS.items():
        path = tmp / name
        path.write_bytes(sizes.get(name, make)(corpus))
        rows.append({"name": name, "kb": path.stat().st_size // 1024, **run_one(path)})
    return rows


def bench_crawl(corpus: Path, tmp: Path) -> dict:
    from crawler.run import write_sites_csv
    from demo.hostile import HostileSite

    with HostileSite(corpus) as site:
        rows = site.sites()
        rows[1]["max_listing_pages"] = 50
        sites_csv, db = tmp / "sites.csv", tmp / "crawl.db"
        write_sites_csv(rows, str(sites_csv))
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        t = time.perf_counter()
        proc = subprocess.run([str(Path(sys.executable).with_name("nianbao")), "crawl", "--sites-file", str(sites_csv),
                               "--db", str(db), "--no-throttle"], capture_output=True, text=True, timeout=900)
        took = time.perf_counter() - t
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        con = sqlite3.connect(db)
        pages = dict(con.execute("SELECT url, outcome FROM pages").fetchall())
        run = con.execute("SELECT finish_reason, per_site FROM crawl_runs").fetchone()
        con.close()
        expected = [f"{site.base_url}/xxgk/ndbg/{n}" for n in site.docs] + list(site.local_links().values())
        missing = [u for u in expected if u not in pages]
        return {"seconds": took, "mb": peak // 1024 if peak > before else None, "exit": proc.returncode,
                "finish": run[0], "pages": len(pages), "missing": missing, "per_site": json.loads(run[1]),
                "service_requests": len(site.service.requests),
                "outcomes": {u.rsplit("/", 1)[-1]: pages.get(u) for u in expected}}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", default=str(ROOT.parent / "shared" / "corpus"))
    args = ap.parse_args()
    corpus = Path(args.corpus)
    with tempfile.TemporaryDirectory(prefix="nianbao-hostile-") as tmp:
        rows = bench_extract(corpus, Path(tmp))
        base = rows[0]["seconds"]
        print(f"{'document':<34}{'KB':>7}{'seconds':>9}{'× base':>8}{'peak MB':>9}  outcome / detail")
        for r in rows:
            mb = "—" if r["mb"] is None else str(r["mb"])
            ratio = r["seconds"] / base if base else float("nan")
            print(f"{r['name']:<34}{r['kb']:>7}{r['seconds']:>9.2f}{ratio:>8.1f}{mb:>9}  {r['outcome']}"
                  f"{' spam ' + str(r['spam']) if r.get('spam') else ''}  {r['detail'][:70]}")
        worst = max(rows[1:], key=lambda r: r["seconds"])
        peak = max((r["mb"] or 0) for r in rows)
        meets = worst["seconds"] < TIME_TARGET_S and peak < MEMORY_TARGET_MB
        print(f"slowest document {worst['name']} {worst['seconds']:.2f} s (target < {TIME_TARGET_S:.0f} s); "
              f"peak {peak} MB (target < {MEMORY_TARGET_MB} MB): {'meets' if meets else 'MISSES'}")
        print("(peak MB '—': that child's peak was no higher than an earlier child's; the peak printed is the largest)")
        c = bench_crawl(corpus, Path(tmp))
        print()
        print(f"crawl of the hostile site: exit {c['exit']}, {c['finish']}, {c['seconds']:.1f} s, peak RSS "
              f"{c['mb'] if c['mb'] is not None else '≤ ' + str(peak)} MB (crawl and worker), {c['pages']} pages recorded, "
              f"missing {len(c['missing'])}, requests that reached the local service: {c['service_requests']}")
        for name, outcome in c["outcomes"].items():
            print(f"  {name:<40} {outcome}")
        capped = {k: v.get("capped") for k, v in c["per_site"].items() if v.get("capped")}
        print(f"  caps hit: {capped}")
        ok = meets and c["exit"] == 0 and not c["missing"] and c["service_requests"] == 0
        print("every target met" if ok else "TARGET MISSED")
    return 0


if __name__ == "__main__":
    sys.exit(main())
