"""The crawl's item pipeline: every fetched response goes through the very same code as `nianbao ingest`
(pipelines/ingest.py: archive raw bytes first → decode → chrome → spam → extract → store)."""

from __future__ import annotations

from collections import Counter, defaultdict

from pipelines.ingest import ingest_bytes
from pipelines.store import now, open_db, store_page


class StorePipeline:
    """Writes pages, archive, reports and findings; counts outcomes per site for `crawl_runs`."""

    def __init__(self, db_path: str, crawler=None):
        self.db_path = db_path
        self.crawler = crawler
        self.db = None
        self.stats: dict[str, Counter] = defaultdict(Counter)

    @classmethod
    def from_crawler(cls, crawler):
        obj = cls(crawler.settings.get("NIANBAO_DB"), crawler)
        crawler.nianbao_store = obj
        return obj

    def open_spider(self):
        self.db = open_db(self.db_path)

    def close_spider(self):
        if self.db is not None:
            self.db.conn.commit()

    def process_item(self, item):
        site = item.get("site") or ""
        kind = item["kind"]
        outcome = item.get("outcome") or "ok"
        fetched_at = item.get("fetched_at") or now()
        self.stats[site]["fetched"] += 1 if item.get("status") else 0
        with self.db.conn:
            if outcome != "ok" or kind == "listing":
                store_page(self.db, source=item["url"], data=item.get("body") or b"", url=item["url"],
                           fetched_at=fetched_at, http_status=item.get("status"),
                           outcome=outcome if outcome != "ok" else "listing", detail=item.get("detail") or "",
                           content_type=item.get("content_type"), crawl_run_id=item.get("run_id"), site=site,
                           etag=item.get("etag"), last_modified=item.get("last_modified"))
                self.stats[site][outcome if outcome != "ok" else "listing"] += 1
                if outcome == "not_modified":
                    self.db.execute("UPDATE reports SET last_seen = ? WHERE id IN (SELECT report_id FROM pages "
                                    "WHERE source = ? AND report_id IS NOT NULL)", [fetched_at, item["url"]])
                return item
            _, report_id, status = ingest_bytes(
                self.db, item["body"], source=item["url"], url=item["url"], content_type=item.get("content_type"),
                fetched_at=fetched_at, http_status=item.get("status"), crawl_run_id=item.get("run_id"), site=site,
                registry_hosts=self.crawler.spider.allowed_hosts, etag=item.get("etag"), last_modified=item.get("last_modified"))
        self.stats[site][status] += 1
        if report_id:
            self.stats[site]["reports"] += 1
            if item.get("etag") or item.get("last_modified"):
                # a later request for the same URL in this run (a resumed queue) is conditional too
                self.crawler.spider.validators[item["url"]] = (item.get("etag"), item.get("last_modified"))
        return item
