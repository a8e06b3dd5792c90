"""Office-document fixtures built from the real blank 2021 template.

`fill_template` opens ../shared/corpus/template/annual-report-template-2021.docx with python-docx, replaces the
template's heading (政府信息公开工作年度报告格式模板) with a report's title and writes a report's figures into
the value cells of tables 二, 三 and 四, leaving every label, merge and style of the template as it is.
Cells are located by their printed labels, so a template that does not look as expected fails loudly.

The committed fixture tests/fixtures/office/huaian-2024-filled.docx is this function applied to the figures
of the real 淮安市人民政府 2024 report (tests/expected/huaian-2024-report.pdf.json, read by hand off the PDF);
tests/fixtures/office/make_fixtures.py regenerates it.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

TESTS = Path(__file__).resolve().parent
SHARED = TESTS.parent.parent / "shared"
TEMPLATE_2021 = SHARED / "corpus" / "template" / "annual-report-template-2021.docx"
HUAIAN_EXPECTED = TESTS / "expected" / "huaian-2024-report.pdf.json"
OFFICE_FIXTURES = TESTS / "fixtures" / "office"
HUAIAN_FILLED = OFFICE_FIXTURES / "huaian-2024-filled.docx"
HUAIAN_TITLE = "淮安市人民政府2024年政府信息公开工作年度报告"

TEMPLATE_HEADING = "政府信息公开工作年度报告格式模板"

APPLICANT_COLUMNS = ["natural_person", "commercial", "research", "nonprofit", "legal_services", "other_org", "total"]

# table 二: (row label, {column index: key})
ACTIVE_CELLS = [
    ("规章", {1: "regulations.issued", 2: "regulations.repealed", 3: "regulations.in_force"}),
    ("行政规范性文件", {1: "normative_documents.issued", 2: "normative_documents.repealed",
                        3: "normative_documents.in_force"}),
    ("行政许可", {1: "licensing.decisions"}),
    ("行政处罚", {1: "penalty.decisions"}),
    ("行政强制", {1: "coercion.decisions"}),
    ("行政事业性收费", {1: "fees.amount_wan_yuan"}),
]

# table 三: the start of the row's innermost label → row key; values sit in columns 3‥9
APPLICATION_ROWS = [
    ("一、本年新收", "new_received"),
    ("二、上年结转", "carried_over"),
    ("（一）予以公开", "granted"),
    ("（二）部分公开", "partly_granted"),
    ("1.属于国家秘密", "withheld_state_secret"),
    ("2.其他法律行政法规禁止公开", "withheld_prohibited_by_law"),
    ("3.危及", "withheld_three_safety"),
    ("4.保护第三方", "withheld_third_party"),
    ("5.属于三类内部事务", "withheld_internal_affairs"),
    ("6.属于四类过程性", "withheld_process_info"),
    ("7.属于行政执法案卷", "withheld_enforcement_file"),
    ("8.属于行政查询事项", "withheld_inquiry"),
    ("1.本机关不掌握", "unavailable_not_held"),
    ("2.没有现成信息", "unavailable_needs_creation"),
    ("3.补正后申请内容", "unavailable_unclear"),
    ("1.信访举报投诉", "declined_petition"),
    ("2.重复申请", "declined_repeat"),
    ("3.要求提供公开出版物", "declined_publication"),
    ("4.无正当理由大量反复", "declined_excessive"),
    ("5.要求行政机关确认", "declined_confirmation"),
    ("1.申请人无正当理由逾期不补正", "other_no_correction"),
    ("2.申请人逾期未按收费通知", "other_unpaid_fee"),
    ("3.其他", "other_other"),
    ("（七）总计", "total"),
    ("四、结转下年度", "carried_forward"),
]

REVIEW_COLUMNS = [f"{group}.{outcome}" for group in ("review", "suit_direct", "suit_after_review")
                  for outcome in ("upheld", "corrected", "other", "pending", "total")]


def load_huaian_expected() -> dict:
    return json.loads(HUAIAN_EXPECTED.read_text(encoding="utf-8"))


def cell_text(value) -> str:
    """A figure as a report prints it: 447228, 96171.6 (never 96171.60000001 or 1.0)."""
    if isinstance(value, bool) or value is None:
        raise ValueError(f"not a figure: {value!r}")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def _put(cell, text: str) -> None:
    """Write text into a cell's first paragraph, keeping the template's paragraph and run formatting."""
    import copy

    from docx.oxml.ns import qn

    p = cell.paragraphs[0]
    if p.text.strip():
        raise AssertionError(f"template value cell is not empty: {p.text!r}")
    run = p.add_run(text)
    # the empty paragraph carries the run properties the template wants (宋体, size) in its mark properties
    mark = p._p.pPr.find(qn("w:rPr")) if p._p.pPr is not None else None
    if mark is not None:
        run._r.insert(0, copy.deepcopy(mark))


def _label(cell) -> str:
    return "".join(cell.text.split())


def fill_template(template: Path, title: str, active: dict, applications: dict, review: dict) -> bytes:
    """The template with `title` as its heading and the three tables filled; bytes of a .docx."""
    import docx

    d = docx.Document(str(template))

    heading = [p for p in d.paragraphs if p.text.strip() == TEMPLATE_HEADING]
    if heading:
        runs = heading[0].runs
        runs[0].text = title
        for r in runs[1:]:
            r._r.getparent().remove(r._r)
    else:  # a template without a heading: put the title first
        d.paragraphs[0].insert_paragraph_before(title)

    if len(d.tables) != 3:
        raise AssertionError(f"expected the 3 tables of the 2021 template, found {len(d.tables)}")
    t2, t3, t4 = d.tables

    written: set[str] = set()
    rows2 = {_label(r.cells[0]): r for r in t2.rows}
    for label, cells in ACTIVE_CELLS:
        row = rows2[label]
        for col, key in cells.items():
            if key in active:
                _put(row.cells[col], cell_text(active[key]))
                written.add(f"active.{key}")

    for prefix, row_key in APPLICATION_ROWS:
        matches = [r for r in t3.rows if _label(r.cells[2]).startswith(prefix)]
        if len(matches) != 1:
            raise AssertionError(f"table 三 row {prefix!r}: {len(matches)} matches in the template")
        cells = matches[0].cells
        for offset, col in enumerate(APPLICANT_COLUMNS):
            key = f"{row_key}.{col}"
            if key in applications:
                _put(cells[3 + offset], cell_text(applications[key]))
                written.add(f"applications.{key}")

    value_row = t4.rows[-1]
    if any(c.text.strip() for c in value_row.cells) or len(value_row.cells) != len(REVIEW_COLUMNS):
        raise AssertionError("table 四 of the template does not end in an empty 15-cell value row")
    for cell, key in zip(value_row.cells, REVIEW_COLUMNS):
        if key in review:
            _put(cell, cell_text(review[key]))
            written.add(f"review_litigation.{key}")

    wanted = ({f"active.{k}" for k in active} | {f"applications.{k}" for k in applications}
              | {f"review_litigation.{k}" for k in review})
    if wanted - written:
        raise AssertionError(f"no template cell for {sorted(wanted - written)}")

    buf = io.BytesIO()
    d.save(buf)
    return _deterministic_zip(buf.getvalue())


def _deterministic_zip(data: bytes) -> bytes:
    """The same zip with fixed member timestamps, so regenerating a fixture gives the same bytes."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


def huaian_filled_docx(template: Path = TEMPLATE_2021) -> bytes:
    exp = load_huaian_expected()
    return fill_template(template, HUAIAN_TITLE, exp["active"], exp["applications"], exp["review_litigation"])
