"""What the CLI prints, from the modules that own it (pipelines/console.py, crawler/run.py): the CLI tests
(tests/test_cli.py) run the commands; these pin the pieces with hand-written values."""

from __future__ import annotations

from crawler.run import settings_overrides
from pipelines.console import format_clean, format_crawl_run, format_registry_summary, format_site


def test_crawl_options_become_scrapy_settings():
    assert settings_overrides("INFO", progress=True, pairs=["DOWNLOAD_DELAY=2", "USER_AGENT=nianbao test",
                                                            "ROBOTSTXT_OBEY=false"]) == {
        "LOG_LEVEL": "INFO", "NIANBAO_PROGRESS": True, "DOWNLOAD_DELAY": 2, "USER_AGENT": "nianbao test",
        "ROBOTSTXT_OBEY": False}
    assert settings_overrides(no_throttle=True) == {
        "LOG_LEVEL": "WARNING", "AUTOTHROTTLE_ENABLED": False, "DOWNLOAD_DELAY": 0,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 16, "CONCURRENT_REQUESTS": 16}


def test_registry_and_crawl_lines():
    row = {"agency": "平潭综合实验区管委会", "level": "county", "province": "福建省",
           "portal_url": "http://www.pingtan.gov.cn/", "verified": "yes"}
    assert format_site(row) == ("平潭综合实验区管委会" + " " * 24 + "county     福建省       "
                                + "http://www.pingtan.gov.cn/" + " " * 14 + "yes")
    s = {"rows": 296, "hosts": 291, "provinces": 31, "with_region_code": 0.9, "with_column": 12, "seen": 254}
    assert format_registry_summary(s, []) == ("296 sites on 291 hosts in 31 provinces, 90% with a region code, "
                                              "12 with a known 年报 column, 254 seen (not fetched); registry valid")
    assert format_registry_summary(s, ["a", "b"]).endswith("; 2 problems")
    run = {"finish_reason": "finished", "pages_fetched": 40, "reports_new": 9, "reports_changed": 1,
           "unchanged": 2, "not_modified": 3, "blocked": 1, "errors": 4, "fetch_errors": 3, "parse_errors": 1,
           "off_domain": 5, "robots": 6}
    assert format_crawl_run(1, run) == ("crawl run 1: finished; fetched 40, new 9, changed 1, unchanged 2, "
                                        "not modified 3, blocked 1, fetch errors 3, parse errors 1, off-domain 5, "
                                        "robots 6")


def test_clean_output():
    rec = {"title": "2023年政府信息公开工作年度报告", "page_meta": {"发布机构": "某县人民政府"}, "text": "一、总体情况",
           "spam": [], "quarantined": False, "chrome": {"container": "div.article", "removed": ["首页", "打印"]}}
    assert format_clean(rec) == ("2023年政府信息公开工作年度报告\n  发布机构: 某县人民政府\n\n一、总体情况\n\n"
                                 "垃圾信息 spam findings: none\n页面外壳 chrome: body from div.article, 2 lines removed")
