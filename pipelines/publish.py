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
  the bigram index for words of any length: `reports_fts MATCH nianbao_fts(:q)`; and bound what a table
  page costs: a table `_search` neither counts nor facets unless asked (asgi_wrapper) and reads at most the
  newest TABLE_SEARCH_CAP matches (filters_from_request).
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import os
import re
import tempfile
from collections import OrderedDict
from pathlib import Path

from datasette import hookimpl
from datasette.utils import to_css_class
from markupsafe import Markup, escape

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"
# the top-level datasette_metadata.json: in the tree this is a symlink to it, in a wheel a copy (package data)
METADATA = Path(__file__).with_name("datasette_metadata.json")
METADATA_DB_KEY = "nianbao"  # the database key used inside datasette_metadata.json


# SQLite limits on every served connection. The SQL time limit interrupts between VM steps, never inside
# one function call: `printf('%.*c', 2000000000, 'x')` would build 2 GB in one step. SQLITE_LIMIT_LENGTH
# caps any string or blob a query can make (it must stay above the largest archived page, 32 MB, which
# the archive download serves), so such a call fails at once with "string or blob too big".
SQL_LIMITS = {
    "SQLITE_LIMIT_LENGTH": 40 * 1024 * 1024,
    "SQLITE_LIMIT_SQL_LENGTH": 100_000,
    "SQLITE_LIMIT_LIKE_PATTERN_LENGTH": 1_000,
}
MAX_PRINTF_WIDTH = 1_000_000  # SQLite 3.40's printf pads one character per step: 2e9 is 25 s in one call
MAX_FTS_QUERY = 1_000        # characters of a search box string given to nianbao_fts
MAX_BIGRAM_TEXT = 200_000    # characters nianbao_bigrams reads (Python work: no SQLite limit applies)


@hookimpl
def prepare_connection(conn):
    import sqlite3

    from pipelines.search import bigrams, fts_query
    from pipelines.warc_archive import ArchiveError, db_file, read_record, warc_dir

    for name, value in SQL_LIMITS.items():
        conn.setlimit(getattr(sqlite3, name), value)
    # printf/format: the built-in, behind a check of every width and precision (see MAX_PRINTF_WIDTH)
    inner = sqlite3.connect(":memory:", check_same_thread=False)
    inner.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, SQL_LIMITS["SQLITE_LIMIT_LENGTH"])
    for fn in ("printf", "format"):
        conn.create_function(fn, -1, _guarded_printf(inner, fn), deterministic=True)
    conn.create_function("nianbao_fts", 1, lambda q: fts_query((q or "")[:MAX_FTS_QUERY]), deterministic=True)
    conn.create_function("nianbao_bigrams", 1, lambda t: bigrams((t or "")[:MAX_BIGRAM_TEXT]), deterministic=True)

    path = db_file(conn)
    directory = warc_dir(path) if path else None

    def warc_payload(file, offset, length):
        """nianbao_warc(warc_file, warc_offset, warc_length): the archived bytes, for SQL (null if unreadable)."""
        if directory is None or file is None:
            return None
        if not all(isinstance(v, int) for v in (offset, length)) or offset < 0 \
                or not 0 < length <= SQL_LIMITS["SQLITE_LIMIT_LENGTH"]:
            return None  # a Python read of any length a query asks for is not bounded by SQLite's limits
        try:
            return read_record(directory, file, offset, length)
        except ArchiveError:
            return None

    conn.create_function("nianbao_warc", 3, warc_payload)


@hookimpl
def asgi_wrapper(datasette):
    """Datasette counts every match of a table's `_search` before showing 50, and facets them all (at a
    million reports a common word is ~a million rows, seconds): a search runs with `_nocount=1` and
    `_nofacet=1` unless the URL asks for a count (`_count=1`) or a facet (`_facet=`). The search_reports
    query is the bounded, ranked search.

    And the database is served immutable, no canned query writes: anything but GET/HEAD/OPTIONS to a
    database path is 405 (Datasette 0.65.5 answers a POST to a read-only canned query with a 500).

    And when the server starts, the landing and the facet counts of its immutable files are worked out (warm_up)."""
    def wrap(app):
        async def add_nocount(scope, receive, send):
            if scope.get("type") == "lifespan":
                # the server's own event loop is running now (Datasette's startup hook runs in another one,
                # before it): the landing and the facet counts are worked out in the background while it answers
                async def receive_and_warm():
                    message = await receive()
                    if message.get("type") == "lifespan.startup":
                        task = asyncio.get_running_loop().create_task(warm_up(datasette))
                        _WARMING.add(task)
                        task.add_done_callback(_WARMING.discard)
                    return message

                await app(scope, receive_and_warm, send)
                return
            if scope.get("type") == "http":
                if scope.get("method") not in ("GET", "HEAD", "OPTIONS") and not scope.get("path", "").startswith("/-/"):
                    await send({"type": "http.response.start", "status": 405, "headers": [
                        [b"content-type", b"text/plain; charset=utf-8"], [b"allow", b"GET, HEAD"]]})
                    await send({"type": "http.response.body",
                                "body": b"405 Method Not Allowed: nianbao serves a read-only database\n"})
                    return
                qs = scope.get("query_string") or b""
                if b"_search" in qs:
                    scope = dict(scope, query_string=bounded_search(qs))
                elif view := _UNCOUNTED_VIEW.match(scope.get("path", "")):
                    if _many_rows(datasette, view):
                        scope = dict(scope, query_string=uncounted(qs))
            await app(scope, receive, send)
        return add_nocount
    return wrap


# `cells` and `checks` are views (pipelines/schema.py 0014, 0015), `report_summary_live` the summary's definition.
# Datasette counts a view's rows on every page (a table's count comes from the inspect file) and works out its
# metadata facets over them: every row the page spans. In a database of a few thousand reports that is quick and
# shown as usual. At a million reports it is ~150 M (~34 M) joined rows, and a filter such as `ok = 0` or
# `table_name = …` still leaves millions: the count ran 3 s into the time limit and every facet 200 ms into its
# own ("These facets timed out"). So past VIEW_ROWS_SHOWN stored rows (~200 ms of counting) a view page is
# counted only when the URL asks (`_count=1`) and faceted only when it names a facet (`_facet=`) — or when it is
# filtered by a report (~150 rows), which is counted and faceted as usual.
REPORT_VIEWS = ("cells", "checks", "report_summary_live")
_UNCOUNTED_VIEW = re.compile(rf"^/([^/]+)/({'|'.join(REPORT_VIEWS)})(\.json|\.csv)?$")
VIEW_STORAGE = {"cells": "cell_values", "checks": "check_values", "report_summary_live": "reports"}
VIEW_ROWS_SHOWN = 200_000


def _many_rows(datasette, view: re.Match) -> bool:
    """Whether more than VIEW_ROWS_SHOWN rows are stored under the view, by the immutable file's inspect counts
    (not known — a file served without them — is taken as many)."""
    db = datasette.databases.get(view.group(1))
    counts = (db.cached_table_counts if db is not None and not db.is_mutable else None) or {}
    rows = counts.get(VIEW_STORAGE[view.group(2)])
    return rows is None or rows > VIEW_ROWS_SHOWN


def _names(qs: bytes) -> set[bytes]:
    """The parameter names of a query string."""
    return {part.split(b"=", 1)[0] for part in qs.split(b"&") if part}


def _appended(qs: bytes, extra: list[bytes]) -> bytes:
    return b"&".join(part for part in (qs, *extra) if part)


def uncounted(qs: bytes) -> bytes:
    """A page of a view over many rows: with `_nocount=1` unless the URL asks for a count, and `_nofacet=1`
    unless it names a facet; as it is when it asks for one report's rows (`report_id`, `report_id__exact`, …)."""
    names = _names(qs)
    if any(n.split(b"__", 1)[0] == b"report_id" for n in names):
        return qs
    extra = [] if names & {b"_count", b"_nocount"} else [b"_nocount=1"]
    if not names & {b"_facet", b"_nofacet"}:
        extra.append(b"_nofacet=1")
    return _appended(qs, extra)


def bounded_search(qs: bytes) -> bytes:
    """A table `_search` query string with the bounds asgi_wrapper gives it (only what the URL leaves open)."""
    names = _names(qs)
    extra = []
    if b"_count" not in names and b"_nocount" not in names:
        extra.append(b"_nocount=1")
    if b"_count" not in names and b"_facet" not in names and b"_nofacet" not in names:
        extra.append(b"_nofacet=1")
    return _appended(qs, extra)


# ── table search: the newest matches when there are very many ──────────────────────────────────────
# Datasette's `_search` is `rowid in (select rowid from fts where fts match …)` sorted by the table's order
# (reports: year): every match is looked up and sorted before the first 50 are shown. At a million reports a
# common word matches most of them: 1.3–2.6 s, some answers past the 3 s limit. Past TABLE_SEARCH_CAP matches
# the search reads the newest-added TABLE_SEARCH_CAP (FTS5 walks its rowids backwards and stops), sorted as
# asked, and the page says so; fewer matches are searched as Datasette does. Not with a column filter or
# `_where` beside the search: the matches it keeps might be none of the newest, so that search stays whole.
TABLE_SEARCH_CAP = 10_000
_TABLE_SEARCH = re.compile(r"^(?P<pk>\S+) in \(select rowid from (?P<fts>\S+) where (?P=fts) match "
                           r"(?P<match>escape_fts\(:search\)|:search)\)$")


@hookimpl(hookwrapper=True)
def filters_from_request(request, database, table, datasette):
    """Datasette's own search filter, capped (see TABLE_SEARCH_CAP); every other filter as it is."""
    outcome = yield
    if "_where" in request.args or any(not k.startswith("_") for k in request.args):
        return
    outcome.force_result([_capped_table_search(f, database, datasette)
                          if getattr(f, "__qualname__", "") == "search_filters.<locals>.inner" else f
                          for f in outcome.get_result()])


def _capped_table_search(search_filter, database, datasette):
    async def capped():
        args = await search_filter()  # its `_search` clause (only one: `_search_<column>` clauses do not match)
        i, m = next(((i, m) for i, c in enumerate(args.where_clauses) if (m := _TABLE_SEARCH.match(c))), (0, None))
        if m is None:
            return args
        fts, match = m["fts"], m["match"]
        try:
            many = (await datasette.get_database(database).execute(
                f"SELECT count(*) FROM (SELECT 1 FROM {fts} WHERE {fts} MATCH {match} LIMIT {TABLE_SEARCH_CAP + 1})",
                {"search": args.params["search"]})).first()[0] > TABLE_SEARCH_CAP
        except Exception:  # noqa: BLE001 — a search FTS5 cannot parse: Datasette's own query says so, as before
            return args
        if many:
            args.where_clauses[i] = (f"{m['pk']} in (select rowid from {fts} where {fts} match {match} "
                                     f"order by rowid desc limit {TABLE_SEARCH_CAP})")
            args.human_descriptions.append(
                f"只含最新收录的 {TABLE_SEARCH_CAP:,} 条匹配（共超过 {TABLE_SEARCH_CAP:,} 条；"
                f"全部匹配的排序搜索见 search_reports） the {TABLE_SEARCH_CAP:,} newest-added of more matches")
        return args

    return capped


# ── facet counts of a file served immutable: worked out once ───────────────────────────────────────
# A table page's facets count every row of the view (four facets of report_summary at a million reports:
# 270–610 ms a page, each a GROUP BY over a million index entries). A file served immutable cannot change,
# so a facet query's rows are kept (by database, SQL and parameters; the newest FACET_MEMO_SIZE) and the
# unfiltered facets of every table with facets in the metadata are worked out in the background at start.
FACET_MEMO_SIZE = 512
_FACET_MEMO: OrderedDict = OrderedDict()
_WARMING: set = set()  # the start-up tasks, referenced until they end (the loop keeps only weak references)


class _FacetQueries:
    """Datasette as a facet sees it: `execute` keeps the rows of a query on an immutable database."""

    def __init__(self, datasette):
        self._datasette = datasette

    def __getattr__(self, name):
        return getattr(self._datasette, name)

    async def execute(self, db_name, sql, params=None, **kwargs):
        db = self._datasette.get_database(db_name)
        if db.is_mutable:
            return await self._datasette.execute(db_name, sql, params, **kwargs)
        try:  # the file as it is: one replaced at the same path (a rebuilt database) is another file
            st = os.stat(db.path)
            stamp = (st.st_size, st.st_mtime_ns)
        except (OSError, TypeError):
            stamp = None
        key = (db.path, stamp, sql, json.dumps(params, sort_keys=True, default=str))
        if key in _FACET_MEMO:
            _FACET_MEMO.move_to_end(key)
            return _FACET_MEMO[key]
        result = await self._datasette.execute(db_name, sql, params, **kwargs)  # a time-out raises: not kept
        _FACET_MEMO[key] = result
        while len(_FACET_MEMO) > FACET_MEMO_SIZE:
            _FACET_MEMO.popitem(last=False)
        return result


@functools.lru_cache(maxsize=None)  # one class per facet class (the hook is called for every table page)
def _remembering(facet_class):
    class Remembering(facet_class):
        def __init__(self, datasette, *args, **kwargs):
            super().__init__(_FacetQueries(datasette), *args, **kwargs)

    Remembering.__name__ = Remembering.__qualname__ = f"Remembering{facet_class.__name__}"
    return Remembering


@hookimpl(hookwrapper=True)
def register_facet_classes():
    """Datasette's column facet, with its queries kept on an immutable file (a wrapper: the built-in class
    is replaced, not joined by a second one that would count every facet twice)."""
    from datasette.facets import ColumnFacet

    outcome = yield
    outcome.force_result([[_remembering(c) if c is ColumnFacet else c for c in classes]
                          for classes in outcome.get_result()])


async def warm_up(datasette) -> None:
    """What is worked out once per immutable file, worked out before anyone asks: the landing's figures
    (pipelines/front_views.py keeps them; 0.3 s warm at a million reports, 1.7 s on a cold page cache), and
    every table that has facets in the metadata as a reader first sees it (unfiltered, its metadata facets).
    Started when the server starts (asgi_wrapper); a failure here is logged, and the pages work it out when asked."""
    try:
        await datasette.client.get("/")
        for name, db in list(datasette.databases.items()):
            if db.is_mutable or name.startswith("_"):
                continue
            for table in await db.table_names():
                if datasette.table_metadata(name, table).get("facets"):
                    await datasette.client.get(datasette.urls.table(name, table, format="json") + "?_size=0")
    except Exception:  # noqa: BLE001 — a background task: nobody awaits it to see the error
        logging.getLogger(__name__).exception("warming up the served database failed")


# The canned queries' link columns hold one Markdown link each, built in their SQL from a page id:
# `[存档原文 archived page](archived_page?page_id=…)`, `[下载原始文件 …](/source/…/file)`. They are rendered here
# as exactly that, a link to a path on this server, and anything else in them is left to Datasette, which escapes
# it. datasette-render-markdown rendered them before: a Markdown parse and an HTML sanitiser built per cell, 200 ms
# of a 1,000-row query page (0.5 s at a million reports).
LINK_COLUMNS = ("source_link", "download_link")
_SERVER_LINK = re.compile(r"\[([^\[\]<>]{1,200})\]\(((?:/(?!/)|[A-Za-z_][\w-]*(?=[/?]|$))[\w\-./?=&~%]{0,300})\)")


def server_link(value: str):
    """The Markdown link `[text](path)` as an HTML link, when the path stays on this server; else None."""
    m = _SERVER_LINK.fullmatch(value)
    if m is None:
        return None
    return Markup(f'<a href="{escape(m.group(2))}" rel="nofollow">{escape(m.group(1))}</a>')


@hookimpl
def render_cell(value, column, table, database, datasette):
    """`cells` and `checks` are views (pipelines/schema.py 0014, 0015), and a view declares no foreign key: their
    report_id links to the report's row here, as the tables' foreign keys made Datasette link it. And the canned
    queries' link columns (LINK_COLUMNS)."""
    if not isinstance(value, str):
        return None
    if column in LINK_COLUMNS:
        return server_link(value)
    if table in REPORT_VIEWS and column == "report_id":
        from datasette.utils import tilde_encode

        href = datasette.urls.row(database, "reports", tilde_encode(value))
        return Markup(f'<a href="{escape(href)}">{escape(value)}</a>')
    return None


@hookimpl
def register_routes(datasette):
    from pipelines.front_views import routes

    return routes()


@functools.lru_cache(maxsize=4096)
def _td(column: str, value_type: str | None = None) -> str:
    """A cell's opening tag as Datasette's templates write it: its column's class (query.html), and its value's
    type (_table.html). Worked out once per column, not once per cell."""
    kind = f" type-{escape(value_type)}" if value_type is not None else ""
    return f'<td class="col-{escape(to_css_class(column))}{kind}">'


def _rows_html(rows) -> Markup:
    """Table rows of (opening tag, value) cells, each value escaped unless it is already Markup."""
    return Markup("\n".join("<tr>" + "".join(f"{td}{escape(value)}</td>" for td, value in row) + "</tr>"
                             for row in rows))


def query_rows_html(columns, display_rows) -> Markup:
    """A query page's table rows, as query.html's loop wrote them. Datasette's template engine is async: its
    loop awaited every row and cell, 40 % of a 1,000-row page (0.2 s at 27 columns)."""
    tds = [_td(c) for c in columns]
    return _rows_html(zip(tds, row) for row in display_rows)


def table_rows_html(display_rows) -> Markup:
    """A table page's rows, as _table.html's loop wrote them (the same reason as query_rows_html)."""
    return _rows_html(((_td(c["column"], c["value_type"]), c["value"]) for c in row) for row in display_rows)


@hookimpl
def extra_template_vars(datasette):
    from pipelines.front import zh_header

    return {"zh_header": zh_header, "nianbao_db": datasette.get_database().name, "query_rows_html": query_rows_html,
            "table_rows_html": table_rows_html}


_WIDTHS = re.compile(r"%[-+ 0#,!]*(\d*)(?:\.(\d*))?")


def _guarded_printf(inner, name: str):
    def call(fmt=None, *args):
        if fmt is None:
            return None
        text = str(fmt)
        widths = [int(w) for m in _WIDTHS.finditer(text) for w in m.groups() if w]
        if "*" in text:
            widths += [abs(a) for a in args if isinstance(a, int)]
        if any(w > MAX_PRINTF_WIDTH for w in widths):
            raise ValueError(f"{name}(): a width or precision above {MAX_PRINTF_WIDTH:,} (nianbao serve's limit)")
        marks = ", ".join("?" * (1 + len(args)))
        return inner.execute(f"SELECT {name}({marks})", (text, *args)).fetchone()[0]

    return call




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


def inspect_path(db_path: str) -> Path:
    return Path(db_path).with_name(Path(db_path).stem + "-inspect.json")


def write_inspect(db_path: str) -> Path:
    """Datasette's `--inspect-file` for the database: its row counts and a hash. Opened immutable without one,
    Datasette hashes the whole file and counts every table before its first answer (minutes at a million
    reports). Written at the end of every write session, and by `nianbao serve` when it is stale."""
    import hashlib
    import sqlite3

    path = Path(db_path)
    st = path.stat()
    con = sqlite3.connect(f"file:{path.resolve()}?mode=ro", uri=True)
    try:
        names = [n for (n,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        tables = {n: {"count": con.execute(f"SELECT count(*) FROM [{n}]").fetchone()[0]} for n in names}
    finally:
        con.close()
    stamp = f"{st.st_size}-{st.st_mtime_ns}"
    data = {path.stem: {"hash": hashlib.sha256(stamp.encode()).hexdigest(), "size": st.st_size,
                        "file": str(path), "nianbao_stamp": stamp, "tables": tables}}
    out = inspect_path(db_path)
    try:
        out.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    except OSError:  # a read-only folder: a private copy
        fd, name = tempfile.mkstemp(prefix="nianbao-inspect-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, ensure_ascii=False)
        out = Path(name)
    return out


def fresh_inspect(db_path: str) -> Path:
    """The inspect file if it describes the database as it is now (size and mtime), else a new one."""
    path, out = Path(db_path), inspect_path(db_path)
    try:
        st = path.stat()
        data = json.loads(out.read_text(encoding="utf-8"))
        if data[path.stem]["nianbao_stamp"] == f"{st.st_size}-{st.st_mtime_ns}":
            return out
    except (OSError, ValueError, KeyError):
        pass
    return write_inspect(db_path)


def serve_args(db_path: str, host: str = "127.0.0.1", port: int = 8001, time_limit_ms: int = 3000) -> list[str]:
    meta = metadata_for(db_path)
    fd, meta_path = tempfile.mkstemp(prefix="nianbao-metadata-", suffix=".json")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(meta, f, ensure_ascii=False)
    return [
        "serve", "-i", db_path, "--inspect-file", str(fresh_inspect(db_path)),
        "--metadata", meta_path, "--host", host, "--port", str(port),
        "--setting", "sql_time_limit_ms", str(time_limit_ms),
        "--setting", "suggest_facets", "off",
        "--setting", "default_page_size", "50",
        "--setting", "allow_download", "on",
        "--setting", "max_csv_mb", "200",
        "--template-dir", str(TEMPLATES), "--static", f"static-nianbao:{STATIC}",
    ]
