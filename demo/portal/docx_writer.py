"""A report's blocks as a DOCX attachment, with python-docx: real merged cells (gridSpan / vMerge) in the
same places as the HTML table's colspan/rowspan. The zip is re-packed with fixed timestamps so the bytes
(and so the ETag) are the same on every run."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime

from demo.tables import Table, place


def _table(d, table: Table) -> None:
    from docx.table import _Cell

    cells, nrows, ncols = place(table)
    t = d.add_table(rows=nrows, cols=ncols)
    t.style = "Table Grid"
    # The <w:tc> elements of the unmerged grid, taken once: Table.cell() re-walks the whole table on every
    # call. Merge regions never overlap, so a region's corners are still in place when its turn comes.
    grid = [list(tr.tc_lst) for tr in t._tbl.tr_lst]
    for r, c, rs, cs, cell in cells:
        tc = grid[r][c]
        if rs > 1 or cs > 1:
            tc = tc.merge(grid[r + rs - 1][c + cs - 1])
        _Cell(tc, t).text = cell.text


def report_docx(title: str, blocks: list, author: str = "", date: datetime | None = None) -> bytes:
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    date = date or datetime(2024, 1, 1)
    d = docx.Document()
    cp = d.core_properties
    cp.title, cp.author, cp.last_modified_by = title, author, author
    cp.created = cp.modified = date
    cp.revision = 1
    p = d.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = p.add_run(title)
    run.bold = True
    run.font.size = Pt(16)
    for kind, x in blocks:
        if kind == "p":
            p = d.add_paragraph(x)
            p.paragraph_format.first_line_indent = Pt(21)
        elif kind == "h":
            d.add_paragraph().add_run(x).bold = True
        elif kind == "sign":
            d.add_paragraph(x).alignment = WD_ALIGN_PARAGRAPH.RIGHT
        elif kind == "table":
            _table(d, x)
    buf = io.BytesIO()
    d.save(buf)
    return _repack(buf.getvalue(), date)


def _repack(data: bytes, date: datetime) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    stamp = (max(date.year, 1980), date.month, date.day, 0, 0, 0)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            zi = zipfile.ZipInfo(info.filename, date_time=stamp)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            dst.writestr(zi, src.read(info.filename))
    return out.getvalue()
