"""Faithful scans of real PDFs, for the OCR tests and bench/ocr.py: each page rendered by pdftoppm in
greyscale, turned a little (0.7° / -0.9°, as a sheet lies on a scanner), saved as JPEG and re-assembled into
an image-only PDF. Generated on demand, never committed at size."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path


def scanned_pdf(src: Path, pages: list[int], dpi: int = 150, quality: int = 70) -> bytes:
    """An image-only PDF of the given (1-based) pages of `src`."""
    from PIL import Image

    images = []
    for n, page in enumerate(pages):
        png = subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", "-png", "-f", str(page), "-l", str(page),
                              str(src)], capture_output=True, check=True, timeout=120).stdout
        img = Image.open(io.BytesIO(png)).convert("L")
        img = img.rotate(0.7 if n % 2 == 0 else -0.9, resample=Image.BICUBIC, expand=True, fillcolor=255)
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=quality)
        images.append(Image.open(io.BytesIO(buf.getvalue())))
    out = io.BytesIO()
    images[0].save(out, "PDF", save_all=True, append_images=images[1:], resolution=dpi)
    return out.getvalue()


def long_scan(src: Path, pages: list[int], tail_page: int, total: int) -> bytes:
    """A scan of `total` pages: the given pages of `src`, then `tail_page` over and over (each copy a full
    page image, as a scanner fed the same sheet would make) — what a scanned archive of hundreds of pages
    looks like to the reader. Only the distinct pages are rendered."""
    import pypdfium2 as pdfium

    short = pdfium.PdfDocument(scanned_pdf(src, pages + [tail_page]))
    out = pdfium.PdfDocument.new()
    out.import_pages(short, list(range(len(pages))))
    for _ in range(total - len(pages)):
        out.import_pages(short, [len(pages)])
    buf = io.BytesIO()
    out.save(buf)
    return buf.getvalue()
