"""Run a crawl in this process: what `nianbao crawl` (and cron, or a systemd timer) calls.

A crawl that is killed (even with kill -9) leaves its JOBDIR behind; the next run with the same JOBDIR
resumes the queue, and the store's stable ids mean nothing is duplicated. A crawl that finishes removes
its JOBDIR, so next week's run starts afresh (Scrapy's remembered requests would otherwise filter every
page out).
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from crawler.registry import load_sites, registry_hosts


def load_site_rows(sites_file: str | None, names: list[str] | None) -> list[dict]:
    rows = load_sites(Path(sites_file)) if sites_file else load_sites()
    rows = [r for r in rows if r.get("portal_url") or r.get("column_url")]
    if not sites_file:
        # in the project registry, a "local" row (the demo portal's loopback host) only widens the host allow-list
        rows = [r for r in rows if r.get("verified") != "local"]
    if names:
        wanted = set(names)
        rows = [r for r in rows if r["agency"] in wanted or (r.get("aliases") or "") in wanted]
        unknown = wanted - {r["agency"] for r in rows}
        if unknown:
            raise SystemExit(f"nianbao crawl: unknown site(s): {', '.join(sorted(unknown))}")
    return rows


def settings_overrides(log_level: str = "WARNING", progress: bool = False, no_throttle: bool = False,
                       pairs: list[str] = ()) -> dict:
    """The Scrapy settings `nianbao crawl` sets from its options; `pairs` are NAME=VALUE, VALUE read as JSON
    when it can be."""
    overrides = {"LOG_LEVEL": log_level}
    if progress:
        overrides["NIANBAO_PROGRESS"] = True
    if no_throttle:
        overrides.update({"AUTOTHROTTLE_ENABLED": False, "DOWNLOAD_DELAY": 0, "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
                          "CONCURRENT_REQUESTS": 16})
    for pair in pairs:
        name, _, value = pair.partition("=")
        try:
            overrides[name] = json.loads(value)
        except ValueError:
            overrides[name] = value
    return overrides


def crawl_hosts(sites_file: str | None) -> frozenset[str]:
    """The registry's hosts, and those of a --sites-file (a crawl of the demo portal, say)."""
    hosts = registry_hosts()
    return hosts | registry_hosts(Path(sites_file)) if sites_file else hosts


def validators(db) -> dict[str, tuple[str | None, str | None]]:
    """url → (ETag, Last-Modified) of the newest archived copy that was a report or attachment."""
    rows = db.execute(
        "SELECT url, etag, last_modified FROM pages WHERE url IS NOT NULL AND report_id IS NOT NULL "
        # +fetched_at: one pass over the table and a sort, not a million lookups in the order of its index
        "AND (etag IS NOT NULL OR last_modified IS NOT NULL) ORDER BY +fetched_at").fetchall()
    return {url: (etag, lm) for url, etag, lm in rows}


def crawl(db, sites: list[dict], jobdir: str | None = None, overrides: dict | None = None,
          hosts=frozenset()) -> int:
    """Run the crawl into `db` (opened once by the caller, who holds the writer lock); returns the
    crawl_runs id."""
    from crawler import settings as defaults
    from crawler.spiders.reports import ReportsSpider
    from crawler.state import CrawlState
    from pipelines.ingest import reparse

    settings = Settings()
    settings.setmodule(defaults, priority="project")
    if jobdir:
        discard_unclean_queue(jobdir)
        settings.set("JOBDIR", jobdir, priority="cmdline")
    for k, v in (overrides or {}).items():
        settings.set(k, v, priority="cmdline")
    # finish pages a killed crawl archived but never parsed (in a worker: they may be what killed it)
    # (with this crawl's government hosts: a watched copy it fetched is no agency's, and its copies attributed)
    pre = CrawlState(None, [dict(s) for s in sites], frozenset(hosts or registry_hosts()))
    reparse(db, only_pending=True, workers=settings.getint("NIANBAO_EXTRACT_WORKERS", 1),
            hosts=pre.government_hosts, sites=pre.sites)
    state = CrawlState(db, [dict(s) for s in sites], frozenset(hosts or registry_hosts()), validators(db))
    process = CrawlerProcess(settings)  # the root log handler: Scrapy's LOG_INSTALL_ROOT_HANDLER, True by default
    crawler = process.create_crawler(ReportsSpider)
    process.crawl(crawler, crawl_state=state)
    process.start()
    finished = crawler.stats.get_value("finish_reason") == "finished"
    if jobdir and finished:
        shutil.rmtree(jobdir, ignore_errors=True)
    return db.execute("SELECT max(id) FROM crawl_runs").fetchone()[0]


def discard_unclean_queue(jobdir: str) -> bool:
    """Scrapy writes its queue's index (requests.queue/active.json, and the disk queues' own head/tail
    info) only when a crawl stops cleanly (Ctrl-C, SIGTERM). After a kill -9 those files are missing or
    stale, and popping the queue can stall the scheduler with requests still on disk. Such a queue is
    discarded: the next run re-reads every listing, and each page it had already stored comes back as a
    cheap 304, so nothing is lost and nothing is stored twice. A cleanly stopped queue is resumed as is."""
    queue = Path(jobdir) / "requests.queue"
    if queue.exists() and not (queue / "active.json").exists():
        shutil.rmtree(queue, ignore_errors=True)
        (Path(jobdir) / "requests.seen").unlink(missing_ok=True)
        return True
    return False


def silent_sites(db, run_id: int) -> list[str]:
    """Sites that yielded reports in an earlier run and none in this one (a changed portal, a block)."""
    return [r["site"] for r in flagged_sites(db, run_id) if r["flag"] == "gone_to_zero"]


def flagged_sites(db, run_id: int) -> list[dict]:
    """This run's crawl_health rows with a flag: gone to zero, or lost more than half of the reports the
    previous finished run found (crawler/health.py)."""
    cur = db.execute("SELECT site, reports_expected, reports_found, flag FROM crawl_health "
                     "WHERE run_id = ? AND flag IS NOT NULL ORDER BY flag, site", [run_id])
    return [dict(zip(("site", "reports_expected", "reports_found", "flag"), r)) for r in cur.fetchall()]


def write_sites_csv(rows: list[dict], path: str) -> None:
    from crawler.registry import COLUMNS, SITE_LIMITS

    columns = COLUMNS + [k for k in SITE_LIMITS if any(r.get(k) not in (None, "") for r in rows)]
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=columns, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow({c: r.get(c, "") for c in columns})
