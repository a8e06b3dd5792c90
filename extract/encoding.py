"""Bytes → text. BOM first; then the HTTP header's or the page's <meta> charset, whichever decodes the
bytes strictly (a header that says UTF-8 over GBK bytes is common); then detection. gb2312 and gbk are
read as GB18030, their superset, so rare characters in names survive."""

from __future__ import annotations

import codecs
import re

META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)
SUPERSET = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "gb_2312-80": "gb18030",
            "cp936": "gb18030", "big5": "big5hkscs", "ascii": "utf-8", "us-ascii": "utf-8",
            "iso-8859-1": "cp1252", "latin-1": "cp1252"}


MIXED = "utf-8+gb18030"   # the encoding recorded for a page whose lines are partly UTF-8, partly GBK


class UndecodableError(ValueError):
    pass


def decode_mixed(data: bytes) -> str | None:
    """A page stitched from UTF-8 and GBK parts (a template in one, the report pasted in the other):
    each run of text between tags and line breaks in whichever of the two reads it strictly. None unless
    both are needed and every run reads — the record then says the page mixes encodings (extract/record.py)."""
    out, used = [], set()
    for run in _RUNS.findall(data):
        if run.isascii():
            out.append(run.decode("ascii"))
            continue
        for enc in ("utf-8", "gb18030"):
            try:
                out.append(run.decode(enc))
                used.add(enc)
                break
            except UnicodeDecodeError:
                continue
        else:
            return None
    return "".join(out) if len(used) == 2 else None


_RUNS = re.compile(rb"[<>\n]|[^<>\n]+")


def canonical(name: str | None) -> str | None:
    if not name:
        return None
    name = name.strip().strip("'\"").lower()
    try:
        name = codecs.lookup(name).name
    except LookupError:
        return None
    return SUPERSET.get(name, name)


def charset_from_content_type(content_type: str | None) -> str | None:
    m = re.search(r"charset\s*=\s*([^\s;]+)", content_type or "", re.I)
    return m.group(1) if m else None


def decode(data: bytes, header_charset: str | None = None) -> tuple[str, str]:
    """(text, encoding used). Raises UndecodableError when nothing reads the bytes."""
    for bom, enc in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return data.decode(enc, errors="replace"), enc
    declared = []
    for name in (header_charset, *(m.group(1).decode("ascii", "ignore") for m in META_CHARSET.finditer(data[:8192]))):
        enc = canonical(name)
        if enc and enc not in declared:
            declared.append(enc)
    for enc in declared:
        try:
            return data.decode(enc), enc
        except (UnicodeDecodeError, LookupError):
            continue
    for enc in ("utf-8", "gb18030"):
        try:
            return data.decode(enc), enc
        except UnicodeDecodeError:
            continue
    mixed = decode_mixed(data)
    if mixed is not None:
        return mixed, MIXED
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(data).best()
    except Exception:  # noqa: BLE001 - detection is best effort
        best = None
    if best is not None and best.encoding:
        enc = canonical(best.encoding) or best.encoding
        return data.decode(enc, errors="replace"), enc
    if not data.strip():
        return "", "utf-8"
    # Truncated multi-byte text: decode what there is and mark the damage with U+FFFD.
    text = data.decode(declared[0] if declared else "utf-8", errors="replace")
    if text.count("\ufffd") > max(20, len(text) // 10):
        raise UndecodableError("bytes do not decode in any declared or detected encoding")
    return text, (declared[0] if declared else "utf-8") + "+replace"
