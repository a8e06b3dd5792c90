"""What passes between the steps: a site, a fetched response, a record, and the two kinds of outcome.

registry row ─► Site ─► spider ─► FetchedResponse ─► ingest.archive (bytes first) ─► ingest.parse ─► Record
                                                                                  ─► ingest.store ─► rows

A page has two outcomes, in two columns of `pages`: how fetching it went (`fetch_outcome`) and how
parsing its bytes went (`parse_outcome`, null when there was nothing to parse: a listing page, a failed
fetch). `pages.outcome` keeps the one word a reader facets on (`page_outcome`): the fetch outcome when
the fetch failed, `listing` for a listing page, else the parse outcome (`archived` while pending).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from enum import StrEnum
from typing import Any, TypedDict


class FetchOutcome(StrEnum):
    """How getting the bytes went (a local file that was read is `ok`)."""

    OK = "ok"                      # bytes in hand and archived
    NOT_MODIFIED = "not_modified"  # a conditional request answered 304: the archived copy still holds
    BLOCKED = "blocked"            # an anti-bot answer (412 $_ts, 加速乐, 安全验证 …): never stored as a report
    ERROR = "error"                # HTTP error, time-out, truncated body, over-size, redirect loop …
    OFF_DOMAIN = "off_domain"      # the host policy refused the URL (or a redirect to it)
    ROBOTS = "robots"              # robots.txt disallows it: not fetched

    @classmethod
    def of(cls, word: str | None, detail: str = "") -> tuple[FetchOutcome, str]:
        """A middleware's outcome word (and its detail) as a fetch outcome; a word this enum does not know
        is an error that names it (a new outcome must be declared here, where readers of `pages` look)."""
        try:
            return cls(word or "ok"), detail
        except ValueError:
            return cls.ERROR, f"unknown fetch outcome {word!r}: {detail}"[:500]


class ParseOutcome(StrEnum):
    """How reading the archived bytes went (`extract/` and the store)."""

    PENDING = "pending"                    # archived, not parsed yet (a crawl killed in between)
    OK = "ok"                              # a record with its tables
    QUARANTINED = "quarantined"            # read in full, but served from a mirror or spam-stuffed: not published
    NEEDS_CONVERSION = "needs_conversion"  # .doc/.wps/.xls/.et and LibreOffice is missing
    NEEDS_OCR = "needs_ocr"                # a scan or an image
    NO_TABLES = "no_tables"                # text, but none of the national tables
    NOT_A_REPORT = "not_a_report"
    EMPTY = "empty"
    ERROR = "error"                        # the extractor (or the store) failed on this page; `detail` says how

    @classmethod
    def of(cls, value: str | None) -> ParseOutcome:
        """A record's `outcome` word as a parse outcome; a word this enum does not know is an error that
        names it (a new outcome must be declared here, where readers of `pages` look for it)."""
        try:
            return cls(value or "ok")
        except ValueError:
            return cls.ERROR


def page_outcome(fetch: FetchOutcome | str, parse: ParseOutcome | str | None, kind: str | None = None) -> str:
    """The one word `pages.outcome` shows, from the two outcomes."""
    if fetch != FetchOutcome.OK:
        return str(fetch)
    if kind == "listing":
        return "listing"
    if parse is None or parse == ParseOutcome.PENDING:
        return "archived"
    return str(parse)


@dataclass(frozen=True)
class Site:
    """One row of the site registry (crawler/sites.csv, or a --sites-file)."""

    agency: str
    level: str = ""
    region_code: str = ""
    province: str = ""
    portal_url: str = ""
    column_url: str = ""
    cms: str = ""
    aliases: str = ""
    verified: str = ""
    notes: str = ""

    @classmethod
    def from_row(cls, row: dict) -> Site:
        names = {f.name for f in fields(cls)}
        return cls(**{k: (v or "") for k, v in row.items() if k in names})

    def as_row(self) -> dict:
        return asdict(self)


@dataclass
class FetchedResponse:
    """One response (or failed request) as the spider yields it (the Scrapy item: a dataclass, which Scrapy
    takes as an item as it is) and the store takes it: nothing fetched is dropped."""

    url: str
    kind: str                      # portal / listing / report / attachment
    site: str | None = None        # the registry agency the request belongs to
    status: int | None = None      # HTTP status; None when no response came
    body: bytes = b""
    fetch_outcome: FetchOutcome = FetchOutcome.OK
    detail: str = ""
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    fetched_at: str | None = None
    run_id: int | None = None
    http: dict | None = None       # status line, headers and request: what the WARC response record keeps

    @property
    def parseable(self) -> bool:
        """Bytes that the parse step should read (a report or an attachment that arrived whole)."""
        return self.fetch_outcome == FetchOutcome.OK and self.kind not in ("listing", "portal")


class Record(TypedDict, total=False):
    """The canonical record of ../shared/spec/report-schema.md (what `extract/` and `pipelines/parse.py` make)."""

    agency: str | None
    year: int | None
    format: str | None
    applications_layout: str | None
    title: str | None
    published: str | None
    page_meta: dict[str, str]
    active: dict[str, Any]
    applications: dict[str, Any]
    review_litigation: dict[str, Any]
    prose: dict[str, Any]
    prose_evidence: dict[str, str]
    raw: dict[str, str]
    unparsed: list[str]
    checks: list[dict]
    spam: list[dict]
    text: str
    source: dict[str, Any]
    outcome: str          # a ParseOutcome word
    detail: str
    quarantined: bool
    chrome: dict


def error_record(detail: str, source: dict | None = None) -> Record:
    """The record of a page whose parse failed as a whole (an exception, a time or memory limit)."""
    return Record(agency=None, year=None, format=None, applications_layout=None, title=None, published=None,
                  page_meta={}, active={}, applications={}, review_litigation={}, prose={}, prose_evidence={},
                  raw={}, unparsed=[], checks=[], spam=[], text="", source=dict(source or {}),
                  outcome=ParseOutcome.ERROR.value, detail=detail[:500], quarantined=False,
                  chrome={"container": None, "removed": []})


@dataclass
class StoreResult:
    """What storing one page gave: its id, the report revision it fed (if any) and the status counted."""

    page_id: str
    report_id: str | None = None
    status: str = "not_a_report"   # new / changed / unchanged / linked / not_a_report / error
    detail: str = ""
    extra: dict = field(default_factory=dict)
