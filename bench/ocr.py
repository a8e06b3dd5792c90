"""OCR benchmark: seconds per scanned page and the share of cells read, on rendered real pages.

The two real PDFs of the corpus (../shared/corpus/huaian) are turned into scans the way tests/test_ocr.py
does it — pdftoppm at 150 dpi, greyscale, rotated 0.7° / -0.9°, JPEG quality 70, re-assembled into an
image-only PDF — and read by `extract_bytes` like any document. Every table cell is compared with the
hand-read values of tests/expected/: read right, read wrong (the standard is zero), or left unparsed.
The baseline, measured in the same run, is the same report read from its own text layer.

    .venv/bin/python bench/ocr.py                       # tesseract (the engine nianbao uses)
    .venv/bin/python bench/ocr.py --engine rapidocr     # needs `pip install rapidocr-onnxruntime==1.4.4`

Seconds are wall time and CPU time (this process and the tesseract processes it starts).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared"
REPORTS = [("huaian-2024-report.pdf", 6), ("hongze-2023-report.pdf", 5)]
TABLES = ("active", "applications", "review_litigation")


def scan_of(src: Path, pages: int, dpi: int = 150, quality: int = 70) -> bytes:
    from demo.scans import scanned_pdf

    return scanned_pdf(src, list(range(1, pages + 1)), dpi, quality)


def cpu() -> float:
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def timed(fn):
    w, c = time.perf_counter(), cpu()
    out = fn()
    return out, time.perf_counter() - w, cpu() - c


def score(rec: dict, exp: dict) -> dict:
    out = {t: {"cells": 0, "right": 0, "wrong": 0, "unparsed": 0} for t in TABLES}
    for t in TABLES:
        for key, want in exp.get(t, {}).items():
            if want is None:
                continue  # a printed blank: nothing to read
            s = out[t]
            s["cells"] += 1
            got = rec[t].get(key)
            if got is None:
                s["unparsed"] += 1
            elif got == want:
                s["right"] += 1
            else:
                s["wrong"] += 1
                print(f"    WRONG {t}.{key}: {got} (printed {want})")
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--engine", default="tesseract", choices=["tesseract", "rapidocr"])
    args = ap.parse_args()
    os.environ["NIANBAO_OCR_ENGINE"] = args.engine
    from extract import extract_bytes

    print(f"engine: {args.engine}; machine: {os.cpu_count()} cores, shared; {time.strftime('%Y-%m-%d')}")
    print(f"{'report':<26}{'pages':>6}{'s/page':>8}{'cpu s/page':>11}{'text-layer s':>13}{'ratio':>7}"
          f"{'cells':>7}{'read':>6}{'wrong':>6}{'unparsed':>9}  table 三 / 四 read")
    totals = {"pages": 0, "wall": 0.0, "cpu": 0.0, "cells": 0, "right": 0, "wrong": 0}
    for name, pages in REPORTS:
        src = SHARED / "corpus" / "huaian" / name
        exp = json.loads((ROOT / "tests" / "expected" / f"{name}.json").read_text(encoding="utf-8"))
        scan = scan_of(src, pages)
        _, base_wall, _ = timed(lambda: extract_bytes(src.read_bytes(), filename=name))
        rec, wall, spent = timed(lambda: extract_bytes(scan, filename="scan.pdf"))
        s = score(rec, exp)
        cells = sum(v["cells"] for v in s.values())
        right = sum(v["right"] for v in s.values())
        wrong = sum(v["wrong"] for v in s.values())
        three = s["applications"]
        four = s["review_litigation"]
        print(f"{name:<26}{pages:>6}{wall / pages:>8.1f}{spent / pages:>11.1f}{base_wall:>13.2f}"
              f"{wall / base_wall:>7.0f}{cells:>7}{right:>6}{wrong:>6}{cells - right - wrong:>9}"
              f"  {three['right']}/{three['cells']} · {four['right']}/{four['cells']}")
        totals["pages"] += pages
        totals["wall"] += wall
        totals["cpu"] += spent
        totals["cells"] += cells
        totals["right"] += right
        totals["wrong"] += wrong
    p = totals["pages"]
    print(f"all: {p} pages, {totals['wall'] / p:.1f} s/page wall, {totals['cpu'] / p:.1f} s/page CPU; "
          f"cells read {totals['right']}/{totals['cells']} ({totals['right'] / totals['cells']:.0%}), "
          f"wrong {totals['wrong']}")
    return 1 if totals["wrong"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
