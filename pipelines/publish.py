"""Publishing: serve the database through Datasette, safely, with nianbao's SQL helpers.

* `serve_args` builds the `datasette serve` command: the database opened immutable, a SQL time limit,
  facet suggestions off (they make table pages ~20× slower), bound to 127.0.0.1 by default, with
  datasette_metadata.json re-keyed to the database's name.
* The front door (pipelines/front.py, pipelines/front_views.py): `/`, `/report/<key>`, `/agency/<id>`,
  `/source/<page_id>` (the archived bytes read from the WARC archive), registered with `register_routes`; its templates (pipelines/templates/, also
  overriding Datasette's table and query pages for Chinese headers) and static files (pipelines/static/)
  are passed to `datasette serve` as `--template-dir` and `--static static-nianbao:`.
* The Datasette plugin hooks below (registered through the `datasette` entry point in pyproject.toml)
  add `nianbao_fts(q)` and `nianbao_bigrams(text)` to every connection, so canned queries can search
  the bigram index for words of any length: `reports_fts MATCH nianbao_fts(:q)`.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from datasette import hookimpl

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"
# the top-level datasette_metadata.json: in the tree this is a symlink to it, in a wheel a copy (package data)
METADATA = Path(__file__).with_name("datasette_metadata.json")
METADATA_DB_KEY = "nianbao"  # the database key used inside datasette_metadata.json


@hookimpl
def prepare_connection(conn):
    from pipelines.search import bigrams, fts_query
    from pipelines.warc_archive import ArchiveError, db_file, read_record, warc_dir

    conn.create_function("nianbao_fts", 1, lambda q: fts_query(q or ""), deterministic=True)
    conn.create_function("nianbao_bigrams", 1, lambda t: bigrams(t or ""), deterministic=True)
    path = db_file(conn)
    directory = warc_dir(path) if path else None

    def warc_payload(file, offset, length):
        """nianbao_warc(warc_file, warc_offset, warc_length): the archived bytes, for SQL (null if unreadable)."""
        if directory is None or file is None:
            return None
        try:
            return read_record(directory, file, offset, length)
        except ArchiveError:
            return None

    conn.create_function("nianbao_warc", 3, warc_payload)


@hookimpl
def register_routes(datasette):
    from pipelines.front_views import routes

    return routes()


@hookimpl
def extra_template_vars(datasette):
    from pipelines.front import zh_header

    return {"zh_header": zh_header, "nianbao_db": datasette.get_database().name}


def metadata_for(db_path: str) -> dict:
    """datasette_metadata.json with its database section keyed to this database's name."""
    meta = json.loads(METADATA.read_text(encoding="utf-8"))
    name = Path(db_path).stem
    dbs = meta.get("databases", {})
    if METADATA_DB_KEY in dbs and name != METADATA_DB_KEY:
        dbs[name] = dbs.pop(METADATA_DB_KEY)
        # dashboard charts and filters name their database too
        for dash in (meta.get("plugins", {}).get("datasette-dashboards") or {}).values():
            for item in [*dash.get("charts", {}).values(), *dash.get("filters", {}).values()]:
                if item.get("db") == METADATA_DB_KEY:
                    item["db"] = name
    return meta


def serve_args(db_path: str, host: str = "127.0.0.1", port: int = 8001, time_limit_ms: int = 3000) -> list[str]:
    meta = metadata_for(db_path)
    fd, meta_path = tempfile.mkstemp(prefix="nianbao-metadata-", suffix=".json")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(meta, f, ensure_ascii=False)
    return [
        "serve", "-i", db_path, "--metadata", meta_path, "--host", host, "--port", str(port),
        "--setting", "sql_time_limit_ms", str(time_limit_ms),
        "--setting", "suggest_facets", "off",
        "--setting", "default_page_size", "50",
        "--setting", "allow_download", "on",
        "--setting", "max_csv_mb", "200",
        "--template-dir", str(TEMPLATES), "--static", f"static-nianbao:{STATIC}",
    ]
