"""Encoding: BOM, then the header's or <meta>'s charset (whichever decodes strictly), then detection.
Inputs are real report text (seed 002) re-encoded the ways portals serve it."""

from __future__ import annotations

import codecs

import pytest
from conftest import shared

from extract import extract_bytes
from extract.encoding import UndecodableError, decode


@pytest.fixture(scope="module")
def report_text() -> str:
    return shared("seeds", "002_a13882358a356a89.txt").read_text(encoding="utf-8")


def page(text: str, charset: str) -> str:
    body = "".join(f"<p>{ln}</p>" for ln in text.replace("\xa0", "&nbsp;").splitlines())
    return f'<html><head><meta http-equiv="Content-Type" content="text/html; charset={charset}"></head><body>{body}</body></html>'


def test_header_says_utf8_over_gbk_bytes(report_text):
    data = page(report_text, "gb2312").encode("gbk")
    text, enc = decode(data, header_charset="utf-8")
    assert enc == "gb18030"
    assert "新巴尔虎左旗2020年政府信息公开工作年度报告" in text
    rec = extract_bytes(data, filename="p.html", content_type="text/html; charset=utf-8")
    assert rec["source"]["encoding"] == "gb18030"
    assert rec["active"]["procurement.amount_yuan"] == 71219900


def test_gb2312_is_read_as_gb18030_so_rare_name_characters_survive():
    name = "䶮镕堃"  # outside GB2312, inside GB18030: appears in personal and place names
    data = page(name, "gb2312").encode("gb18030")
    text, enc = decode(data)
    assert enc == "gb18030" and name in text


def test_bom_wins_over_a_wrong_meta(report_text):
    data = codecs.BOM_UTF8 + page(report_text, "gbk").encode("utf-8")
    text, enc = decode(data)
    assert enc == "utf-8-sig" and "新巴尔虎左旗" in text


def test_no_declaration_detects_gbk(report_text):
    data = report_text.replace("\xa0", " ").encode("gbk")  # a GBK text dump has no NBSP
    text, enc = decode(data)
    assert enc == "gb18030" and "主动公开政府信息情况" in text


def test_truncated_utf8_body_decodes_with_damage_marked(report_text):
    data = report_text.encode("utf-8")[:1001]  # cut in the middle of a 3-byte character
    text, enc = decode(data)
    assert text.endswith("\ufffd") and enc.endswith("+replace")


def test_binary_garbage_is_an_error_outcome_not_a_crash():
    import random

    rnd = random.Random(7)
    data = bytes(rnd.randrange(128, 256) for _ in range(5000))
    with pytest.raises(UndecodableError):
        decode(data, header_charset="utf-8")
    rec = extract_bytes(data, filename="x.txt")
    assert rec["outcome"] in ("error", "no_tables") and rec["detail"]
