"""Grow the site registry from real addresses seen in public material (no internet here: nothing is fetched).

    python -m crawler.registry_seen ../shared/research/real-urls

reads report-urls.csv (report pages and 年报 columns on government hosts) and mirror-hosts.csv (copies on other
hosts) and writes
* crawler/sites.csv — the rows already there are kept as they are; one row is appended per government host not yet
  in it: agency (the one most of its addresses belong to), level, GB/T 2260 region code and province from the
  division package (crawler/divisions.py, never typed by hand), the portal (scheme://host/), the 年报 column when an
  address shows it (the path up to its first column token), the CMS hint its address family implies, and
  verified=`seen` (seen in public material, not fetched — apart from `yes`, checked by a fetch);
* crawler/data/mirror_hosts.csv — the known non-government hosts that copy reports (clones, reprints,
  document-sharing sites, proxies), one row per host, with what they copy: quarantined by name.

Government sites outside .gov.cn that the material shows (a county on a bare IP, a city's own domain) become
registry rows; a proxy in front of a government site stays a mirror. Rebuilding gives the same files
(tests/test_addresses.py checks the committed ones against a rebuild).
"""

from __future__ import annotations

import collections
import csv
import sys
from pathlib import Path
from urllib.parse import urlsplit

from crawler import divisions
from crawler.addresses import MIRROR_HOSTS, column_of, family_of
from crawler.registry import COLUMNS, SITES, load_sites

GOVERNMENT_MIRROR_TYPES = {"gov-ip", "gov-nongovcn"}   # government sites outside .gov.cn, not copies
MIRROR_COLUMNS = ["host", "mirror_type", "copies", "example_url"]
CMS_OF_FAMILY = {"trs": "trs", "trs-dated": "trs", "trs-short": "trs", "hanweb-art": "hanweb", "hanweb-art-uuid": "hanweb",
                 "hanweb-annual-module": "hanweb", "hanweb-col": "hanweb"}
GOVERNMENT_TITLE = ("人民政府", "行政公署", "人民政府办公室", "人民政府办公厅")


def level_of(agency: str, division: divisions.Division | None) -> str:
    name = agency.split("(")[0]
    if any(k in name for k in ("乡人民政府", "镇人民政府", "街道办事处", "某镇", "某乡")):
        return "township"
    if name.endswith(GOVERNMENT_TITLE) or "行署" in agency:
        return division.level if division is not None else "department"
    return "department"


def _host_key(host: str) -> str:
    return host.lower().split(":")[0]


def seen_rows(report_csv: Path, mirror_csv: Path) -> list[dict]:
    """One registry row per government host in the material, in order of first appearance."""
    by_host: dict[str, list[dict]] = collections.defaultdict(list)
    with open(report_csv, newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            by_host[_host_key(r["host"])].append(r)
    with open(mirror_csv, newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if r["mirror_type"] in GOVERNMENT_MIRROR_TYPES:
                agency, _, year = r["copies_agency"].rpartition(" ")
                by_host[_host_key(r["host"])].append({"url": r["url"], "host": r["host"], "label": "report",
                                           "agency": agency or r["copies_agency"], "year": year, "province": "",
                                           "note": r["original_site_note"]})
    mirrors = {_host_key(m["host"]) for m in mirror_rows(mirror_csv)}
    rows = []
    for host, seen in by_host.items():
        if _host_key(host) in mirrors:
            continue   # a proxy in front of a government site is a copy, not the site
        agencies = collections.Counter(r["agency"] for r in seen)
        agency = agencies.most_common(1)[0][0]
        province_name = next((r["province"] for r in seen if r["province"] and r["province"] != "中央"), "")
        central = any(r["province"] == "中央" for r in seen)
        division = None if central else divisions.locate(agency, province_name)
        if division is None and not central:
            division = next((d for d in (divisions.locate(r.get("note") or "", "") for r in seen) if d), None)
        province = divisions.divisions()[division.province_code].name if division else ("中央" if central else "")
        first = urlsplit(seen[0]["url"])   # one row per host name: a second port is the same site
        columns = [c for c in (column_of(r["url"]) for r in sorted(seen, key=lambda r: r["label"] != "column")) if c]
        if any(r["label"] == "column" for r in seen) and not columns:
            columns = [next(r["url"] for r in seen if r["label"] == "column")]
        fams = collections.Counter(f.name for f in (family_of(r["url"]) for r in seen) if f)
        years = sorted({int(r["year"]) for r in seen if (r.get("year") or "").isdigit()})
        others = [a for a in agencies if a != agency]
        notes = [f"seen in public material: {len(seen)} address{'es' if len(seen) > 1 else ''}"
                 + (f", report years {years[0]}–{years[-1]}" if len(years) > 1 else f", report year {years[0]}"
                    if years else "")
                 + (f", families {', '.join(sorted(fams))}" if fams else "")]
        if others:
            notes.append("also publishes for " + ", ".join(others[:4]) + (" …" if len(others) > 4 else ""))
        if central:
            notes.append("central government: no GB/T 2260 region")
        notes.extend(r["note"] for r in seen if r.get("note"))
        rows.append({
            "agency": agency, "level": "department" if central else level_of(agency, division),
            "region_code": division.code if division else "", "province": province,
            "portal_url": f"{first.scheme or 'http'}://{first.netloc.lower()}/", "column_url": collections.Counter(columns).most_common(1)[0][0]
            if columns else "", "cms": CMS_OF_FAMILY.get(fams.most_common(1)[0][0], "") if fams else "",
            "aliases": "", "verified": "seen", "notes": "; ".join(notes),
        })
    return rows


def mirror_rows(mirror_csv: Path) -> list[dict]:
    """The known non-government copying hosts, one row per host (first example kept), sorted by host."""
    out: dict[str, dict] = {}
    with open(mirror_csv, newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if r["mirror_type"] in GOVERNMENT_MIRROR_TYPES:
                continue
            out.setdefault(r["host"].lower(), {"host": r["host"].lower(), "mirror_type": r["mirror_type"],
                                               "copies": r["original_site_note"], "example_url": r["url"]})
    return [out[h] for h in sorted(out)]


def grown_registry(real_urls: Path, existing: list[dict]) -> list[dict]:
    """The registry's own rows (kept as they are; a `seen` row from an earlier build is rebuilt), then one `seen`
    row per government host that none of them has."""
    kept = [r for r in existing if r.get("verified") != "seen"]
    hosts = {_host_key(urlsplit(r.get(k) or "").netloc) for r in kept for k in ("portal_url", "column_url")} - {""}
    new = [r for r in seen_rows(real_urls / "report-urls.csv", real_urls / "mirror-hosts.csv")
           if _host_key(urlsplit(r["portal_url"]).netloc) not in hosts]
    return kept + new


def write_csv(rows: list[dict], path: Path, columns: list[str]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, columns, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def main(argv: list[str]) -> int:
    real_urls = Path(argv[0] if argv else "../shared/research/real-urls")
    rows = grown_registry(real_urls, load_sites(SITES))
    write_csv(rows, SITES, COLUMNS)
    write_csv(mirror_rows(real_urls / "mirror-hosts.csv"), MIRROR_HOSTS, MIRROR_COLUMNS)
    print(f"{SITES}: {len(rows)} rows ({sum(r['verified'] == 'seen' for r in rows)} seen); "
          f"{MIRROR_HOSTS}: {len(mirror_rows(real_urls / 'mirror-hosts.csv'))} known mirror hosts "
          f"(divisions: {divisions.source()})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
