"""HTML reader quirks, on tables cut byte-for-byte from the real pingtan pages (tests/fixtures/html)."""

from __future__ import annotations

from conftest import FIXTURES

from extract import extract_bytes
from extract.readers.html import read_html

HTML = FIXTURES / "html"


def rows(name: str):
    return [r.fields for r in read_html((HTML / name).read_text(encoding="utf-8")).rows]


def test_rowspan_and_colspan_become_none_not_empty():
    grid = rows("pingtan-2024-table3.html")
    # header: the 勾稽关系 note spans 3 columns and 3 rows; 申请人情况 spans 7
    assert grid[0][:4] == ["（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", None, None, "申请人情况"]
    assert grid[1][:4] == [None, None, None, "自然人"]
    # 一、本年新收 spans the three label columns; the seven values follow
    assert grid[3] == ["一、本年新收政府信息公开申请数量", None, None, "217", "1", "0", "0", "0", "0", "218"]
    # 三、本年度办理结果 spans 22 rows: the rows under it start with None (merged), not "" (empty)
    assert grid[6][0] is None and grid[6][1].startswith("（二）部分公开")


def test_label_broken_by_line_breaks_inside_a_cell_still_matches():
    grid = rows("pingtan-2024-table3.html")
    assert grid[5][0] == "三、本\n年度办\n理结果"
    rec = extract_bytes(("<p>三、收到和处理政府信息公开申请情况</p>" + (HTML / "pingtan-2024-table3.html").read_text()).encode(),
                        filename="t.html")
    assert rec["applications"]["granted.natural_person"] == 71
    assert rec["applications"]["new_received.total"] == 218


def test_word_exported_markup_labels_split_into_spans():
    grid = rows("pingtan-2022-table2.html")
    assert grid[3] == ["行政规范性文件", "88", "55", "698"]
    # the one-value 2021 rows: the value cell spans three columns
    assert grid[6] == ["行政许可", "10690", None, None]


def test_nbsp_only_cells_are_empty_not_values():
    html = "<table><tr><td>行政处罚</td><td>&nbsp;</td></tr><tr><td>行政强制</td><td>&nbsp;&nbsp;7</td></tr></table>"
    assert [r.fields for r in read_html(html).rows] == [["行政处罚", ""], ["行政强制", "7"]]


def test_number_split_across_span_runs_is_one_number():
    # Faithful reproduction of Word's habit of splitting a run mid-number (row from the pingtan 2022 table).
    html = (HTML / "pingtan-2022-table2.html").read_text(encoding="utf-8").replace(">10690<", "><span>10</span><span>6</span>90<")
    assert [r.fields for r in read_html(html).rows][6] == ["行政许可", "10690", None, None]
    rec = extract_bytes(html.encode(), filename="t.html")
    assert rec["active"]["licensing.decisions"] == 10690


def test_letters_split_one_per_line_in_table4_header():
    grid = rows("pingtan-2022-table4.html")
    assert grid[1][1] == "结\n果\n纠\n正"
    assert grid[3] == ["0", "1", "1", "0", "2", "1", "0", "0", "0", "1", "0", "0", "0", "0", "0"]


def test_whole_real_page_reads_every_table():
    from conftest import shared

    rec = extract_bytes(shared("corpus", "pingtan", "pingtan-2022-report.html").read_bytes(), filename="p.html")
    assert rec["active"]["normative_documents.in_force"] == 698
    assert rec["review_litigation"]["review.total"] == 2
    assert rec["source"]["encoding"] == "utf-8"


def test_leaf_cells_and_ragged_rows_read_as_the_walk_reads_them():
    """The shapes the fast paths take (a cell with no child element; one line of text; rows padded to the
    widest) give what the full walk gives: spaces of every kind collapsed, a rowspan past a short row kept as
    None, a missing trailing cell None — never ''."""
    from lxml import etree

    from extract.readers.html import cell_text, parse_html, table_grid

    root = parse_html("<table>"
                      "<tr><td rowspan='3'>\u3000一、本年\xa0新收 </td><td>217</td><td>\t1 </td></tr>"
                      "<tr><td>0</td></tr>"
                      "<tr><td><p>2</p><p><span>1</span>8</p></td><td></td></tr>"
                      "</table>")
    table = root.find(".//table")
    assert table_grid(table) == [["一、本年 新收", "217", "1"], [None, "0", None], [None, "2\n18", ""]]
    cells = [cell_text(td) for td in table.iter("td")]
    assert cells == ["一、本年 新收", "217", "1", "0", "2\n18", ""]
    assert cell_text(etree.fromstring("<td>\xa0</td>")) == ""
