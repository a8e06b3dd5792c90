"""The crawl's shared state: one object, made by crawler/run.py and handed to the spider.

The spider, the middlewares, the store pipeline and the run recorder all read and write this, and only
this (`crawler.spider.crawl_state`; not `spider.state`, which Scrapy's JOBDIR persistence owns); the database is opened once per process and lives here too.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import sqlite_utils


@dataclass
class CrawlState:
    db: sqlite_utils.Database | None
    sites: list[dict]
    allowed_hosts: frozenset[str] = frozenset()
    validators: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)  # url → (ETag, Last-Modified)
    fetched: set[bytes] = field(default_factory=set)           # request fingerprints fetched by this process
    listed: dict[str, set[str]] = field(default_factory=dict)  # site → report/attachment URLs its listings link
    listing_failures: dict[str, int] = field(default_factory=dict)
    counts: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))  # site → outcome → n
    run_id: int | None = None
    government_hosts: frozenset[str] = frozenset()   # allowed hosts less the watched copies (verified=mirror)

    def __post_init__(self):
        hosts, government = set(self.allowed_hosts), set(self.allowed_hosts)
        for s in self.sites:
            self.listed.setdefault(s["agency"], set())
            self.listing_failures.setdefault(s["agency"], 0)
            for key in ("portal_url", "column_url"):
                h = urlsplit(s.get(key) or "").hostname
                if h:
                    hosts.add(h.lower())
                    if s.get("verified") != "mirror":   # a watched copy is fetched, but is no agency's host
                        government.add(h.lower())
        self.allowed_hosts = frozenset(hosts)
        self.government_hosts = frozenset(government)

    def total(self, *keys: str) -> dict[str, int]:
        return {k: sum(c.get(k, 0) for c in self.counts.values()) for k in keys}
