"""PDF quirks on the real 淮安 PDFs (../shared/corpus/huaian)."""

from __future__ import annotations

from functools import lru_cache

import pdfplumber
from conftest import shared

from extract import extract_file
from extract.readers.pdf import read_pdf


@lru_cache(maxsize=None)
def doc(name: str):
    return read_pdf(shared("corpus", "huaian", name).read_bytes())


def test_page_number_lines_are_dropped():
    path = shared("corpus", "huaian", "huaian-2024-report.pdf")
    with pdfplumber.open(path) as pdf:
        raw = "\n".join(p.extract_text() or "" for p in pdf.pages)
    assert "- 4 -" in raw
    assert not any(r.fields == ["- 4 -"] or (r.fields[0] or "").strip() == "- 4 -" for r in doc("huaian-2024-report.pdf").rows)


def test_merged_cells_come_back_none_and_empty_cells_empty():
    rows = [r.fields for r in doc("hongze-2023-report.pdf").rows if r.grid and len(r.fields) > 2]
    other = next(r for r in rows if r[1] == "（六）其他处理")
    assert other == [None, "（六）其他处理", "", "0", "0", "0", "0", "0", "0", "0"]


def test_label_printed_one_character_per_line():
    rows = [r.fields for r in doc("hongze-2023-report.pdf").rows if r.grid and len(r.fields) > 2]
    granted = next(r for r in rows if r[1] == "（一）予以公开")
    assert granted[0] == "三\n、\n本\n年\n度\n办\n理\n结\n果"


def test_table_split_across_pages_is_read_whole():
    # table 二 of 洪泽 starts on page 2 and ends on page 3 (行政处罚/行政强制/收费 on the next page)
    rec = extract_file(shared("corpus", "huaian", "hongze-2023-report.pdf"))
    assert rec["active"]["licensing.decisions"] == 550
    assert rec["active"]["penalty.decisions"] == 4119
    assert rec["active"]["fees.amount_wan_yuan"] == 7730.28


def test_row_label_wrapped_around_numbers():
    # 淮安 2024: '（二）部分公开（区分处理的，只计这一情 / 形，不计其他情形）' wraps in its cell
    rec = extract_file(shared("corpus", "huaian", "huaian-2024-report.pdf"))
    assert rec["applications"]["partly_granted.natural_person"] == 447
    assert rec["applications"]["partly_granted.total"] == 454


def test_hybrid_layout_is_detected():
    rec = extract_file(shared("corpus", "huaian", "hongze-2023-report.pdf"))
    assert (rec["format"], rec["applications_layout"]) == ("2021", "2019")
    assert rec["applications"]["other.total"] == 0
    assert "other_other.total" not in rec["applications"]
