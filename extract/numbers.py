"""Cell text → value. Blank is never zero; amounts use exact decimal arithmetic."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

BLANKS = {"", "—", "-", "/", "——", "--", "－", "无", "／", "\\"}
NUMBER = re.compile(r"^([+-]?)(\d+(?:\.\d+)?)$")
AMOUNT = re.compile(r"^([+-]?\d+(?:\.\d+)?)\s*(亿元|万元|元|亿|万)?$")
UNIT = {"亿元": Decimal(100000000), "亿": Decimal(100000000), "万元": Decimal(10000), "万": Decimal(10000),
        "元": Decimal(1), None: Decimal(1)}


WHITESPACE = re.compile(r"\s+")


def squash(text: str | None) -> str:
    """Cell text without spaces (numbers split across <span>s or lines come back together)."""
    if text and text.isdigit():  # most cells: nothing to take out (a million calls a crawl of 2,000 pages)
        return text
    return WHITESPACE.sub("", text or "").replace(",", "").replace("，", "")  # thousands separators


def is_blank(text: str | None) -> bool:
    return squash(text) in BLANKS


def emit(value: Decimal) -> int | float:
    """int when whole, else float — 519000000 not 519000000.0."""
    if value == value.to_integral_value():
        return int(value)
    return float(value)


def parse_number(text: str | None) -> int | float | None:
    """A count or a signed change: '12' → 12, '+3' → 3, '-1' → -1, '106.99516' → 106.99516.

    Returns None for a blank cell; raises ValueError for text that is not a number."""
    s = squash(text)
    if s in BLANKS:
        return None
    m = NUMBER.match(s)
    if not m:
        raise ValueError(f"not a number: {text!r}")
    try:
        value = Decimal(m.group(2))
    except InvalidOperation as exc:  # pragma: no cover - NUMBER guarantees digits
        raise ValueError(text) from exc
    return emit(-value if m.group(1) == "-" else value)


def parse_amount_yuan(text: str | None, header_unit: str | None = None) -> int | float | None:
    """'5.19亿元' → 519000000; '7121.99万元' → 71219900; a bare number is 元 unless the header names a unit."""
    s = squash(text)
    if s in BLANKS:
        return None
    m = AMOUNT.match(s)
    if not m:
        raise ValueError(f"not an amount: {text!r}")
    unit = m.group(2) or header_unit
    return emit(Decimal(m.group(1)) * UNIT[unit])
