"""One spider for every portal: find the 年报 column, walk its listing with the CMS adapter that
recognises it, fetch each report and its attachments, and hand every response — good or bad — to the
store pipeline as an item, so nothing fetched is ever lost and nothing failed is silent.

Sites come from the registry (crawler/sites.csv rows); a row needs `agency` and a `portal_url` or a
`column_url` (checked at start, querido-diario style).
"""

from __future__ import annotations

import re

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.http import FormRequest, Request

from crawler.cms.base import ATTACHMENT, absolute
from crawler.middlewares import DUPLICATE, OUTCOME
from crawler.state import CrawlState
from extract.encoding import charset_from_content_type, decode
from pipelines.writers import now

REQUIRED = ("agency",)
HANDLED_STATUSES = [s for s in range(300, 600) if s not in (301, 302, 303, 307, 308)]
LINK = re.compile(r"""<a\b[^>]*?href\s*=\s*["']?([^"' >]+)["' >][^>]*>(.*?)</a>""", re.I | re.S)


class SiteConfigError(ValueError):
    pass


def check_site(site: dict) -> dict:
    missing = [k for k in REQUIRED if not site.get(k)]
    if missing or not (site.get("portal_url") or site.get("column_url")):
        raise SiteConfigError(f"site {site.get('agency')!r} needs {', '.join(missing) or 'portal_url or column_url'}")
    return site


class ReportsSpider(scrapy.Spider):
    name = "reports"

    def __init__(self, sites=None, registry_hosts=frozenset(), validators=None, crawl_state: CrawlState | None = None,
                 *args, **kwargs):
        super().__init__(*args, **kwargs)
        # all shared state is one object (crawler/state.py); the attributes below are views of it
        self.crawl_state = crawl_state or CrawlState(None, [check_site(dict(s)) for s in (sites or [])],
                                         frozenset(registry_hosts), dict(validators or {}))
        for s in self.crawl_state.sites:
            check_site(s)

    sites = property(lambda self: self.crawl_state.sites)
    allowed_hosts = property(lambda self: self.crawl_state.allowed_hosts)
    validators = property(lambda self: self.crawl_state.validators)
    fetched = property(lambda self: self.crawl_state.fetched)
    listed = property(lambda self: self.crawl_state.listed)
    listing_failures = property(lambda self: self.crawl_state.listing_failures)
    run_id = property(lambda self: self.crawl_state.run_id)

    # ── requests ────────────────────────────────────────────────────────────────────────────────
    def _meta(self, site: dict, kind: str, **extra) -> dict:
        # every status reaches the callback (to be recorded) except redirects, which Scrapy follows — through
        # the RedirectGuard, which stops loops and off-domain targets
        return {"site": site["agency"], "cms": site.get("cms") or "", "nianbao_kind": kind,
                "handle_httpstatus_list": HANDLED_STATUSES, **extra}

    def _request(self, url: str, site: dict, kind: str, callback, **kw):
        # dont_filter: de-duplication is the DedupMiddleware's, per process (see crawler/run.py on resume)
        return Request(url, callback=callback, errback=self.failed, meta=self._meta(site, kind), dont_filter=True, **kw)

    async def start(self):
        for site in self.sites:
            if site.get("column_url"):
                yield self._request(site["column_url"], site, "listing", self.parse_listing)
            else:
                yield self._request(site["portal_url"], site, "portal", self.parse_portal)

    def _site(self, response) -> dict:
        name = response.meta["site"]
        return next(s for s in self.sites if s["agency"] == name)

    # ── items ───────────────────────────────────────────────────────────────────────────────────
    def _item(self, response, kind: str, outcome: str = "ok", detail: str = "", body: bytes | None = None) -> dict:
        headers = response.headers if response is not None else {}
        return {
            "kind": kind, "url": response.url, "site": response.meta.get("site"), "status": response.status,
            "body": response.body if body is None else body, "outcome": outcome, "detail": detail,
            "content_type": (headers.get("Content-Type") or b"").decode("latin-1") or None,
            "etag": (headers.get("ETag") or b"").decode("latin-1") or None,
            "last_modified": (headers.get("Last-Modified") or b"").decode("latin-1") or None,
            "fetched_at": now(), "run_id": self.run_id, "http": http_exchange(response),
        }

    def _outcome_item(self, response, kind: str):
        """The item for a response a middleware marked, or a non-200 answer; None for a good 200."""
        marked = response.meta.get(OUTCOME)
        if marked:
            return self._item(response, kind, marked[0], marked[1])
        if response.status != 200:
            return self._item(response, kind, "error", f"HTTP {response.status}")
        return None

    @staticmethod
    def text_of(response) -> str:
        text, _ = decode(response.body, charset_from_content_type(
            (response.headers.get("Content-Type") or b"").decode("latin-1")))
        return text

    # ── callbacks ───────────────────────────────────────────────────────────────────────────────
    def parse_portal(self, response):
        from crawler.cms.discovery import find_columns

        bad = self._outcome_item(response, "listing")
        if bad:
            yield bad
            return
        yield self._item(response, "listing")
        columns = find_columns(response.url, self.text_of(response))
        site = self._site(response)
        if not columns:
            yield self._item(response, "listing", "error", "no 年报 column found on the portal home page", body=b"")
            return
        for url in columns[:2]:
            yield self._request(url, site, "listing", self.parse_listing)

    def parse_listing(self, response):
        from crawler.addresses import is_article, is_report_title
        from crawler.cms.registry import adapter_for

        bad = self._outcome_item(response, "listing")
        if bad:
            self.listing_failures[response.meta["site"]] += 1
            yield bad
            return
        yield self._item(response, "listing")
        site = self._site(response)
        text = self.text_of(response)
        adapter = adapter_for(response.url, text, hint=response.meta.get("adapter") or response.meta.get("cms") or None)
        listing = adapter.read(response.url, text)
        for link in listing.reports:
            kind = "attachment" if ATTACHMENT.search(link.url) else "report"
            if kind == "report" and link.title and not is_report_title(link.title) and not is_article(link.url):
                continue
            self.listed[site["agency"]].add(link.url)
            yield self._request(link.url, site, kind, self.parse_document)
        for page in listing.pages:
            meta = self._meta(site, "listing", adapter=adapter.name)
            if page.method.upper() == "POST":
                yield FormRequest(page.url, formdata=dict(page.formdata), headers=dict(page.headers) or None,
                                  callback=self.parse_listing, errback=self.failed, meta=meta, dont_filter=True)
            else:
                yield Request(page.url, headers=dict(page.headers) or None, callback=self.parse_listing,
                              errback=self.failed, meta=meta, dont_filter=True)

    def parse_document(self, response):
        kind = response.meta["nianbao_kind"]
        bad = self._outcome_item(response, kind)
        if bad:
            yield bad
            return
        yield self._item(response, kind)
        if kind != "report" or b"<" not in response.body[:2000]:
            return
        # attachments linked from the report page (the PDF/Word copy of the report, its tables as files)
        site = self._site(response)
        for href, _label in LINK.findall(self.text_of(response)):
            url = absolute(response.url, href)
            if ATTACHMENT.search(url) and url.startswith(("http://", "https://")):
                self.listed[site["agency"]].add(url)
                yield self._request(url, site, "attachment", self.parse_document)

    def failed(self, failure):
        """Every failed request becomes a page row that says why; the crawl goes on."""
        request = failure.request
        err = failure.value
        name = type(err).__name__
        text = str(err)
        if isinstance(err, IgnoreRequest) and text == DUPLICATE:
            return  # already fetched in this process: nothing to record
        if request.meta.get("nianbao_kind") in ("listing", "portal") and request.meta.get("site") in self.listing_failures:
            self.listing_failures[request.meta["site"]] += 1
        if isinstance(err, IgnoreRequest) and "robots" in text.lower():
            outcome, detail = "robots", "disallowed by robots.txt: not fetched"
        elif "maxsize" in text.lower() or "max size" in text.lower() or "warnsize" in text.lower():
            outcome, detail = "error", f"too large: {text}"
        elif "DataLoss" in name or "dataloss" in text.lower() or "ResponseFailed" in name or "PotentialDataLoss" in text:
            outcome, detail = "error", f"truncated body / connection lost: {name}: {text}"[:400]
        elif "Timeout" in name:
            outcome, detail = "error", f"timeout: {text}"[:400]
        else:
            outcome, detail = "error", f"{name}: {text}"[:400]
        yield {
            "kind": request.meta.get("nianbao_kind", "report"), "url": request.url, "site": request.meta.get("site"),
            "status": None, "body": b"", "outcome": outcome, "detail": detail, "content_type": None,
            "fetched_at": now(), "run_id": self.run_id,
        }


def _pairs(headers) -> list[tuple[str, str]]:
    return [(k.decode("latin-1"), v.decode("latin-1")) for k, vs in headers.items() for v in vs]


def http_exchange(response) -> dict:
    """Status line, headers and the request that got them: what the WARC response record keeps."""
    req = response.request
    return {"status": response.status, "headers": _pairs(response.headers),
            "request": {"method": req.method, "headers": _pairs(req.headers), "body": req.body} if req else None}

