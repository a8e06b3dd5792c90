"""The crawl's item pipeline: every `FetchedResponse` the spider yields goes through pipelines/ingest.py,
the same archive → parse → store as `nianbao ingest` and `nianbao reparse`."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

from pipelines.clones import attribute
from pipelines.ingest import Parser, archive, seen_unchanged, store
from pipelines.models import FetchedResponse, FetchOutcome
from pipelines.worker import ParsePool
from pipelines.writers import batch_rows, begin_rows, bulk_writes, write_rows


class StorePipeline:
    """Writes pages, archive, reports and findings; counts outcomes per site (the crawl state's `counts`).

    The raw bytes are archived first, here in the crawl process; parsing (the CPU-heavy part: a PDF takes
    ~0.3 s) runs in a worker process under a time and a memory limit (pipelines/worker.py) so the downloads
    go on meanwhile; the record comes back and is stored here, one page per savepoint, committed in batches.
    `NIANBAO_EXTRACT_WORKERS = 0` parses inline (no limits)."""

    def __init__(self, crawler, workers: int = 1):
        self.crawler = crawler
        self.workers = workers
        self.parser: Parser | None = None
        self.threads: ThreadPoolExecutor | None = None
        self.uncommitted = 0
        self.last_commit = 0.0

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler, crawler.settings.getint("NIANBAO_EXTRACT_WORKERS", 1))

    @property
    def crawl_state(self):
        return self.crawler.spider.crawl_state

    @property
    def db(self):
        return self.crawl_state.db

    def open_spider(self):
        self._writes = bulk_writes(self.db)
        self._writes.__enter__()
        self.parser = Parser(self.workers, **self._limits())
        self.threads = self._parse_threads()

    def _parse_threads(self) -> ThreadPoolExecutor:
        """One waiting thread per page the workers hold: a page waits for its worker off the reactor thread."""
        return ThreadPoolExecutor(ParsePool.DEPTH * max(1, self.workers), thread_name_prefix="nianbao-parse")

    def _limits(self) -> dict:
        s = self.crawler.settings
        out = {}
        if s.get("NIANBAO_PAGE_TIME_LIMIT"):
            out["time_limit"] = s.getfloat("NIANBAO_PAGE_TIME_LIMIT")
        if s.get("NIANBAO_PAGE_MEMORY_MB"):
            out["memory_mb"] = s.getint("NIANBAO_PAGE_MEMORY_MB")
        return out if self.workers > 0 else {}

    def close_spider(self):
        if self.threads is not None:
            self.threads.shutdown(wait=True)
        if self.parser is not None:
            self.parser.close()
        write_rows(self.db)  # the last pages' rows; the end of the write session commits them once the WARC
        self._writes.__exit__(None, None, None)  # file they point into is synced (pipelines.writers.bulk_writes)

    async def process_item(self, fetched: FetchedResponse):
        counts = self.crawl_state.counts[fetched.site]
        counts["fetched"] += 1 if fetched.status else 0
        if not fetched.parseable:
            with self.page():
                archive(self.db, fetched)
                if fetched.fetch_outcome == FetchOutcome.NOT_MODIFIED:
                    seen_unchanged(self.db, fetched)
            counts["listing" if fetched.fetch_outcome == FetchOutcome.OK else str(fetched.fetch_outcome)] += 1
            return fetched
        with self.page():  # archive before anything parses the bytes
            page_id = archive(self.db, fetched)
        record = await self._parse(fetched)
        attribute(record, fetched.url, self.crawl_state.sites)   # a copy: of which crawled site?
        with self.page():
            report_id, status = store(self.db, record, page_id, fetched.url, fetched.fetched_at)
        counts[status] += 1
        if report_id:
            counts["reports"] += 1
            if fetched.etag or fetched.last_modified:
                # a later request for the same URL in this run (a resumed queue) is conditional too
                self.crawl_state.validators[fetched.url] = (fetched.etag, fetched.last_modified)
        return fetched

    @contextmanager
    def page(self):
        """One page's writes, all or nothing (a savepoint); committed in batches of 50 pages or 2 seconds.
        A kill -9 loses at most one batch, which the next run fetches again (nothing was stored for it)."""
        conn = self.db.conn
        if not conn.in_transaction:
            conn.execute("BEGIN")  # else the outermost RELEASE would commit every page on its own
        if batch_rows(self.db) is None:  # the pages' cells, checks and search entries: written at the commit
            begin_rows(self.db)
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
            self._commit()

    def _commit(self) -> None:
        write_rows(self.db)
        self.db.conn.commit()
        self.uncommitted, self.last_commit = 0, time.monotonic()

    async def _parse(self, fetched: FetchedResponse) -> dict:
        kwargs = dict(filename=fetched.url, url=fetched.url, content_type=fetched.content_type,
                      registry_hosts=self.crawl_state.government_hosts)   # one object: sent to a worker once
        if self.parser.pool is None:
            return self.parser(fetched.body, **kwargs)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.threads, lambda: self.parser(fetched.body, **kwargs))
