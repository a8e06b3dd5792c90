"""HTTP handlers of the front door (registered through Datasette's `register_routes` in pipelines/publish.py).
Data comes from pipelines/front.py; pages are Jinja templates in pipelines/templates/ rendered by Datasette,
so they share its look, its menu and its time limits."""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import unquote, urlencode

from datasette.utils.asgi import NotFound, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from pipelines import front
from pipelines.warc_archive import ArchiveError


def _db(datasette):
    return datasette.get_database()


async def _render(datasette, request, template: str, context: dict) -> Response:
    db = _db(datasette)
    context = {**context, "db_name": db.name, "zh_header": front.zh_header}
    return Response.html(await datasette.render_template(template, context, request=request))


_LANDING: dict[str, dict] = {}
_LANDING_WORKING: dict[str, asyncio.Future] = {}

# the report page's tables, rendered synchronously (see the template's header for why)
_TABLES = Environment(loader=FileSystemLoader(str(Path(__file__).resolve().parent / "templates")), autoescape=select_autoescape(default=True))


async def landing(datasette, request):
    """The landing's figures cover the whole database (counts, rankings of the latest year): computed once
    per served file when it is immutable (`nianbao serve` opens it so), since they cannot change."""
    db = _db(datasette)
    if db.is_mutable:
        data = await db.execute_fn(front.landing_data)
    else:
        data = _LANDING.get(db.path)
        if data is None:
            # one computation per file: a visitor arriving while the start-up task (publish.warm_up) or another
            # visitor is working it out waits for that one instead of starting a second beside it
            working = _LANDING_WORKING.get(db.path)
            if working is None:
                working = _LANDING_WORKING[db.path] = asyncio.ensure_future(db.execute_fn(front.landing_data))
            try:
                data = await asyncio.shield(working)
            finally:
                if working.done():
                    _LANDING_WORKING.pop(db.path, None)
            _LANDING[db.path] = data
    return await _render(datasette, request, "nianbao_landing.html", data)


async def report(datasette, request):
    key = request.url_vars["report_key"]
    data = await _db(datasette).execute_fn(lambda conn: front.report_data(conn, key))
    if data is None:
        raise NotFound(f"没有这份报告 no report {key!r}")
    tables = _TABLES.get_template("nianbao_report_tables.html").render(
        layout=data["layout"], report_key=key, cell_label=front.cell_label)
    return await _render(datasette, request, "nianbao_report.html",
                         {**data, "tables_html": Markup(tables), "rule_labels": front.RULE_LABELS})


async def report_text(datasette, request):
    key = request.url_vars["report_key"]
    data = await _db(datasette).execute_fn(lambda conn: front.report_text_data(conn, key))
    if data is None:
        raise NotFound(f"没有这份报告 no report {key!r}")
    try:
        line = int(request.args.get("line") or 0)
    except ValueError:
        line = 0
    col = request.args.get("col")
    col = int(col) if col and col.isdigit() else None
    mark = request.args.get("mark") or ""
    marked = front.mark_line(data["lines"][line - 1], col, mark) if 0 < line <= len(data["lines"]) else []
    return await _render(datasette, request, "nianbao_text.html",
                         {**data, "report_key": key, "line": line, "mark": mark, "marked": marked})


async def agency(datasette, request):
    aid = unquote(request.url_vars["agency_id"])  # Datasette matches routes on the raw (percent-encoded) path
    data = await _db(datasette).execute_fn(lambda conn: front.agency_data(conn, aid))
    if data is None:
        raise NotFound(f"没有这个机关 no agency {aid!r}")
    return await _render(datasette, request, "nianbao_agency.html", data)


async def source(datasette, request):
    pid = request.url_vars["page_id"]
    page = await _db(datasette).execute_fn(lambda conn: front.source_data(conn, pid))
    if page is None:
        raise NotFound(f"没有这个页面 no page {pid!r}")
    return await _render(datasette, request, "nianbao_source.html", {"page": page})


async def source_frame(datasette, request):
    """The archived HTML (or text) as bytes for the sandboxed frame. The CSP `sandbox` header makes the
    document inert even when this URL is opened on its own, outside the frame."""
    pid = request.url_vars["page_id"]
    page, data = await _page_and_bytes(datasette, pid)
    if isinstance(data, Response):
        return data
    if not page["framed"]:
        raise NotFound("这个文件不是网页，请下载 not an HTML page: download it")
    charset = (page["encoding"] or "utf-8").split("+")[0]
    mime = "text/html" if page["kind"] == "html" else "text/plain"
    return Response(data, content_type=f"{mime}; charset={charset}", headers=_inert_headers())


async def source_file(datasette, request):
    """The archived file as itself: its real extension and content type, always as an attachment."""
    pid = request.url_vars["page_id"]
    page, data = await _page_and_bytes(datasette, pid)
    if isinstance(data, Response):
        return data
    headers = {**_inert_headers(), "content-disposition": front.content_disposition(front.attachment_name(page))}
    return Response(data, content_type=page["download_mime"], headers=headers)


async def _page_and_bytes(datasette, pid: str):
    db = _db(datasette)
    page = await db.execute_fn(lambda conn: front.source_data(conn, pid))
    if page is None:
        raise NotFound(f"没有这个页面 no page {pid!r}")
    try:
        data = await db.execute_fn(lambda conn: front.source_bytes(conn, page["sha256"]))
    except ArchiveError as exc:
        return page, Response.text(f"存档副本无法读取 archived copy unreadable: {exc}", status=500)
    if data is None:
        raise NotFound("存档中没有这个文件 not in the archive")
    return page, data


def _inert_headers() -> dict:
    return {"content-security-policy": front.SANDBOX_CSP, "x-content-type-options": "nosniff",
            "referrer-policy": "no-referrer", "cache-control": "private, max-age=3600"}


def routes() -> list[tuple[str, object]]:
    return [
        (r"^/$", landing),
        (r"^/report/(?P<report_key>[0-9a-f]{16})$", report),
        (r"^/report/(?P<report_key>[0-9a-f]{16})/text$", report_text),
        (r"^/agency/(?P<agency_id>[^/]+)$", agency),
        (r"^/source/(?P<page_id>[0-9a-f]{16})$", source),
        (r"^/source/(?P<page_id>[0-9a-f]{16})/frame$", source_frame),
        (r"^/source/(?P<page_id>[0-9a-f]{16})/file$", source_file),
        (r"^/search$", search),
        (r"^/download/(?P<name>[A-Za-z0-9_]+)\.csv$", download_csv),
        (r"^/feeds/(?P<kind>reports|failing)\.atom$", feed),
    ]


async def search(datasette, request):
    from pipelines.front_search import search as run_search

    args = {k: (request.args.get(k) or "").strip() for k in ("q", "year", "province", "level", "order")}
    try:
        page = max(1, int(request.args.get("page") or 1))
    except ValueError:
        page = 1
    data = await _db(datasette).execute_fn(lambda conn: run_search(conn, **args, page=page))

    def page_url(n: int) -> str:
        return "/search?" + urlencode({**{k: v for k, v in args.items() if v}, "page": n})

    return await _render(datasette, request, "nianbao_search.html",
                         {**data, "page_url": page_url, "level_labels": front.LEVEL_LABELS})


# ── downloads: CSV that opens in Excel, Atom feeds ──────────────────────────────────────────────

def _base_url(request) -> str:
    return f"{request.scheme}://{request.host}"


async def download_csv(datasette, request):
    """A table or canned query as a CSV file: an attachment, UTF-8 with a BOM (Excel then reads Chinese
    right), Markdown source links turned into absolute URLs, and an absolute report-page link per row."""
    name = request.url_vars["name"]
    db = _db(datasette)
    queries = (datasette.metadata("queries", database=db.name) or {})
    if name not in queries and name not in await db.table_names() and name not in await db.view_names():
        raise NotFound(f"没有这个表或查询 no table or query {name!r}")
    params = [(k, v) for k in request.args.keys() if not k.startswith("_") for v in request.args.getlist(k)]
    qs = urlencode(params + [("_size", "max")] + ([("_stream", "on")] if name not in queries else []))
    response = await datasette.client.get(f"/{db.name}/{name}.csv?{qs}")
    if response.status_code != 200:
        return Response.text(response.text, status=response.status_code)
    body = front.csv_for_readers(response.text, _base_url(request), db.name)
    headers = {"content-disposition": front.content_disposition(f"{name}.csv")}
    return Response(body.encode("utf-8"), content_type="text/csv; charset=utf-8", headers=headers)


async def feed(datasette, request):
    kind = request.url_vars["kind"]
    province = (request.args.get("province") or "").strip()
    base = _base_url(request)
    entries = await _db(datasette).execute_fn(lambda conn: front.feed_entries(conn, kind, province))
    xml = front.atom(kind, entries, base, province, f"{base}{request.full_path}")
    return Response(xml, content_type="application/atom+xml; charset=utf-8")
