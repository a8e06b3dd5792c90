"""Distributed crawling on scrapy-redis: many crawl workers, one shared queue, one writer.

    nianbao enqueue --redis redis://HOST:6379/0 [--sites-file CSV]     a new run: the registry's start requests
    nianbao crawl --redis redis://HOST:6379/0 --db data/nianbao.db     a worker (as many as you like, anywhere)
    nianbao load --redis redis://HOST:6379/0 --db data/nianbao.db      the one writer: items → SQLite

The request queue and the duplicate filter are scrapy-redis's (`scrapy_redis.scheduler.Scheduler`, a FIFO
list and an `RFPDupeFilter` set). What this module adds, and why:

* **Nothing popped is lost.** scrapy-redis pops a request destructively (RPOP): a worker killed with -9 would
  lose every request it was downloading. `ReliableScheduler` pops with LMOVE into the worker's own in-flight
  list and removes the entry only when Scrapy's engine is done with the request — downloaded, parsed, its
  item pushed and its follow-up requests queued (the engine's `_slot.remove_request`, the one place that
  knows). Each worker keeps a heartbeat key with a TTL; the in-flight list of a worker whose heartbeat
  expired goes back to the queue (done by the live workers, `enqueue` and `load`), straight into the list, so
  the duplicate filter does not drop it.
* **The duplicate filter is bounded.** Its keys are namespaced per run (`nianbao:<run>:…`); `enqueue` starts a
  run, deletes the previous run's queue and filter, and gives the new ones a TTL (`RUN_TTL`, two days: a
  crawl ends within one, CLOSESPIDER_TIMEOUT), so a weekly crawl never grows a set forever.
* **Every request is de-duplicated globally.** The spider marks its requests `dont_filter` (its own
  de-duplication is the per-process DedupMiddleware); across workers the same page can be linked from
  listings two workers read, so here the filter applies to every request but a retry — the one-process
  crawl's rule, made global.
* **Politeness is global.** `GlobalPolitenessMiddleware` takes, before each request, a slot of the host
  (at most CONCURRENT_REQUESTS_PER_DOMAIN leases, across all workers) and the host's delay key (SET NX PX
  DOWNLOAD_DELAY); a worker that finds neither free waits, without blocking the reactor.
* **Workers do not write SQLite.** They archive every body in their own WARC file (beside the database named
  by --db: `DB-warc/`, to be gathered on the loader's host), parse under the same time and memory limits as
  the one-process crawl, and push the item (fetched response, WARC location, record) to `nianbao:items`;
  `nianbao load` (pipelines/load.py) stores it.

The network policy (crawler/netpolicy.py), robots.txt, the anti-bot and redirect guards and the per-page
limits are the same middlewares and settings as the one-process crawl. The per-site request caps
(crawler/registry.py SITE_LIMITS) count every worker's requests, in Redis, the start requests included.

Redis holds pickled requests (scrapy-redis's format) and pickled items: it must be reachable only by the
crawl's own machines (bind to a private address, `requirepass`).
"""

from __future__ import annotations

import json
import os
import pickle
import socket
import time
import uuid
from datetime import datetime, timezone

from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy_redis.scheduler import Scheduler

from crawler.item_pipeline import StorePipeline
from crawler.spiders.reports import ReportsSpider
from pipelines.models import FetchedResponse

PREFIX = "nianbao"
ITEMS = f"{PREFIX}:items"                 # parsed items waiting for `nianbao load`
ITEMS_LOADING = f"{PREFIX}:items:loading"  # items the loader took and has not committed yet
CURRENT_RUN = f"{PREFIX}:run"
RUN_TTL = 2 * 24 * 3600                    # seconds: a run's queue and filter outlive the 24 h crawl limit, then go
HEARTBEAT_EVERY = 2.0                      # seconds between a worker's heartbeats
HEARTBEAT_TTL = 15_000                     # ms without a heartbeat after which a worker is dead


def keys(run: str) -> dict[str, str]:
    base = f"{PREFIX}:{run}"
    return {"requests": f"{base}:requests", "seen": f"{base}:seen", "workers": f"{base}:workers",
            "sites": f"{base}:sites", "validators": f"{base}:validators", "base": base}


def inflight_key(run: str, worker: str) -> str:
    return f"{PREFIX}:{run}:inflight:{worker}"


def alive_key(run: str, worker: str) -> str:
    return f"{PREFIX}:{run}:alive:{worker}"


def connect(url: str):
    import redis

    server = redis.Redis.from_url(url)
    server.ping()
    return server


def current_run(server) -> str | None:
    run = server.get(CURRENT_RUN)
    return run.decode() if run else None


def reclaim(server, run: str, except_worker: str | None = None) -> int:
    """Requests in flight at workers whose heartbeat expired go back to the front of the queue (into the
    list itself: the duplicate filter has seen them and would drop them). Returns how many."""
    k = keys(run)
    moved = 0
    for raw in server.smembers(k["workers"]):
        worker = raw.decode()
        if worker == except_worker or server.exists(alive_key(run, worker)):
            continue
        while server.lmove(inflight_key(run, worker), k["requests"], "RIGHT", "RIGHT") is not None:
            moved += 1
        server.srem(k["workers"], worker)
    return moved


def run_state(server, run: str) -> dict:
    """Queued requests, requests in flight, live workers: the run is over when all three are zero."""
    k = keys(run)
    workers = [w.decode() for w in server.smembers(k["workers"])]
    alive = [w for w in workers if server.exists(alive_key(run, w))]
    inflight = sum(server.llen(inflight_key(run, w)) for w in workers)
    return {"queued": server.llen(k["requests"]), "inflight": inflight, "workers": len(alive)}


# ── the scheduler ────────────────────────────────────────────────────────────────────────────────

class ReliableScheduler(Scheduler):
    """scrapy-redis's scheduler, with requests popped into a per-worker in-flight list (see the module)."""

    crawler = None

    @classmethod
    def from_crawler(cls, crawler):
        instance = super().from_crawler(crawler)
        instance.crawler = crawler
        s = crawler.settings
        instance.run = s.get("NIANBAO_RUN")
        instance.worker = s.get("NIANBAO_WORKER")
        instance.heartbeat_ttl = s.getint("NIANBAO_HEARTBEAT_TTL_MS", HEARTBEAT_TTL)
        instance.inflight = inflight_key(instance.run, instance.worker)
        instance.popped = {}
        return instance

    def open(self, spider):
        # scrapy-redis's open, less its deprecated spider.log call (Scrapy 2.19 warns on it)
        from scrapy.utils.misc import load_object

        self.spider = spider
        self.queue = load_object(self.queue_cls)(server=self.server, spider=spider, key=self.queue_key,
                                                 serializer=self.serializer)
        if not self.df:
            self.df = load_object(self.dupefilter_cls).from_spider(spider)
        self.beat()
        # the engine calls its slot's remove_request once a request is wholly done (downloaded, scraped, items
        # through the pipelines, follow-ups scheduled): only then is the in-flight entry dropped
        slot = getattr(self.crawler.engine, "_slot", None)
        if slot is None or not hasattr(slot, "remove_request"):
            raise RuntimeError("this Scrapy has no engine._slot.remove_request: ReliableScheduler needs updating")
        original = slot.remove_request

        def remove_request(request):
            original(request)
            self.done(request)

        slot.remove_request = remove_request
        from twisted.internet import task

        self.heartbeat = task.LoopingCall(self.beat)
        self.heartbeat.start(HEARTBEAT_EVERY, now=False)
        self.crawler.signals.connect(self.idle, signal=signals.spider_idle)

    def beat(self) -> None:
        self.server.set(alive_key(self.run, self.worker), str(os.getpid()), px=self.heartbeat_ttl)
        self.server.sadd(keys(self.run)["workers"], self.worker)   # again, if a late beat got it reclaimed
        reclaim(self.server, self.run, except_worker=self.worker)

    def idle(self):
        """An empty queue is not the end while another worker still has requests in flight: they may queue
        more, or die and have theirs reclaimed."""
        reclaim(self.server, self.run, except_worker=self.worker)
        state = run_state(self.server, self.run)
        if state["queued"] or state["inflight"] > self.server.llen(self.inflight):
            raise DontCloseSpider("other workers still have requests in flight")

    def close(self, reason):
        if getattr(self, "heartbeat", None) is not None and self.heartbeat.running:
            self.heartbeat.stop()
        # stopped early (Ctrl-C, a time limit): what was not done goes back for another worker
        while self.server.lmove(self.inflight, self.queue.key, "RIGHT", "RIGHT") is not None:
            pass
        self.server.delete(alive_key(self.run, self.worker))
        self.server.srem(keys(self.run)["workers"], self.worker)

    def enqueue_request(self, request):
        # the spider's dont_filter only bypasses the per-process filter; globally, only a retry is let through
        if not request.meta.get("retry_times") and self.df.request_seen(request):
            self.df.log(request, self.spider)
            return False
        if self.stats:
            self.stats.inc_value("scheduler/enqueued/redis")
        self.queue.push(request)
        return True

    def next_request(self):
        data = self.server.lmove(self.queue.key, self.inflight, "RIGHT", "LEFT")
        if data is None:
            return None
        request = self.queue._decode_request(data)
        self.popped[request] = data
        if self.stats:
            self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def done(self, request) -> None:
        data = self.popped.pop(request, None)
        if data is not None:
            self.server.lrem(self.inflight, 1, data)


# ── politeness across workers ────────────────────────────────────────────────────────────────────

# KEYS: the host's lease set, its delay key. ARGV: lease token, concurrency, lease ms, delay ms.
# Returns 0 when the request may go now (a lease taken, the delay started), else the ms to wait.
ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit, lease, delay = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= limit then return 20 end
if delay > 0 then
  local wait = redis.call('PTTL', KEYS[2])
  if wait > 0 then return wait end
  redis.call('SET', KEYS[2], ARGV[1], 'PX', delay)
end
redis.call('ZADD', KEYS[1], now + lease, ARGV[1])
redis.call('PEXPIRE', KEYS[1], lease)
return 0
"""
LEASE = "nianbao_host_lease"


class HostSlots:
    """Per-host concurrency and delay shared by every worker of a run (a lease expires by itself after
    `lease_ms`, so a killed worker's leases free themselves)."""

    def __init__(self, server, run: str, concurrency: int, delay_ms: int, lease_ms: int):
        self.server, self.run = server, run
        self.concurrency, self.delay_ms, self.lease_ms = max(1, concurrency), max(0, delay_ms), lease_ms
        self._acquire = server.register_script(ACQUIRE)

    def _keys(self, host: str) -> list[str]:
        base = f"{PREFIX}:{self.run}:host:{host}"
        return [f"{base}:leases", f"{base}:delay"]

    def try_acquire(self, host: str, token: str) -> int:
        """0 when the lease is taken, else milliseconds to wait before trying again."""
        return int(self._acquire(keys=self._keys(host), args=[token, self.concurrency, self.lease_ms, self.delay_ms]))

    def release(self, host: str, token: str) -> None:
        self.server.zrem(self._keys(host)[0], token)


class GlobalPolitenessMiddleware:
    """Before each request: a lease on its host (host:port) from HostSlots, waiting (off the reactor's
    back: a timer) until one is free; the lease is given back with the response or the failure."""

    def __init__(self, crawler, slots: HostSlots):
        self.crawler, self.slots = crawler, slots

    @classmethod
    def from_crawler(cls, crawler):
        s = crawler.settings
        server = connect(s.get("REDIS_URL"))
        # a lease outlives the longest request (timeout + retries' back-off), and a killed worker's leases expire
        lease = s.getfloat("NIANBAO_HOST_LEASE_S") or s.getfloat("DOWNLOAD_TIMEOUT") + 30
        slots = HostSlots(server, s.get("NIANBAO_RUN"), s.getint("CONCURRENT_REQUESTS_PER_DOMAIN"),
                          int(s.getfloat("DOWNLOAD_DELAY") * 1000), int(lease * 1000))
        return cls(crawler, slots)

    async def process_request(self, request):
        from scrapy.utils.defer import maybe_deferred_to_future
        from twisted.internet import reactor, task

        from crawler.netpolicy import origin_of

        origin = origin_of(request.url)
        if origin is None:
            return None
        host = f"{origin.host}:{origin.port}"
        token = uuid.uuid4().hex
        while (wait := self.slots.try_acquire(host, token)) > 0:
            await maybe_deferred_to_future(task.deferLater(reactor, wait / 1000, lambda: None))
        request.meta[LEASE] = (host, token)
        return None

    def _release(self, request) -> None:
        lease = request.meta.pop(LEASE, None)
        if lease:
            self.slots.release(*lease)

    def process_response(self, request, response):
        self._release(request)
        return response

    def process_exception(self, request, exception):
        self._release(request)
        return None


# ── the worker's item pipeline ───────────────────────────────────────────────────────────────────

def write_body(warc, fetched) -> tuple[str, int, int]:
    """The body into the worker's WARC file, as pipelines/archive.py's archive_bytes writes it."""
    from pipelines.warc_archive import resource_uri

    uri = fetched.url or "urn:sha256:"
    http = fetched.http if fetched.http is not None else ({"status": fetched.status} if fetched.url else None)
    if http and http.get("status") is not None and uri.startswith(("http://", "https://")):
        return warc.write_response(uri, fetched.body, status=http["status"], headers=http.get("headers"),
                                   request=http.get("request"), fetched_at=fetched.fetched_at,
                                   content_type=fetched.content_type)
    return warc.write_resource(resource_uri(uri), fetched.body, content_type=fetched.content_type,
                               when=fetched.fetched_at)


class RedisItemPipeline(StorePipeline):
    """The store pipeline of a worker: archive (its own WARC file) → parse (the same worker pool, limits)
    → push the item to Redis for `nianbao load`. Nothing is written to SQLite here."""

    def open_spider(self):
        from pipelines.ingest import Parser
        from pipelines.warc_archive import WarcArchive

        s = self.crawler.settings
        self.server = connect(s.get("REDIS_URL"))
        self.run, self.worker = s.get("NIANBAO_RUN"), s.get("NIANBAO_WORKER")
        self.warc = WarcArchive(s.get("NIANBAO_WARC_DIR"))
        self.written: dict[str, tuple[str, int, int]] = {}   # sha256 → location: each body once per worker
        self.parser = Parser(self.workers, **self._limits())
        self.threads = self._parse_threads()

    def close_spider(self):
        if self.threads is not None:
            self.threads.shutdown(wait=True)
        if self.parser is not None:
            self.parser.close()
        self.warc.close()

    async def process_item(self, fetched: FetchedResponse):
        import hashlib

        from pipelines.clones import attribute

        counts = self.crawl_state.counts[fetched.site]
        counts["fetched"] += 1 if fetched.status else 0
        digest = hashlib.sha256(fetched.body).hexdigest()
        if digest not in self.written:
            self.written[digest] = write_body(self.warc, fetched)   # archive before anything parses the bytes
        record = None
        if fetched.parseable:
            record = await self._parse(fetched)
            attribute(record, fetched.url, self.crawl_state.sites)
        fields = {k: v for k, v in vars(fetched).items() if k not in ("body", "http")}
        self.server.lpush(ITEMS, pickle.dumps({
            "run": self.run, "worker": self.worker, "fetched": fields, "sha256": digest, "size": len(fetched.body),
            "warc": self.written[digest], "record": record}, protocol=5))
        counts["pushed"] += 1
        return fetched


# ── the worker ───────────────────────────────────────────────────────────────────────────────────

def site_key(run: str, what: str, site: str = "") -> str:
    return f"{PREFIX}:{run}:{what}" + (f":{site}" if site else "")


class SharedLinks(set):
    """A site's report and attachment links seen in its listings (crawl_state.listed), added to a Redis set too:
    the loader marks removed what no worker's listing linked, as the one-process crawl does."""

    def __init__(self, server, key: str):
        super().__init__()
        self.server, self.key = server, key

    def add(self, url) -> None:
        if url not in self:
            super().add(url)
            self.server.sadd(self.key, url)


class SharedCounts(dict):
    """site → count (crawl_state.listing_failures); each increment also goes to a Redis hash, so the loader
    knows every site whose listing walk failed at any worker (such a site has nothing marked removed)."""

    def __init__(self, server, key: str):
        super().__init__()
        self.server, self.key = server, key

    def __setitem__(self, site, value) -> None:
        delta = value - self.get(site, 0)
        if delta:
            self.server.hincrby(self.key, site, delta)
        super().__setitem__(site, value)


class WorkerSpider(ReportsSpider):
    """The reports spider as a worker: its start requests come from `nianbao enqueue`, through Redis, and its
    per-site caps (crawler/registry.py SITE_LIMITS) count every worker's requests, not its own."""

    async def start(self):
        return
        yield  # an async generator that yields nothing

    def allow(self, site: dict, kind: str, key=None) -> bool:
        server, run = getattr(self, "server", None), getattr(self, "run", None)
        if server is None:   # `nianbao enqueue` builds the start requests without Redis counters
            return super().allow(site, kind, key)
        name = site["agency"]
        counters = site_key(run, "made", name)
        if key is not None and not server.sadd(site_key(run, "asked", name), repr(key)):
            return True      # the same page asked for again: the duplicate filter drops it
        limits = self.limits[name]
        listing = kind in ("listing", "portal")
        server.hsetnx(counters, "started", time.time())
        pipe = server.pipeline()
        pipe.hincrby(counters, "requests", 1)
        pipe.hincrby(counters, "listing", 1 if listing else 0)
        pipe.hget(counters, "started")
        requests, listings, started = pipe.execute()
        why = None
        if requests > limits["max_requests"]:
            why = f"max_requests {limits['max_requests']} reached"
        elif listing and listings > limits["max_listing_pages"]:
            why = f"max_listing_pages {limits['max_listing_pages']} reached"
        elif time.time() - float(started) >= limits["max_site_seconds"]:
            why = f"max_site_seconds {limits['max_site_seconds']} reached"
        if why is None:
            return True
        if name not in self.capped:
            self.capped[name] = why
            self.listing_failures[name] += 1
            server.hsetnx(site_key(run, "capped"), name, why)
            self.logger.warning("site %s capped: %s (no further requests this run)", name, why)
        return False


def worker_settings(redis_url: str, run: str, worker: str, warc_dir: str, overrides: dict | None = None):
    from scrapy.settings import Settings

    from crawler import settings as defaults

    settings = Settings()
    settings.setmodule(defaults, priority="project")
    for k, v in (overrides or {}).items():
        settings.set(k, v, priority="cmdline")
    k = keys(run)
    distributed = {
        "REDIS_URL": redis_url, "NIANBAO_RUN": run, "NIANBAO_WORKER": worker, "NIANBAO_WARC_DIR": warc_dir,
        "SCHEDULER": "crawler.distributed.ReliableScheduler",
        "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.FifoQueue", "SCHEDULER_QUEUE_KEY": k["requests"],
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter", "SCHEDULER_DUPEFILTER_KEY": k["seen"],
        "SCHEDULER_PERSIST": True,            # the queue is the run's, not this worker's: never flushed on close
        "ITEM_PIPELINES": {"crawler.distributed.RedisItemPipeline": 300},
        # the run record is the loader's (one writer); progress stays
        "EXTENSIONS": {**settings.getdict("EXTENSIONS"), "crawler.extensions.CrawlRunRecorder": None},
        "DOWNLOADER_MIDDLEWARES": {**settings.getdict("DOWNLOADER_MIDDLEWARES"),
                                   # last before the download, first to see its answer: the lease is held only
                                   # while the request is on the wire, and given back before a redirect or
                                   # retry middleware can turn the response into a new request
                                   "crawler.distributed.GlobalPolitenessMiddleware": 950},
    }
    for name, value in distributed.items():
        settings.set(name, value, priority="cmdline")
    return settings


def run_worker(redis_url: str, warc_dir: str, overrides: dict | None = None, say=print) -> int:
    """One crawl worker until the run's queue is empty and no worker has anything in flight; 0 when done."""
    from scrapy.crawler import CrawlerProcess

    from crawler.state import CrawlState

    server = connect(redis_url)
    run = current_run(server)
    if run is None:
        say("nianbao crawl: no run in Redis: start one with `nianbao enqueue --redis URL` first")
        return 2
    k = keys(run)
    shared = json.loads(server.get(k["sites"]) or b"{}")
    if not shared:
        say(f"nianbao crawl: run {run} has expired or was replaced; enqueue a new one")
        return 2
    worker = f"{socket.gethostname()}-{os.getpid()}"
    validators = {url: tuple(v) for url, v in json.loads(server.get(k["validators"]) or b"{}").items()}
    names = [s["agency"] for s in shared["sites"]]
    state = CrawlState(None, shared["sites"], frozenset(shared["hosts"]), validators,
                       listed={n: SharedLinks(server, site_key(run, "listed", n)) for n in names},
                       listing_failures=SharedCounts(server, site_key(run, "listing_failures")))
    settings = worker_settings(redis_url, run, worker, warc_dir, overrides)
    process = CrawlerProcess(settings)  # the root log handler: Scrapy's LOG_INSTALL_ROOT_HANDLER, True by default
    crawler = process.create_crawler(WorkerSpider)
    process.crawl(crawler, crawl_state=state)

    def opened(spider):   # the spider's per-site caps count in Redis (WorkerSpider.allow)
        spider.server, spider.run = server, run

    crawler.signals.connect(opened, signal=signals.spider_opened)
    process.start()
    reason = crawler.stats.get_value("finish_reason")
    server.hset(site_key(run, "finish"), worker, reason or "")
    expire_run(server, run)
    counts = state.total("fetched", "pushed")
    say(f"worker {worker} run {run}: {reason}; fetched {counts['fetched']}, items pushed {counts['pushed']}")
    return 0 if reason == "finished" else 1


# ── enqueue ──────────────────────────────────────────────────────────────────────────────────────

def enqueue(redis_url: str, sites: list[dict], hosts: frozenset[str], validators: dict | None = None,
            run: str | None = None) -> tuple[str, int]:
    """Start a run: the previous run's queue and filter go, the sites and the start requests are queued.
    Returns (run id, requests queued)."""
    import asyncio

    from scrapy_redis.dupefilter import RFPDupeFilter
    from scrapy_redis.queue import FifoQueue

    from crawler.state import CrawlState

    server = connect(redis_url)
    old = current_run(server)
    if old:
        reclaim(server, old)
        state = run_state(server, old)
        if state["workers"]:
            raise SystemExit(f"nianbao enqueue: run {old} still has {state['workers']} live worker(s); "
                             "let it finish (or stop them) before starting a new run")
        drop_run(server, old)
    run = run or datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]
    k = keys(run)
    state = CrawlState(None, [dict(s) for s in sites], frozenset(hosts))
    spider = WorkerSpider(crawl_state=state)
    queue = FifoQueue(server, spider, k["requests"])
    seen = RFPDupeFilter(server, k["seen"])

    async def start_requests():
        return [r async for r in ReportsSpider.start(spider)]

    requests = asyncio.run(start_requests())
    pipe = server.pipeline()
    pipe.set(k["sites"], json.dumps({"sites": state.sites, "hosts": sorted(hosts)}, ensure_ascii=False), ex=RUN_TTL)
    pipe.set(k["validators"], json.dumps(validators or {}, ensure_ascii=False), ex=RUN_TTL)
    pipe.execute()
    for request in requests:
        seen.request_seen(request)
        queue.push(request)
    # the start requests count towards each site's caps, as in one process (WorkerSpider.allow counts the rest);
    # the clock of max_site_seconds starts with the first request a worker makes, not here
    for site in state.sites:
        name, made = site["agency"], spider.made[site["agency"]]
        if made["requests"]:
            counters = site_key(run, "made", name)
            pipe.hincrby(counters, "requests", made["requests"])
            pipe.hincrby(counters, "listing", made["listing"])
            pipe.expire(counters, RUN_TTL)
        if site.get("column_url") and site["column_url"] in spider.asked:
            pipe.sadd(site_key(run, "asked", name), repr(site["column_url"]))
            pipe.expire(site_key(run, "asked", name), RUN_TTL)
    pipe.execute()
    server.expire(k["seen"], RUN_TTL)
    server.expire(k["requests"], RUN_TTL)
    server.set(CURRENT_RUN, run)
    return run, len(requests)


def expire_run(server, run: str) -> None:
    """Every key of the run expires RUN_TTL after it was made: nothing of a run outlives it for long."""
    for key in server.scan_iter(match=f"{PREFIX}:{run}:*", count=1000):
        if server.ttl(key) == -1:
            server.expire(key, RUN_TTL)


def drop_run(server, run: str) -> None:
    """A finished (or abandoned) run's keys: the queue, the filter, the leases. Items stay for the loader."""
    for key in server.scan_iter(match=f"{PREFIX}:{run}:*", count=1000):
        server.delete(key)
