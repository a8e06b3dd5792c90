"""Hanweb 大汉 jcms listings.

A column page `/col/col<columnid>/index.html` carries its first page of links only inside
    <script type="text/xml"><datastore> <nextgroup><![CDATA[<a href="…dataproxy.jsp?…"></a>]]></nextgroup>
      <recordset><record><![CDATA[<li><a href="/art/2023/1/5/art_…html">title</a></li>]]></record>…</recordset>
    </datastore></script>
(an HTML parser that skips <script> finds no link at all). The rest of the column comes from
    POST /module/web/jpage/dataproxy.jsp?startrecord=16&endrecord=30&perpage=15
    col=1&appid=1&webid=…&path=/&columnid=…&sourceContentType=1&unitid=…&webname=…&permissiontype=0
whose answer is the same <datastore> XML. webid / columnid / unitid / webname / totalrecord / perpage are read
from the datastore block, the <nextgroup> link, the jpage call (`ajaxParam: {…}`, `totalRecord: 238`) or the
column URL, whichever the page has.
"""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from crawler.addresses import in_family
from crawler.cms.base import Adapter, Link, PageRequest, absolute
from crawler.cms.generic import anchors, select_reports

DATASTORE = re.compile(r"<datastore\b[^>]*>(.*?)</datastore\s*>", re.I | re.S)
CDATA = re.compile(r"<!\[CDATA\[(.*?)\]\]>", re.S)
RECORD = re.compile(r"<record\b[^>]*>(.*?)</record\s*>", re.I | re.S)
NEXTGROUP = re.compile(r"<nextgroup\b[^>]*>(.*?)</nextgroup\s*>", re.I | re.S)
HREF = re.compile(r"""href\s*=\s*["']([^"']*)["']""", re.I)
COLUMN_ID = re.compile(r"/col/col(\d+)/")
AJAX_PARAM = re.compile(r"ajaxParam\s*:\s*\{([^{}]*)\}", re.I)
DATAPROXY = "module/web/jpage/dataproxy.jsp"
DEFAULT_PERPAGE = 15
MAX_REQUESTS = 2000
FORM_KEYS = ("col", "appid", "webid", "path", "columnid", "sourceContentType", "unitid", "webname", "permissiontype")
FORM_DEFAULTS = {"col": "1", "appid": "1", "path": "/", "sourceContentType": "1", "permissiontype": "0"}


def _cdata(fragment: str) -> str:
    m = CDATA.search(fragment)
    return m.group(1) if m else html.unescape(fragment)


def datastores(text: str) -> list[str]:
    return DATASTORE.findall(text or "")


def records(text: str) -> list[str]:
    """The HTML fragment of every <record> in every <datastore> of the page (or bare XML answer)."""
    out = []
    for block in datastores(text):
        out.extend(_cdata(r) for r in RECORD.findall(block))
    return out


def nextgroup_href(text: str) -> str | None:
    for block in datastores(text):
        m = NEXTGROUP.search(block)
        if m:
            h = HREF.search(_cdata(m.group(1)))
            if h and h.group(1).strip():
                return html.unescape(h.group(1).strip())
    return None


def _param(text: str, name: str, nextgroup: str | None) -> str | None:
    """A jpage parameter, looked up in: an XML element <name>v</name>; the nextgroup link's query; a JS
    `name: v` / `name = v` / `name="v"` (jpage ajaxParam, hidden inputs)."""
    m = re.search(rf"<{name}>\s*(?:<!\[CDATA\[)?(.*?)(?:\]\]>)?\s*</{name}>", text, re.I | re.S)
    if m and m.group(1).strip():
        return m.group(1).strip()
    if nextgroup:
        for k, v in parse_qsl(urlsplit(nextgroup).query, keep_blank_values=True):
            if k.lower() == name.lower() and v:
                return v
    m = re.search(rf"""(?<![\w.])['"]?{name}['"]?\s*[:=]\s*(?:"([^"]*)"|'([^']*)'|(-?\d+))""", text, re.I)
    if m:
        value = next(g for g in m.groups() if g is not None)
        if value:
            return value
    m = re.search(rf"""<input\b[^>]*name=["']{name}["'][^>]*value=["']([^"']*)["']""", text, re.I)
    if m and m.group(1):
        return m.group(1)
    return None


def _int(value: str | None) -> int | None:
    return int(value) if value and value.strip().isdigit() else None


def proxy_url(url: str, text: str, nextgroup: str | None) -> str:
    """The dataproxy.jsp address (without query): the nextgroup link's path, else jpage's proxyUrl, else the site
    prefix before /col/col<id>/ (a demo site at /hanweb/col/… → /hanweb/module/web/jpage/dataproxy.jsp)."""
    parts = urlsplit(url)
    origin = urlunsplit((parts.scheme, parts.netloc, "", "", ""))
    if nextgroup and "dataproxy" in nextgroup:
        path = urlsplit(absolute(url, nextgroup)).path
        return origin + path
    m = re.search(r"""proxyUrl\s*:\s*["']([^"']+)["']""", text)
    if m:
        return origin + urlsplit(absolute(url, m.group(1))).path
    if "dataproxy.jsp" in parts.path:
        return origin + parts.path
    col = COLUMN_ID.search(parts.path)
    prefix = parts.path[:col.start() + 1] if col else "/"
    return origin + prefix + DATAPROXY


def form(url: str, text: str) -> tuple[tuple[str, str], ...] | None:
    """The dataproxy POST form, or None when webid/columnid are nowhere to be found."""
    ng = nextgroup_href(text)
    m = AJAX_PARAM.search(text)
    ajax = m.group(1) if m else ""
    values = {}
    for key in FORM_KEYS:
        if key in FORM_DEFAULTS:
            # generic names (path, col, appid): only from the datastore, the nextgroup link or jpage's ajaxParam,
            # never from whatever script on the page happens to use the same word
            scope = "\n".join(datastores(text)) + "\n" + ajax
        else:
            scope = text
        values[key] = _param(scope, key, ng) or FORM_DEFAULTS.get(key, "")
    if not values["columnid"]:
        col = COLUMN_ID.search(urlsplit(url).path)
        values["columnid"] = col.group(1) if col else ""
    if not values["webid"] or not values["columnid"]:
        return None
    return tuple((k, values[k]) for k in FORM_KEYS)


def _request(proxy: str, start: int, end: int, perpage: int, formdata) -> PageRequest:
    query = urlencode([("startrecord", start), ("endrecord", end), ("perpage", perpage)])
    return PageRequest(f"{proxy}?{query}", method="POST", formdata=formdata,
                       headers=(("Content-Type", "application/x-www-form-urlencoded"),), kind="api")


def dataproxy_pages(url: str, text: str) -> list[PageRequest]:
    """POSTs for the records after those on this page, perpage at a time, up to totalrecord.

    On a column page the records shown are 1…len(records); on a dataproxy answer they are the request's
    startrecord…endrecord. Without a totalrecord, one request after the current one is made when the
    datastore has a <nextgroup> link (the column goes on)."""
    fd = form(url, text)
    if fd is None:
        return []
    ng = nextgroup_href(text)
    parts = urlsplit(url)
    query = {k.lower(): v for k, v in parse_qsl(parts.query)}
    perpage = _int(query.get("perpage")) or _int(_param(text, "perpage", ng)) or DEFAULT_PERPAGE
    total = _int(_param(text, "totalrecord", ng))
    if "dataproxy.jsp" in parts.path and _int(query.get("endrecord")):
        shown = _int(query.get("endrecord"))
    else:
        shown = len(records(text))
    if total is None:
        if not ng or not records(text):
            return []
        total = shown + perpage
    proxy = proxy_url(url, text, ng)
    out = []
    for start in range(shown + 1, total + 1, perpage):
        out.append(_request(proxy, start, start + perpage - 1, perpage, fd))
        if len(out) >= MAX_REQUESTS:
            break
    return out


class HanwebAdapter(Adapter):
    """Fingerprint: a <datastore> block (inline <script type="text/xml"> or a bare dataproxy.jsp answer)."""

    name = "hanweb"

    def detect(self, url: str, text: str) -> bool:
        return bool(re.search(r"<datastore\b", text or "", re.I))

    def report_links(self, url: str, text: str) -> list[Link]:
        found = []
        for fragment in records(text):
            found.extend(anchors(url, fragment))
        # some jcms templates also print static links beside the datastore
        if "dataproxy.jsp" not in urlsplit(url).path:
            found.extend(anchors(url, text))
        return select_reports(url, found, extra=lambda u: in_family(u, "hanweb-art", "hanweb-art-uuid"))

    def next_pages(self, url: str, text: str) -> list[PageRequest]:
        return dataproxy_pages(url, text)
