"""A small PDF writer for the demo portal's report attachments (no dependency beyond the standard library).

* Text: one Type0 font, /STSong-Light with /Encoding /UniGB-UCS2-H over a CIDFontType0 descendant
  (Adobe-GB1-2) — one of the standard CJK fonts every reader supplies, so nothing is embedded. Strings are
  UTF-16BE hex (`<4E2D6587> Tj`), which is what UniGB-UCS2-H takes. No /ToUnicode is written on purpose:
  for a non-Identity CMap, pdfminer applies /ToUnicode to CIDs rather than to codes and would misread the
  text; without it, readers map CIDs through Adobe-GB1's own Unicode table, which gives the text back exactly.
  ASCII (CIDs 1–95 under UniGB-UCS2-H) is half width (/W [1 95 500]); everything else is 1000.
* Tables: every cell's rectangle is stroked (`re S`), merged cells as one rectangle, so pdfplumber's
  ruling-line table finder sees the same cells, spans and empties as the HTML table.
* Layout: paragraphs wrap at the margin and flow over pages; a table starts on a new page when it does not
  fit on the current one (every table here fits on one A4 page); page numbers `- N -` at the foot.
* Bytes are deterministic: fixed /CreationDate, no random /ID.
"""

from __future__ import annotations

from demo.tables import Table, place

W, H = 595.28, 841.89
MARGIN = 56.0


def char_width(ch: str) -> float:
    return 0.5 if 0x20 <= ord(ch) <= 0x7E else 1.0


def text_width(s: str, size: float) -> float:
    return sum(char_width(c) for c in s) * size


def wrap(text: str, width: float, size: float, first_indent: float = 0.0) -> list[str]:
    """Greedy wrap by characters (CJK text breaks anywhere; ASCII runs are kept whole when they fit)."""
    lines: list[str] = []
    for para in text.split("\n"):
        line, w, limit = "", 0.0, width - first_indent
        i = 0
        while i < len(para):
            # an ASCII run (a number) moves as a whole when it fits on a line
            j = i
            while j < len(para) and para[j].isascii() and not para[j].isspace():
                j += 1
            piece = para[i:j] if j > i else para[i]
            pw = text_width(piece, size)
            if w + pw > limit + 0.01 and line:
                lines.append(line)
                line, w, limit = "", 0.0, width
            if pw > limit + 0.01:  # a piece longer than a line: break it by characters
                for ch in piece:
                    cw = char_width(ch) * size
                    if w + cw > limit + 0.01 and line:
                        lines.append(line)
                        line, w, limit = "", 0.0, width
                    line += ch
                    w += cw
            else:
                line += piece
                w += pw
            i += len(piece)
        lines.append(line)
        first_indent = 0.0
    return lines


def _hex(s: str) -> str:
    for ch in s:
        if ord(ch) > 0xFFFF:
            raise ValueError(f"UniGB-UCS2-H takes BMP characters only: {ch!r}")
    return s.encode("utf-16-be").hex().upper()


def _pdf_string_utf16(s: str) -> str:
    return "<FEFF" + _hex(s) + ">"


class PdfWriter:
    def __init__(self, title: str = "", author: str = "", date: str = "20240101000000+08'00'"):
        self.title, self.author, self.date = title, author, date
        self.pages: list[list[str]] = []
        self.y = MARGIN
        self.new_page()

    # ── drawing ──
    def new_page(self) -> None:
        self.pages.append([])
        self.y = MARGIN

    def text(self, x: float, top: float, s: str, size: float) -> None:
        """Text whose em box starts `top` points below the top edge of the page."""
        if not s:
            return
        baseline = H - top - size * 0.88
        self.pages[-1].append(f"BT /F1 {size:.2f} Tf 1 0 0 1 {x:.2f} {baseline:.2f} Tm <{_hex(s)}> Tj ET")

    def rect(self, x0: float, top: float, x1: float, bottom: float) -> None:
        self.pages[-1].append(f"{x0:.2f} {H - bottom:.2f} {x1 - x0:.2f} {bottom - top:.2f} re S")

    # ── flow ──
    def _room(self, height: float) -> None:
        if self.y + height > H - MARGIN:
            self.new_page()

    def paragraph(self, text: str, size: float = 10.5, indent: int = 2, align: str = "left",
                  leading: float = 1.6) -> None:
        width = W - 2 * MARGIN
        lh = size * leading
        for n, line in enumerate(wrap(text, width, size, first_indent=indent * size)):
            self._room(lh)
            if align == "center":
                x = (W - text_width(line, size)) / 2
            elif align == "right":
                x = W - MARGIN - text_width(line, size)
            else:
                x = MARGIN + (indent * size if n == 0 else 0)
            self.text(x, self.y, line, size)
            self.y += lh

    def space(self, h: float) -> None:
        self.y += h

    def table(self, table: Table, size: float = 7.5, pad: float = 2.5) -> None:
        cells, nrows, ncols = place(table)
        total = W - 2 * MARGIN
        rel = table.widths if len(table.widths) == ncols else [1.0] * ncols
        xs = [MARGIN]
        for w in rel:
            xs.append(xs[-1] + total * w / sum(rel))
        lh = size * 1.25
        lines = {}
        heights = [0.0] * nrows
        for r, c, rs, cs, cell in cells:
            lines[(r, c)] = wrap(cell.text, xs[c + cs] - xs[c] - 2 * pad, size)
        for r, c, rs, cs, cell in sorted(cells, key=lambda t: t[2]):
            need = len(lines[(r, c)]) * lh + 2 * pad + 2
            have = sum(heights[r:r + rs])
            if rs == 1:
                heights[r] = max(heights[r], need)
            elif need > have:
                heights[r + rs - 1] += need - have
        for r in range(nrows):  # rows covered only by spans still need a height
            heights[r] = max(heights[r], lh + 2 * pad + 2)
        # spans were settled before all single rows were known: settle again
        for r, c, rs, cs, cell in cells:
            need = len(lines[(r, c)]) * lh + 2 * pad + 2
            have = sum(heights[r:r + rs])
            if need > have:
                heights[r + rs - 1] += need - have
        height = sum(heights)
        if height > H - 2 * MARGIN:
            raise ValueError(f"table {table.kind} is {height:.0f}pt high: it does not fit on one page")
        self._room(height)
        ys = [self.y]
        for h in heights:
            ys.append(ys[-1] + h)
        for r, c, rs, cs, cell in cells:
            x0, x1, y0, y1 = xs[c], xs[c + cs], ys[r], ys[r + rs]
            self.rect(x0, y0, x1, y1)
            block = lines[(r, c)]
            top = y0 + (y1 - y0 - len(block) * lh) / 2 + (lh - size) / 2
            for k, line in enumerate(block):
                x = x0 + (x1 - x0 - text_width(line, size)) / 2
                self.text(x, top + k * lh, line, size)
        self.y = ys[-1] + 8

    # ── output ──
    def to_bytes(self) -> bytes:
        objects: list[bytes] = []

        def add(body: str | bytes) -> int:
            objects.append(body.encode("latin-1") if isinstance(body, str) else body)
            return len(objects)

        catalog = add("")          # 1, filled below
        pages_id = add("")         # 2
        font = add("<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H "
                   "/DescendantFonts [4 0 R] >>")
        add("<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light "
            "/CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 2 >> "
            "/FontDescriptor 5 0 R /DW 1000 /W [1 95 500] >>")
        add("<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [-25 -254 1000 880] "
            "/ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >>")
        kids = []
        n_pages = len(self.pages)
        for n, ops in enumerate(self.pages, start=1):
            ops = ops + [f"BT /F1 9.00 Tf 1 0 0 1 {W / 2 - 13:.2f} 30.00 Tm <{_hex(f'- {n} -')}> Tj ET"]
            stream = ("0.5 w\n" + "\n".join(ops) + "\n").encode("latin-1")
            content = add(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"endstream")
            page = add(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {W:.2f} {H:.2f}] "
                       f"/Resources << /Font << /F1 {font} 0 R >> >> /Contents {content} 0 R >>")
            kids.append(page)
        info = add(f"<< /Title {_pdf_string_utf16(self.title)} /Author {_pdf_string_utf16(self.author)} "
                   f"/Producer (nianbao demo portal) /CreationDate (D:{self.date}) /ModDate (D:{self.date}) >>")
        objects[catalog - 1] = f"<< /Type /Catalog /Pages {pages_id} 0 R >>".encode("latin-1")
        objects[pages_id - 1] = (f"<< /Type /Pages /Kids [{' '.join(f'{k} 0 R' for k in kids)}] "
                                 f"/Count {n_pages} >>").encode("latin-1")
        out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
        offsets = []
        for i, body in enumerate(objects, start=1):
            offsets.append(len(out))
            out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
        xref = len(out)
        out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
        for off in offsets:
            out += f"{off:010d} 00000 n \n".encode()
        out += (f"trailer\n<< /Size {len(objects) + 1} /Root {catalog} 0 R /Info {info} 0 R >>\n"
                f"startxref\n{xref}\n%%EOF\n").encode()
        return bytes(out)


def report_pdf(title: str, blocks: list, author: str = "", date: str = "20240101000000+08'00'") -> bytes:
    """A report's blocks (see content.build) as a PDF."""
    pdf = PdfWriter(title=title, author=author, date=date)
    pdf.paragraph(title, size=15, indent=0, align="center")
    pdf.space(8)
    for kind, x in blocks:
        if kind == "p":
            pdf.paragraph(x)
        elif kind == "h":
            pdf.paragraph(x, size=11, indent=0)
        elif kind == "sign":
            pdf.paragraph(x, align="right", indent=0)
        elif kind == "table":
            pdf.table(x, size=6.5 if x.kind == "review" else 7.5, pad=1.5 if x.kind == "review" else 2.5)
    return pdf.to_bytes()
