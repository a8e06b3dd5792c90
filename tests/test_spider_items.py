"""The spider yields the typed value the store takes (pipelines/models.py `FetchedResponse`), with the fetch
outcome the middlewares marked, so the seam starts at the spider and no dict is converted downstream."""

from __future__ import annotations

from pathlib import Path

from scrapy.http import HtmlResponse, Request
from twisted.internet.error import TimeoutError as TwistedTimeout
from twisted.python.failure import Failure

from crawler.middlewares import OUTCOME
from crawler.spiders.reports import ReportsSpider
from pipelines.models import FetchedResponse, FetchOutcome

SITE = {"agency": "平潭综合实验区管委会", "portal_url": "http://127.0.0.1:9/", "column_url": "http://127.0.0.1:9/nb/"}
PAGE = Path(__file__).parent / "fixtures" / "html" / "pingtan-2022-table2.html"


def spider() -> ReportsSpider:
    s = ReportsSpider(sites=[SITE])
    s.crawl_state.run_id = 7
    return s


def response(s: ReportsSpider, url: str, kind: str, status: int = 200, body: bytes = b"", marked=None,
             headers=None) -> HtmlResponse:
    request = Request(url, meta=s._meta(SITE, kind))
    if marked:
        request.meta[OUTCOME] = marked
    return HtmlResponse(url=url, status=status, body=body, request=request, headers=headers or {})


def test_a_fetched_report_is_a_fetched_response():
    s = spider()
    body = PAGE.read_bytes()
    out = list(s.parse_document(response(s, "http://127.0.0.1:9/nb/t1.html", "report", body=body,
                                         headers={"Content-Type": "text/html; charset=utf-8", "ETag": '"a1"'})))
    items = [o for o in out if isinstance(o, FetchedResponse)]
    assert len(items) == 1 and not [o for o in out if isinstance(o, dict)]
    item = items[0]
    assert (item.url, item.kind, item.site, item.status) == ("http://127.0.0.1:9/nb/t1.html", "report",
                                                            "平潭综合实验区管委会", 200)
    assert item.fetch_outcome is FetchOutcome.OK and item.parseable
    assert item.body == body and item.content_type == "text/html; charset=utf-8" and item.etag == '"a1"'
    assert item.run_id == 7 and item.http["status"] == 200 and item.fetched_at


def test_marked_and_failed_responses_keep_their_outcome():
    s = spider()
    [blocked] = s.parse_document(response(s, "http://127.0.0.1:9/nb/t2.html", "report", status=412,
                                          marked=("blocked", "HTTP 412 Precondition Failed (WAF challenge)")))
    assert blocked.fetch_outcome is FetchOutcome.BLOCKED and not blocked.parseable
    assert blocked.detail == "HTTP 412 Precondition Failed (WAF challenge)"
    [missing] = s.parse_document(response(s, "http://127.0.0.1:9/nb/t3.html", "report", status=404))
    assert (missing.fetch_outcome, missing.detail, missing.status) == (FetchOutcome.ERROR, "HTTP 404", 404)
    # a word no one declared in pipelines/models.py is an error that names it, not a silent new outcome
    [odd] = s.parse_document(response(s, "http://127.0.0.1:9/nb/t4.html", "report", marked=("gone_fishing", "x")))
    assert (odd.fetch_outcome, odd.detail) == (FetchOutcome.ERROR, "unknown fetch outcome 'gone_fishing': x")
    request = Request("http://127.0.0.1:9/nb/t5.pdf", meta=s._meta(SITE, "attachment"))
    failure = Failure(TwistedTimeout("User timeout caused connection failure."))
    failure.request = request
    [timed_out] = s.failed(failure)
    assert isinstance(timed_out, FetchedResponse)
    assert (timed_out.kind, timed_out.status, timed_out.body, timed_out.fetch_outcome) == (
        "attachment", None, b"", FetchOutcome.ERROR)
    assert timed_out.detail.startswith("timeout: ") and timed_out.run_id == 7
