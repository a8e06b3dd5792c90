"""Flattened text (a page or a .doc dumped to text) → rows.

Recognised shapes, all seen in the seeds and corpus:
* pipe rows (seed 001, markdown tables in PDF/OCR dumps) → grid rows; `|---|` rules dropped;
* tab-indented cell blocks (seeds 000, 003): a cell is a line starting with a tab (plus the untabbed
  lines that continue it), a row ends at a blank line → grid rows;
* anything else — one cell per line (seed 002), whitespace-collapsed runs (pingtan), PDF text lines —
  → stream lines.
An archive header block ('标题: …', '发布时间: …' above a '==== 正文 ====' rule) becomes page_meta.
"""

from __future__ import annotations

import re

from extract.document import Document

RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
HEADER_RULE = re.compile(r"^=+\s*正文\s*=+\s*$")
HEADER_FIELD = re.compile(r"^(标题|发布时间|文号|发布机构|栏目|原文链接|来源|索引号|发文日期|主题分类)\s*[:：]\s*(.*)$")


def _pipe_fields(line: str) -> list[str]:
    s = line.strip()
    if s.startswith("|"):
        s = s[1:]
    if s.endswith("|"):
        s = s[:-1]
    return [f.strip() for f in s.split("|")]


def read_text(text: str) -> Document:
    doc = Document()
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    # Archive header block
    for k, ln in enumerate(lines[:20]):
        if HEADER_RULE.match(ln.strip()):
            for h in lines[:k]:
                m = HEADER_FIELD.match(h.strip())
                if m and m.group(2).strip():
                    doc.page_meta[m.group(1)] = m.group(2).strip()
            lines = lines[k + 1:]
            doc.title = doc.page_meta.get("标题")
            break

    i = 0
    pipe_block: list[list[str]] = []

    def flush_pipes():
        if pipe_block:
            doc.add_grid(pipe_block, aligned=False)
            pipe_block.clear()

    while i < len(lines):
        ln = lines[i]
        if ln.count("|") >= 2:
            if not RULE.match(ln):
                pipe_block.append(_pipe_fields(ln))
            i += 1
            continue
        flush_pipes()
        if ln.startswith("\t"):
            i = _read_tab_block(lines, i, doc)
            continue
        if ln.strip():
            doc.add_line(ln.strip())
        i += 1
    flush_pipes()
    return doc


def _read_tab_block(lines: list[str], i: int, doc: Document) -> int:
    """Seed 000/003 layout: rows of tab-led cells separated by blank lines."""
    rows: list[list[str]] = []
    row: list[str] = []
    while i < len(lines):
        ln = lines[i]
        if ln.startswith("\t"):
            row.append(ln[1:].strip())
        elif ln.strip() and row:
            prev_blank = i > 0 and not lines[i - 1].strip() and not lines[i - 1].startswith("\t")
            if prev_blank:
                break
            row[-1] = (row[-1] + "\n" + ln.strip()).strip()  # a cell's text continued on the next line
        elif not ln.strip() and not ln.startswith("\t"):
            if row:
                rows.append(row)
                row = []
            # two blank lines, or a blank line before untabbed text, end the block
            nxt = next((x for x in lines[i + 1:i + 3] if x.strip() or x.startswith("\t")), "")
            if not nxt.startswith("\t"):
                i += 1
                break
        else:
            break
        i += 1
    if row:
        rows.append(row)
    if rows:
        doc.add_grid(rows, aligned=False)
    return i
