#!/usr/bin/env bash
# `make demo`: start the offline demo portal on 127.0.0.1, crawl it with the real spider, add the bundled
# real example reports, smoke-test the database through Datasette, then serve it on http://127.0.0.1:8001/
# (Ctrl-C stops). Nothing here reads ../shared and nothing leaves 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
DB=${DB:-data/demo.db}
PORT=${PORT:-8001}

.venv/bin/nianbao demo --no-serve --db "$DB" --quiet
# smoke test before publishing: the summary view answers through Datasette itself
.venv/bin/datasette "$DB" --get "/$(basename "$DB" .db)/report_summary.json?_shape=array&_col=agency&_col=year&_size=max" \
  | .venv/bin/python -c '
import json, sys
rows = json.load(sys.stdin)
assert rows, "smoke test failed: no reports"
print("smoke test: report_summary answers through Datasette with", len(rows), "reports")'
for f in demo/reports/*; do
  case "$f" in */SOURCES.md) ;;
    *.pdf|*.html|*.md)
    echo "════════ $f"; .venv/bin/nianbao extract "$f" | head -12; echo ;;
  esac
done
exec .venv/bin/nianbao serve --db "$DB" --port "$PORT"
