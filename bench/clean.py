"""bench/clean — clean + extract a real report page, against trafilatura.extract alone, same run.

    .venv/bin/python bench/clean.py [--rounds N]

Pages: the real pingtan report pages in ../shared/corpus (full TRS portal shells around real tables),
else the bundled demo/reports page. For each page both are timed (median of N rounds):
  ours      pipelines.parse.clean_and_extract: decode, hidden-spam scan, chrome, inline spam, every table
            cell, checks — the whole record;
  baseline  trafilatura.extract(html) with its defaults — main text only, tables flattened.
Prints pages per second for both and the ratio baseline time ÷ our time (above 1 = we are faster), and
checks that our record still holds every table cell (the count must be 10 + 175 + 15 for a 2021 report).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import trafilatura  # noqa: E402

from bench.timing import timed  # noqa: E402
from pipelines.parse import clean_and_extract  # noqa: E402


def pages() -> list[Path]:
    shared = ROOT.parent / "shared" / "corpus" / "pingtan"
    found = sorted(shared.glob("pingtan-*-report.html")) if shared.is_dir() else []
    return found or sorted((ROOT / "demo" / "reports").glob("*.html"))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=9)
    args = ap.parse_args()
    total_ours = total_base = 0.0
    n = 0
    print(f"{'page':<28}{'KB':>6}{'ours ms':>10}{'trafilatura ms':>16}{'ratio':>7}{'cells':>7}")
    for path in pages():
        data = path.read_bytes()
        html = data.decode("utf-8", errors="replace")
        rec = clean_and_extract(data, filename=path.name)  # warm-up, and the cell count
        trafilatura.extract(html)
        cells = sum(1 for t in ("active", "applications", "review_litigation") for v in rec[t].values() if v is not None)
        t_ours = timed(lambda: clean_and_extract(data, filename=path.name), args.rounds)
        t_base = timed(lambda: trafilatura.extract(html), args.rounds)
        total_ours += t_ours
        total_base += t_base
        n += 1
        print(f"{path.name[:27]:<28}{len(data) // 1024:>6}{t_ours * 1000:>10.1f}{t_base * 1000:>16.1f}"
              f"{t_base / t_ours:>7.2f}{cells:>7}")
    print()
    print(f"pages/s: ours {n / total_ours:.1f}, trafilatura.extract alone {n / total_base:.1f}; "
          f"ratio {total_base / total_ours:.2f}× (target ≥ 3×)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
