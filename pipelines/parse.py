"""decode → strip chrome → remove spam → extract: the one path every caller takes.

`nianbao extract`, `nianbao clean`, `nianbao ingest` and the crawler's pipeline all call
`clean_and_extract`, so a page gives the same record however it arrived. The raw bytes are never
changed: cleaning works on the parsed document, and every removal is listed in the record
(`spam` findings, `chrome.removed`).
"""

from __future__ import annotations

from extract.document import Document
from extract.encoding import UndecodableError, charset_from_content_type, decode
from extract.record import read_document, record_from_document, sniff, source_info
from pipelines.chrome import Chrome, clean_html_tree, filter_to_main_text, strip_chrome_lines
from pipelines.spam import find_hidden_spam, mirror_findings, remove_inline_spam


def clean_document(data: bytes, *, filename: str | None = None, url: str | None = None,
                   content_type: str | None = None, registry_hosts=frozenset()) -> tuple[Document, list, Chrome, str]:
    """(cleaned document, spam findings, chrome removed, kind)."""
    kind = sniff(data, filename, content_type)
    findings: list[dict] = []
    chrome = Chrome()
    source_text = ""
    if kind in ("html", "text"):
        try:
            source_text, enc = decode(data, charset_from_content_type(content_type))
        except UndecodableError as exc:
            return Document(outcome="error", detail=f"cannot decode: {exc}"), [], chrome, kind
        if kind == "html":
            from extract.readers.html import page_title, parse_html, read_element

            warnings: list[str] = []
            tree = parse_html(source_text, warnings)
            title = page_title(tree)
            findings += find_hidden_spam(tree, registry_hosts)
            content, chrome, meta = clean_html_tree(tree, source_text)
            doc = read_element(content)
            for w in warnings:
                doc.warn(w)
            doc.title = title
            doc.page_meta = dict(meta)
            keep = getattr(chrome, "keep_lines", None)
            if keep is not None:
                chrome.removed += filter_to_main_text(doc, keep)
        else:
            from extract.readers.text import read_text

            doc = read_text(source_text)
        doc.encoding = enc
    else:
        doc = read_document(data, kind, content_type)
    lines = strip_chrome_lines(doc)
    chrome.removed += lines.removed
    for k, v in lines.page_meta.items():
        doc.page_meta.setdefault(k, v)
    chrome.page_meta = doc.page_meta
    findings += remove_inline_spam(doc, source_text)
    return doc, findings, chrome, kind


def clean_and_extract(data: bytes, *, filename: str | None = None, url: str | None = None,
                      content_type: str | None = None, registry_hosts=frozenset(), images=None) -> dict:
    """The canonical record of a fetched or local document, cleaned; never raises for bad input.
    `images`: src → bytes of the page's `<img>` pictures (or None), to read tables pasted as pictures."""
    try:
        doc, findings, chrome, kind = clean_document(data, filename=filename, url=url, content_type=content_type,
                                                     registry_hosts=registry_hosts)
        if images is not None and doc.images:
            from extract.readers.ocr import splice_images

            splice_images(doc, images.get if isinstance(images, dict) else images)
    except Exception as exc:  # noqa: BLE001 - a hostile page becomes a record that says why
        doc, findings, chrome, kind = (Document(outcome="error", detail=f"cannot clean: {type(exc).__name__}: {exc}"[:500]),
                                       [], Chrome(), sniff(data, filename, content_type))
    record = record_from_document(doc, source_info(data, doc, kind, filename=filename, url=url,
                                                   content_type=content_type))
    findings += mirror_findings(url, doc.title or record.get("title"), registry_hosts)
    record["spam"] = findings
    record["quarantined"] = any(f["action"] == "quarantined" for f in findings)
    record["chrome"] = {"container": chrome.container, "removed": chrome.removed}
    return record
