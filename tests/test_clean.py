"""Cleaning on the seeds and the real corpus: chrome gone, every word of the report kept, numbers
unchanged, findings where there is spam and none where there is not."""

from __future__ import annotations

import re
from functools import lru_cache

import pytest
from conftest import EXPECTED, expected_files, load_expected, settled, shared

from pipelines.parse import clean_and_extract

CHROME_STRINGS = ["当前位置", "长者模式", "无障碍", "网站标识码", "ICP备", "公安备案号", "主办单位", "版权所有", "字体",
                  "打印本页", "关闭窗口", "分享到", "扫一扫", "登录", "注册", "热门搜索", "闽政通APP"]


def squash(s: str) -> str:
    return re.sub(r"\s+", "", s)


@lru_cache(maxsize=None)
def cleaned(*parts: str) -> dict:
    path = shared(*parts)
    return clean_and_extract(path.read_bytes(), filename=path.name)


def test_seed002_breadcrumb_and_font_line_gone_spam_restored():
    rec = cleaned("seeds", "002_a13882358a356a89.txt")
    assert "您现在所在的位置" not in rec["text"] and "字体:[ ]" not in rec["text"]
    assert rec["chrome"]["removed"] == ["您现在所在的位置: 网站首页 > 政府信息公开 > 新巴尔虎左旗 > 政府信息公开年报",
                                        "发布时间:2021-02-08 09:00 来源:新巴尔虎左旗 字体:[ ]"]
    # the metadata on the removed line is kept as metadata
    assert rec["page_meta"] == {"发布时间": "2021-02-08 09:00", "来源": "新巴尔虎左旗"}
    assert rec["published"] == "2021-02-08"
    assert "365体育投注" not in rec["text"]
    assert rec["text"].count("以习近平新时代中国特色社会主义思想为指引") == 2
    assert [(f["kind"], f["text"], f["action"]) for f in rec["spam"]] == [
        ("keyword_substitution", "365体育投注", "restored")] * 2
    raw = shared("seeds", "002_a13882358a356a89.txt").read_text(encoding="utf-8")
    for f in rec["spam"]:
        offset = int(re.match(r"char (\d+)", f["where"]).group(1))
        assert raw[offset:offset + len("365体育投注")] == "365体育投注"


def test_seed003_bookmark_artefacts_gone():
    rec = cleaned("seeds", "003_83d950f2ae04f609.txt")
    assert "[bookmark" not in rec["text"] and "_GoBack" not in rec["text"]
    assert rec["active"]["procurement.projects"] == 8


@pytest.mark.parametrize("year", [2022, 2024])
def test_pingtan_page_chrome_gone_and_every_paragraph_kept(year):
    rec = cleaned("corpus", "pingtan", f"pingtan-{year}-report.html")
    assert rec["chrome"]["container"] == ".TRS_Editor"
    for s in CHROME_STRINGS:
        assert s not in rec["text"], s
    # the archive's own text dump of the same report: every sentence of it is in our text, and
    # every line of our text is in it (nothing from the portal shell crept in)
    dump = shared("corpus", "pingtan", f"pingtan-{year}-report.txt").read_text(encoding="utf-8")
    body = squash(dump.split("==== 正文 ====", 1)[1]).lstrip("=")
    text = squash(rec["text"])
    sentences = [s for s in body.split("。") if s]
    assert len(sentences) > 20
    assert [s for s in sentences if s not in text] == []
    assert [ln for ln in rec["text"].splitlines() if squash(ln) and squash(ln) not in body] == []


@pytest.mark.parametrize("year,published,source", [(2022, "2023-02-20", "平潭县人民政府"),
                                                   (2024, "2025-03-10", "平潭综合实验区管委会办公室")])
def test_pingtan_page_metadata_from_the_shell(year, published, source):
    rec = cleaned("corpus", "pingtan", f"pingtan-{year}-report.html")
    assert rec["published"] == published
    assert rec["page_meta"]["来源"] == source
    assert rec["title"] == f"平潭综合实验区{year}年度政府信息公开工作年度报告"


@pytest.mark.parametrize("name", [p.name for p in expected_files()])
def test_cleaning_never_changes_a_number(name):
    exp = load_expected(EXPECTED / name)
    want = settled(exp)
    rec = cleaned(*exp["source"].replace("../shared/", "").split("/"))
    for table in ("active", "applications", "review_litigation"):
        assert rec[table] == want[table], table
    assert sorted(rec["unparsed"]) == sorted(want["unparsed"])
    assert rec["prose"] == exp.get("prose", {})


def test_metadata_table_becomes_page_meta_not_text():
    # the 信息公开 metadata table of a TRS 信息公开目录 page, around the real pingtan 2024 body
    page = shared("corpus", "pingtan", "pingtan-2024-report.html").read_text(encoding="utf-8")
    meta = ('<table class="xxgk_table"><tr><td>索引号：</td><td>FJ00100-0201-2025-00003</td>'
            '<td>发布机构：</td><td>平潭综合实验区管委会办公室</td></tr>'
            '<tr><td>主题分类：</td><td>政府信息公开年报</td><td>发文日期：</td><td>2025-03-10</td></tr></table>')
    page = page.replace("<div class=TRS_Editor>", "<div class=TRS_Editor>" + meta, 1)
    assert meta in page
    rec = clean_and_extract(page.encode("utf-8"), filename="p.html")
    assert rec["page_meta"]["索引号"] == "FJ00100-0201-2025-00003"
    assert rec["page_meta"]["发布机构"] == "平潭综合实验区管委会办公室"
    assert rec["page_meta"]["主题分类"] == "政府信息公开年报"
    assert "索引号" not in rec["text"] and "FJ00100" not in rec["text"]
    assert rec["applications"]["new_received.total"] == 218
