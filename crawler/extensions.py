"""Crawl bookkeeping: one `crawl_runs` row per run (and one `crawl_run_sites` row per site), and a
progress line for interactive runs."""

from __future__ import annotations

import json
import sys
import time

from scrapy import signals
from twisted.internet import task

from pipelines.health import page_errors, record_health, reports_found
from pipelines.writers import now

OUTCOME_COLUMNS = ("new", "changed", "unchanged", "linked", "not_modified", "blocked", "error", "off_domain",
                   "robots", "not_a_report")
# crawl_run_sites' columns counted while a run's pages are stored (column ← counter); the others are worked out
# at its end, from its pages (reports found, errors) or by the end itself (removed). pipelines/load.py reads
# them back to go on counting a run loaded in several sessions.
SITE_COUNTERS = {"pages_fetched": "fetched", "listing_pages": "listing", "new": "new", "changed": "changed",
                 "unchanged": "unchanged", "linked": "linked", "not_modified": "not_modified", "blocked": "blocked",
                 "off_domain": "off_domain", "robots": "robots", "not_a_report": "not_a_report"}


class CrawlRunRecorder:
    def __init__(self, crawler):
        self.crawler = crawler
        self.run_id: int | None = None
        crawler.signals.connect(self.opened, signal=signals.spider_opened)
        crawler.signals.connect(self.closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def opened(self, spider):
        db = spider.crawl_state.db
        with db.conn:
            self.run_id = db["crawl_runs"].insert({
                "started_at": now(), "sites": json.dumps([s["agency"] for s in spider.sites], ensure_ascii=False),
            }).last_pk
        spider.crawl_state.run_id = self.run_id

    def closed(self, spider, reason):
        stats = spider.crawl_state.counts
        db = spider.crawl_state.db
        removed = self.mark_vanished(db, spider) if reason == "finished" else {}
        # failed fetches and failed parses (an exception, a time-out or a memory excess in the extraction
        # worker, a record the store refused), counted from the pages this run recorded
        failed = page_errors(db, self.run_id)
        found = reports_found(db, self.run_id)   # distinct reports, not pages (a report's PDF is the same report)
        per_site = {}
        with db.conn:
            for site in [s["agency"] for s in spider.sites]:
                c = stats.get(site, {})
                row = {
                    "run_id": self.run_id, "site": site,
                    **{column: c.get(counter, 0) for column, counter in SITE_COUNTERS.items()},
                    "reports_found": found[site], "fetch_errors": failed[site]["fetch"],
                    "parse_errors": failed[site]["parse"], "errors": failed[site]["fetch"] + failed[site]["parse"],
                    "removed": removed.get(site, 0),
                }
                db["crawl_run_sites"].upsert(row, pk=("run_id", "site"))
                per_site[site] = {k: v for k, v in row.items() if k not in ("run_id", "site") and v}
                if site in getattr(spider, "capped", {}):
                    per_site[site]["capped"] = spider.capped[site]   # a crawl limit hit (crawler/registry.py)
            total = {k: sum(v.get(k, 0) for v in stats.values()) for k in ("fetched", *OUTCOME_COLUMNS)}
            fetch_errors = sum(f["fetch"] for f in failed.values())
            parse_errors = sum(f["parse"] for f in failed.values())
            db["crawl_runs"].update(self.run_id, {
                "finished_at": now(), "finish_reason": reason, "pages_fetched": total["fetched"],
                "reports_new": total["new"], "reports_changed": total["changed"], "unchanged": total["unchanged"],
                "not_modified": total["not_modified"], "blocked": total["blocked"],
                "errors": fetch_errors + parse_errors, "fetch_errors": fetch_errors, "parse_errors": parse_errors,
                "off_domain": total["off_domain"], "robots": total["robots"],
                "per_site": json.dumps(per_site, ensure_ascii=False),
            })
            record_health(db, self.run_id)

    @staticmethod
    def mark_vanished(db, spider) -> dict[str, int]:
        """After a finished crawl: reports a site's listings no longer link to are marked removed (kept,
        never deleted) — only for sites whose listing walk had no failure, so a blocked or broken listing,
        or a crawl stopped early, removes nothing."""
        from pipelines.writers import mark_removed, vanished_reports

        removed: dict[str, int] = {}
        with db.conn:
            for site, listed in spider.listed.items():
                if spider.listing_failures.get(site) or not listed:
                    continue
                keys = vanished_reports(db, site, listed)
                if keys:
                    removed[site] = mark_removed(db, keys)
        return removed


def queued(engine) -> int:
    """Requests waiting in the scheduler. Scrapy 2.19 has `engine.scheduler` (and no `engine.slot`);
    older versions had `engine.slot.scheduler`."""
    scheduler = getattr(engine, "scheduler", None) if engine is not None else None
    if scheduler is None and engine is not None and getattr(engine, "slot", None) is not None:
        scheduler = engine.slot.scheduler
    try:
        return len(scheduler) if scheduler is not None else 0
    except TypeError:  # a scheduler without __len__
        return 0


class ProgressDisplay:
    """Every few seconds, one line on stderr per running crawl (only when stderr is a terminal, or when
    NIANBAO_PROGRESS is set)."""

    def __init__(self, crawler, interval: float):
        self.crawler = crawler
        self.interval = interval
        self.loop = None
        self.t0 = time.monotonic()
        crawler.signals.connect(self.opened, signal=signals.spider_opened)
        crawler.signals.connect(self.closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler, crawler.settings.getfloat("NIANBAO_PROGRESS_INTERVAL", 5.0))

    def enabled(self) -> bool:
        return self.crawler.settings.getbool("NIANBAO_PROGRESS") or sys.stderr.isatty()

    def opened(self, spider):
        if self.enabled():
            self.loop = task.LoopingCall(self.show)
            self.loop.start(self.interval, now=False)

    def show(self):
        spider = self.crawler.spider
        if spider is None:
            return
        total = spider.crawl_state.total("fetched", *OUTCOME_COLUMNS)
        failed = page_errors(spider.crawl_state.db, spider.crawl_state.run_id) if spider.crawl_state.run_id else {}
        pending = queued(self.crawler.engine)
        line = (f"[{time.monotonic() - self.t0:6.0f}s] fetched {total['fetched']}  new {total['new']}  "
                f"changed {total['changed']}  unchanged {total['unchanged'] + total['not_modified']}  "
                f"blocked {total['blocked']}  fetch errors {sum(f['fetch'] for f in failed.values())}  "
                f"parse errors {sum(f['parse'] for f in failed.values())}  queued {pending}")
        print(line, file=sys.stderr, flush=True)

    def closed(self, spider, reason):
        if self.loop and self.loop.running:
            self.loop.stop()
            self.show()
