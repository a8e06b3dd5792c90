"""Flattened-text shapes, each on lines cut from a real seed or corpus dump."""

from __future__ import annotations

from conftest import shared

from extract import extract_bytes
from extract.readers.text import read_text


def seed(name: str) -> str:
    return shared("seeds", name).read_text(encoding="utf-8")


def test_pipe_rows_become_grid_rows_with_trailing_empty_fields():
    doc = read_text(seed("001_5ead8cc1c8ee6d6d.txt"))
    row = next(r for r in doc.rows if r.fields[0] == "行政許可")
    assert row.grid and not row.aligned
    assert row.fields == ["行政許可", "3771", "", ""]  # printed '行政許可 | 3771 | ||'


def test_markdown_rule_rows_are_dropped():
    doc = read_text("| 信息内容 | 本年处理决定数量 |\n|---|---|\n| 行政许可 | 517645 |\n")
    assert [r.fields for r in doc.rows] == [["信息内容", "本年处理决定数量"], ["行政许可", "517645"]]


def test_tab_blocks_keep_rows_and_merged_label_cells():
    doc = read_text(seed("000_bf21e4edf43461de.txt"))
    row = next(r for r in doc.rows if r.grid and "2.其他法律行政法规禁止公开" in r.fields)
    assert row.fields == ["", "", "2.其他法律行政法规禁止公开", "0", "0", "0", "0", "0", "0", "0"]
    first = next(r for r in doc.rows if r.grid and "1.属于国家秘密" in r.fields)
    assert first.fields[:3] == ["", "（三）不予公开", "1.属于国家秘密"]
    header = next(r for r in doc.rows if r.grid and "信息内容" in r.fields)
    assert header.fields == ["信息内容", "本年新\n制作数量", "本年新\n公开数量", "对外公开总数量"]


def test_one_cell_per_line_is_a_stream():
    doc = read_text(seed("002_a13882358a356a89.txt"))
    assert not any(r.grid for r in doc.rows)
    rec = extract_bytes(seed("002_a13882358a356a89.txt").encode(), filename="s.txt")
    # the label broken over two lines ('一、本年新收政府信息公' / '开申请数量') still finds its seven numbers
    assert [rec["applications"][f"new_received.{c}"] for c in
            ("natural_person", "commercial", "research", "nonprofit", "legal_services", "other_org", "total")] == \
        [9, 4, 0, 0, 0, 3, 16]


def test_whitespace_collapsed_run_splits_only_when_identities_decide():
    rec = extract_bytes(shared("corpus", "pingtan", "pingtan-2024-report.txt").read_bytes(), filename="p.txt")
    # '一、本年新收政府信息公开申请数量21710000218': one reading satisfies the table's identities
    assert rec["applications"]["new_received.natural_person"] == 217
    assert rec["applications"]["new_received.total"] == 218
    # '行政规范性文件6233440': three cells, many cuts, no identity → not guessed; only the cell the
    # report's prose states (制发…62件) is read, as settled by prose
    assert rec["active"]["normative_documents.repealed"] is None
    assert "active.normative_documents.in_force" in rec["unparsed"]
    assert rec["raw"]["active.normative_documents.repealed"] == "6233440"
    assert rec["active"]["normative_documents.issued"] == 62
    assert rec["cell_info"]["active.normative_documents.issued"]["resolved_by"] == "prose"


def test_archive_header_block_becomes_page_meta():
    doc = read_text(shared("corpus", "pingtan", "pingtan-2013-report.txt").read_text(encoding="utf-8"))
    assert doc.page_meta["发布机构"] == "平潭综合实验区管委会办公室"
    assert doc.page_meta["发布时间"] == "2014-01-10 00:00"
    assert doc.title == "平潭综合实验区2013年政府信息公开工作年度报告"


def test_bookmark_artefact_before_a_value_is_removed():
    rec = extract_bytes(seed("003_83d950f2ae04f609.txt").encode(), filename="s.txt")
    assert rec["active"]["procurement.projects"] == 8
    assert rec["raw"]["active.procurement.projects"] == "8"
    assert "[bookmark" not in rec["text"]
