"""Metadata, prose figures and checks: one small test per field."""

from __future__ import annotations

from conftest import shared

from extract import extract_bytes
from extract.checks import evaluate
from extract.meta import find_year
from extract.prose import find_prose


def rec_of(*parts):
    path = shared(*parts)
    return extract_bytes(path.read_bytes(), filename=path.name)


def test_year_from_title_not_publication():
    rec = rec_of("seeds", "002_a13882358a356a89.txt")
    assert rec["year"] == 2020 and rec["published"] == "2021-02-08"


def test_year_from_statistics_period_tolerates_fused_month():
    assert find_year(None, "年报中所列数据的统计期限自20201月1日起至202012月31日止") == 2020


def test_title_broken_over_two_lines():
    rec = rec_of("seeds", "003_83d950f2ae04f609.txt")
    assert rec["title"] == "巴青县2019年度政府信息公开工作年度报告"
    assert rec["agency"] == "巴青县"


def test_report_without_title_takes_agency_from_body():
    rec = rec_of("seeds", "004_087a8e6c0d9ad53e.txt")
    assert rec["title"] is None
    assert rec["agency"] == "阿拉山口市" and rec["year"] == 2018 and rec["format"] == "legacy"
    assert rec["active"] == {} and rec["applications"] == {} and rec["review_litigation"] == {}


def test_prose_figures_keep_their_sentence():
    figures, evidence = find_prose("2018年，全市主动公开各类政府信息3054条，政务微博公开政府信息数3175条。")
    assert figures == {"active_total": 3054}
    assert evidence["active_total"].startswith("2018年，全市主动公开各类政府信息3054条")


def test_zero_statements():
    figures, _ = find_prose("2018年，全市未收到依申请公开政府信息申请。2018年，全市未接到政府信息公开工作行政复议、诉讼和申诉。")
    assert figures == {"applications_received": 0, "reviews": 0, "lawsuits": 0}


def test_complaint_counts_are_not_information_requests():
    figures, _ = find_prose("依托便民服务平台，对网民的咨询投诉件及时处理并反馈，截至目前共收到15564件咨询投诉件，已办结15042件。")
    assert "applications_received" not in figures


def test_processing_fee():
    assert find_prose("全县行政机关在办理2025年度信息公开申请中收取信息处理费共计380元。")[0] == {"processing_fee_yuan": 380}
    assert find_prose("2024年，巴彦木仁苏木政府未收取政府信息公开处理费。")[0] == {"processing_fee_yuan": 0}


def test_legacy_table_wins_and_disagreement_is_a_failing_check():
    rec = rec_of("corpus", "pingtan", "pingtan-2013-report.txt")
    assert rec["prose"]["active_total"] == 72804
    assert rec["prose_evidence"]["active_total"] == "主动公开信息数 条 72804 76424"
    check = next(c for c in rec["checks"] if c["key"] == "active_total")
    assert check == {"rule": "prose_vs_table", "key": "active_total", "ok": False, "detail": "4970 ≠ 72804"}


def test_check_detail_shows_the_arithmetic_either_way():
    ident = ("balance", "natural_person", ["a", "b"], ["c", "d"])
    assert evaluate(ident, {"a": 8, "b": 0, "c": 9, "d": 0})["detail"] == "8 + 0 ≠ 9 + 0"
    assert evaluate(ident, {"a": 9, "b": 0, "c": 9, "d": 0}) == {
        "rule": "balance", "key": "natural_person", "ok": True, "detail": "9 + 0 = 9 + 0"}


def test_check_with_a_null_input_is_left_out():
    ident = ("balance", "total", ["a", "b"], ["c", "d"])
    assert evaluate(ident, {"a": 1, "b": 0, "c": None, "d": 0}) is None


def test_seed000_balance_fails_in_two_columns_as_printed():
    rec = rec_of("seeds", "000_bf21e4edf43461de.txt")
    bad = {c["key"]: c["detail"] for c in rec["checks"] if not c["ok"]}
    assert bad == {"natural_person": "8 + 0 ≠ 9 + 0", "legal_services": "1 + 0 ≠ 0 + 0"}
    assert rec["active"]["procurement.amount_yuan"] == 519000000
    assert rec["raw"]["active.procurement.amount_yuan"] == "5.19亿元"


def test_record_has_every_schema_key():
    rec = rec_of("seeds", "000_bf21e4edf43461de.txt")
    for key in ("agency", "year", "format", "applications_layout", "title", "published", "page_meta", "active",
                "applications", "review_litigation", "prose", "prose_evidence", "raw", "unparsed", "checks",
                "spam", "text", "source"):
        assert key in rec
    assert rec["source"]["sha256"] == __import__("hashlib").sha256(
        shared("seeds", "000_bf21e4edf43461de.txt").read_bytes()).hexdigest()
    assert len(rec["active"]) == 22 and len(rec["applications"]) == 23 * 7 and len(rec["review_litigation"]) == 15


def test_empty_and_unrelated_documents_say_so_instead_of_an_empty_report():
    assert extract_bytes(b"", filename="empty.html")["outcome"] == "empty"
    notice = "<html><body><p>您的访问请求已被拦截，请稍后再试。</p></body></html>".encode()
    rec = extract_bytes(notice, filename="blocked.html")
    assert rec["outcome"] == "not_a_report" and "annual report" in rec["detail"]


def test_report_page_whose_tables_are_images_is_no_tables():
    # the real 2024 pingtan page with its three <table>s swapped for images, as many portals publish them
    import re

    html = shared("corpus", "pingtan", "pingtan-2024-report.html").read_text(encoding="utf-8")
    html = re.sub(r"<table.*?</table>", '<img src="table.png">', html, flags=re.S)
    rec = extract_bytes(html.encode(), filename="p.html")
    assert rec["outcome"] == "no_tables" and rec["year"] == 2024 and rec["format"] == "2021"


def test_more_ways_reports_say_no_fee_and_zero_cases():
    assert find_prose("2016年，未收取任何费用。")[0] == {"processing_fee_yuan": 0}
    assert find_prose("本年度没有收取信息处理费。")[0] == {"processing_fee_yuan": 0}
    assert find_prose("本年度新收政府信息公开申请12件。")[0] == {"applications_received": 12}
    assert find_prose("本年度行政复议和行政诉讼均为0件。")[0] == {"reviews": 0, "lawsuits": 0}


def test_trs_title_suffix_and_thousands_separator():
    html = ("<html><head><title>示例市人民政府2023年政府信息公开工作年度报告_政府信息公开年报_示例市人民政府</title></head>"
            "<body><p>二、主动公开政府信息情况</p><table><tr><td colspan=4>第二十条第（五）项</td></tr>"
            "<tr><td>信息内容</td><td colspan=3>本年处理决定数量</td></tr>"
            "<tr><td>行政许可</td><td colspan=3>7,801</td></tr><tr><td>行政处罚</td><td colspan=3>1，036</td></tr>"
            "<tr><td colspan=4>第二十条第（八）项</td></tr><tr><td>信息内容</td><td colspan=3>本年收费金额（单位：万元）</td></tr>"
            "<tr><td>行政事业性收费</td><td colspan=3>1,234.5</td></tr></table></body></html>")
    rec = extract_bytes(html.encode(), filename="t.html")
    assert rec["title"] == "示例市人民政府2023年政府信息公开工作年度报告"
    assert rec["active"]["licensing.decisions"] == 7801 and rec["active"]["penalty.decisions"] == 1036
    assert rec["active"]["fees.amount_wan_yuan"] == 1234.5
    assert rec["unparsed"] == []
