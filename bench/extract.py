"""bench/extract — extraction speed against a baseline measured in the same run.

    .venv/bin/python bench/extract.py [--rounds N]

Inputs: the seeds and corpus in ../shared when present (else the bundled demo/reports).
For HTML and text inputs the baseline is lxml parsing the same decoded text (the least any HTML-based
extractor must do); for PDFs it is pdfplumber extracting the text layer alone (the least any PDF
reader must do). Prints documents per second for both, and the ratio extraction ÷ baseline (how many
times longer the full extraction takes than the baseline alone).
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import lxml.html  # noqa: E402

from bench.timing import timed  # noqa: E402
from extract import extract_bytes  # noqa: E402
from extract.encoding import decode  # noqa: E402
from extract.record import sniff  # noqa: E402


def inputs() -> list[Path]:
    shared = ROOT.parent / "shared"
    if shared.is_dir():
        files = sorted((shared / "seeds").glob("*")) + sorted(
            p for p in (shared / "corpus").rglob("*")
            if p.suffix in (".txt", ".html", ".md", ".pdf") and p.name != "SOURCES.md")
    else:
        files = sorted(p for p in (ROOT / "demo" / "reports").glob("*") if p.name != "SOURCES.md")
    return files


def baseline(data: bytes, kind: str) -> None:
    if kind == "pdf":
        import pdfplumber

        with pdfplumber.open(io.BytesIO(data)) as pdf:
            for page in pdf.pages:
                page.extract_text()
    else:
        text, _ = decode(data)
        lxml.html.fromstring(text)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    files = inputs()
    groups: dict[str, list[tuple[float, float]]] = {"html": [], "text": [], "pdf": []}
    print(f"{'document':<42}{'kind':>6}{'extract ms':>12}{'baseline ms':>13}{'ratio':>8}")
    for path in files:
        data = path.read_bytes()
        kind = sniff(data, path.name)
        extract_bytes(data, filename=path.name)  # warm caches (OpenCC dictionary, regexes)
        t_ext = timed(lambda: extract_bytes(data, filename=path.name), args.rounds)
        t_base = timed(lambda: baseline(data, kind), args.rounds)
        groups[kind if kind in groups else "text"].append((t_ext, t_base))
        print(f"{path.name[:40]:<42}{kind:>6}{t_ext * 1000:>12.1f}{t_base * 1000:>13.2f}{t_ext / t_base:>8.1f}")
    print()
    print(f"{'group':<12}{'docs':>6}{'extract docs/s':>16}{'baseline docs/s':>17}{'ratio':>8}   baseline")
    for name, rows in groups.items():
        if not rows:
            continue
        ext = sum(r[0] for r in rows)
        base = sum(r[1] for r in rows)
        what = {"pdf": "pdfplumber text layer alone", "html": "lxml.html parse alone",
                "text": "lxml.html parse alone (of text: near zero, so the ratio is large)"}[name]
        print(f"{name:<12}{len(rows):>6}{len(rows) / ext:>16.1f}{len(rows) / base:>17.1f}{ext / base:>8.1f}   {what}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
