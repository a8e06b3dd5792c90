"""The site registry and the mirror rule: a host neither under .gov.cn nor in the registry is quarantined."""

from __future__ import annotations

from conftest import shared

from crawler.netpolicy import NetPolicy
from crawler.registry import COLUMNS, LEVELS, load_sites, registry_hosts
from pipelines.parse import clean_and_extract


def test_registry_rows_are_well_formed():
    rows = load_sites()
    assert list(rows[0]) == COLUMNS
    assert {r["level"] for r in rows} <= LEVELS
    names = {r["agency"] for r in rows}
    for agency in ("阿拉善盟行政公署", "新巴尔虎左旗", "巴青县", "阿拉山口市", "平潭综合实验区", "淮安市人民政府", "洪泽区人民政府"):
        assert agency in names
    assert "www.pingtan.gov.cn" in registry_hosts()
    # the demo portal's loopback origin lives only in the demo's own sites file, never in the project registry
    assert not [h for h in registry_hosts() if h in ("127.0.0.1", "localhost", "::1")]


def page() -> bytes:
    return shared("corpus", "pingtan", "pingtan-2024-report.html").read_bytes()


def test_gov_host_is_not_a_mirror():
    rec = clean_and_extract(page(), filename="p.html", url="https://www.pingtan.gov.cn/zwgk/t1.htm",
                            registry_hosts=registry_hosts())
    assert rec["spam"] == [] and rec["quarantined"] is False


def test_loopback_host_named_by_a_sites_file_is_not_a_mirror():
    named = NetPolicy.from_sites([{"portal_url": "http://127.0.0.1:8765/"}]).hosts
    rec = clean_and_extract(page(), filename="p.html", url="http://127.0.0.1:8765/zfxxgknb/t1.htm",
                            registry_hosts=registry_hosts() | named)
    assert rec["spam"] == [] and rec["quarantined"] is False


def test_unknown_host_is_quarantined_but_fully_extracted():
    rec = clean_and_extract(page(), filename="p.html", url="https://www.moonvisionstudio.com/zwgk/t1.htm",
                            registry_hosts=registry_hosts())
    assert rec["quarantined"] is True
    assert [(f["kind"], f["text"], f["action"]) for f in rec["spam"]] == [
        ("mirror_host", "www.moonvisionstudio.com", "quarantined")]
    assert rec["applications"]["new_received.total"] == 218  # still extracted in full
