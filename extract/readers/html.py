"""HTML → rows. Tables come from the DOM with their spans expanded into a grid in which a merged
cell's continuation is None and an empty cell is "" (so the two are never confused). Everything else
becomes text lines at block boundaries. Which part of the page is the report is the cleaning step's
decision (pipelines/chrome.py); this reader reads whatever element it is given."""

from __future__ import annotations

import re

from lxml import etree

from extract.document import Document

BLOCK = {"p", "div", "br", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "tr", "table", "section",
         "article", "header", "footer", "blockquote", "pre", "dd", "dt", "dl", "center", "form", "hr", "tbody"}
SKIP = {"script", "style", "noscript", "template", "head", "title", "select", "option", "button", "iframe",
        "object", "embed", "svg", "textarea"}
SPACE = re.compile(r"[ \t\r\f\v\xa0\u3000]+")


_PARSER = etree.HTMLParser(remove_comments=True, remove_pis=True)
# libxml2 stops parsing at a text node over 10,000,000 bytes (its "huge" limit) and drops the rest of the page;
# such a page (a padding or spam blob, never a real report's text) is parsed again with the limit lifted — the
# page is at most DOWNLOAD_MAXSIZE (32 MB) from a crawl, and deep nesting still ends in a recorded error.
_HUGE_PARSER = etree.HTMLParser(remove_comments=True, remove_pis=True, huge_tree=True)


def parse_html(text: str, warnings: list[str] | None = None) -> etree._Element:
    """Plain lxml.etree elements (lxml.html's per-element class lookup costs a third of a page's time).
    `warnings` gets a line when the page needed the parser's size limit lifted."""
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text)
    root = etree.fromstring(text, _PARSER) if text.strip() else None
    if any(e.type_name == "ERR_RESOURCE_LIMIT" for e in _PARSER.error_log):
        root = etree.fromstring(text, _HUGE_PARSER)
        if warnings is not None:
            warnings.append("a text run over 10,000,000 characters (past the HTML parser's usual limit): "
                            "the page was read with the limit lifted")
    return root if root is not None else etree.fromstring("<html><body></body></html>", _PARSER)


def cell_text(el: etree._Element) -> str:
    """A cell's text: inline runs joined without spaces ('1'+'2' → '12'), blocks on new lines."""
    if len(el) == 0:  # a cell with no child element (most of a table): its own text
        return _lines(el.text or "")
    parts: list[str] = []

    def walk(e):
        tag = e.tag if isinstance(e.tag, str) else ""
        if tag.lower() in SKIP:
            if e.tail:
                parts.append(e.tail)
            return
        if tag.lower() in ("br", "p", "div") and parts:
            parts.append("\n")
        if e.text:
            parts.append(e.text)
        for c in e:
            walk(c)
        if e.tail and e is not el:
            parts.append(e.tail)

    walk(el)
    return _lines("".join(parts))


def _lines(s: str) -> str:
    if "\n" not in s:
        return SPACE.sub(" ", s).strip()
    lines = [SPACE.sub(" ", ln).strip() for ln in s.split("\n")]
    return "\n".join(ln for ln in lines if ln)


# A national table is a few hundred cells; a grid past these bounds is not a report table but a span bomb
# (`colspan=200 rowspan=200` in every cell): it is skipped, and the document says so.
MAX_TABLE_CELLS = 50_000
MAX_DOCUMENT_CELLS = 200_000


class TableTooLarge(ValueError):
    pass


def table_grid(table: etree._Element, budget: int = MAX_TABLE_CELLS) -> list[list[str | None]]:
    """Expand rowspan/colspan. Spanned positions are None; missing trailing cells are padded with None.
    A rowspan stops at the table's last row (as in a browser). Raises TableTooLarge, before expanding
    anything, when the grid would hold more than `budget` cells."""
    rows = [tr for tr in table.iter("tr") if _owning_table(tr) is table]
    cells: list[list[tuple[etree._Element, int, int]]] = []  # each row's (cell, colspan, rowspan)
    area = 0
    for r, tr in enumerate(rows):
        row = []
        for td in tr:
            if isinstance(td.tag, str) and td.tag.lower() in ("td", "th"):
                cs, rs = _span(td.get("colspan")), min(_span(td.get("rowspan")), len(rows) - r)
                row.append((td, cs, rs))
                area += cs * rs
        if area > budget:
            raise TableTooLarge(f"a table of more than {budget:,} cells once its spans are expanded")
        cells.append(row)
    grid: list[list[str | None]] = []
    pending: set[tuple[int, int]] = set()
    for r, row in enumerate(cells):
        # filled left to right: a line is always exactly c positions long, so every position is an append
        line: list[str | None] = []
        grid.append(line)
        c = 0
        for td, cs, rs in row:
            while (r, c) in pending:
                line.append(None)
                c += 1
            line.append(cell_text(td))
            line.extend([None] * (cs - 1))
            for dr in range(1, rs):
                for dc in range(cs):
                    pending.add((r + dr, c + dc))
            c += cs
        while (r, c) in pending:
            line.append(None)
            c += 1
    width = max((len(r) for r in grid), default=0)
    if width * len(grid) > budget:
        raise TableTooLarge(f"a table of more than {budget:,} cells once its rows are padded")
    # every spanned position is already None (pending positions lie within the rows' width): padding is all
    for line in grid:
        line += [None] * (width - len(line))
    return [row for row in grid if any(f is not None for f in row)]  # an all-empty row is a row of blanks


def _span(v) -> int:
    if v is None:  # most cells have no span: no int("None") exception twice per cell (~2 ms a page)
        return 1
    try:
        return max(1, min(int(str(v).strip() or 1), 200))
    except ValueError:
        return 1


def _owning_table(el):
    p = el.getparent()
    while p is not None and (not isinstance(p.tag, str) or p.tag.lower() != "table"):
        p = p.getparent()
    return p


def read_element(root: etree._Element, doc: Document | None = None) -> Document:
    """Walk an element in document order: data tables → grids, the rest → text lines."""
    doc = doc or Document()
    buf: list[str] = []
    budget = [MAX_DOCUMENT_CELLS]

    def flush():
        s = SPACE.sub(" ", "".join(buf)).strip()
        buf.clear()
        for ln in s.split("\n"):
            ln = ln.strip()
            if ln:
                doc.add_line(ln)

    def walk(e):
        tag = e.tag.lower() if isinstance(e.tag, str) else ""
        if tag in SKIP or not tag:
            if e.tail:
                buf.append(e.tail)
            return
        if tag == "img" and e.get("src"):
            # a table pasted as a picture: remembered where it sits, recognised later if its bytes are
            # at hand (readers/ocr.splice_images); the row before it anchors it
            flush()
            doc.images.append((doc.rows[-1] if doc.rows else None, e.get("src").strip()))
        if tag == "table" and not any(True for _ in e.iterdescendants("table")):
            flush()
            try:
                grid = table_grid(e, min(MAX_TABLE_CELLS, budget[0]))
            except TableTooLarge as exc:
                doc.warn(f"table skipped: {exc}")
                grid = []
            budget[0] -= sum(len(row) for row in grid)
            if grid:
                doc.add_grid(grid, aligned=True)
        else:
            if tag in BLOCK:
                buf.append("\n")
            if e.text:
                buf.append(e.text)
            for c in e:
                walk(c)
            if tag in BLOCK:
                buf.append("\n")
        if e.tail:
            buf.append(e.tail)

    walk(root)
    flush()
    return doc


def page_title(tree: etree._Element) -> str | None:
    for xp in ('//meta[@name="ArticleTitle"]/@content', '//meta[@name="articletitle"]/@content', "//title/text()"):
        v = tree.xpath(xp)
        if v and v[0].strip():
            return SPACE.sub(" ", v[0]).strip()
    return None


def read_html(text: str) -> Document:
    warnings: list[str] = []
    tree = parse_html(text, warnings)
    body = tree.find("body")
    doc = read_element(body if body is not None else tree)
    for w in warnings:
        doc.warn(w)
    doc.title = page_title(tree)
    return doc
