"""The site registry (crawler/sites.csv) as data: which agencies and portals nianbao knows.

Its hosts also decide what is *not* a mirror: a page is accepted when its host is under .gov.cn or
is a registry portal (the offline demo portal and test servers on 127.0.0.1 are registry entries)."""

from __future__ import annotations

import csv
import functools
from pathlib import Path
from urllib.parse import urlsplit

SITES = Path(__file__).with_name("sites.csv")
COLUMNS = ["agency", "level", "region_code", "province", "portal_url", "column_url", "cms", "aliases", "verified", "notes"]
LEVELS = {"province", "city", "county", "township", "department"}


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
