"""Every bound extraction applies to one document, in one place (the README's *Limits* lists them).

A bound that is hit never crashes and never guesses: the document or the cell gets a recorded outcome
or an `unparsed` entry that says which bound, and the rest of the document is still read.
"""

from __future__ import annotations

import io
import zipfile

# ── figures (extract/tables.py) ──────────────────────────────────────────────────────────────────
# Counts (documents, decisions, requests, reviews, lawsuits) are non-negative integers below this:
# China's largest agencies report a few million decisions a year; 10^9 is three orders above any real
# figure and safely inside SQLite's 64-bit integers, so sums over every report cannot overflow.
MAX_COUNT = 10 ** 9
# 行政事业性收费 in 万元: the largest provincial figures are in the 10^7 万元; 10^9 万元 (10^13 元) is the bound.
MAX_FEE_WAN_YUAN = 10 ** 9
# 政府集中采购 amounts in 元: 10^13 元 (ten trillion) is far above any agency's procurement.
MAX_AMOUNT_YUAN = 10 ** 13
# a number cell longer than this is not a figure (a 4,300-digit int() is also slow, and json refuses it)
MAX_NUMBER_CHARS = 24


def figure_problem(value, column: str) -> str | None:
    """Why a parsed cell value is not a figure of its column, or None when it is within reason.
    `change` (本年增/减) may be negative; amounts may have decimals; everything else is a count."""
    if value is None:
        return None
    if column == "amount_wan_yuan":
        bound, what = MAX_FEE_WAN_YUAN, "a fee in 万元"
    elif column == "amount_yuan":
        bound, what = MAX_AMOUNT_YUAN, "an amount in 元"
    else:
        if value != int(value):
            return f"{value} is not a whole number (a count)"
        if column == "change":
            return None if -MAX_COUNT < value < MAX_COUNT else f"{value} is beyond ±{MAX_COUNT:,} (a change in a count)"
        bound, what = MAX_COUNT - 1, "a count"
    if value < 0:
        return f"{value} is negative ({what} is ≥ 0)"
    if value > bound:
        return f"{value} is above {bound:,} ({what})"
    return None

# ── spans (extract/readers/html.py) ──────────────────────────────────────────────────────────────
# re-exported here for the README; the reader owns them
from extract.readers.html import MAX_DOCUMENT_CELLS, MAX_TABLE_CELLS  # noqa: E402

# ── OCR (extract/readers/pdf.py, ocr.py) ───────────────────────────────────────────────────────────
# Pages (of a scanned PDF, or frames of a multi-page image) recognised per document. OCR costs ~3.5 s of
# CPU a page, so 10 pages stay within the extraction worker's 60 s page limit on an idle machine; a real
# 年报 has its tables within its first ten pages. The pages past the bound are not read, and the record's
# `detail` names them (their cells are null and in `unparsed`, never guessed).
MAX_OCR_PAGES = 10

# ── the crawler's anti-bot checks (crawler/middlewares.py), run on Scrapy's reactor thread ──────────
# They see every response (pages up to DOWNLOAD_MAXSIZE, 32 MB), so each looks at a bounded part of it.
CHALLENGE_SCAN_BYTES = 20_000     # WAF challenge markers ($_ts, __jsluid, 安全验证) sit in a page's first KB
NEAR_EMPTY_TEXT = 200             # bytes of text outside tags, scripts and styles below which a page is a shell
NEAR_EMPTY_SCAN_TAGS = 20_000     # the near-empty test steps over at most this many tags: a page with under
                                  # 200 bytes of text in its first 20,000 tags is recorded `blocked` (the real
                                  # pages of the corpus and fixtures reach 200 bytes within 340 tags)

# ── zip containers: .docx, .xlsx (extract/readers/docx.py, convert.py) ─────────────────────────────
MAX_ZIP_MEMBER = 64 * 1024 * 1024       # one inflated part (document.xml of a real 年报 is < 2 MB)
MAX_ZIP_TOTAL = 256 * 1024 * 1024       # all parts together
MAX_ZIP_MEMBERS = 10_000
MAX_ZIP_RATIO = 200                      # inflated ÷ compressed, per part above 1 MB

__all__ = ["MAX_COUNT", "MAX_FEE_WAN_YUAN", "MAX_AMOUNT_YUAN", "MAX_NUMBER_CHARS", "figure_problem", "MAX_TABLE_CELLS", "MAX_DOCUMENT_CELLS",
           "MAX_OCR_PAGES", "CHALLENGE_SCAN_BYTES", "NEAR_EMPTY_TEXT", "NEAR_EMPTY_SCAN_TAGS",
           "MAX_ZIP_MEMBER", "MAX_ZIP_TOTAL", "MAX_ZIP_MEMBERS", "MAX_ZIP_RATIO", "ZipBomb", "check_zip"]


class ZipBomb(ValueError):
    pass


def check_zip(data: bytes) -> None:
    """Raise ZipBomb unless every member of the zip inflates within the bounds — first by the sizes the
    zip declares, then by inflating each member in 1 MB steps and counting (a declared size can lie)."""
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        return  # not a zip: the reader says what it is
    infos = z.infolist()
    if len(infos) > MAX_ZIP_MEMBERS:
        raise ZipBomb(f"{len(infos):,} zip members (limit {MAX_ZIP_MEMBERS:,})")
    declared = sum(i.file_size for i in infos)
    for i in infos:
        if i.file_size > MAX_ZIP_MEMBER:
            raise ZipBomb(f"{i.filename} declares {i.file_size:,} bytes inflated (limit {MAX_ZIP_MEMBER:,})")
        if i.file_size > 1024 * 1024 and i.file_size > MAX_ZIP_RATIO * max(i.compress_size, 1):
            raise ZipBomb(f"{i.filename} inflates {i.file_size // max(i.compress_size, 1):,}× (limit {MAX_ZIP_RATIO}×)")
    if declared > MAX_ZIP_TOTAL:
        raise ZipBomb(f"members declare {declared:,} bytes inflated (limit {MAX_ZIP_TOTAL:,})")
    total = 0
    for i in infos:
        seen = 0
        try:
            with z.open(i) as member:
                while chunk := member.read(1024 * 1024):
                    seen += len(chunk)
                    total += len(chunk)
                    if seen > min(MAX_ZIP_MEMBER, i.file_size) or total > MAX_ZIP_TOTAL:
                        raise ZipBomb(f"{i.filename} inflates past {seen:,} bytes (declared {i.file_size:,})")
        except (zipfile.BadZipFile, EOFError, OSError, NotImplementedError, RuntimeError) as exc:
            # zipfile itself stops a member that inflates past its declared size (BadZipFile)
            raise ZipBomb(f"{i.filename}: {type(exc).__name__}: {exc}") from exc
