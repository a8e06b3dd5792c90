"""`nianbao load`: the one writer of a distributed crawl (crawler/distributed.py) — items from Redis into SQLite.

Crawl workers push each fetched response, where its bytes are in their WARC file, and its parsed record to
the Redis list `nianbao:items`. The loader moves items one by one into `nianbao:items:loading` (LMOVE, the
reliable-queue pattern), stores each through the same path as the one-process crawl (pipelines/ingest.py
`archive` with the worker's WARC location, then `store`), commits in batches, and only after a commit empties
the loading list. A loader killed at any point leaves its uncommitted items in the loading list; the next one
puts them back first. Storing is idempotent (a page's id is its source and its bytes' sha256), so an item
stored twice — committed, then killed before the acknowledgement — changes nothing.

The database takes the writer lock (pipelines/lock.py), as `ingest`, `reparse` and `crawl` do. The WARC files
the workers wrote must be in the database's `-warc` folder (each worker writes its own files there when it
runs on the same machine; gather them with rsync from the others) for `reparse` and the source view.
"""

from __future__ import annotations

import json
import pickle
import time
from collections import Counter, defaultdict
from types import SimpleNamespace

from crawler.distributed import ITEMS, ITEMS_LOADING, current_run, keys, reclaim, run_state, site_key
from crawler.extensions import SITE_COUNTERS
from pipelines.derived import sync_pending
from pipelines.ingest import archive, seen_unchanged, store
from pipelines.models import FetchedResponse, FetchOutcome
from pipelines.writers import RowBuffer, bulk_writes, now

BATCH = 200          # items per commit
BATCH_SECONDS = 2.0  # … or this long since the last commit


def crawl_over(server) -> bool:
    """No run, or the current run has nothing queued, nothing in flight and no live worker."""
    run = current_run(server)
    if run is None:
        return True
    reclaim(server, run)
    state = run_state(server, run)
    return not (state["queued"] or state["inflight"] or state["workers"])


def counted_so_far(conn, run_id: int) -> defaultdict:
    """The per-site counters an earlier load session of this run recorded (none for a new run)."""
    counts: defaultdict = defaultdict(Counter)
    cols = ", ".join(f"[{c}]" for c in SITE_COUNTERS)
    for site, *values in conn.execute(f"SELECT site, {cols} FROM crawl_run_sites WHERE run_id = ?", [run_id]):
        counts[site].update({name: v for name, v in zip(SITE_COUNTERS.values(), values) if v})
    return counts


class Loader:
    def __init__(self, server, db, say=None):
        self.server, self.db, self.say = server, db, say or (lambda msg: None)
        self.runs: dict[str, SimpleNamespace] = {}   # Redis run id → its crawl_runs row and per-site counts
        self.counts: Counter = Counter()
        self.uncommitted = 0
        self.last_commit = time.monotonic()
        self.rows = RowBuffer()

    def run_row(self, run: str) -> SimpleNamespace:
        """One crawl_runs row per Redis run (what `nianbao crawl` records for a one-process run). A run loaded in
        several sessions (a loader stopped and started again, `load --no-follow` while the crawl goes on) goes
        on counting in its row: crawl health compares whole runs, never a part of one with the run before."""
        if run not in self.runs:
            shared = json.loads(self.server.get(keys(run)["sites"]) or b"{}")
            sites = shared.get("sites") or []
            conn = self.db.conn
            row = conn.execute("SELECT id FROM crawl_runs WHERE redis_run = ?", [run]).fetchone()
            if row is None:
                row = conn.execute(  # in the open transaction (sqlite-utils' insert would commit)
                    "INSERT INTO crawl_runs (started_at, sites, redis_run) VALUES (?, ?, ?) RETURNING id",
                    [now(), json.dumps([s["agency"] for s in sites], ensure_ascii=False), run]).fetchone()
            self.runs[run] = SimpleNamespace(sites=sites, counts=counted_so_far(conn, row[0]), id=row[0],
                                             pages={p for (p,) in conn.execute(
                                                 "SELECT CASE WHEN parse_outcome IS NULL OR url IS NULL THEN id "
                                                 "ELSE url END FROM pages WHERE crawl_run_id = ?", [row[0]])})
        return self.runs[run]

    def store(self, item: dict) -> str:
        run = self.run_row(item["run"])
        fetched = FetchedResponse(**{**item["fetched"], "run_id": run.id})
        counts = run.counts[fetched.site]
        file, offset, length = item["warc"]
        # the bytes are in the worker's WARC file: this is their archive row (the first copy wins)
        self.db.conn.execute(
            "INSERT OR IGNORE INTO archive (sha256, size, content_type, warc_file, warc_offset, warc_length) "
            "VALUES (?, ?, ?, ?, ?, ?)", [item["sha256"], item["size"], fetched.content_type, file, offset, length])
        page_id = archive(self.db, fetched, stored=(item["sha256"], item["size"]))
        # a page fetched twice in a run (a worker killed after pushing it, before its acknowledgement): one page,
        # counted once. A report or attachment is known by its URL (one GET a run; the second fetch's bytes
        # differ whenever the page carries a view counter or a timestamp, as most CMS pages and the demo portal's
        # do); a listing by its page id (POST listings share one URL, told apart by their form)
        fetched_once = fetched.url if fetched.parseable and fetched.url else page_id
        if fetched_once in run.pages:
            counts = Counter()
        else:
            run.pages.add(fetched_once)
            counts["fetched"] += 1 if fetched.status else 0
        if not fetched.parseable:
            if fetched.fetch_outcome == FetchOutcome.NOT_MODIFIED:
                seen_unchanged(self.db, fetched)
            status = "listing" if fetched.fetch_outcome == FetchOutcome.OK else str(fetched.fetch_outcome)
            counts[status] += 1
            return status
        report_id, status = store(self.db, item["record"], page_id, fetched.url, fetched.fetched_at)
        counts[status] += 1
        if report_id:
            counts["reports"] += 1
        return status

    def commit(self) -> None:
        """Commit, then acknowledge: the loading list holds exactly the items of the uncommitted batch. The
        batch's write-only rows (cells, checks, wide tables, search index) are written just before, one
        executemany per statement (pipelines.writers.store_batch's buffer)."""
        self.rows.flush(self.db.conn)
        if not getattr(self.db, "_nianbao_bulk", False):
            sync_pending(self.db)
        self.db.conn.commit()
        self.server.delete(ITEMS_LOADING)
        self.uncommitted, self.last_commit = 0, time.monotonic()

    def drain(self, follow: bool = True, poll: float = 1.0) -> Counter:
        conn = self.db.conn
        self.rows = RowBuffer()  # the stored items' write-only rows, written at each commit
        try:
            return self._drain(conn, follow, poll)
        finally:
            self.db._nianbao_rows = None
            if self.rows.rows and conn.in_transaction:  # leaving on an error: the items stored so far stay whole
                self.rows.flush(conn)

    def _drain(self, conn, follow: bool, poll: float) -> Counter:
        # an earlier loader's uncommitted items first (it was killed before it could commit them)
        while self.server.lmove(ITEMS_LOADING, ITEMS, "LEFT", "RIGHT") is not None:
            self.counts["recovered"] += 1
        while True:
            data = self.server.lmove(ITEMS, ITEMS_LOADING, "RIGHT", "LEFT")
            if data is None:
                if self.uncommitted:
                    self.commit()
                if not follow or (crawl_over(self.server) and not self.server.llen(ITEMS)):
                    break
                time.sleep(poll)
                continue
            if not conn.in_transaction:
                conn.execute("BEGIN")
            item_rows = self.db._nianbao_rows = RowBuffer()
            conn.execute("SAVEPOINT item")
            try:
                status = self.store(pickle.loads(data))
            except BaseException:
                conn.execute("ROLLBACK TO item")
                conn.execute("RELEASE item")
                raise
            conn.execute("RELEASE item")
            self.rows.extend(item_rows)
            self.counts[status] += 1
            self.counts["items"] += 1
            self.uncommitted += 1
            if self.uncommitted >= BATCH or time.monotonic() - self.last_commit > BATCH_SECONDS:
                self.commit()
                self.say(f"loaded {self.counts['items']} items")
        return self.counts

    def finish(self) -> None:
        """Each run's crawl_runs / crawl_run_sites rows, written by the one-process crawl's recorder."""
        from crawler.extensions import CrawlRunRecorder

        over = crawl_over(self.server)
        for run_id, run in self.runs.items():
            def decoded(mapping):
                return {k.decode(): v.decode() for k, v in mapping.items()}

            # how each worker's crawl ended (a killed worker says nothing: its share was finished by the others)
            ends = set(decoded(self.server.hgetall(site_key(run_id, "finish"))).values())
            if not (over or current_run(self.server) != run_id):
                reason = "loading"        # loaded while the crawl goes on: counts so far, nothing marked removed
            else:
                reason = next(iter(sorted(ends - {"finished"})), "finished")
            names = [s["agency"] for s in run.sites]
            spider = SimpleNamespace(
                crawl_state=SimpleNamespace(counts=run.counts, db=self.db), sites=run.sites,
                listed={n: {u.decode() for u in self.server.smembers(site_key(run_id, "listed", n))} for n in names},
                listing_failures={k: int(v) for k, v in decoded(
                    self.server.hgetall(site_key(run_id, "listing_failures"))).items()},
                capped=decoded(self.server.hgetall(site_key(run_id, "capped"))))
            CrawlRunRecorder.closed(SimpleNamespace(run_id=run.id, mark_vanished=CrawlRunRecorder.mark_vanished),
                                    spider, reason)


def load(server, db, follow: bool = True, say=None) -> tuple[Counter, list[int]]:
    """Drain the items into `db` (opened by the caller, who holds the writer lock); with `follow`, until the
    crawl is over. Returns the counts and the crawl_runs ids written."""
    loader = Loader(server, db, say)
    with bulk_writes(db):
        counts = loader.drain(follow=follow)
        loader.finish()
    return counts, [r.id for r in loader.runs.values()]
