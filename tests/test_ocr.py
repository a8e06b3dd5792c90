"""OCR on faithful reproductions of scanned reports (issue 11).

Every fixture is made here from a real corpus PDF: its pages rendered by pdftoppm, greyscale, rotated by
0.5–1°, JPEG-compressed at quality ~70 and re-assembled into an image-only PDF (no text layer) — what a
small agency's scan looks like. Values are compared with the hand-read tests/expected/ files of the same
reports. The standard: not one wrong number; a cell not confirmed is null and listed in `unparsed`.
"""

from __future__ import annotations

import io
import subprocess
from functools import lru_cache

from conftest import EXPECTED, load_expected, shared

from extract import extract_bytes

TABLES = ("active", "applications", "review_litigation")


def scan_of(pdf_name: str, pages: list[int], dpi: int = 150, quality: int = 70) -> bytes:
    """An image-only PDF of the given pages of a corpus PDF, as a scanner would make it."""
    from PIL import Image

    src = shared("corpus", "huaian", pdf_name)
    images = []
    for n, page in enumerate(pages):
        png = subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", "-png", "-f", str(page), "-l", str(page),
                              str(src)], capture_output=True, check=True, timeout=120).stdout
        img = Image.open(io.BytesIO(png)).convert("L")
        img = img.rotate(0.7 if n % 2 == 0 else -0.9, resample=Image.BICUBIC, expand=True, fillcolor=255)
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=quality)
        images.append(Image.open(io.BytesIO(buf.getvalue())))
    out = io.BytesIO()
    images[0].save(out, "PDF", save_all=True, append_images=images[1:], resolution=dpi)
    return out.getvalue()


@lru_cache(maxsize=None)
def scanned_record(pdf_name: str, pages: tuple[int, ...]) -> dict:
    return extract_bytes(scan_of(pdf_name, list(pages)), filename="scan.pdf")


def assert_no_wrong_number(rec: dict, exp: dict) -> tuple[int, int]:
    """Every cell is the hand-read value or null-and-unparsed; returns (read, present)."""
    read = present = 0
    for table in TABLES:
        for key, value in rec[table].items():
            if key not in exp[table]:
                continue
            present += 1
            if rec[table][key] is None:
                if exp[table][key] is not None:
                    assert f"{table}.{key}" in rec["unparsed"], f"{table}.{key} lost without being listed"
                continue
            assert rec[table][key] == exp[table][key], f"{table}.{key}: {rec[table][key]} != {exp[table][key]}"
            read += 1
    return read, present


def test_the_fixture_is_image_only():
    import pdfplumber

    with pdfplumber.open(io.BytesIO(scan_of("huaian-2024-report.pdf", [1]))) as pdf:
        assert not pdf.pages[0].chars and pdf.pages[0].images


def test_scanned_huaian_2024_reads_tables_three_and_four_without_a_wrong_number():
    # pages 1 (title), 4 and 5 (table 三 across the page break, and table 四) of 淮安市人民政府 2024
    rec = scanned_record("huaian-2024-report.pdf", (1, 4, 5))
    exp = load_expected(EXPECTED / "huaian-2024-report.pdf.json")
    assert rec["outcome"] == "ok"
    assert (rec["agency"], rec["year"], rec["applications_layout"]) == ("淮安市人民政府", 2024, "2021")
    read, present = assert_no_wrong_number(rec, exp)
    apps_read = sum(1 for v in rec["applications"].values() if v is not None)
    assert apps_read >= 0.7 * len(exp["applications"]), apps_read      # most of table 三 is confirmed
    assert rec["applications"]["new_received.total"] == 3119
    assert rec["applications"]["total.total"] == 3050
    # every kept OCR cell is marked so, with the identities that confirmed it and a confidence
    for table in ("applications", "review_litigation"):
        for key, value in rec[table].items():
            info = rec["cell_info"][f"{table}.{key}"]
            assert info["source"] == "ocr"
            if value is not None:
                assert info["resolved_by"] == "identities"
    assert any(isinstance(i.get("confidence"), float) for i in rec["cell_info"].values())
    assert not [c for c in rec["checks"] if not c["ok"]]


def test_scanned_table_two_has_no_identities_so_nothing_is_kept_from_it():
    rec = scanned_record("huaian-2024-report.pdf", (1, 4, 5))
    for key, value in rec["active"].items():
        assert value is None
        assert f"active.{key}" in rec["unparsed"]
        assert rec["raw"].get(f"active.{key}") is not None   # what was recognised stays visible


def test_a_source_that_does_not_add_up_is_not_confirmed_by_ocr():
    # 洪泽区 2023 prints table 四 with 复议 10 + 1 + 0 + 0 and 总计 0 (and 复议后起诉 5 + 0 + 0 + 0 with
    # 总计 0): read from the text layer as printed, but from a scan no identity confirms those cells.
    rec = scanned_record("hongze-2023-report.pdf", (1, 3, 4))
    exp = load_expected(EXPECTED / "hongze-2023-report.pdf.json")
    assert_no_wrong_number(rec, exp)
    for outcome in ("upheld", "corrected", "other", "pending", "total"):
        assert rec["review_litigation"][f"review.{outcome}"] is None
        assert f"review_litigation.review.{outcome}" in rec["unparsed"]
    assert rec["review_litigation"]["suit_direct.total"] == exp["review_litigation"]["suit_direct.total"]


def test_image_file_is_read_too():
    # page 5 of the scan as a bare JPEG (an image attachment): recognised, not left as needs_ocr
    import pypdfium2 as pdfium

    page = pdfium.PdfDocument(scan_of("huaian-2024-report.pdf", [5]))[0]
    buf = io.BytesIO()
    page.render(scale=150 / 72, grayscale=True).to_pil().convert("L").save(buf, "JPEG", quality=70)
    rec = extract_bytes(buf.getvalue(), filename="table.jpg")
    assert rec["outcome"] != "needs_ocr"
    assert "结转下年度继续办理" in rec["text"] and "政府信息公开行政复议" in rec["text"]
