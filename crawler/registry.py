"""The site registry (crawler/sites.csv) as data: which agencies and portals nianbao knows.

Its hosts also decide what is *not* a mirror: a page is accepted when its host is under .gov.cn or
is a registry portal — except a row marked `mirror`, a known copy listed so that it is watched. Which origins
may be fetched at all is crawler/netpolicy.py's decision; the demo portal and the tests' servers on 127.0.0.1 are
named only by their own sites files.

Every crawl is bounded per site by SITE_LIMITS; a sites file may override them per row with optional
columns of the same names after the registry's own (an empty cell keeps the default)."""

from __future__ import annotations

import csv
import functools
import re
from pathlib import Path
from urllib.parse import urlsplit

SITES = Path(__file__).with_name("sites.csv")
COLUMNS = ["agency", "level", "region_code", "province", "portal_url", "column_url", "cms", "aliases", "verified", "notes"]
LEVELS = {"province", "city", "county", "township", "department"}
# yes: checked by a fetch; seen: seen in public material, not fetched (crawler/registry_seen.py); document: named in
# a report's own text; no: remembered, unverified; local: the offline demo portal; mirror: a known copy of a
# government site, listed to be watched (fetched, never a government host: what it holds is quarantined)
VERIFIED = {"yes", "seen", "document", "no", "local", "mirror"}


def host_of(url: str) -> str:
    return (urlsplit(url or "").hostname or "").lower()


def validate(rows: list[dict]) -> list[str]:
    """What is wrong with a registry: shape, levels, verified marks, region codes that are not in the division
    table (crawler/divisions.py) or that contradict the province, and a host with two rows."""
    from crawler import divisions

    table = divisions.divisions()
    problems, hosts = [], {}
    for n, r in enumerate(rows, start=2):
        if list(r)[:len(COLUMNS)] != COLUMNS or not set(list(r)[len(COLUMNS):]) <= set(SITE_LIMITS):
            problems.append(f"line {n}: columns {list(r)} ≠ {COLUMNS} (+ optional {', '.join(SITE_LIMITS)})")
        for key in SITE_LIMITS:
            if (r.get(key) or "").strip() and not (r[key].strip().isdigit() and int(r[key]) > 0):
                problems.append(f"line {n}: {key} {r[key]!r} is not a positive whole number")
        if not r.get("agency"):
            problems.append(f"line {n}: no agency")
        if r.get("level") and r["level"] not in LEVELS:
            problems.append(f"line {n}: level {r['level']!r} not one of {sorted(LEVELS)}")
        if (r.get("verified") or "") not in VERIFIED:
            problems.append(f"line {n}: verified {r.get('verified')!r} not one of {sorted(VERIFIED)}")
        code = r.get("region_code") or ""
        if code and code not in table:
            problems.append(f"line {n}: region_code {code!r} is not a GB/T 2260 code in {divisions.source()}")
        elif code and r.get("province") and table[code[:2] + "0000"].name != r["province"]:
            problems.append(f"line {n}: region_code {code} is in {table[code[:2] + '0000'].name}, not {r['province']}")
        for key in ("portal_url", "column_url"):
            if r.get(key) and not re.match(r"https?://", r[key]):
                problems.append(f"line {n}: {key} {r[key]!r} is not an http(s) URL")
        host = host_of(r.get("portal_url") or r.get("column_url"))
        if host and host != "127.0.0.1":
            if host in hosts:
                problems.append(f"line {n}: host {host} already has a row (line {hosts[host]})")
            hosts.setdefault(host, n)
    return problems


def summary(rows: list[dict]) -> dict:
    hosts = {host_of(r.get("portal_url") or r.get("column_url")) for r in rows} - {""}
    provinces = {r["province"] for r in rows if r.get("province") and r["province"] != "中央"}
    coded = sum(1 for r in rows if r.get("region_code"))
    return {"rows": len(rows), "hosts": len(hosts), "provinces": len(provinces),
            "with_region_code": coded / len(rows) if rows else 0.0,
            "seen": sum(1 for r in rows if r.get("verified") == "seen"),
            "with_column": sum(1 for r in rows if r.get("column_url"))}

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
        if row.get("verified") == "mirror":
            continue
        for key in ("portal_url", "column_url"):
            host = urlsplit(row.get(key) or "").hostname
            if host:
                hosts.add(host.lower())
    return frozenset(hosts)
