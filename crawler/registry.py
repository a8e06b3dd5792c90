"""The site registry (crawler/sites.csv) as data: which agencies and portals nianbao knows.

Its hosts also decide what is *not* a mirror: a page is accepted when its host is under .gov.cn or
is a registry portal. Which origins may be fetched at all is crawler/netpolicy.py's decision; the demo
portal and the tests' servers on 127.0.0.1 are named only by their own sites files.

Every crawl is bounded per site by SITE_LIMITS; a sites file may override them per row with optional
columns of the same names after the registry's own (an empty cell keeps the default)."""

from __future__ import annotations

import csv
import functools
from pathlib import Path
from urllib.parse import urlsplit

SITES = Path(__file__).with_name("sites.csv")
COLUMNS = ["agency", "level", "region_code", "province", "portal_url", "column_url", "cms", "aliases", "verified", "notes"]
LEVELS = {"province", "city", "county", "township", "department"}

# Per site and per run. A real 年报 column has a few to a few dozen listing pages and well under a
# thousand reports and attachments; these are an order of magnitude above that. A site that hits one
# stops getting new requests (what is in flight finishes), the cap is recorded in crawl_runs.per_site,
# and nothing of that site is marked removed (its listing walk was incomplete).
SITE_LIMITS = {
    "max_listing_pages": 200,     # listing and API pages (an endless 下一页 chain stops here)
    "max_requests": 5000,         # every request for the site: listings, reports, attachments
    "max_site_seconds": 7200,     # wall-clock from the site's first request
}


def site_limits(row: dict) -> dict[str, int]:
    """SITE_LIMITS with the row's own values where it gives them."""
    out = dict(SITE_LIMITS)
    for key in SITE_LIMITS:
        value = str(row.get(key) or "").strip()
        if value:
            out[key] = int(value)
    return out


def load_sites(path: Path = SITES) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as f:
        return [dict(row) for row in csv.DictReader(f)]


@functools.lru_cache(maxsize=8)
def registry_hosts(path: Path = SITES) -> frozenset[str]:
    hosts = set()
    for row in load_sites(path):
        for key in ("portal_url", "column_url"):
            host = urlsplit(row.get(key) or "").hostname
            if host:
                hosts.add(host.lower())
    return frozenset(hosts)
