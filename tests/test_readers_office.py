"""Office documents, images and scans: the DOCX reader on the real 2021 template, .doc through LibreOffice,
and the outcomes of documents that cannot be read as text (needs_conversion, needs_ocr, error).

The DOCX fixture tests/fixtures/office/huaian-2024-filled.docx is the real blank template filled with the figures of
the real 淮安市人民政府 2024 report (see tests/office_fixtures.py; regenerate with
tests/fixtures/office/make_fixtures.py). LibreOffice is required: CI installs libreoffice-writer-nogui and -calc-nogui, and a
missing soffice is a failure, never a skip.
"""

from __future__ import annotations

import io
import shutil
import struct
import subprocess
import zipfile
import zlib

import pytest
from conftest import FIXTURES, shared
from office_fixtures import (
    HUAIAN_FILLED,
    HUAIAN_TITLE,
    TEMPLATE_2021,
    huaian_filled_docx,
    load_huaian_expected,
)

import extract.readers.convert as convert
from extract import extract_bytes, extract_file
from extract.readers.docx import read_docx

TABLES = ("active", "applications", "review_litigation")


# ---------------------------------------------------------------------------------------------- helpers


def template_bytes() -> bytes:
    return shared("corpus", "template", TEMPLATE_2021.name).read_bytes()


def grid(doc, table: int) -> list[list[str | None]]:
    return [r.fields for r in doc.rows if r.grid and r.table == table]


def row_starting(rows: list[list[str | None]], label: str) -> list[str | None]:
    """The one grid row whose first non-merged cell starts with label."""
    found = [r for r in rows if next((f for f in r if f is not None), "").startswith(label)]
    assert len(found) == 1, f"{len(found)} rows start with {label!r}"
    return found[0]


def png_1x1() -> bytes:
    """A valid 1×1 white RGB PNG, written by hand."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)  # 1×1, 8-bit, truecolour
    idat = zlib.compress(b"\x00\xff\xff\xff")  # filter byte 0 + one white pixel
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def jpeg_1x1() -> bytes:
    from PIL import Image  # a dependency of pdfplumber

    buf = io.BytesIO()
    Image.new("RGB", (1, 1), (255, 255, 255)).save(buf, "JPEG")
    return buf.getvalue()


def pdf_without_text() -> bytes:
    """A valid one-page PDF (correct xref offsets) whose only content is a filled rectangle: a scan stand-in."""
    content = b"0.2 0.2 0.2 rg\n72 500 300 200 re\nf\n"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"endstream",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def assert_empty_tables(record: dict) -> None:
    for table in TABLES:
        assert record[table] == {}, f"{table} should be empty, got {record[table]}"
    assert record["raw"] == {}
    assert record["checks"] == []


# ---------------------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def expected() -> dict:
    return load_huaian_expected()


@pytest.fixture(scope="module")
def template_doc():
    return read_docx(template_bytes())


@pytest.fixture(scope="module")
def docx_record() -> dict:
    return extract_file(HUAIAN_FILLED)


@pytest.fixture(scope="module")
def converted_doc(tmp_path_factory):
    """The filled DOCX converted to Word 97 .doc by LibreOffice, once per module."""
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if not exe:
        pytest.fail("LibreOffice is not installed (no soffice on PATH): install libreoffice-writer-nogui, "
                    "as CI does; the .doc tests need it and are never skipped")
    out = tmp_path_factory.mktemp("doc")
    proc = subprocess.run(
        [exe, "--headless", "--norestore", f"-env:UserInstallation=file://{out}/profile",
         "--convert-to", "doc", "--outdir", str(out), str(HUAIAN_FILLED)],
        capture_output=True, text=True, timeout=180,
    )
    path = out / "huaian-2024-filled.doc"
    assert proc.returncode == 0 and path.exists(), f"soffice failed: {proc.returncode} {proc.stdout} {proc.stderr}"
    assert path.read_bytes()[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "not an OLE2 (Word 97) file"
    return path


@pytest.fixture(scope="module")
def doc_record(converted_doc) -> dict:
    return extract_file(converted_doc)


# ---------------------------------------------------------------------- 1. DOCX: merged None vs empty ""


def test_template_table_three_merged_cells_are_none_empty_cells_are_blank(template_doc):
    rows = grid(template_doc, 1)
    blank = [""] * 7  # 自然人, 商业企业, 科研机构, 社会公益组织, 法律服务机构, 其他, 总计: empty, not merged

    # the first (三) row: 三、本年度办理结果 is merged down from above, the sub-label and the item are cells
    assert row_starting(rows, "（三）不予公开") == [None, "（三）不予公开", "1.属于国家秘密"] + blank
    # the next rows continue both merged labels
    assert row_starting(rows, "2.其他法律行政法规禁止公开") == [None, None, "2.其他法律行政法规禁止公开"] + blank
    assert row_starting(rows, "8.属于行政查询事项") == [None, None, "8.属于行政查询事项"] + blank
    assert row_starting(rows, "3.其他") == [None, None, "3.其他"] + blank
    # （一）予以公开 spans the two label columns; 三、本年度办理结果 starts here, so it is a cell
    assert row_starting(rows, "三、本年度办理结果") == ["三、本年度办理结果", "（一）予以公开", None] + blank
    assert row_starting(rows, "（七）总计") == [None, "（七）总计", None] + blank
    # the first-level rows span all three label columns
    assert row_starting(rows, "一、本年新收政府信息公开申请数量") == ["一、本年新收政府信息公开申请数量", None, None] + blank
    assert row_starting(rows, "四、结转下年度继续办理") == ["四、结转下年度继续办理", None, None] + blank


def test_template_table_three_header_merges(template_doc):
    rows = grid(template_doc, 1)
    assert len(rows) == 28
    head0, head1, head2 = rows[:3]
    assert head0[0].startswith("（本列数据的勾稽关系为：第一项加第二项之和")
    assert head0[1:] == [None, None, "申请人情况", None, None, None, None, None, None]
    assert head1 == [None, None, None, "自然人", "法人或其他组织", None, None, None, None, "总计"]
    # 自然人 and 总计 are merged down over the third header row
    assert head2 == [None, None, None, None, "商业\n企业", "科研\n机构", "社会公益组织", "法律服务机构", "其他", None]


def test_template_tables_two_and_four_merges(template_doc):
    active = grid(template_doc, 0)
    assert active[0] == ["第二十条第（一）项", None, None, None]
    assert active[1] == ["信息内容", "本年制发件数", "本年废止件数", "现行有效件数"]
    assert row_starting(active, "规章") == ["规章", "", "", ""]
    assert row_starting(active, "行政规范性文件") == ["行政规范性文件", "", "", ""]
    # one value cell spanning three columns: "" then two merged continuations
    assert row_starting(active, "行政许可") == ["行政许可", "", None, None]
    assert row_starting(active, "行政事业性收费") == ["行政事业性收费", "", None, None]
    assert [r for r in active if r[0] == "信息内容" and r[1] == "本年收费金额（单位：万元）"] == [
        ["信息内容", "本年收费金额（单位：万元）", None, None]]

    review = grid(template_doc, 2)
    assert review[0] == ["行政复议"] + [None] * 4 + ["行政诉讼"] + [None] * 9
    assert review[1] == ["结果维持", "结果\n纠正", "其他\n结果", "尚未\n审结", "总计",
                         "未经复议直接起诉", None, None, None, None, "复议后起诉", None, None, None, None]
    assert review[2] == [None] * 5 + ["结果\n维持", "结果\n纠正", "其他\n结果", "尚未\n审结", "总计"] * 2


def test_blank_template_cells_are_null_never_zero():
    record = extract_bytes(template_bytes(), filename="annual-report-template-2021.docx")
    assert record["outcome"] == "ok"
    assert record["format"] == "2021" and record["applications_layout"] == "2021"
    assert record["source"]["kind"] == "docx"
    assert len(record["active"]) == 10 and set(record["active"].values()) == {None}
    assert len(record["applications"]) == 25 * 7 and set(record["applications"].values()) == {None}
    assert len(record["review_litigation"]) == 15 and set(record["review_litigation"].values()) == {None}
    assert [c for c in record["checks"] if c["rule"] != "prose_vs_table"] == []  # null inputs: skipped


# ------------------------------------------------------------ 2. DOCX: full extraction of the filled template


def test_filled_fixture_is_up_to_date():
    """The committed DOCX is what make_fixtures.py produces from the template and the expected JSON."""
    shared("corpus", "template", TEMPLATE_2021.name)
    committed = zipfile.ZipFile(HUAIAN_FILLED)
    fresh = zipfile.ZipFile(io.BytesIO(huaian_filled_docx()))
    assert committed.namelist() == fresh.namelist()
    for name in committed.namelist():
        assert committed.read(name) == fresh.read(name), f"{name} differs: run tests/fixtures/office/make_fixtures.py"


def test_filled_docx_rows_keep_merges_around_the_figures():
    doc = read_docx(HUAIAN_FILLED.read_bytes())
    assert doc.outcome == "ok"
    assert doc.rows[0].fields == [HUAIAN_TITLE] and not doc.rows[0].grid
    apps = grid(doc, 1)
    assert row_starting(apps, "一、本年新收") == ["一、本年新收政府信息公开申请数量", None, None,
                                               "3001", "53", "0", "0", "61", "4", "3119"]
    assert row_starting(apps, "（三）不予公开") == [None, "（三）不予公开", "1.属于国家秘密",
                                                "2", "0", "0", "0", "0", "0", "2"]
    assert row_starting(apps, "（七）总计") == [None, "（七）总计", None, "2932", "53", "0", "0", "61", "4", "3050"]
    assert row_starting(grid(doc, 0), "行政事业性收费") == ["行政事业性收费", "96171.6", None, None]
    assert grid(doc, 2)[3] == ["72", "64", "178", "37", "351", "13", "4", "8", "1", "26", "12", "1", "1", "6", "20"]


def test_filled_docx_extracts_every_cell(docx_record, expected):
    record = docx_record
    assert record["outcome"] == "ok", record["detail"]
    assert record["format"] == "2021"
    assert record["applications_layout"] == "2021"
    assert record["year"] == 2024
    assert record["agency"] == "淮安市人民政府"
    assert record["title"] == HUAIAN_TITLE
    assert record["source"]["kind"] == "docx"
    for table in TABLES:
        assert record[table] == expected[table], table
    assert len(record["active"]) == 10 and len(record["applications"]) == 175
    assert len(record["review_litigation"]) == 15
    assert record["unparsed"] == []


def test_filled_docx_values_and_raw_text(docx_record):
    record = docx_record
    assert record["active"]["fees.amount_wan_yuan"] == 96171.6
    assert record["raw"]["active.fees.amount_wan_yuan"] == "96171.6"
    assert record["active"]["penalty.decisions"] == 3985758
    assert record["applications"]["new_received.total"] == 3119
    assert record["applications"]["carried_forward.natural_person"] == 103
    assert record["applications"]["other_other.total"] == 110
    assert record["review_litigation"]["suit_after_review.pending"] == 6
    # zeros are printed, so they are 0, not null
    assert record["applications"]["withheld_state_secret.research"] == 0


def test_filled_docx_table_checks_all_pass(docx_record):
    checks = docx_record["checks"]
    table_rules = {"balance", "results_sum", "row_total", "review_total", "suit_direct_total",
                   "suit_after_review_total"}
    ran = [c for c in checks if c["rule"] in table_rules]
    assert {c["rule"] for c in ran} == table_rules
    assert len([c for c in ran if c["rule"] == "balance"]) == 7
    assert [c for c in checks if not c["ok"]] == []
    balance_total = next(c for c in ran if c["rule"] == "balance" and c["key"] == "total")
    assert balance_total["detail"] == "3119 + 34 = 3050 + 103"


# ---------------------------------------------------------------------------- 3. .doc through LibreOffice


def test_doc_through_libreoffice_gives_the_same_cells(doc_record, docx_record, expected):
    record = doc_record
    assert record["outcome"] == "ok", record["detail"]
    assert record["source"]["kind"] == "doc"
    assert record["source"]["content_type"] == "application/msword"
    assert record["format"] == "2021"
    assert record["applications_layout"] == "2021"
    assert record["year"] == 2024
    assert record["agency"] == "淮安市人民政府"
    for table in TABLES:
        assert record[table] == expected[table], table
        assert record[table] == docx_record[table], table
    assert record["unparsed"] == []
    assert [c for c in record["checks"] if not c["ok"]] == []
    assert len(record["checks"]) == len(docx_record["checks"])


@pytest.mark.parametrize("name", ["huaian-2024.doc", "huaian-2024.wps"])
def test_doc_without_libreoffice_needs_conversion(converted_doc, monkeypatch, name):
    monkeypatch.setattr(convert, "soffice", lambda: None)

    def no_subprocess(*args, **kwargs):
        raise AssertionError("LibreOffice must not be run when soffice is hidden")

    monkeypatch.setattr(convert.subprocess, "run", no_subprocess)
    data = converted_doc.read_bytes()
    record = extract_bytes(data, filename=name)
    suffix = name.rsplit(".", 1)[1]
    assert record["outcome"] == "needs_conversion"
    assert "LibreOffice" in record["detail"] and f".{suffix}" in record["detail"]
    assert record["source"]["kind"] == suffix
    assert record["source"]["size"] == len(data) and len(record["source"]["sha256"]) == 64
    assert_empty_tables(record)
    assert record["text"] == ""


# ------------------------------------------------------------------------------------ 4. images and scans


@pytest.mark.parametrize("name,make", [("scan.png", png_1x1), ("scan.jpg", jpeg_1x1),
                                       ("report.pdf", png_1x1)])  # an image served under a .pdf name
def test_image_needs_ocr(tmp_path, name, make):
    from PIL import Image

    data = make()
    with Image.open(io.BytesIO(data)) as im:  # really an image, not just a magic number
        im.load()
        assert im.size == (1, 1)
    path = tmp_path / name
    path.write_bytes(data)
    record = extract_file(path)
    assert record["outcome"] == "needs_ocr"
    assert "OCR" in record["detail"]
    assert record["source"]["kind"] == "image"
    assert_empty_tables(record)


def test_pdf_without_text_layer_needs_ocr(tmp_path):
    import pdfplumber

    data = pdf_without_text()
    with pdfplumber.open(io.BytesIO(data)) as pdf:  # a valid PDF: one page, one rectangle, no characters
        assert len(pdf.pages) == 1
        assert len(pdf.pages[0].rects) == 1 and pdf.pages[0].chars == []
    path = tmp_path / "scan.pdf"
    path.write_bytes(data)
    record = extract_file(path)
    assert record["outcome"] == "needs_ocr"
    assert "text layer" in record["detail"] and "OCR" in record["detail"]
    assert record["source"]["kind"] == "pdf"
    assert_empty_tables(record)
    assert record["text"] == ""


def test_truncated_pdf_is_an_error_not_an_exception():
    data = shared("corpus", "huaian", "hongze-2023-report.pdf").read_bytes()[:2000]
    assert data.startswith(b"%PDF")
    record = extract_bytes(data, filename="hongze-2023-report.pdf")
    assert record["outcome"] == "error"
    assert record["detail"].startswith("cannot read pdf:")
    assert record["source"]["kind"] == "pdf" and record["source"]["size"] == 2000
    assert_empty_tables(record)


def test_blank_template_table4_is_printed_blanks_not_unparsed():
    # An all-empty row of cells is a row of printed blanks: null values, and nothing claimed unreadable.
    from conftest import shared

    from extract import extract_file

    record = extract_file(shared("corpus", "template", "annual-report-template-2021.docx"))
    assert len(record["review_litigation"]) == 15
    assert all(v is None for v in record["review_litigation"].values())
    assert record["unparsed"] == []


@pytest.fixture(scope="module")
def converted_xls(tmp_path_factory):
    """Table 三 of the real pingtan 2024 page (tests/fixtures/html) saved as an Excel 97 sheet by
    LibreOffice Calc, once per module: reports are sometimes published as .xls/.et attachments."""
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if not exe:
        pytest.fail("LibreOffice is not installed (no soffice on PATH): install libreoffice-calc-nogui, "
                    "as .ci/run does — this test is never skipped")
    out = tmp_path_factory.mktemp("xls")
    src = out / "pingtan-2024-table3.html"
    src.write_bytes((FIXTURES / "html" / "pingtan-2024-table3.html").read_bytes())
    subprocess.run([exe, "--headless", "--norestore", f"-env:UserInstallation=file://{out}/profile",
                    "--infilter=HTML (StarCalc)", "--convert-to", "xls", "--outdir", str(out), str(src)],
                   check=True, capture_output=True, timeout=180)
    xls = out / "pingtan-2024-table3.xls"
    assert xls.read_bytes()[:4] == b"\xd0\xcf\x11\xe0", "LibreOffice did not write an OLE2 .xls"
    return xls.read_bytes()


@pytest.mark.parametrize("name", ["table3.xls", "table3.et"])
def test_spreadsheet_attachment_is_read_through_libreoffice(converted_xls, name):
    record = extract_bytes(converted_xls, filename=name)
    assert record["outcome"] == "ok"
    apps = record["applications"]
    assert [apps[f"new_received.{c}"] for c in ("natural_person", "commercial", "research", "nonprofit",
                                                 "legal_services", "other_org", "total")] == [217, 1, 0, 0, 0, 0, 218]
    assert apps["granted.total"] == 71 and apps["withheld_state_secret.natural_person"] == 4
    assert record["unparsed"] == []
