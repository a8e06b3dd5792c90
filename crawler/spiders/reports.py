"""One spider for every portal: find the 年报 column, walk its listing with the CMS adapter that
recognises it, fetch each report and its attachments, and hand every response — good or bad — to the
store pipeline as a `FetchedResponse` (pipelines/models.py: the typed seam starts here), so nothing
fetched is ever lost and nothing failed is silent.

Sites come from the registry (crawler/sites.csv rows); a row needs `agency` and a `portal_url` or a
`column_url` (checked at start, querido-diario style).
"""

from __future__ import annotations

import re
import time
from collections import Counter

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.http import FormRequest, Request

from crawler.cms.base import ATTACHMENT, absolute
from crawler.middlewares import DUPLICATE, OUTCOME, POLICY_REFUSAL, Refused
from crawler.registry import site_limits
from crawler.state import CrawlState
from extract.encoding import charset_from_content_type, decode
from pipelines.models import FetchedResponse, FetchOutcome
from pipelines.writers import now

REQUIRED = ("agency",)
HANDLED_STATUSES = [s for s in range(300, 600) if s not in (301, 302, 303, 307, 308)]
PICTURE = re.compile(r"""<img\b[^>]*?\bsrc\s*=\s*["']?([^"' >]+)""", re.I)
PICTURE_FILE = re.compile(r"\.(?:jpe?g|png|gif|bmp|tiff?|webp)(?:$|\?)", re.I)
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
                 policy=None, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # all shared state is one object (crawler/state.py); the attributes below are views of it
        self.crawl_state = crawl_state or CrawlState(None, [check_site(dict(s)) for s in (sites or [])],
                                         frozenset(registry_hosts), dict(validators or {}))
        for s in self.crawl_state.sites:
            check_site(s)
        from crawler.netpolicy import NetPolicy, registry_policy

        # may this origin be fetched: the registry's origins and the crawled sites' own (crawler/netpolicy.py)
        self.policy = (policy or registry_policy()) | NetPolicy.from_sites(self.sites)
        # bounded crawls (crawler/registry.py SITE_LIMITS, per-row overrides): counted as requests are made
        self.limits = {s["agency"]: site_limits(s) for s in self.sites}
        self.made: dict[str, Counter] = {s["agency"]: Counter() for s in self.sites}
        self.site_started: dict[str, float] = {}
        self.capped: dict[str, str] = {}   # site → the first limit it hit, in words (crawl_runs.per_site)
        self.asked: set = set()

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

    def allow(self, site: dict, kind: str, key=None) -> bool:
        """Whether the site may have one more request of this kind in this run; counts it if so. The
        first limit hit is recorded, and the site's listing walk counts as failed (nothing is marked
        removed on the strength of a listing that was cut short)."""
        name = site["agency"]
        if key is not None:  # the same page asked for again is not a new request (the dedup drops it)
            if key in self.asked:
                return True
            self.asked.add(key)
        limits, made = self.limits[name], self.made[name]
        started = self.site_started.setdefault(name, time.monotonic())
        listing = kind in ("listing", "portal")
        why = None
        if made["requests"] >= limits["max_requests"]:
            why = f"max_requests {limits['max_requests']} reached"
        elif listing and made["listing"] >= limits["max_listing_pages"]:
            why = f"max_listing_pages {limits['max_listing_pages']} reached"
        elif time.monotonic() - started >= limits["max_site_seconds"]:
            why = f"max_site_seconds {limits['max_site_seconds']} reached"
        if why:
            if name not in self.capped:
                self.capped[name] = why
                self.listing_failures[name] += 1
                self.logger.warning("site %s capped: %s (no further requests this run)", name, why)
            made["refused"] += 1
            return False
        made["requests"] += 1
        made["listing"] += listing
        return True

    def _request(self, url: str, site: dict, kind: str, callback, **kw):
        # dont_filter: de-duplication is the DedupMiddleware's, per process (see crawler/run.py on resume)
        return Request(url, callback=callback, errback=self.failed, meta=self._meta(site, kind), dont_filter=True, **kw)

    async def start(self):
        for site in self.sites:
            if site.get("column_url"):
                if self.allow(site, "listing", site["column_url"]):
                    yield self._request(site["column_url"], site, "listing", self.parse_listing)
            elif self.allow(site, "portal"):
                yield self._request(site["portal_url"], site, "portal", self.parse_portal)

    def _site(self, response) -> dict:
        name = response.meta["site"]
        return next(s for s in self.sites if s["agency"] == name)

    # ── items ───────────────────────────────────────────────────────────────────────────────────
    def _item(self, response, kind: str, outcome: str = "ok", detail: str = "",
              body: bytes | None = None) -> FetchedResponse:
        headers = response.headers
        fetch_outcome, detail = FetchOutcome.of(outcome, detail)
        return FetchedResponse(
            url=response.url, kind=kind, site=response.meta.get("site") or "", status=response.status,
            body=response.body if body is None else body, fetch_outcome=fetch_outcome, detail=detail,
            content_type=(headers.get("Content-Type") or b"").decode("latin-1") or None,
            etag=(headers.get("ETag") or b"").decode("latin-1") or None,
            last_modified=(headers.get("Last-Modified") or b"").decode("latin-1") or None,
            fetched_at=now(), run_id=self.run_id, http=http_exchange(response))

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
            if self.allow(site, "listing", url):
                yield self._request(url, site, "listing", self.parse_listing)

    def parse_listing(self, response):
        from crawler.addresses import is_article, is_report_title
        from crawler.cms.adapters import adapter_for

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
            if self.allow(site, kind, link.url):
                yield self._request(link.url, site, kind, self.parse_document)
        for page in listing.pages:
            if not self.allow(site, "listing", (page.method.upper(), page.url, page.formdata)):
                break
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
                if self.allow(site, "attachment", url):
                    yield self._request(url, site, "attachment", self.parse_document)
        # pictures uploaded with the report (a table pasted as an image, e.g. TRS's ./W0…jpg): those in the
        # report's own folder are fetched and archived like attachments; the site's shared /images/ chrome
        # (logos, banners, QR codes) is not. `nianbao reparse` reads their tables into the page's record.
        folder = response.url.rsplit("/", 1)[0] + "/"
        for src in PICTURE.findall(self.text_of(response)):
            url = absolute(response.url, src)
            if url.startswith(folder) and PICTURE_FILE.search(url) and url not in self.listed[site["agency"]]:
                self.listed[site["agency"]].add(url)
                if self.allow(site, "attachment", url):
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
        if isinstance(err, Refused):
            outcome, detail = err.outcome, err.detail[:400]
        elif POLICY_REFUSAL in text:
            outcome, detail = "off_domain", text[:400]
        elif isinstance(err, IgnoreRequest) and "robots" in text.lower():
            outcome, detail = "robots", "disallowed by robots.txt: not fetched"
        elif "maxsize" in text.lower() or "max size" in text.lower() or "warnsize" in text.lower():
            outcome, detail = "error", f"too large: {text}"
        elif "DataLoss" in name or "dataloss" in text.lower() or "ResponseFailed" in name or "PotentialDataLoss" in text:
            outcome, detail = "error", f"truncated body / connection lost: {name}: {text}"[:400]
        elif "Timeout" in name:
            outcome, detail = "error", f"timeout: {text}"[:400]
        else:
            outcome, detail = "error", f"{name}: {text}"[:400]
        fetch_outcome, detail = FetchOutcome.of(outcome, detail)
        yield FetchedResponse(url=request.url, kind=request.meta.get("nianbao_kind", "report"),
                              site=request.meta.get("site") or "", status=None, fetch_outcome=fetch_outcome,
                              detail=detail, fetched_at=now(), run_id=self.run_id)


def _pairs(headers) -> list[tuple[str, str]]:
    return [(k.decode("latin-1"), v.decode("latin-1")) for k, vs in headers.items() for v in vs]


def http_exchange(response) -> dict:
    """Status line, headers and the request that got them: what the WARC response record keeps."""
    req = response.request
    return {"status": response.status, "headers": _pairs(response.headers),
            "request": {"method": req.method, "headers": _pairs(req.headers), "body": req.body} if req else None}

