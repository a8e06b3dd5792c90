"""TRS WCM (拓尔思) listings: static publishing and "动静结合" (list2.trsapi).

Static publishing — the list template ends with
    <script>createPageHTML(N, i, "index", "html")</script>
page 0 is `index.html`, page k is `index_k.html`, the last `index_{N-1}.html`; the page name and extension vary
("list"/"shtml"/"htm", in-article "t20151009_67430" → t20151009_67430_1.html) and the arguments may be
variables (`var countPage = 5`). From page i every page 1…N-1 but i is returned (the spider dedups); page 0 is
the entry page the crawl came in by, never asked for again.

"动静结合" (static + dynamic) — the page holds a static first page of ./YYYYMM/tYYYYMMDD_id.htm links and
    require(["list2.trsapi", …], function(listModel){ listModel({quickMode: "动静结合", maxStaticIndex: 1,
        listArgs: {channelid: …, classsql: "chnlid=…"}, pagebar: {prepage: 10, recordCount: '20'}}) })
Pages 0…maxStaticIndex are static (index.htm, index_1.htm, …, named after the current page: nlist.htm →
nlist_1.htm); later pages come from the list2 API
(`TRSAPI_LIST2` below — an assumption) whose JSON answer this adapter reads too.
"""

from __future__ import annotations

import json
import math
import re
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from crawler.cms.base import Adapter, Link, PageRequest, absolute
from crawler.cms.generic import (
    anchors,
    clean_title,
    is_attachment,
    is_trs_article,
    looks_like_report_title,
    select_reports,
)

# ── nianbao's assumption ─────────────────────────────────────────────────────────────────────────
# The endpoint behind TRS's list2.trsapi front-end module could NOT be observed offline (no live TRS site, no
# public copy of list2.trsapi.js in the material we had). This template is nianbao's ASSUMPTION, unverified
# against a live TRS site; the offline demo portal (demo/portal, site `trsdyn`) serves exactly this
# shape. `root` is the site root (the path before the column's zwgk/xxgk/… segments, "/" on a real site);
# `page` is the 0-based page index, the same numbering as the static index_<page> pages, so the first API page
# is maxStaticIndex + 1. The answer is JSON {"total": T, "data": [{"title", "url", "date"}]} (TRS's own field
# names doctitle / chnldocurl / docreltime, used by the page's avalon template, are read as well).
TRSAPI_LIST2 = "{root}trsapi/list2?channelid={channelid}&classsql={classsql}&page={page}&prepage={prepage}"
TRSAPI_PATH = re.compile(r"/trsapi/list2\b")

# ── static publishing ────────────────────────────────────────────────────────────────────────────
_ARG = r"""\s*([\w.$]+|"[^"]*"|'[^']*')\s*"""
CREATE_PAGE = re.compile(r"createPageHTML\s*\(" + ",".join([_ARG] * 4) + r"\)")
LIST2 = re.compile(r"""["']list2\.trsapi["']""")
SITE_ROOT_MARK = re.compile(r"/(?:zwgk|xxgk|zfxxgk|gkml|govinfo|xxgkml)/", re.I)
MAX_PAGES = 2000


def _unquote_js(token: str) -> str:
    token = token.strip()
    if len(token) >= 2 and token[0] == token[-1] and token[0] in "\"'":
        return token[1:-1]
    return token


def _lookup(text: str, name: str) -> str | None:
    """The literal a page assigns to a JS name (`var name = 5`, `name: 200210`, `name = "x"`); None if absent."""
    leaf = name.split(".")[-1]
    m = re.search(r"(?<![\w.$])" + re.escape(leaf) + r"""\s*[:=]\s*("[^"]*"|'[^']*'|-?\d+)""", text)
    return _unquote_js(m.group(1)) if m else None


def _js_value(expr: str, text: str) -> str:
    """Evaluate the small JS expressions TRS templates use for list arguments: literals, names, `a || b`,
    `a + b` ("" || "chnlid=1813" → chnlid=1813; SiteInfo.searchId → the page's `searchId: 200210`)."""
    for alternative in re.split(r"\|\|", expr):
        parts = []
        for term in alternative.split("+"):
            term = term.strip()
            if not term:
                continue
            if term[0] in "\"'" or re.fullmatch(r"-?\d+", term):
                parts.append(_unquote_js(term))
            elif term in ("null", "undefined", "false"):
                parts.append("")
            else:
                parts.append(_lookup(text, term) or "")
        value = "".join(parts)
        if value:
            return value
    return ""


def _int_arg(token: str, text: str) -> int | None:
    token = token.strip()
    if token.isdigit():
        return int(token)
    value = _js_value(token, text)
    return int(value) if value.isdigit() else None


def _calls(text: str):
    """createPageHTML(…) calls — not the function's own definition, which templates often inline."""
    for m in CREATE_PAGE.finditer(text or ""):
        if re.search(r"function\s*$", text[max(0, m.start() - 40):m.start()]):
            continue
        yield m


def static_pages(url: str, text: str) -> list[PageRequest]:
    """All pages 1…N-1 of a createPageHTML listing except the current one, in page order."""
    out: list[str] = []
    for m in _calls(text):
        count, current = _int_arg(m.group(1), text), _int_arg(m.group(2), text)
        name, ext = _js_value(m.group(3), text), _js_value(m.group(4), text)
        if count is None or not name or not ext:
            continue
        current = current or 0
        # page 0 (name.ext) is the column's entry page, already visited by whoever reached page i; asking for it
        # again would fetch the column twice when it was entered by its directory URL (…/zfxxgknb/)
        for k in range(1, min(count, MAX_PAGES)):
            if k == current:
                continue
            page = absolute(url, f"{name}_{k}.{ext}")
            if page not in out:
                out.append(page)
    return [PageRequest(u) for u in out]


# ── 动静结合 (list2.trsapi) ───────────────────────────────────────────────────────────────────────

def _block(text: str) -> str | None:
    """The listModel({...}) configuration that follows require(["list2.trsapi", …])."""
    m = LIST2.search(text)
    if not m:
        return None
    start = text.find("listModel(", m.end())
    if start < 0:
        start = m.end()
    return text[start:start + 4000]


def _config_int(block: str, key: str) -> int | None:
    m = re.search(key + r"""\s*:\s*["']?(\d+)""", block)
    return int(m.group(1)) if m else None


def _config_expr(block: str, key: str) -> str:
    m = re.search(key + r"""\s*:\s*((?:"[^"]*"|'[^']*'|[\w.$]+)(?:\s*(?:\|\||\+)\s*(?:"[^"]*"|'[^']*'|[\w.$]+))*)""",
                  block)
    return m.group(1) if m else ""


def site_root(url: str) -> str:
    """The site root under which `trsapi/` lives: the path before the column's first zwgk/xxgk/… segment
    (a demo site at /trsdyn/zwgk/… → /trsdyn/; a real site at /zwgk/… → /)."""
    path = urlsplit(url).path
    m = SITE_ROOT_MARK.search(path)
    return path[:m.start() + 1] if m else "/"


def _static_name(url: str) -> tuple[str, int]:
    """(page name, page index) of a static list page: …/index.htm → ("index", 0), …/nlist_2.htm → ("nlist", 2);
    a directory URL is its index page."""
    leaf = urlsplit(url).path.rsplit("/", 1)[-1]
    m = re.fullmatch(r"([A-Za-z][\w-]*?)(?:_(\d+))?\.s?html?", leaf, re.I)
    if not m:
        return "index", 0
    return m.group(1), int(m.group(2) or 0)


def _static_ext(url: str, text: str) -> str:
    """The extension of the static list pages: that of the TRS articles the page links (pingtan: .htm, and the
    demo's index.html column has index_1.htm), else the page's own, else htm."""
    for a in anchors(url, text):
        if is_trs_article(a.url):
            return a.url.rsplit(".", 1)[1].lower()
    leaf = urlsplit(url).path.rsplit("/", 1)[-1]
    if re.fullmatch(r"[\w-]+\.s?html?", leaf, re.I):
        return leaf.rsplit(".", 1)[1].lower()
    return "htm"


def dynamic_config(url: str, text: str) -> dict | None:
    """The 动静结合 configuration of a list2.trsapi page, evaluated: channelid, classsql, prepage, recordCount,
    maxStaticIndex (None when the page has no list2.trsapi block)."""
    block = _block(text)
    if block is None:
        return None
    return {
        "channelid": _js_value(_config_expr(block, "channelid"), text),
        "classsql": _js_value(_config_expr(block, "classsql"), text),
        "prepage": _config_int(block, "prepage") or 10,
        "recordCount": _config_int(block, "recordCount"),
        "maxStaticIndex": _config_int(block, "maxStaticIndex") or 0,
    }


def api_url(url: str, cfg: dict, page: int) -> str:
    parts = urlsplit(url)
    path = TRSAPI_LIST2.format(root=site_root(url), channelid=quote(str(cfg["channelid"]), safe=""),
                               classsql=quote(str(cfg["classsql"]), safe=""), page=page, prepage=cfg["prepage"])
    return urlunsplit((parts.scheme, parts.netloc, "", "", "")) + path


def dynamic_pages(url: str, text: str) -> list[PageRequest]:
    cfg = dynamic_config(url, text)
    if cfg is None:
        return []
    stem, current = _static_name(url)
    ext = _static_ext(url, text)
    static_max = cfg["maxStaticIndex"]
    if cfg["recordCount"] is not None:
        count = math.ceil(cfg["recordCount"] / cfg["prepage"]) if cfg["prepage"] else 0
    else:   # no count: every static page and the first API page; the API answers chain on from there
        count = static_max + 2
    out: list[PageRequest] = []
    for k in range(1, min(count, MAX_PAGES)):
        if k == current:
            continue
        if k <= static_max:
            out.append(PageRequest(absolute(url, f"{stem}_{k}.{ext}")))
        else:
            out.append(PageRequest(api_url(url, cfg, k), kind="api"))
    # page 0 is the column's own entry page, already visited: its name is not guessed (the demo portal, like
    # pingtan, serves index.html beside index_1.htm, so "index.htm" would be a 404)
    return out


# ── the API's JSON answer ────────────────────────────────────────────────────────────────────────

def _json(text: str):
    s = (text or "").lstrip("\ufeff \t\r\n")
    if not s.startswith(("{", "[")):
        return None
    try:
        return json.loads(s)
    except ValueError:
        return None


def _items(doc) -> list[dict]:
    if isinstance(doc, dict):
        for key in ("data", "list", "datas", "records"):
            value = doc.get(key)
            if isinstance(value, list):
                return [i for i in value if isinstance(i, dict)]
            if isinstance(value, dict):
                return _items(value)
    if isinstance(doc, list):
        return [i for i in doc if isinstance(i, dict)]
    return []


def _total(doc) -> int | None:
    if isinstance(doc, dict):
        for key in ("total", "recordCount", "totalCount", "count"):
            value = doc.get(key)
            if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
                return int(value)
        if isinstance(doc.get("data"), dict):
            return _total(doc["data"])
    return None


def api_links(url: str, text: str) -> list[Link]:
    out: dict[str, Link] = {}
    for item in _items(_json(text)):
        href = item.get("url") or item.get("chnldocurl") or item.get("docpuburl") or ""
        title = clean_title(item.get("title") or item.get("doctitle") or "")
        if not href:
            continue
        link = absolute(url, href)
        if looks_like_report_title(title) or is_trs_article(link) or is_attachment(link):
            out.setdefault(link, Link(link, title))
    return list(out.values())


def api_next(url: str, text: str) -> list[PageRequest]:
    """The next API page when this answer is not the last one: page N+1 while (N+1)·prepage < total."""
    doc = _json(text)
    if not _items(doc):
        return []
    total = _total(doc)
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    params = dict(query)
    if total is None or not params.get("page", "").isdigit():
        return []
    page = int(params["page"])
    prepage = int(params["prepage"]) if params.get("prepage", "").isdigit() else len(_items(doc))
    if (page + 1) * prepage >= total:
        return []
    query = [(k, str(page + 1) if k == "page" else v) for k, v in query]
    return [PageRequest(urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query, quote_via=quote), "")),
                        kind="api")]


def is_api_answer(url: str, text: str) -> bool:
    return bool(TRSAPI_PATH.search(urlsplit(url).path)) and _json(text) is not None


# ── the adapter ──────────────────────────────────────────────────────────────────────────────────

class TrsAdapter(Adapter):
    """Fingerprints: a createPageHTML(N, i, "name", "ext") call; a require(["list2.trsapi", …]) block;
    a JSON answer from …/trsapi/list2."""

    name = "trs"

    def detect(self, url: str, text: str) -> bool:
        if is_api_answer(url, text):
            return True
        return bool(next(_calls(text), None) or LIST2.search(text or ""))

    def report_links(self, url: str, text: str) -> list[Link]:
        if is_api_answer(url, text):
            return api_links(url, text)
        return select_reports(url, anchors(url, text), trs_articles=True)

    def next_pages(self, url: str, text: str) -> list[PageRequest]:
        if is_api_answer(url, text):
            return api_next(url, text)
        pages = static_pages(url, text)
        for page in dynamic_pages(url, text):
            if page not in pages:
                pages.append(page)
        return pages
