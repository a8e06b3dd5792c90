"""Normalisation before matching, and cell values (units, signs, decimals, blanks)."""

from __future__ import annotations

import pytest
from conftest import shared

from extract import extract_bytes
from extract.meta import find_published
from extract.normalize import normalize
from extract.numbers import parse_amount_yuan, parse_number


def test_traditional_to_simplified_for_matching_but_text_keeps_its_script():
    raw = shared("seeds", "001_5ead8cc1c8ee6d6d.txt").read_bytes()
    rec = extract_bytes(raw, filename="s.txt")
    assert normalize("政府信息公開工作年度報告") == "政府信息公开工作年度报告"
    assert rec["agency"] == "阿拉善高新技术产业开发区 乌兰布和生态沙产业示范区"
    assert "年度報告" in rec["text"] and "年度报告" not in rec["text"]


def test_kangxi_radicals_and_full_width_digits():
    # PDF text layers print 二 as the Kangxi radical U+2F06 and digits full-width
    assert normalize("第\u2f06⼗条第（⼀）项") == "第二十条第(一)项"
    assert normalize("１２３") == "123"
    assert parse_number("１２３") == 123


def test_circle_as_zero_in_dates():
    assert find_published({}, "正文……\n二○一四年一月十日") == "2014-01-10"
    assert find_published({}, "正文……\n二〇二一年二月八日") == "2021-02-08"


def test_bookmark_and_zero_width_artefacts_go():
    assert normalize("[bookmark: _GoBack]8") == "8"
    assert normalize("行政\u200b许可") == "行政许可"


@pytest.mark.parametrize("printed,yuan", [
    ("5.19亿元", 519000000), ("7121.99万元", 71219900), ("14374700元", 14374700),
    ("251000元", 251000), ("13575394432.52元", 13575394432.52), ("100", 100),
])
def test_amounts_into_yuan_with_exact_decimals(printed, yuan):
    value = parse_amount_yuan(printed)
    assert value == yuan and type(value) is type(yuan)


def test_bare_amount_takes_the_header_unit():
    assert parse_amount_yuan("7121.99", header_unit="万元") == 71219900


@pytest.mark.parametrize("printed,value", [("+3", 3), ("-1", -1), ("0", 0), ("106.99516", 106.99516),
                                           ("18651.06", 18651.06), ("1 036", 1036), ("1,036", 1036)])
def test_signed_and_decimal_counts(printed, value):
    assert parse_number(printed) == value


@pytest.mark.parametrize("printed", ["", " ", "—", "-", "/", "\xa0"])
def test_blank_is_null_never_zero(printed):
    assert parse_number(printed) is None


def test_blank_cell_in_a_real_table_is_never_read_as_zero():
    # shanghai 2024: the 总计 cell of 四、结转下年度继续办理 is printed empty. It is never 0: it stays the
    # printed blank in `raw`, and since its six parts are printed it is their sum, marked computed.
    rec = extract_bytes(shared("corpus", "shanghai", "shanghai-kewei-2024-pdftext.md").read_bytes(), filename="s.md")
    assert rec["applications"]["carried_forward.natural_person"] == 1
    assert rec["raw"]["applications.carried_forward.total"] == ""
    assert rec["applications"]["carried_forward.total"] == 1
    assert rec["cell_info"]["applications.carried_forward.total"]["computed"] is True
    assert "applications.carried_forward.total" not in rec["unparsed"]


def test_garbage_in_a_cell_is_unparsed_not_guessed():
    text = shared("seeds", "001_5ead8cc1c8ee6d6d.txt").read_text(encoding="utf-8").replace(
        "行政許可 | 3771 |", "行政許可 | 37l1 |")  # an OCR-style l for 7
    rec = extract_bytes(text.encode(), filename="s.txt")
    assert rec["active"]["licensing.decisions"] is None
    assert "active.licensing.decisions" in rec["unparsed"]
    assert rec["raw"]["active.licensing.decisions"] == "37l1"
