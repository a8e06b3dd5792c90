"""Issue 9's hostile inputs, one test (or more) per numbered defect, each generated here from the real
corpus pages (demo/hostile.py), none committed at size.

The crawls are real: `nianbao crawl` in a subprocess over HTTP on 127.0.0.1, into a real SQLite file.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import shared

from crawler.netpolicy import NetPolicy, is_public_address, origin_of
from crawler.run import write_sites_csv
from demo.hostile import HostileSite

NIANBAO = str(Path(sys.executable).with_name("nianbao"))


def q(db: Path, sql: str, *params):
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def crawl(sites_csv: Path, db: Path, *extra: str):
    return subprocess.run([NIANBAO, "crawl", "--sites-file", str(sites_csv), "--db", str(db), "--no-throttle", *extra],
                          capture_output=True, text=True, timeout=300)


# ── defect 1: SSRF — the network policy ───────────────────────────────────────────────────────────

def test_policy_refuses_loopback_in_every_form_unless_the_exact_origin_is_named():
    policy = NetPolicy.from_sites([{"portal_url": "http://127.0.0.1:8700/"}, {"portal_url": "https://www.pingtan.gov.cn/"}])
    assert policy.refusal("http://127.0.0.1:8700/xxgk/ndbg/t1.html") is None        # named exactly
    for url in ("http://127.0.0.1:6379/", "http://127.0.0.1/", "http://[::1]:8700/", "http://2130706433:8700/",
                "http://0x7f.1:8700/", "http://127.1:8700/", "http://localhost:8700/", "http://10.0.0.5/",
                "http://169.254.169.254/latest/meta-data/", "http://www.pingtan.gov.cn@127.0.0.1:6379/",
                "ftp://www.pingtan.gov.cn/", "http://www.pingtan.gov.cn:6379/", "http://example.com/"):
        assert policy.refusal(url), url
    assert policy.refusal("https://www.pingtan.gov.cn/zwgk/t1.htm") is None
    assert policy.refusal("http://www.pingtan.gov.cn/zwgk/t1.htm") is None           # the other default port
    assert policy.refusal("https://www.fuzhou.gov.cn/") is None                      # any .gov.cn on :443


def test_gov_name_resolving_to_a_private_address_is_refused():
    policy = NetPolicy()
    to = {"www.evil.gov.cn": ["127.0.0.1"], "www.v6.gov.cn": ["::1", "93.184.216.34"],
          "www.meta.gov.cn": ["169.254.169.254"], "www.lan.gov.cn": ["192.168.1.2"],
          "www.mapped.gov.cn": ["::ffff:127.0.0.1"], "www.ok.gov.cn": ["202.108.22.5"]}
    resolve = lambda host, port: to[host]  # noqa: E731
    for host in ("www.evil.gov.cn", "www.v6.gov.cn", "www.meta.gov.cn", "www.lan.gov.cn", "www.mapped.gov.cn"):
        why = policy.refusal(f"https://{host}/ndbg/", resolve=resolve)
        assert why and "resolves to" in why, host
    assert policy.refusal("https://www.ok.gov.cn/ndbg/", resolve=resolve) is None
    assert not is_public_address("fe80::1%eth0") and is_public_address("202.108.22.5")
    assert origin_of("http://[::1]:99/").host == "::1" and origin_of("http://x.gov.cn:99999/") is None


def test_project_registry_names_no_loopback_origin():
    from crawler.netpolicy import registry_policy

    policy = registry_policy()
    assert not [o for o in policy.origins if not is_public_address(o.host) and not o.host.endswith(".cn")]
    assert policy.refusal("http://127.0.0.1:8700/") and policy.refusal("http://127.0.0.1/")


@pytest.fixture(scope="module")
def ssrf_crawl(tmp_path_factory):
    """A crawl of a hostile site (only its origin named) that links and redirects to a local service."""
    tmp = tmp_path_factory.mktemp("ssrf")
    with HostileSite(shared("corpus"), names=("half-gbk.html",)) as site:
        sites_csv, db = tmp / "sites.csv", tmp / "crawl.db"
        write_sites_csv(site.sites()[:1], str(sites_csv))
        proc = crawl(sites_csv, db)
        yield db, site, proc


def test_crawl_never_reaches_a_local_service(ssrf_crawl):
    db, site, proc = ssrf_crawl
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert site.service.requests == []
    assert ("GET", "/go/local") in site.requests   # the redirect itself was asked for, its target never
    for name, url in site.local_links().items():
        rows = q(db, "SELECT outcome, detail FROM pages WHERE url = ? OR detail LIKE ?", url, f"%{url}%")
        assert rows and {o for o, _ in rows} == {"off_domain"}, (name, rows)
    served = q(db, "SELECT count(*) FROM archive WHERE CAST(data AS TEXT) LIKE '%SECRET%'")
    assert served == [(0,)]


def test_direct_off_domain_link_is_off_domain_not_error(ssrf_crawl):
    """Defect 10 (part): a listing that links straight to a foreign host records `off_domain`."""
    db, site, _ = ssrf_crawl
    (outcome, detail), = q(db, "SELECT outcome, detail FROM pages WHERE url = ?", site.local_links()["foreign"])
    assert outcome == "off_domain" and "example.invalid" in detail
    (n,), = q(db, "SELECT off_domain FROM crawl_runs")
    assert n == len(site.local_links())
