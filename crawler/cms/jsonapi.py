"""JSON-API listings: an HTML column page that renders its list in the browser from an API named in a
`data-api` attribute, e.g.
    <div id="list" data-api="/jsonapi/api/list?column=nb" data-size="10"></div>
and the API itself: `GET <data-api>&page=N&size=10` → {"total": T, "page": N, "data": [{"title", "url", "date"}]}.

The column page yields the first API request (page 1); each JSON answer yields its report links and, from
`total`, every page after its own (the spider dedups what later answers repeat).
"""

from __future__ import annotations

import json
import math
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from crawler.cms.base import Adapter, Link, PageRequest, absolute
from crawler.cms.generic import anchors, clean_title, select_reports

DATA_API = re.compile(r"""\bdata-api\s*=\s*(?:"([^"]+)"|'([^']+)')""", re.I)
DATA_SIZE = re.compile(r"""\bdata-(?:page-)?size\s*=\s*["']?(\d+)""", re.I)
FIRST_PAGE = 1          # the API's pages are 1-based
DEFAULT_SIZE = 10
MAX_PAGES = 2000


def _json(text: str):
    s = (text or "").lstrip("\ufeff \t\r\n")
    if not s.startswith("{"):
        return None
    try:
        doc = json.loads(s)
    except ValueError:
        return None
    return doc if isinstance(doc, dict) else None


def _is_listing_json(doc) -> bool:
    return isinstance(doc, dict) and isinstance(doc.get("data"), list) and "total" in doc


def _with_page(api: str, page: int, size: int) -> str:
    parts = urlsplit(api)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in ("page", "size")]
    query += [("page", str(page)), ("size", str(size))]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


def first_request(url: str, text: str) -> list[PageRequest]:
    out = []
    for m in DATA_API.finditer(text or ""):
        api = absolute(url, m.group(1) or m.group(2))
        size_m = DATA_SIZE.search(text[max(0, m.start() - 300):m.end() + 300])
        size = int(size_m.group(1)) if size_m else DEFAULT_SIZE
        req = PageRequest(_with_page(api, FIRST_PAGE, size), kind="api")
        if req not in out:
            out.append(req)
    return out


class JsonApiAdapter(Adapter):
    """Fingerprints: a `data-api="…"` attribute on an HTML page; a JSON object with a `data` list and a `total`."""

    name = "jsonapi"

    def detect(self, url: str, text: str) -> bool:
        return bool(DATA_API.search(text or "")) or _is_listing_json(_json(text))

    def report_links(self, url: str, text: str) -> list[Link]:
        doc = _json(text)
        if not _is_listing_json(doc):
            return select_reports(url, anchors(url, text))
        out: dict[str, Link] = {}
        for item in doc["data"]:
            if not isinstance(item, dict) or not item.get("url"):
                continue
            link = absolute(url, str(item["url"]))
            if link.startswith(("http://", "https://")):
                out.setdefault(link, Link(link, clean_title(str(item.get("title") or ""))))
        return list(out.values())

    def next_pages(self, url: str, text: str) -> list[PageRequest]:
        doc = _json(text)
        if not _is_listing_json(doc):
            return first_request(url, text)
        query = dict(parse_qsl(urlsplit(url).query))
        page = int(doc["page"]) if str(doc.get("page", "")).isdigit() else int(query.get("page") or FIRST_PAGE)
        size = int(query["size"]) if str(query.get("size", "")).isdigit() else (len(doc["data"]) or DEFAULT_SIZE)
        total = int(doc["total"]) if str(doc.get("total", "")).isdigit() else 0
        last = FIRST_PAGE + math.ceil(total / size) - 1 if size else page
        return [PageRequest(_with_page(url, n, size), kind="api")
                for n in range(page + 1, min(last, page + MAX_PAGES) + 1)]
