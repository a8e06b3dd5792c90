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

import re
from dataclasses import dataclass, field
from urllib.parse import urljoin

REPORT_TITLE = re.compile(r"(?:19|20)\d{2}\s*年度?.{0,30}?(?:政府信息公开|政务公开|信息公开).{0,6}?(?:年度报告|工作报告|年报)"
                          r"|(?:政府信息公开|信息公开)(?:工作)?年度报告")
COLUMN_TEXT = re.compile(r"政府信息公开年报|政府信息公开年度报告|信息公开年报|政务公开年报|年度报告")
COLUMN_URL = re.compile(r"zfxxgknb|xxgknb|gknb|ndbg|ndbb|nianbao|xxgkndbg", re.I)
ATTACHMENT = re.compile(r"\.(?:pdf|docx?|wps|xlsx?|et|ofd|jpe?g|png)(?:$|\?)|downfile\.jsp", re.I)


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


def is_report_title(title: str) -> bool:
    return bool(REPORT_TITLE.search(re.sub(r"\s+", "", title or "")))
