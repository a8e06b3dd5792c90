"""Downloader middlewares: what keeps the crawler a good citizen and alive on the real web.

Each one turns a problem into a *recorded outcome* instead of a crash, a silent drop or a retry loop:
the request's meta gets ``nianbao_outcome = (outcome, detail)`` and the spider stores a page row saying
so (off_domain, blocked, error, not_modified). Outcomes are those of the `pages.outcome` column.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware as _ScrapyRobots
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Response
from scrapy.resolver import CachingThreadedResolver

from crawler.netpolicy import origin_of, system_resolver
from extract.limits import CHALLENGE_SCAN_BYTES, NEAR_EMPTY_SCAN_TAGS, NEAR_EMPTY_TEXT

OUTCOME = "nianbao_outcome"
DUPLICATE = "already fetched in this crawl"


class _WithSpider:
    """Scrapy ≥ 2.13 no longer passes the spider to middleware methods: keep the crawler instead."""

    def __init__(self, crawler=None):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    @property
    def spider(self):
        return self.crawler.spider


def mark(request, outcome: str, detail: str) -> None:
    request.meta[OUTCOME] = (outcome, detail)


def stub(request, status: int = 0) -> Response:
    """A body-less response that carries the recorded outcome to the spider's callback."""
    return HtmlResponse(url=request.url, status=status, body=b"", request=request)


class RobotsTxtMiddleware(_ScrapyRobots):
    """Scrapy's robots.txt middleware, with every waiting request reading the parsed rules.

    In Scrapy 2.19 the requests that arrive while a host's robots.txt is being fetched all wait on one
    Deferred; only the first waiter receives the parser, the others receive None — which Scrapy reads as
    "no robots.txt, allow everything". A crawl that starts several requests on one host at once would then
    fetch disallowed pages. Here a waiter that got None looks up the rules that were actually parsed."""

    async def robot_parser(self, request):
        from scrapy.utils.httpobj import urlparse_cached
        from twisted.internet.defer import Deferred

        rp = await super().robot_parser(request)
        if rp is None:
            parsed = self._parsers.get(urlparse_cached(request).netloc)
            if parsed is not None and not isinstance(parsed, Deferred):
                return parsed
        return rp


class DedupMiddleware(_WithSpider):
    """One fetch per request per process. Scrapy's own duplicate filter is not used: with a JOBDIR it
    marks a request seen when it is *queued*, so after a kill -9 the requests that were in flight would be
    lost for good. Instead every run re-reads the listings and asks again for what it has not fetched; what
    was stored before the kill comes back as a cheap 304 (see ConditionalRequestMiddleware)."""

    def process_request(self, request):
        from scrapy.exceptions import IgnoreRequest
        from scrapy.utils.request import RequestFingerprinter

        fp = getattr(self, "_fingerprinter", None) or RequestFingerprinter(self.crawler)
        self._fingerprinter = fp
        key = fp.fingerprint(request)
        if request.meta.get("retry_times"):
            return None  # a retry is the same request on purpose
        if key in self.spider.fetched:
            raise IgnoreRequest(DUPLICATE)
        self.spider.fetched.add(key)
        return None


class Refused(IgnoreRequest):
    """A request the crawler will not send; the spider's errback records its outcome and reason."""

    def __init__(self, outcome: str, detail: str):
        super().__init__(detail)
        self.outcome, self.detail = outcome, detail


class HostGateMiddleware(_WithSpider):
    """Every request — listing, report, attachment, and each redirect hop, which comes back through here —
    asks the network policy (crawler/netpolicy.py) before it goes out: an origin the registry or the sites
    file does not name, a non-default port, a numeric or IPv6-literal host, or a name that resolves to a
    loopback/private/link-local address is refused and recorded `off_domain`, never requested. The name is
    resolved in a thread (never on the reactor) and the answer kept for the run."""

    def __init__(self, crawler=None):
        super().__init__(crawler)
        self._resolved: dict[tuple[str, int], list[str]] = {}

    async def process_request(self, request):
        from scrapy.utils.defer import maybe_deferred_to_future
        from twisted.internet.threads import deferToThread

        policy = self.spider.policy
        why = policy.refusal(request.url)
        origin = origin_of(request.url)
        if why is None and origin is not None and not policy.is_named(origin):
            key = (origin.host, origin.port)
            if key not in self._resolved:
                self._resolved[key] = await maybe_deferred_to_future(deferToThread(system_resolver, *key))
            why = policy.refusal(request.url, resolve=lambda host, port: self._resolved[(host, port)])
        if why is not None:
            first = (request.meta.get("redirect_urls") or [request.url])[0]
            raise Refused("off_domain", why if first == request.url else f"{first} → {request.url}: {why}")
        return None


class RedirectGuardMiddleware(_WithSpider):
    """Sees a redirect before Scrapy follows it: a loop or an off-domain target is recorded and stopped."""

    def process_response(self, request, response):
        if response.status not in (301, 302, 303, 307, 308) or "Location" not in response.headers:
            return response
        target = urljoin(request.url, response.headers["Location"].decode("latin-1"))
        chain = list(request.meta.get("redirect_urls") or []) + [request.url]
        if target in chain:
            self._stop(request, response)
            mark(request, "error", "redirect loop: " + " → ".join(chain + [target]))
        elif (why := self.spider.policy.refusal(target)) is not None:
            self._stop(request, response)
            mark(request, "off_domain", f"{chain[0]} redirects to {target}: not followed ({why})")
        return response

    @staticmethod
    def _stop(request, response) -> None:
        """Not followed, and delivered to the spider (to be recorded) rather than filtered as a non-200."""
        request.meta["dont_redirect"] = True
        request.meta["handle_httpstatus_list"] = list(request.meta.get("handle_httpstatus_list") or []) + [response.status]


CHALLENGE = [
    (re.compile(rb"\$_ts\s*=|\$_ts\.cd|if\s*\(\s*!\s*\$_ts\s*\)"), "瑞数 dynamic-cookie challenge ($_ts)"),
    (re.compile(rb"__jsluid|__jsl_clearance"), "加速乐 challenge (__jsluid)"),
    (re.compile("安全验证|访问异常|请开启JavaScript|请稍候".encode()), "verification page (安全验证/访问异常)"),
]


class AntiBotMiddleware(_WithSpider):
    """WAF answers (HTTP 412 with $_ts, 加速乐 cookies, 安全验证 pages, near-empty shells) are recorded
    `blocked` — never stored as an empty report and never retried in a loop."""

    def process_response(self, request, response):
        if request.meta.get(OUTCOME) or response.status in (301, 302, 303, 304, 307, 308):
            return response
        head = response.body[:CHALLENGE_SCAN_BYTES]
        cookies = b" ".join(response.headers.getlist("Set-Cookie"))
        for pattern, what in CHALLENGE:
            if pattern.search(head) or pattern.search(cookies):
                mark(request, "blocked", f"HTTP {response.status}: {what}")
                return response
        if response.status == 412:
            mark(request, "blocked", "HTTP 412 Precondition Failed (WAF challenge)")
        elif response.status == 200 and request.meta.get("nianbao_kind") == "report" and (why := _near_empty(response)):
            mark(request, "blocked", f"near-empty shell ({len(response.body):,} bytes, {why}): a JS-rendered or "
                                     "challenge page")
        return response


def _near_empty(response) -> str | None:
    """Why an HTML page is a near-empty shell (a JS-rendered or challenge page), or None when it has text."""
    ctype = response.headers.get("Content-Type", b"").decode("latin-1").lower()
    if "html" not in ctype and not response.body.lstrip()[:1] == b"<":
        return None
    seen, tags = visible_text(response.body, NEAR_EMPTY_TEXT)
    if seen >= NEAR_EMPTY_TEXT:
        return None
    if tags >= NEAR_EMPTY_SCAN_TAGS:
        return f"under {NEAR_EMPTY_TEXT} bytes of text in its first {NEAR_EMPTY_SCAN_TAGS:,} tags"
    return "no text" if seen == 0 else f"{seen} bytes of text"


_RAW_TEXT_END = {b"script": re.compile(rb"</script\s*>", re.I), b"style": re.compile(rb"</style\s*>", re.I)}
_TAG_NAME = re.compile(rb"<\s*([a-zA-Z]+)")
_SPACE = b" \t\n\r\f\v"   # what a bytes pattern's \s matches; &nbsp; counts as space too


def has_visible_text(body: bytes, enough: int) -> bool:
    """Whether the page has at least `enough` bytes of text outside tags, scripts and styles (within the
    first NEAR_EMPTY_SCAN_TAGS tags)."""
    return visible_text(body, enough)[0] >= enough


def visible_text(body: bytes, enough: int, max_tags: int = NEAR_EMPTY_SCAN_TAGS) -> tuple[int, int]:
    """(bytes of text outside tags, scripts and styles — counted up to `enough` —, tags stepped over).

    This runs on Scrapy's reactor thread, so its work is bounded: one left-to-right pass with `find` and
    C-level searches (no backtracking pattern over the body: `<[^>]+>` is quadratic on a page of `<` with
    no `>`), stopping as soon as there is enough text or after `max_tags` tags — the Python loop is what
    costs (30 MB of `<b></b>` took 18 s unbounded); real pages reach their text within a few hundred.
    An unclosed tag ends the text, as in a browser."""
    pos, seen, tags, n = 0, 0, 0, len(body)
    while pos < n and tags < max_tags:
        lt = body.find(b"<", pos)
        chunk = body[pos:lt if lt >= 0 else n]
        seen += len(chunk.translate(None, _SPACE)) - 6 * chunk.count(b"&nbsp;")
        if seen >= enough:
            return seen, tags
        if lt < 0:
            break
        tags += 1
        m = _TAG_NAME.match(body, lt, lt + 40)
        name = m.group(1).lower() if m else b""
        if name in _RAW_TEXT_END:
            end = _RAW_TEXT_END[name].search(body, lt)
            if end is None:
                break
            pos = end.end()
            continue
        gt = body.find(b">", lt + 1)
        if gt < 0:
            break
        pos = gt + 1
    return seen, tags


class ConditionalRequestMiddleware(_WithSpider):
    """A weekly crawl should cost little: report pages and attachments already archived are asked for
    with If-None-Match / If-Modified-Since; a 304 is recorded `not_modified`. Listing pages are always
    re-read (they are how new reports are found)."""

    def process_request(self, request):
        if request.meta.get("nianbao_kind") not in ("report", "attachment"):
            return None
        known = self.spider.validators.get(request.url)
        if known:
            etag, last_modified = known
            if etag:
                request.headers.setdefault("If-None-Match", etag)
            if last_modified:
                request.headers.setdefault("If-Modified-Since", last_modified)
        return None

    def process_response(self, request, response):
        if response.status == 304:
            mark(request, "not_modified", "HTTP 304: unchanged since the last crawl")
        return response



class PolicyResolver(CachingThreadedResolver):
    """Scrapy's caching resolver, with the network policy applied to the address a name resolves to when
    the connection is made: HostGateMiddleware checked the name earlier, but a name can resolve differently
    a second later (DNS rebinding). A name the registry or sites file does not name that resolves to a
    loopback/private/link-local address fails with a DNSLookupError saying so; the spider records it
    `off_domain`."""

    crawler = None

    @classmethod
    def from_crawler(cls, crawler, reactor):
        obj = super().from_crawler(crawler, reactor)
        obj.crawler = crawler
        return obj

    def getHostByName(self, name, timeout=()):
        d = super().getHostByName(name, timeout)
        d.addCallback(self._check, name)
        return d

    def _check(self, address, name):
        from twisted.internet.error import DNSLookupError

        from crawler.netpolicy import is_public_address, normalize_host

        policy = getattr(getattr(self.crawler, "spider", None), "policy", None)
        if policy is not None and not is_public_address(address) and normalize_host(name) not in policy.hosts:
            raise DNSLookupError(f"{name} resolves to {address}: {POLICY_REFUSAL}")
        return address


POLICY_REFUSAL = "refused by the network policy"
