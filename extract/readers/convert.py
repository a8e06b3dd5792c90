"""Legacy office formats (.doc .wps .xls .et) → HTML through LibreOffice headless, when installed.

Without LibreOffice the outcome is `needs_conversion`: the record says so instead of being empty."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from extract.document import Document

SUFFIX = {"doc": "doc", "wps": "wps", "xls": "xls", "et": "et", "ole": "doc"}


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert_to_html(data: bytes, kind: str, timeout: int = 120) -> Document:
    exe = soffice()
    if not exe:
        return Document(outcome="needs_conversion",
                        detail=f".{kind} needs LibreOffice (soffice) to convert; it is not installed")
    from extract.encoding import decode
    from extract.limits import check_zip
    from extract.readers.html import read_html

    if data[:4] == b"PK\x03\x04":
        check_zip(data)  # .xlsx: LibreOffice would inflate a bomb in full

    with tempfile.TemporaryDirectory(prefix="nianbao-convert-") as tmp:
        src = Path(tmp) / f"in.{SUFFIX.get(kind, kind)}"
        src.write_bytes(data)
        try:
            subprocess.run([exe, "--headless", "--norestore", f"-env:UserInstallation=file://{tmp}/profile",
                            "--convert-to", "html", "--outdir", tmp, str(src)],
                           check=True, capture_output=True, timeout=timeout)
        except (subprocess.SubprocessError, OSError) as exc:
            return Document(outcome="needs_conversion", detail=f"LibreOffice could not convert the .{kind}: {exc}")
        out = Path(tmp) / "in.html"
        if not out.exists():
            return Document(outcome="needs_conversion", detail=f"LibreOffice produced no HTML for the .{kind}")
        text, enc = decode(out.read_bytes())
        doc = read_html(text)
        doc.encoding = enc
        return doc
