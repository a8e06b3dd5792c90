"""PDF (with a text layer) → rows, via pdfplumber.

Tables come from pdfplumber's ruling-line detection, which already tells a merged area (None) from an
empty cell (""). A table that runs over a page break simply continues in the next page's rows, which
is all the label matcher needs. Text outside tables becomes lines; page-number lines ('- 4 -') go.
A page with no text layer (a scan, an image-only page) is recognised by OCR (readers/ocr.py) in its place;
without tesseract a PDF with no text layer at all is outcome needs_ocr.
"""

from __future__ import annotations

import io
import re

from extract.document import Document

PAGE_NUMBER = re.compile(r"^\s*[-—–]?\s*\d{1,3}\s*[-—–]?\s*$|^\s*第\s*\d+\s*页(?:\s*共\s*\d+\s*页)?\s*$")


def _inside(obj, boxes) -> bool:
    x = (obj["x0"] + obj["x1"]) / 2
    y = (obj["top"] + obj["bottom"]) / 2
    return any(b[0] <= x <= b[2] and b[1] <= y <= b[3] for b in boxes)


def read_pdf(data: bytes, max_ocr_pages: int | None = None) -> Document:
    """`max_ocr_pages`: how many text-less pages OCR reads (default extract.limits.MAX_OCR_PAGES); the
    text-less pages past it are named in `detail`, not read."""
    import pdfplumber

    from extract import limits
    from extract.readers import ocr

    if max_ocr_pages is None:
        max_ocr_pages = limits.MAX_OCR_PAGES
    recognised, not_read = 0, []   # page numbers (1-based) OCR left out at the bound

    doc = Document(content_type="application/pdf")
    chars = images = 0   # images: anything drawn (a scan, or text as outlines) that OCR could read
    can_ocr = None
    try:
        pdf = pdfplumber.open(io.BytesIO(data))
        pages = pdf.pages
    except Exception as exc:  # noqa: BLE001 - pdfplumber wraps pdfminer's errors, often with no message
        return Document(content_type="application/pdf", outcome="error", detail=_pdf_problem(exc))
    if _page_tree_cycles(pdf):
        doc.warn("the PDF's page tree refers back to itself (a cycle); pages were found by scanning the file")
    with pdf:
        for number, page in enumerate(pages):
            images += len(page.images) + len(page.rects) + len(page.curves) + len(page.lines)  # drawn text counts
            if not page.chars:  # a scanned or image-only page: recognise it in place
                if can_ocr is None:
                    can_ocr = ocr.tesseract_available()
                if can_ocr and page.images:
                    if recognised >= max_ocr_pages:
                        not_read.append(number + 1)
                        continue
                    recognised += 1
                    ocr.read_images(ocr.pdf_pages(data, pages=[number]), doc)
                continue
            tables = page.find_tables()
            boxes = [t.bbox for t in tables]
            items: list[tuple[float, str, object]] = []
            for t in tables:
                items.append((t.bbox[1], "table", t.extract()))
            outside = page.filter(lambda o: o.get("object_type") != "char" or not _inside(o, boxes))
            for line in outside.extract_text_lines(layout=False, strip=True):
                items.append((line["top"], "line", line["text"]))
            chars += len(page.chars)
            for _, kind, content in sorted(items, key=lambda x: x[0]):
                if kind == "line":
                    if not PAGE_NUMBER.match(content):
                        doc.add_line(content)
                else:
                    grid = [[None if c is None else c.strip() for c in row] for row in content]
                    grid = [r for r in grid if any(c not in (None, "") for c in r)]
                    grid = [[c for c in r] for r in grid]
                    if grid:
                        doc.add_grid(grid, aligned=True)
    if not_read:
        doc.warn(f"OCR limit: {len(not_read)} scanned page(s) not read ({ocr.page_list(not_read)} of {len(pages)}; "
                 f"at most {max_ocr_pages} page(s) are recognised per document)")
    if not pages:
        doc.outcome = "error"
        doc.detail = "the PDF has no page that can be reached (its page tree is empty, broken or cyclic)"
    elif chars == 0 and images == 0:
        doc.outcome = "error"
        doc.detail = f"the PDF's {len(pages)} page(s) hold neither text nor images or drawings: nothing to read or OCR"
    elif chars == 0 and not doc.rows:
        doc.outcome = "needs_ocr"
        doc.detail = "PDF has no text layer (a scan); OCR is needed to read it" + \
            (" and recognised no text" if can_ocr else " (tesseract with chi_sim is not installed)")
    return doc


def _pdf_problem(exc: Exception) -> str:
    """What stopped pdfplumber, in words (its exceptions often carry no message)."""
    cause = exc
    while cause.__cause__ is not None or cause.__context__ is not None:
        cause = cause.__cause__ or cause.__context__
    names = {type(exc).__name__, type(cause).__name__}
    if names & {"PDFPasswordIncorrect", "PDFEncryptionError", "PDFEncryptionWarning"} or "password" in str(cause).lower():
        return "the PDF is encrypted (password-protected): its text cannot be read without the password"
    return f"cannot read pdf: {type(exc).__name__}: {exc or cause}".rstrip(": ")[:300]


def _page_tree_cycles(pdf) -> bool:
    """Whether the /Pages tree reaches a node twice (pdfminer then falls back to scanning every object)."""
    from pdfminer.pdftypes import resolve1

    try:
        root = pdf.doc.catalog.get("Pages")
    except Exception:  # noqa: BLE001
        return False
    seen: set[int] = set()
    stack = [root]
    while stack and len(seen) < 100_000:
        ref = stack.pop()
        objid = getattr(ref, "objid", None)
        if objid is not None:
            if objid in seen:
                return True
            seen.add(objid)
        try:
            node = resolve1(ref)
        except Exception:  # noqa: BLE001
            continue
        if isinstance(node, dict) and "Kids" in node:
            kids = resolve1(node["Kids"])
            stack.extend(kids if isinstance(kids, list) else [])
    return False
