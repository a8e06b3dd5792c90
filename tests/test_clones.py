"""Clone sites as a finding: a page on a non-government host that copies a registered site's 年报 column is
quarantined, recognised as a copy of that site, published in `clone_sites`, and never counted as the agency's
report. The pages are the real pingtan 2024 report; the clones are faithful reproductions made here (the same
bytes at a copied path on another host, once with the hidden casino links a clone injects)."""

from __future__ import annotations

from conftest import shared

from crawler.registry import registry_hosts
from pipelines.ingest import ingest_bytes
from pipelines.schema import open_db

GOV = "https://www.pingtan.gov.cn/zwgk/zfxxgk/zfxxgknb/202503/t20250320_105587.htm"
CLONE = "http://www.moonvisionstudio.com/zwgk/zfxxgk/zfxxgknb/202503/t20250320_105587.htm"
KNOWN = "http://156152.com/zfjgzy/gzsrmzfbgt/zfxxgknb/sbj/content/post_5632710.html"
HIDDEN_SPAM = ('<div style="display:none"><a href="http://www.365bet-88.top/">365bet体育在线投注</a> '
               '<a href="http://www.amxpj-vip.vip/">澳门新葡京娱乐场</a> '
               '<a href="http://www.zr-bjl.top/">真人百家乐开户</a></div>')


def page() -> bytes:
    return shared("corpus", "pingtan", "pingtan-2024-report.html").read_bytes()


def with_spam(data: bytes) -> bytes:
    text = data.decode("utf-8")
    at = text.index("</body>")
    return (text[:at] + HIDDEN_SPAM + text[at:]).encode("utf-8")


def ingest(db, data: bytes, url: str, when: str):
    with db.conn:
        return ingest_bytes(db, data, source=url, url=url, fetched_at=when, registry_hosts=registry_hosts())


def test_a_clone_is_quarantined_published_and_never_the_agencys_report(tmp_path):
    db = open_db(str(tmp_path / "c.db"))
    _, gov_id, status = ingest(db, page(), GOV, "2026-01-05T00:00:00+00:00")
    assert status == "new"
    _, clone_id, clone_status = ingest(db, page(), CLONE, "2026-02-01T00:00:00+00:00")
    _, _, again = ingest(db, with_spam(page()), CLONE.replace("105587", "105588"), "2026-03-01T00:00:00+00:00")
    assert clone_status == "new" and again in ("new", "changed", "unchanged", "linked")  # the clone's own report
    # the agency's report is untouched: still current, not quarantined, one source
    (current, quarantined, revision), = db.execute(
        "SELECT is_current, quarantined, revision FROM reports WHERE id = ?", [gov_id]).fetchall()
    assert (current, quarantined, revision) == (1, 0, 1)
    assert db.execute("SELECT count(*) FROM report_sources WHERE report_id = ?", [gov_id]).fetchone()[0] == 1
    assert clone_id != gov_id
    assert db.execute("SELECT quarantined FROM reports WHERE id = ?", [clone_id]).fetchone()[0] == 1
    published = db.execute("SELECT agency, year FROM report_summary").fetchall()
    assert published == [("平潭综合实验区", 2024)]
    # the finding: who copies whom, since when, with what spam
    rows = [dict(zip([d[0] for d in c.description], r)) for c in [db.execute("SELECT * FROM clone_sites")]
            for r in c.fetchall()]
    assert len(rows) == 1
    clone = rows[0]
    assert (clone["clone_host"], clone["copied_agency"], clone["copied_host"], clone["matched_by"]) == \
        ("www.moonvisionstudio.com", "平潭综合实验区", "www.pingtan.gov.cn", "column path")
    assert (clone["first_seen"], clone["last_seen"], clone["pages"]) == \
        ("2026-02-01T00:00:00+00:00", "2026-03-01T00:00:00+00:00", 2)
    assert clone["spam_found"] == 1      # the hidden block of casino links injected on the clone's second page
    assert db.execute("SELECT kind FROM spam_findings WHERE kind NOT LIKE 'mirror%'").fetchall() == [("hidden_element",)]


def test_a_known_clone_host_is_quarantined_by_name_with_the_reason(tmp_path):
    db = open_db(str(tmp_path / "k.db"))
    ingest(db, page(), KNOWN, "2026-02-01T00:00:00+00:00")
    (kind, evidence), = db.execute("SELECT kind, evidence FROM spam_findings WHERE kind = 'mirror_host'").fetchall()
    assert evidence.startswith("known clone host (copies 广州市人民政府 (www.gz.gov.cn")
    (host, copied, copied_host, matched_by, mirror_type), = db.execute(
        "SELECT clone_host, copied_agency, copied_host, matched_by, mirror_type FROM clone_sites").fetchall()
    # the path is www.gz.gov.cn's registered 年报 column: recognised by path, and the host is on the known list
    assert (host, copied, copied_host, matched_by, mirror_type) == \
        ("156152.com", "广州市人民政府", "www.gz.gov.cn", "column path", "clone")


def test_reparse_keeps_what_the_crawl_recognised(tmp_path):
    from pipelines.ingest import reparse

    db = open_db(str(tmp_path / "r.db"))
    ingest(db, page(), CLONE, "2026-02-01T00:00:00+00:00")
    before = db.execute("SELECT * FROM clone_pages").fetchall()
    reparse(db)
    assert db.execute("SELECT * FROM clone_pages").fetchall() == before
