"""The adapter interface every CMS family implements (querido-diario style: the shared logic lives in the
spider, a family only knows how its listings look).

An adapter sees a listing page as (url, text) and answers three questions:
* `detect`     — is this page one of mine? (fingerprints: createPageHTML, <datastore>, list2.trsapi …)
* `report_links` — the report (or attachment) links on this page, absolute, with their titles;
* `next_pages` — the requests that fetch the rest of the listing (static index_N.html pages, dataproxy
  POSTs, JSON API pages), each a `PageRequest` so the spider can turn it into a Scrapy Request.

Adapters never fetch anything and never import Scrapy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urljoin

# what a title or an address says is one module's knowledge (crawler/addresses.py, crawler/data/url_families.json)
from crawler.addresses import ATTACHMENT, is_report_title  # noqa: F401 - re-exported for the adapters


@dataclass(frozen=True)
class Link:
    url: str
    title: str = ""


@dataclass(frozen=True)
class PageRequest:
    """A listing page to fetch: GET by default; POST with a form body for Hanweb's dataproxy."""

    url: str
    method: str = "GET"
    formdata: tuple[tuple[str, str], ...] = ()
    headers: tuple[tuple[str, str], ...] = ()
    kind: str = "listing"   # listing | api


@dataclass
class Listing:
    reports: list[Link] = field(default_factory=list)
    pages: list[PageRequest] = field(default_factory=list)


class Adapter:
    name = "base"

    def detect(self, url: str, text: str) -> bool:  # pragma: no cover - interface
        raise NotImplementedError

    def report_links(self, url: str, text: str) -> list[Link]:  # pragma: no cover - interface
        raise NotImplementedError

    def next_pages(self, url: str, text: str) -> list[PageRequest]:  # pragma: no cover - interface
        raise NotImplementedError

    def read(self, url: str, text: str) -> Listing:
        return Listing(self.report_links(url, text), self.next_pages(url, text))


def absolute(base: str, href: str) -> str:
    return urljoin(base, href.strip())

