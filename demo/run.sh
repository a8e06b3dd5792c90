#!/usr/bin/env bash
# `make demo`: extract every bundled example report and show the result.
# (The crawling issue turns this into: serve the offline demo portal → crawl → build the DB → Datasette.)
set -euo pipefail
cd "$(dirname "$0")/.."
for f in demo/reports/*; do
  case "$f" in *.md|*.html|*.htm|*.txt|*.pdf|*.docx)
    [ "$(basename "$f")" = SOURCES.md ] && continue
    echo "════════ $f"
    .venv/bin/nianbao extract "$f"
    echo
  esac
done
