"""Images (scanned PDF pages, image-only pages, `<img>` tables) → rows, by OCR.

Debian's tesseract with its simplified-Chinese model, run as a program (no Python binding). The page is
turned upright first (a scan rotated by a degree or so), tables are found from their ruling lines with
numpy alone (long dark runs, horizontal and vertical), and every cell is recognised on its own crop, so
the grid — with merged cells as None, exactly like the PDF and HTML readers — comes from the lines and not
from the OCR engine's idea of the layout. Cells that look like numbers are read a second time with a
digit-only model and that reading is kept with its confidence. Text outside tables is recognised as lines.

Every row this reader makes carries `ocr` confidences; the record marks its cells `source: ocr` and keeps
them only when the table's identities confirm them (extract/ocr_confirm.py).
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass

from extract.document import Document

DPI = 200                 # rendering resolution for PDF pages: 10.5 pt text is ~29 px high
INK = 150                 # grey level below which a pixel is ink (grey scans, JPEG noise and shaded cells stay above)
CROP_INK = 185            # a cell crop is made black on white at this level before recognition
MAX_SKEW = 2.0            # degrees searched when turning a page upright
TESSERACT_TIMEOUT = 120   # seconds per call (a page is two or three calls)
NUMERIC = re.compile(r"^[\s\d.,，+\-—–/|lIoO]*$")
DIGITS = re.compile(r"^[+-]?\d+(?:\.\d+)?$")


def tesseract_available() -> bool:
    if not shutil.which("tesseract"):
        return False
    out = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True, timeout=30)
    return "chi_sim" in out.stdout


# ── page images ───────────────────────────────────────────────────────────────────────────────────

def pdf_pages(data: bytes, dpi: int = DPI, pages: list[int] | None = None):
    """The PDF's pages (all, or those numbered in `pages`) as greyscale PIL images."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(data)
    try:
        for i in pages if pages is not None else range(len(pdf)):
            page = pdf[i]
            yield page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
            page.close()
    finally:
        pdf.close()


def image_pages(data: bytes):
    from PIL import Image, ImageSequence

    with Image.open(io.BytesIO(data)) as im:
        for frame in ImageSequence.Iterator(im):
            yield frame.convert("L")


def upright(img):
    """Turn a slightly rotated page upright: the angle whose row-ink profile is sharpest (text lines and
    ruling lines become horizontal), searched on a reduced copy."""
    import numpy as np
    from PIL import Image

    small = img.copy()
    small.thumbnail((800, 800))
    ink = Image.eval(small, lambda v: 255 if v < INK else 0)

    def score(angle: float) -> float:
        rows = np.asarray(ink.rotate(angle, resample=Image.BILINEAR, fillcolor=0), dtype=np.float32).sum(axis=1)
        return float(np.square(np.diff(rows)).sum())

    best = max((a / 10 for a in range(int(-MAX_SKEW * 10), int(MAX_SKEW * 10) + 1, 2)), key=score)
    best = max((best + d / 100 for d in range(-10, 11, 2)), key=score)
    if abs(best) < 0.05:
        return img, 0.0
    return img.rotate(best, resample=Image.BICUBIC, expand=False, fillcolor=255), best


# ── ruling lines → grids ──────────────────────────────────────────────────────────────────────────

def _runs(mask, length: int):
    """Pixels that belong to a run of at least `length` ink pixels along axis 1."""
    import numpy as np

    h, w = mask.shape
    if w < length:
        return np.zeros_like(mask)
    c = np.zeros((h, w + 1), dtype=np.int32)
    np.cumsum(mask, axis=1, out=c[:, 1:])
    full = (c[:, length:] - c[:, :-length]) == length        # window [j, j+length) all ink
    starts = np.zeros((h, w + 1), dtype=np.int32)
    starts[:, :w - length + 1] += full
    starts[:, length:w + 1] -= full
    return np.cumsum(starts, axis=1)[:, :w] > 0


def _positions(profile, minimum: int) -> list[int]:
    """Centres of the bands where a line profile reaches `minimum`."""
    out, start = [], None
    for i, v in enumerate(list(profile) + [0]):
        if v >= minimum and start is None:
            start = i
        elif v < minimum and start is not None:
            out.append((start + i - 1) // 2)
            start = None
    return out


@dataclass
class Grid:
    xs: list[int]                 # column boundaries (vertical line positions)
    ys: list[int]                 # row boundaries
    owner: dict                   # (r, c) → (r0, c0) of the merged region it belongs to

    @property
    def bbox(self) -> tuple[int, int, int, int]:
        return self.xs[0], self.ys[0], self.xs[-1], self.ys[-1]


def find_grids(gray) -> list[Grid]:
    """Tables from ruling lines: connected areas where long horizontal and vertical runs cross."""
    import numpy as np

    ink = np.asarray(gray) < INK
    h, w = ink.shape
    span = max(30, w // 40)
    horiz = _runs(ink, span)
    vert = _runs(ink.T, max(20, h // 80)).T
    lines = horiz | vert
    # tables = bands of rows holding horizontal lines joined by vertical lines
    rows_with_v = vert.any(axis=1)
    grids: list[Grid] = []
    y = 0
    while y < h:
        if not rows_with_v[y]:
            y += 1
            continue
        y1 = y
        while y1 < h and (rows_with_v[y1] or (y1 + 3 < h and rows_with_v[y1:y1 + 4].any())):
            y1 += 1
        band = slice(max(0, y - 3), min(h, y1 + 3))
        grid = _grid_in(horiz[band], vert[band], lines[band], band.start)
        if grid:
            grids.append(grid)
        y = y1 + 1
    return grids


def _grid_in(horiz, vert, lines, top: int) -> Grid | None:
    import numpy as np

    hh, w = horiz.shape
    ys = _positions(horiz.sum(axis=1), max(40, w // 12))
    cols = np.nonzero(vert.any(axis=0))[0]
    if len(ys) < 2 or len(cols) == 0:
        return None
    xs = _positions(vert.sum(axis=0), max(10, (ys[-1] - ys[0]) // 20))
    xs = [x for x in xs if vert[ys[0]:ys[-1] + 1, max(0, x - 2):x + 3].any(axis=1).sum() > 8]
    if len(xs) < 2:
        return None
    # drop ruling lines outside the table's own frame (a rule under a heading)
    ys = [yy for yy in ys if horiz[max(0, yy - 2):yy + 3, xs[0]:xs[-1] + 1].any(axis=0).sum() > 20]
    if len(ys) < 2:
        return None

    def v_line(x: int, y0: int, y1: int) -> bool:      # a vertical rule between two cells of one row
        seg = vert[y0 + 3:y1 - 2, max(0, x - 3):x + 4].any(axis=1)
        return seg.size > 0 and seg.mean() > 0.6

    def h_line(y: int, x0: int, x1: int) -> bool:
        seg = horiz[max(0, y - 3):y + 4, x0 + 3:x1 - 2].any(axis=0)
        return seg.size > 0 and seg.mean() > 0.6

    nr, nc = len(ys) - 1, len(xs) - 1
    parent = {(r, c): (r, c) for r in range(nr) for c in range(nc)}

    def find(a):
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    def union(a, b):
        ra, rb = find(a), find(b)
        if ra != rb:
            keep, drop = min(ra, rb), max(ra, rb)
            parent[drop] = keep

    for r in range(nr):
        for c in range(nc - 1):
            if not v_line(xs[c + 1], ys[r], ys[r + 1]):
                union((r, c), (r, c + 1))
    for r in range(nr - 1):
        for c in range(nc):
            if not h_line(ys[r + 1], xs[c], xs[c + 1]):
                union((r, c), (r + 1, c))
    owner = {k: find(k) for k in parent}
    return Grid(xs, [yy + top for yy in ys], owner)


# ── recognition ──────────────────────────────────────────────────────────────────────────────────

def _tesseract_tsv(paths: list[str], lang: str, psm: int, extra: list[str] | None = None) -> dict[int, list]:
    """One tesseract run over many images (a list file): page number → [(text, conf, left, top, line)]."""
    if not paths:
        return {}
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as lst:
        lst.write("\n".join(paths) + "\n")
    try:
        cmd = ["tesseract", lst.name, "stdout", "-l", lang, "--psm", str(psm), *(extra or []), "tsv"]
        env = dict(os.environ, OMP_THREAD_LIMIT="1")
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=TESSERACT_TIMEOUT, env=env).stdout
    finally:
        os.unlink(lst.name)
    pages: dict[int, list] = {}
    for line in out.splitlines()[1:]:
        f = line.split("\t")
        if len(f) < 12 or f[0] != "5" or not f[11].strip():
            continue
        pages.setdefault(int(f[1]) - 1, []).append((f[11], float(f[10]), int(f[6]), int(f[7]),
                                                   (int(f[2]), int(f[3]), int(f[4]))))
    return pages


# The engine is tesseract. rapidocr (PP-OCR ONNX models shipped in the rapidocr-onnxruntime wheel) can be
# swapped in for measurement only (bench/ocr.py --engine rapidocr; not a project dependency): it reads
# each crop with its recogniser and yields the same (text, conf, left, top, line) words.
ENGINE = os.environ.get("NIANBAO_OCR_ENGINE", "tesseract")
_RAPID = None


def _rapid_words(paths: list[str], detect: bool = False) -> dict[int, list]:
    global _RAPID
    if _RAPID is None:
        from rapidocr_onnxruntime import RapidOCR

        _RAPID = RapidOCR()
    out: dict[int, list] = {}
    for n, path in enumerate(paths):
        if detect:
            res, _ = _RAPID(path)
            out[n] = [(t, float(c) * 100, int(box[0][0]), int(box[0][1]), (0, 0, k))
                      for k, (box, t, c) in enumerate(res or [])]
        else:
            res, _ = _RAPID(path, use_det=False, use_cls=False, use_rec=True)
            out[n] = [(t, float(c) * 100, 0, 0, (0, 0, 0)) for t, c in (res or []) if t.strip()]
    return out


def recognise(paths: list[str], mode: str) -> dict[int, list]:
    """mode: 'cell' (a table cell, any text), 'digits' (a cell that reads as a number), 'page' (lines)."""
    if ENGINE == "rapidocr":
        return _rapid_words(paths, detect=(mode == "page"))
    if mode == "cell":
        return _tesseract_tsv(paths, "chi_sim", 6)
    if mode == "digits":
        return _tesseract_tsv(paths, "eng", 7, ["-c", "tessedit_char_whitelist=0123456789.-+"])
    return _tesseract_tsv(paths, "chi_sim", 4)


def _join(words: list) -> tuple[str, float | None]:
    """Words of one cell → its text (lines joined; CJK words without spaces) and the lowest confidence."""
    if not words:
        return "", None
    lines: dict = {}
    for text, conf, left, _top, line in words:
        lines.setdefault(line, []).append((left, text, conf))
    out = []
    for key in sorted(lines):
        parts = [t for _, t, _ in sorted(lines[key])]
        out.append(re.sub(r"(?<=[^\x00-\x7f]) (?=[^\x00-\x7f])", "", " ".join(parts)))
    return "\n".join(out), min(c for _, c, _, _, _ in words) / 100


def _crop_has_ink(crop) -> bool:
    import numpy as np

    a = np.asarray(crop) < INK
    return a.sum() >= 12


def _stretch(crop):
    """The cell's own background to white, its ink to black, greys between kept: a shaded header cell
    (grey ~214) or a grey scan reads like a clean one, and thin strokes keep their anti-aliasing."""
    import numpy as np
    from PIL import Image

    a = np.asarray(crop, dtype=np.float32)
    bg = float(np.percentile(a, 60))
    lo = min(float(np.percentile(a, 1)), 80.0)
    if bg - lo < 40:
        return crop
    return Image.fromarray(np.clip((a - lo) * 255.0 / (bg - lo), 0, 255).astype(np.uint8))


def _binary(path: str) -> str:
    from PIL import Image

    out = path[:-4] + "-bw.png"
    with Image.open(path) as im:
        im.point(lambda v: 0 if v < CROP_INK else 255).save(out)
    return out


def read_cells(img, grids: list[Grid], workdir: str) -> list[list[list[tuple[str, float | None] | None]]]:
    """Every grid's cells → (text, confidence), None for a merged continuation."""
    from PIL import Image, ImageOps

    jobs: list[tuple[int, int, int, str]] = []
    results: list[list[list]] = []
    for g, grid in enumerate(grids):
        nr, nc = len(grid.ys) - 1, len(grid.xs) - 1
        table = [[None] * nc for _ in range(nr)]
        regions: dict = {}
        for (r, c), own in grid.owner.items():
            regions.setdefault(own, []).append((r, c))
        for own, members in regions.items():
            r0 = min(r for r, _ in members)
            r1 = max(r for r, _ in members)
            c0 = min(c for _, c in members)
            c1 = max(c for _, c in members)
            box = (grid.xs[c0] + 4, grid.ys[r0] + 4, grid.xs[c1 + 1] - 3, grid.ys[r1 + 1] - 3)
            table[r0][c0] = ("", None)
            if box[2] - box[0] < 6 or box[3] - box[1] < 6:
                continue
            crop = img.crop(box)
            if not _crop_has_ink(crop):
                continue
            path = os.path.join(workdir, f"g{g}r{r0}c{c0}.png")
            crop = _stretch(crop)
            if crop.height < 80:  # small print in a low-resolution scan: the engine reads best at ~30 px text
                crop = crop.resize((crop.width * 2, crop.height * 2), Image.LANCZOS)
            ImageOps.expand(crop, border=12, fill=255).save(path)
            jobs.append((g, r0, c0, path))
        results.append(table)
    chi = recognise([p for *_, p in jobs], "cell")
    for n, (g, r, c, path) in enumerate(jobs):
        results[g][r][c] = _join(chi.get(n, []))
    # Second pass with a digit-only model: cells that read as numbers, and short cells in columns that are
    # mostly numbers (the Chinese model reads a lone 7 as 了, a 1 as 工).
    numeric_cols = set()
    for g, table in enumerate(results):
        for c in range(len(table[0]) if table else 0):
            texts = [row[c][0] for row in table if row[c] is not None and row[c][0]]
            if texts and sum(bool(NUMERIC.match(t)) for t in texts) * 2 >= len(texts):
                numeric_cols.add((g, c))
    numeric_jobs = []
    for g, r, c, path in jobs:
        text = results[g][r][c][0]
        if ((NUMERIC.match(text) and any(ch.isdigit() for ch in text)) or
                ((g, c) in numeric_cols and len(re.sub(r"\s", "", text)) <= 2)):  # also an inked cell read empty
            numeric_jobs.append((g, r, c, path))
    digits = recognise([_binary(p) for *_, p in numeric_jobs], "digits")
    for n, (g, r, c, _) in enumerate(numeric_jobs):
        text, conf = _join(digits.get(n, []))
        text = text.replace(" ", "")
        chi_text = re.sub(r"\s", "", results[g][r][c][0])
        if DIGITS.match(text):
            # both models must agree on the digits for full confidence; disagreement lowers it
            agree = chi_text == text
            results[g][r][c] = (text, conf if agree else min(conf or 0, 0.5))
        else:
            results[g][r][c] = (chi_text, 0.0)
    return results


def read_lines(img, grids: list[Grid], workdir: str) -> list[tuple[int, str]]:
    """Text outside the tables, as (top, line) in reading order."""
    from PIL import ImageDraw

    page = img.copy()
    draw = ImageDraw.Draw(page)
    for grid in grids:
        x0, y0, x1, y1 = grid.bbox
        draw.rectangle((x0 - 4, y0 - 4, x1 + 4, y1 + 4), fill=255)
    path = os.path.join(workdir, "page.png")
    page.save(path)
    words = recognise([path], "page").get(0, [])
    lines: dict = {}
    for text, conf, left, top, line in words:
        lines.setdefault(line, []).append((left, top, text))
    out = []
    for key in sorted(lines):
        ws = sorted(lines[key])
        text = re.sub(r"(?<=[^\x00-\x7f]) (?=[^\x00-\x7f])", "", " ".join(t for _, _, t in ws)).strip()
        if text:
            out.append((min(t for _, t, _ in ws), text))
    return out


def _canonical_labels() -> list[str]:
    from extract import formats as F

    labels = [re.sub(r"^\(.\)|^[一二三四]、| 小计$", "", v) for v in F.APPLICATION_LABELS.values()]
    labels = [re.sub(r"^\d\.", "", v) for v in labels]
    labels += ["申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
               "申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
               "部分公开(区分处理的,只计这一情形,不计其他情形)", "不予公开", "无法提供", "不予处理", "其他处理",
               "本年新收政府信息公开申请数量", "上年结转政府信息公开申请数量", "结转下年度继续办理"]
    labels += list(F.ACTIVE_LABELS.values()) + ["信息内容", "本年制发件数", "本年废止件数", "现行有效件数",
                                                "本年处理决定数量", "本年收费金额(单位:万元)"]
    return list(dict.fromkeys(labels))


CJK_ONLY = re.compile(r"[^\u4e00-\u9fff]")
# '（一）', '三)', '2.', '1、' before a label: kept as printed, not compared
ORDINAL = re.compile(r"^[\s(（〈《【]*(?:[一二三四五六七八九十]+|\d+)?[\s)）〉》】]*(?:(?<=[)）〉》】])|[.,、:：，])?\s*")


def repair_label(text: str, labels: list[str]) -> str:
    """A table label misread in a character or two (茜止 for 禁止, 耶以 for 予以) → the national label it
    plainly is: the closest one by characters, when it is close (≥ 0.75) and clearly closer than the next.
    The ordinal and punctuation printed before it are kept. Label text never becomes a number."""
    from difflib import SequenceMatcher

    prefix = ORDINAL.match(text).group()
    core = CJK_ONLY.sub("", text[len(prefix):])
    if len(core) < 2:
        return text
    scored = sorted(((SequenceMatcher(None, core, CJK_ONLY.sub("", lab)).ratio(), lab) for lab in labels),
                    reverse=True)
    (best, label), second = scored[0], scored[1][0] if len(scored) > 1 else 0.0
    if best >= 1.0 or best < 0.75 or best - second < 0.1:
        return text
    return prefix + label


PAGE_NUMBER = re.compile(r"^\s*[-—–]?\s*\d{1,3}\s*[-—–]?\s*$")


def page_list(numbers: list[int]) -> str:
    """[3, 4, 5, 9] → 'pages 3–5, 9'."""
    runs: list[list[int]] = []
    for n in numbers:
        if runs and n == runs[-1][1] + 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    spans = [f"{a}" if a == b else f"{a}–{b}" for a, b in runs]
    return ("page " if len(numbers) == 1 else "pages ") + ", ".join(spans)


def read_images(images, doc: Document | None = None, max_pages: int | None = None,
                total: int | None = None) -> Document:
    """Page images → a Document whose table rows carry their cells' OCR confidences. At most `max_pages`
    images are recognised (default extract.limits.MAX_OCR_PAGES); the pages past it (of `total`, when
    known) are named in the document's warnings, not read."""
    from extract import limits

    doc = doc or Document()
    labels = _canonical_labels()
    if max_pages is None:
        max_pages = limits.MAX_OCR_PAGES
    with tempfile.TemporaryDirectory(prefix="nianbao-ocr-") as workdir:
        for n, raw in enumerate(images):
            if n >= max_pages:
                left = (f"{total - max_pages} image page(s) not read ({page_list(list(range(n + 1, total + 1)))} of "
                        f"{total}" if total else f"the image pages from page {n + 1} on not read (")
                doc.warn(f"OCR limit: {left}; at most {max_pages} page(s) are recognised per document)")
                break
            img, angle = upright(raw)
            grids = find_grids(img)
            sub = os.path.join(workdir, str(n))
            os.mkdir(sub)
            tables = read_cells(img, grids, sub)
            items = [(grid.ys[0], "table", t) for grid, t in zip(grids, tables)]
            items += [(top, "line", text) for top, text in read_lines(img, grids, sub)]
            for _, kind, content in sorted(items, key=lambda x: x[0]):
                if kind == "line":
                    if not PAGE_NUMBER.match(content):
                        doc.add_line(content)
                        doc.rows[-1].ocr = [None]
                    continue
                rows = [[None if c is None else (repair_label(c[0], labels) if CJK_ONLY.sub("", c[0]) else c[0])
                         for c in row] for row in content]
                confs = [[None if c is None else c[1] for c in row] for row in content]
                keep = [i for i, r in enumerate(rows) if any(c not in (None, "") for c in r)]
                if not keep:
                    continue
                start = len(doc.rows)
                doc.add_grid([rows[i] for i in keep], aligned=True)
                for row, i in zip(doc.rows[start:], keep):
                    row.ocr = confs[i]
    doc.ocr = True
    return doc


def read_image(data: bytes, max_pages: int | None = None) -> Document:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as im:
        frames = getattr(im, "n_frames", 1)
    doc = read_images(image_pages(data), max_pages=max_pages, total=frames)
    if not doc.rows:
        doc.outcome = "needs_ocr"
        doc.detail = "OCR recognised no text in the image: a person must read it"
    return doc


MIN_TABLE_IMAGE = (200, 80)   # px: smaller pictures are icons, seals and logos, never a table


def splice_images(doc: Document, fetch, max_pages: int | None = None) -> int:
    """Recognise the `<img>` pictures of an HTML page whose bytes `fetch(src)` returns, and put their rows
    where each picture sits. Returns how many were read. A picture that is not an image, is too small to
    be a table, or in which nothing is recognised adds nothing. Every picture (each frame of one) is a page
    of the document's OCR bound (`max_pages`, default extract.limits.MAX_OCR_PAGES), in page order; the
    pictures past it are named in the document's warnings, not read."""
    from PIL import Image

    from extract import limits

    budget = limits.MAX_OCR_PAGES if max_pages is None else max_pages
    pictures = []   # (anchor, src, bytes, frames) of the pictures that can be tables, in page order
    for anchor, src in doc.images:
        data = fetch(src)
        if not data:
            continue
        try:
            with Image.open(io.BytesIO(data)) as im:
                if im.width < MIN_TABLE_IMAGE[0] or im.height < MIN_TABLE_IMAGE[1]:
                    continue
                frames = getattr(im, "n_frames", 1)
        except Exception:  # noqa: BLE001 - not an image: nothing to read
            continue
        pictures.append((anchor, src, data, frames))
    if not pictures or not tesseract_available():
        return 0
    chosen = []
    for anchor, src, data, frames in pictures:
        if budget <= 0:
            break
        chosen.append((anchor, data, min(frames, budget)))
        budget -= frames
    left = [src for _, src, _, _ in pictures[len(chosen):]]
    if left:
        doc.warn(f"OCR limit: {len(left)} picture(s) not read ({', '.join(left[:5])}{', …' if len(left) > 5 else ''}; "
                 f"at most {limits.MAX_OCR_PAGES if max_pages is None else max_pages} page(s) are recognised per document)")
    read = 0
    for anchor, data, pages in reversed(chosen):   # from the end, so each anchor's position stays valid
        found = read_image(data, max_pages=pages)
        for warning in found.warnings:
            doc.warn(warning)
        if not found.rows:
            continue
        at = next((k + 1 for k, r in enumerate(doc.rows) if r is anchor), 0 if anchor is None else len(doc.rows))
        doc.rows[at:at] = found.rows
        doc.ocr = True
        read += 1
    return read
