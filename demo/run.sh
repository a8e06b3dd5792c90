#!/usr/bin/env bash
# `make demo`: build data/demo.db from the bundled example reports, smoke-test it through Datasette,
# then serve it on http://127.0.0.1:8001/ (Ctrl-C stops).
# (The crawling issue puts a crawl of the offline demo portal in front of this.)
set -euo pipefail
cd "$(dirname "$0")/.."
DB=${DB:-data/demo.db}
PORT=${PORT:-8001}

.venv/bin/nianbao demo --no-serve --db "$DB"
# smoke test before publishing: the summary view answers through Datasette itself
.venv/bin/datasette "$DB" --get "/$(basename "$DB" .db)/report_summary.json?_shape=array&_col=agency&_col=year" \
  | .venv/bin/python -c '
import json, sys
rows = json.load(sys.stdin)
assert rows, "smoke test failed: no reports"
print("smoke test:", len(rows), "reports:", ", ".join("%s %s" % (r["agency"], r["year"]) for r in rows))'
for f in demo/reports/*; do
  case "$f" in */SOURCES.md) ;;
    *.pdf|*.html|*.md)
    echo "════════ $f"; .venv/bin/nianbao extract "$f" | head -12; echo ;;
  esac
done
exec .venv/bin/nianbao serve --db "$DB" --port "$PORT"
