"""The crawl's item pipeline: every fetched response goes through the very same code as `nianbao ingest`
(pipelines/ingest.py: archive raw bytes first → decode → chrome → spam → extract → store)."""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from contextlib import contextmanager

from pipelines.clones import attribute
from pipelines.parse import clean_and_extract
from pipelines.schema import open_db
from pipelines.writers import bulk_writes, now, store_page, store_record


class StorePipeline:
    """Writes pages, archive, reports and findings; counts outcomes per site for `crawl_runs`.

    The raw bytes are archived first, here in the crawl process; cleaning and extraction (the CPU-heavy
    part: a PDF takes ~0.3 s) run in a worker process so the downloads go on meanwhile; the record comes
    back and is stored here, one page per transaction. `NIANBAO_EXTRACT_WORKERS = 0` extracts inline."""

    def __init__(self, db_path: str, crawler=None, workers: int = 1):
        self.db_path = db_path
        self.crawler = crawler
        self.workers = workers
        self.pool = None
        self.db = None
        self.stats: dict[str, Counter] = defaultdict(Counter)
        self.uncommitted = 0
        self.last_commit = 0.0

    @classmethod
    def from_crawler(cls, crawler):
        obj = cls(crawler.settings.get("NIANBAO_DB"), crawler, crawler.settings.getint("NIANBAO_EXTRACT_WORKERS", 1))
        crawler.nianbao_store = obj
        return obj

    def open_spider(self):
        self.db = open_db(self.db_path)
        self._writes = bulk_writes(self.db)
        self._writes.__enter__()
        if self.workers > 0:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            self.pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"))

    def close_spider(self):
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=False)
        if self.db is not None:
            self._writes.__exit__(None, None, None)

    async def process_item(self, item):
        site = item.get("site") or ""
        kind = item["kind"]
        outcome = item.get("outcome") or "ok"
        fetched_at = item.get("fetched_at") or now()
        self.stats[site]["fetched"] += 1 if item.get("status") else 0
        if outcome != "ok" or kind == "listing":
            with self.page():
                store_page(self.db, source=item["url"], data=item.get("body") or b"", url=item["url"],
                           fetched_at=fetched_at, http_status=item.get("status"),
                           outcome=outcome if outcome != "ok" else "listing", detail=item.get("detail") or "",
                           content_type=item.get("content_type"), crawl_run_id=item.get("run_id"), site=site,
                           etag=item.get("etag"), last_modified=item.get("last_modified"), http=item.get("http"))
                if outcome == "not_modified":
                    self.db.execute("UPDATE reports SET last_seen = ?, removed_at = NULL WHERE id IN "
                                    "(SELECT report_id FROM pages WHERE source = ? AND report_id IS NOT NULL)",
                                    [fetched_at, item["url"]])
            self.stats[site][outcome if outcome != "ok" else "listing"] += 1
            return item
        hosts = self.crawler.spider.government_hosts   # a watched copy's host is fetched, but is no agency's
        with self.page():  # archive before anything parses the bytes
            page_id = store_page(self.db, source=item["url"], data=item["body"], url=item["url"], fetched_at=fetched_at,
                                 http_status=item.get("status"), content_type=item.get("content_type"),
                                 crawl_run_id=item.get("run_id"), site=site, etag=item.get("etag"),
                                 last_modified=item.get("last_modified"), http=item.get("http"))
        record = await self._extract(item["body"], item["url"], item.get("content_type"), hosts)
        attribute(record, item["url"], self.crawler.spider.sites)   # a copy: of which crawled site?
        with self.page():
            report_id, status = store_record(self.db, record, page_id, item["url"], fetched_at)
        self.stats[site][status] += 1
        if report_id:
            self.stats[site]["reports"] += 1
            if item.get("etag") or item.get("last_modified"):
                # a later request for the same URL in this run (a resumed queue) is conditional too
                self.crawler.spider.validators[item["url"]] = (item.get("etag"), item.get("last_modified"))
        return item

    @contextmanager
    def page(self):
        """One page's writes, all or nothing (a savepoint); committed in batches of 50 pages or 2 seconds.
        A kill -9 loses at most one batch, which the next run fetches again (nothing was stored for it)."""
        conn = self.db.conn
        if not conn.in_transaction:
            conn.execute("BEGIN")  # else the outermost RELEASE would commit every page on its own
        conn.execute("SAVEPOINT page")
        try:
            yield
        except BaseException:
            conn.execute("ROLLBACK TO page")
            conn.execute("RELEASE page")
            raise
        conn.execute("RELEASE page")
        self.uncommitted += 1
        if self.uncommitted >= 50 or time.monotonic() - self.last_commit > 2.0:
            conn.commit()
            self.uncommitted, self.last_commit = 0, time.monotonic()

    async def _extract(self, body: bytes, url: str, content_type: str | None, hosts) -> dict:
        if self.pool is None:
            return clean_and_extract(body, filename=url, url=url, content_type=content_type, registry_hosts=hosts)
        import asyncio

        future = self.pool.submit(clean_and_extract, body, filename=url, url=url, content_type=content_type,
                                  registry_hosts=frozenset(hosts))
        return await asyncio.wrap_future(future)
