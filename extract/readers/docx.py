"""DOCX → rows, via python-docx. Word repeats a merged cell in every position it spans; a repeat of
the cell to the left or above is turned into None so the grid keeps merged apart from empty."""

from __future__ import annotations

import io

from extract.document import Document


def read_docx(data: bytes) -> Document:
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    from extract.limits import check_zip

    check_zip(data)  # a part that inflates past the bounds is refused before python-docx inflates it
    d = docx.Document(io.BytesIO(data))
    doc = Document(content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    def walk(parent) -> None:
        for child in parent.iterchildren():
            tag = child.tag.rsplit("}", 1)[-1]
            if tag == "p":
                text = Paragraph(child, d).text.strip()
                if text:
                    doc.add_line(text)
            elif tag == "tbl":
                add_table(Table(child, d))
            elif tag in ("sdt", "sdtContent", "customXml"):
                walk(child)  # content controls wrap ordinary paragraphs and tables

    def add_table(table) -> None:
        grid: list[list[str | None]] = []
        above: list = []
        for row in table.rows:
            line: list[str | None] = []
            tcs = [c._tc for c in row.cells]
            for k, cell in enumerate(row.cells):
                tc = tcs[k]
                if (k and tcs[k - 1] is tc) or (k < len(above) and above[k] is tc):
                    line.append(None)
                else:
                    line.append("\n".join(p.text.strip() for p in cell.paragraphs if p.text.strip()))
            above = tcs
            grid.append(line)
        grid = [r for r in grid if any(c is not None for c in r)]  # an all-empty row is still a row of blanks
        if grid:
            doc.add_grid(grid, aligned=True)

    walk(d.element.body)
    return doc
