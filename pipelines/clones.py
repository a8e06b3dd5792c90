"""Clone sites as a finding: who is copying which government site.

A page on a host that is neither under .gov.cn nor in the registry is quarantined (pipelines/spam.py,
`mirror_host`). Here each such page becomes a row of `clone_pages`: the clone host, the registered site it copies
— recognised by path, a clone copying a site's 年报 column one to one (crawler/addresses.copied_site), or by name,
a host of the known-mirror list (crawler/data/mirror_hosts.csv) — and when it was seen. The view `clone_sites`
publishes one row per clone host and site copied: first and last seen, pages, and the spam found on its pages.
A clone's record is stored apart from the agency's report (writers.report_key_for): it never counts as one.
"""

from __future__ import annotations

import functools
from urllib.parse import urlsplit

import sqlite_utils

CLONE_SITES_VIEW = """
SELECT c.clone_host, c.copied_agency, c.copied_host, c.matched_by, min(c.found_at) AS first_seen,
       max(c.last_seen) AS last_seen, count(DISTINCT c.page_id) AS pages,
       (SELECT count(*) FROM spam_findings s JOIN clone_pages p ON p.page_id = s.page_id
         WHERE p.clone_host = c.clone_host AND coalesce(p.copied_agency, '') = coalesce(c.copied_agency, '')
           AND s.kind NOT IN ('mirror_host', 'mirror_title')) AS spam_found,
       max(c.mirror_type) AS mirror_type, min(c.url) AS example_url
FROM clone_pages c
GROUP BY c.clone_host, c.copied_agency"""


def create_table(db: sqlite_utils.Database) -> None:
    """The table (schema migration 0007; the view and its index are pipelines/schema.py's derived objects)."""
    db["clone_pages"].create({"page_id": str, "clone_host": str, "url": str, "copied_agency": str,
                              "copied_host": str, "copied_column": str, "matched_by": str, "mirror_type": str,
                              "reason": str, "found_at": str, "last_seen": str}, pk="page_id", if_not_exists=True)


@functools.lru_cache(maxsize=1)
def _registry_sites() -> tuple:
    from crawler.registry import load_sites

    return tuple(load_sites())


def attribute(record: dict, url: str | None, sites) -> None:
    """Name the registered site a quarantined copy copies (record['copy_of']), from `sites` (the crawl's rows)."""
    from crawler.addresses import copied_site

    if url and any(f["kind"] == "mirror_host" for f in record.get("spam") or []) and not record.get("copy_of"):
        record["copy_of"] = copied_site(url, list(sites), record.get("agency"))


def store_clone(db: sqlite_utils.Database, record: dict, page_id: str, url: str | None, seen_at: str) -> None:
    """A row of clone_pages for a page quarantined because of its host (nothing for any other page)."""
    from crawler.addresses import copied_site, known_mirror

    found = next((f for f in record.get("spam") or [] if f["kind"] == "mirror_host"), None)
    if found is None or not url:
        return
    copy = record.get("copy_of") or copied_site(url, list(_registry_sites()), record.get("agency"))
    known = known_mirror(urlsplit(url).hostname)
    matched_by = "column path" if copy else ("known host" if known else None)
    row = {"page_id": page_id, "clone_host": (urlsplit(url).netloc or "").lower(), "url": url,
           "copied_agency": copy["agency"] if copy else (known["copies"] if known else None),
           "copied_host": copy["host"] if copy else None, "copied_column": copy["column"] if copy else None,
           "matched_by": matched_by, "mirror_type": known["mirror_type"] if known else None,
           "reason": found.get("context") or "", "found_at": seen_at, "last_seen": seen_at}
    prev = db.execute("SELECT copied_agency, copied_host, copied_column, matched_by, found_at, last_seen "
                      "FROM clone_pages WHERE page_id = ?", [page_id]).fetchone()
    if prev is not None:
        # seen again: keep when it was first seen, and what the crawl recognised (a re-parse lacks its sites)
        row["found_at"] = min(prev[4] or seen_at, seen_at)
        row["last_seen"] = max(prev[5] or seen_at, seen_at)
        if prev[0] and not copy:
            row.update(copied_agency=prev[0], copied_host=prev[1], copied_column=prev[2], matched_by=prev[3])
    db["clone_pages"].upsert(row, pk="page_id")
