"""Publishing: serve the database through Datasette, safely, with nianbao's SQL helpers.

* `serve_args` builds the `datasette serve` command: the database opened immutable, a SQL time limit,
  facet suggestions off (they make table pages ~20× slower), bound to 127.0.0.1 by default, with
  datasette_metadata.json re-keyed to the database's name.
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

ROOT = Path(__file__).resolve().parent.parent
METADATA = ROOT / "datasette_metadata.json"
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
    return [(r"^/source/(?P<page_id>[0-9a-f]{16})/file$", archived_file)]


async def archived_file(datasette, request):
    """A page's archived bytes from the WARC archive, as a download (never rendered: nosniff, attachment)."""
    from datasette.utils.asgi import Response

    from pipelines.warc_archive import ArchiveError, page_bytes

    page_id = request.url_vars["page_id"]
    try:
        data = await datasette.get_database().execute_fn(lambda conn: page_bytes(conn, page_id))
    except ArchiveError as exc:
        return Response.text(f"archived copy unreadable: {exc}", status=500)
    if data is None:
        return Response.text("no such page", status=404)
    return Response(data, content_type="application/octet-stream",
                    headers={"content-disposition": f'attachment; filename="{page_id}.bin"',
                             "x-content-type-options": "nosniff"})


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
    ]
