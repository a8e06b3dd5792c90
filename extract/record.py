"""Bytes or a file → the canonical record of ../shared/spec/report-schema.md.

`extract_bytes` never raises for bad input: a document it cannot read still yields a record, with
`outcome` and `detail` saying why (`needs_conversion`, `needs_ocr`, `error`) and empty tables.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from extract import tables as T
from extract.checks import prose_checks, table_checks
from extract.computed import fill_blank_totals
from extract.document import Document
from extract.encoding import UndecodableError, charset_from_content_type, decode
from extract.formats import ACTIVE_START, APPLICATIONS_START, REVIEW_END
from extract.meta import agency_from_text, agency_from_title, find_published, find_title, find_year
from extract.normalize import clean_artefacts, normalize
from extract.ocr_confirm import confirm_ocr_cells, mark_tables_from_ocr
from extract.prose import find_legacy_table, find_prose, table_statements

KINDS_BY_SUFFIX = {
    ".html": "html", ".htm": "html", ".shtml": "html", ".xhtml": "html", ".jhtml": "html", ".jsp": "html",
    ".txt": "text", ".md": "text", ".pdf": "pdf", ".docx": "docx", ".doc": "doc", ".wps": "wps",
    ".xls": "xls", ".xlsx": "xlsx", ".et": "et", ".jpg": "image", ".jpeg": "image", ".png": "image",
    ".gif": "image", ".bmp": "image", ".tif": "image", ".tiff": "image", ".webp": "image",
}


def sniff(data: bytes, filename: str | None = None, content_type: str | None = None) -> str:
    """What kind of document the bytes are: magic numbers first, then the name, then the content type."""
    head = data[:8]
    if head.startswith(b"%PDF"):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        if b"word/" in data[:4000] or (filename or "").lower().endswith(".docx"):
            return "docx"
        return "xlsx" if b"xl/" in data[:4000] else "zip"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        suffix = Path(filename or "").suffix.lower().lstrip(".")
        return suffix if suffix in ("doc", "wps", "xls", "et") else "doc"
    if head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"BM", b"II*\x00", b"MM\x00*")) or data[8:12] == b"WEBP":
        return "image"
    suffix = Path(filename or "").suffix.lower()
    if suffix in KINDS_BY_SUFFIX:
        return KINDS_BY_SUFFIX[suffix]
    ct = (content_type or "").lower()
    if "html" in ct:
        return "html"
    if "pdf" in ct:
        return "pdf"
    if re.search(rb"<(?:!doctype\s+html|html|body|table|div|p)[\s>]", data[:2048], re.I):
        return "html"
    return "text"


def read_document(data: bytes, kind: str, content_type: str | None = None) -> Document:
    """Bytes → Document with the reader for the kind; never raises for bad input."""
    try:
        if kind in ("html", "text"):
            text, enc = decode(data, charset_from_content_type(content_type))
            if kind == "html":
                from extract.readers.html import read_html

                doc = read_html(text)
            else:
                from extract.readers.text import read_text

                doc = read_text(text)
            doc.encoding = enc
        elif kind == "pdf":
            from extract.readers.pdf import read_pdf

            doc = read_pdf(data)
        elif kind == "docx":
            from extract.readers.docx import read_docx

            doc = read_docx(data)
        elif kind in ("doc", "wps", "xls", "et", "xlsx"):
            from extract.readers.convert import convert_to_html

            doc = convert_to_html(data, kind)
        elif kind == "image":
            from extract.readers import ocr

            if ocr.tesseract_available():
                doc = ocr.read_image(data)
            else:
                doc = Document(outcome="needs_ocr", detail="an image or scan: OCR is needed to read it "
                                                           "(tesseract with chi_sim is not installed)")
        else:
            doc = Document(outcome="error", detail=f"unsupported document kind: {kind}")
    except UndecodableError as exc:
        doc = Document(outcome="error", detail=f"cannot decode: {exc}")
    except Exception as exc:  # noqa: BLE001 - a broken file must become a record, not a crash
        doc = Document(outcome="error", detail=f"cannot read {kind}: {type(exc).__name__}: {exc}"[:500])
    return doc


def _region_start(pattern: str, text: str, start: int = 0) -> int | None:
    m = re.compile(pattern).search(text, start)
    return m.start() if m else None


def record_from_document(doc: Document, source: dict) -> dict:
    """The canonical record of one read document."""
    lines = [r.fields[0] if not r.grid else "\t".join(f for f in r.fields if f) for r in doc.rows]
    text = clean_artefacts("\n".join(lines)).strip()
    norm = normalize(text)
    flat = T.Flat.build(doc)

    title_src = normalize(doc.title) if doc.title else None
    title = find_title([normalize(ln) for ln in lines[:12]], title_src)
    agency = agency_from_title(title) or agency_from_text(norm)
    year = find_year(title, norm)
    page_meta = dict(doc.page_meta)
    published = find_published({k: normalize(v) for k, v in page_meta.items()}, norm)

    # Regions: table 二 from its first 第二十条 block, 三 from its heading or first row, 四 after 三.
    t2 = _region_start(ACTIVE_START, flat.text)
    t3 = _region_start(APPLICATIONS_START, flat.text, t2 or 0)
    stated = table_statements(norm)
    active_format, active = (None, T.TableResult())
    if t2 is not None:
        active_format, active = T.read_active(flat, t2, t3 if t3 is not None else len(flat.text), stated)
    layout, apps = (None, T.TableResult())
    review = T.TableResult()
    t4 = t5 = None
    if t3 is not None:
        t4 = _region_start(r"行政复议\s*[、,和及]?\s*行政诉讼|复议\s*[、,和及]\s*诉讼", flat.text, t3 + 10)
        layout, apps = T.read_applications(flat, t3, t4 if t4 is not None else len(flat.text))
        if t4 is not None:
            t5 = _region_start(REVIEW_END, flat.text, t4 + 10)
            review = T.read_review(flat, t4, t5 if t5 is not None else len(flat.text))
    ocr_tables = []
    if doc.ocr:  # which tables were read from rows recognised in images
        bounds = {"active": (t2, t3), "applications": (t3, t4), "review_litigation": (t4, t5)}
        for table, (a, b) in bounds.items():
            if a is not None and _ocr_in(flat, a, b if b is not None else len(flat.text)):
                ocr_tables.append(table)

    has_tables = bool(active.values or apps.values or review.values)
    if active_format:
        fmt = active_format
    elif layout:
        fmt = layout
    elif not has_tables and (year is None or year < 2019):
        fmt = "legacy"
    else:
        fmt = "2021" if (year or 0) >= 2021 else "2019"

    said, said_evidence = find_prose(norm)
    prose, evidence = dict(said), dict(said_evidence)
    legacy_figures: dict = {}
    unparsed = active.unparsed + apps.unparsed + review.unparsed
    if fmt == "legacy":
        legacy_figures, legacy_evidence, legacy_unparsed = find_legacy_table(norm)
        prose.update(legacy_figures)
        evidence.update(legacy_evidence)
        unparsed += legacy_unparsed
        # the table's figure wins; a sentence that disagrees is kept as evidence in the check
        said = {k: v for k, v in said.items() if k in legacy_figures}

    record = {
        "agency": agency,
        "year": year,
        "format": fmt,
        "applications_layout": None if fmt == "legacy" else layout,
        "title": title,
        "published": published,
        "page_meta": page_meta,
        "active": active.values if fmt != "legacy" else {},
        "applications": apps.values if fmt != "legacy" else {},
        "review_litigation": review.values if fmt != "legacy" else {},
        "prose": prose,
        "prose_evidence": evidence,
        "raw": {**active.raw, **apps.raw, **review.raw},
        "unparsed": unparsed,
        "unparsed_reasons": {**active.reasons, **apps.reasons, **review.reasons},
        "checks": [],
        "spam": [],
        "text": text,
        "source": source,
        "outcome": doc.outcome,
        "detail": doc.detail,
    }
    cell_info: dict = {**active.info, **apps.info, **review.info}
    if ocr_tables:
        mark_tables_from_ocr(record, cell_info, ocr_tables)
        confirm_ocr_cells(record, cell_info, stated if active_format == "2021" else None)
    computed_by = fill_blank_totals(record, cell_info) if fmt != "legacy" else set()
    record["cell_info"] = cell_info
    record["checks"] = [c for c in table_checks(record) if (c["rule"], c["key"]) not in computed_by] + prose_checks(said if fmt == "legacy" else prose, record,
                                                           legacy_figures)
    if doc.outcome == "ok":
        record["outcome"], record["detail"] = _content_outcome(record, norm, has_tables)
    if doc.encoding and "+" in doc.encoding:
        doc.warn(f"mixed or damaged encoding ({doc.encoding}): parts of the page were decoded differently; "
                 "check the text against the archived bytes")
    if record["unparsed_reasons"]:
        doc.warn("figures out of bounds, left unparsed: " + "; ".join(
            f"{k} {v}" for k, v in list(record["unparsed_reasons"].items())[:5]))
    if doc.warnings:  # a bound that cut something, or a doubtful reading: said, never silent
        record["detail"] = "; ".join(d for d in (record["detail"], *doc.warnings) if d)
    return record


def _ocr_in(flat: T.Flat, start: int, end: int) -> bool:
    i0, _ = flat.locate(start)
    i1, _ = flat.locate(max(end - 1, start))
    return any(r.ocr is not None for r in flat.rows[i0:i1 + 1])


def _content_outcome(record: dict, norm: str, has_tables: bool) -> tuple[str, str]:
    """Say plainly when a readable document is not (or not visibly) a report, so it is never stored
    as a silent empty one."""
    if not norm.strip():
        return "empty", "the document has no text"
    if has_tables:
        return "ok", ""
    about_disclosure = re.search(r"政府信息公开|政务公开|信息公开", norm)
    if record["format"] != "legacy":
        return "no_tables", "no table 二/三/四 was found in the document (tables may be images or attachments)"
    if not record["prose"] and not (record["title"] and about_disclosure):
        return "not_a_report", "no report title, tables or figures: this does not read as an annual report"
    return "ok", ""


def source_info(data: bytes, doc: Document, kind: str, *, filename: str | None = None, url: str | None = None,
                content_type: str | None = None) -> dict:
    """The record's `source`: where the bytes came from, their sha256, the encoding and type used."""
    return {
        ("url" if url else "path"): url or filename,
        "sha256": hashlib.sha256(data).hexdigest(),
        "encoding": doc.encoding,
        "content_type": content_type or doc.content_type or _content_type(kind),
        "kind": kind,
        "size": len(data),
    }


def extract_bytes(data: bytes, *, filename: str | None = None, url: str | None = None,
                  content_type: str | None = None) -> dict:
    kind = sniff(data, filename, content_type)
    doc = read_document(data, kind, content_type)
    return record_from_document(doc, source_info(data, doc, kind, filename=filename, url=url,
                                                 content_type=content_type))


def _content_type(kind: str) -> str:
    return {"html": "text/html", "text": "text/plain", "pdf": "application/pdf",
            "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "doc": "application/msword", "image": "image/*"}.get(kind, "application/octet-stream")


def extract_file(path: str | Path) -> dict:
    path = Path(path)
    return extract_bytes(path.read_bytes(), filename=str(path))
