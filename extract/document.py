"""What every reader hands the table mapper: rows of fields, in reading order.

A row is either a *grid* row (a real table row: HTML/DOCX/PDF table, a pipe row, a tab-indented
cell block) or a *stream* line (plain text whose cell structure was lost). In a grid row a field is
the cell's text, ``""`` for an empty cell and ``None`` for the continuation of a merged cell — so a
merged cell is never mistaken for an empty one.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Row:
    fields: list[str | None]
    grid: bool = False
    table: int | None = None  # index of the table this grid row belongs to
    # True when cells sit in fixed columns (HTML/DOCX/PDF tables): the value columns are the rightmost
    # ones. False for pipe/tab dumps, whose rows often end in stray empty fields.
    aligned: bool = False
    # Per-field OCR confidence (0–1, None where unknown) when the row was recognised from an image;
    # None for rows read from a text layer or markup.
    ocr: list[float | None] | None = None

    @property
    def text(self) -> str:
        return " ".join(f for f in self.fields if f)


@dataclass
class Document:
    rows: list[Row] = field(default_factory=list)
    title: str | None = None          # title found by the reader (HTML <title>/h1, PDF first lines…)
    page_meta: dict = field(default_factory=dict)  # 信息公开 metadata table, header block
    encoding: str | None = None
    content_type: str | None = None
    outcome: str = "ok"               # ok / needs_conversion / needs_ocr / error
    detail: str = ""
    ocr: bool = False                 # some rows were recognised from images (readers/ocr.py)
    # <img> in an HTML page: (the row it follows, or None at the start; its src), in page order
    images: list = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # what a bound cut or a reader doubted (into `detail`)
    tables: int = 0

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)

    def add_line(self, text: str) -> None:
        self.rows.append(Row([text], grid=False))

    def add_grid(self, grid: list[list[str | None]], aligned: bool = True) -> None:
        tid = self.tables
        self.tables += 1
        for cells in grid:
            self.rows.append(Row(list(cells), grid=True, table=tid, aligned=aligned))

    @property
    def plain_text(self) -> str:
        """The document as text: grid rows joined by tabs, one row per line."""
        out = []
        for r in self.rows:
            if r.grid:
                out.append("\t".join(f for f in r.fields if f))
            else:
                out.append(r.fields[0] or "")
        return "\n".join(out)
