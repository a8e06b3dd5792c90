"""Text normalisation before matching. The original text is always kept alongside.

Order matters: NFKC first (PDF text layers use Kangxi-radical code points and full-width digits),
then traditional → simplified, then the small artefact fixes.
"""

from __future__ import annotations

import functools
import re
import unicodedata

ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
BOOKMARK = re.compile(r"\[bookmark:[^\]]*\]")
# NFKC leaves these CJK punctuation marks alone; matching wants one form of each.
PUNCT = str.maketrans({
    "（": "(", "）": ")", "，": ",", "：": ":", "；": ";", "、": "、",
    "．": ".", "。": "。", "“": "“", "”": "”", "〇": "○", "－": "-",
    "—": "—", "–": "—", "\u3000": " ", "\xa0": " ",
})
# Enclosed ideographic numerals (㈠ ㈡ …) used as section numbers.
ENCLOSED = {chr(0x3220 + i): f"({c})" for i, c in enumerate("一二三四五六七八九十")}


@functools.lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    return _t2s().convert(text)


def is_traditional(text: str) -> bool:
    """True when OpenCC changes a noticeable share of the characters."""
    sample = text[:4000]
    if not sample:
        return False
    simp = to_simplified(sample)
    changed = sum(1 for a, b in zip(sample, simp) if a != b)
    return changed >= max(5, len(sample) // 100)


def clean_artefacts(text: str) -> str:
    """Remove dump artefacts that are never report content (kept out of `text` too)."""
    text = BOOKMARK.sub("", text)
    return ZERO_WIDTH.sub("", text)


@functools.lru_cache(maxsize=65536)
def normalize(text: str) -> str:
    """Text for matching: NFKC, simplified, ASCII parentheses/colons, artefacts gone. Cached: table
    cells repeat ('0', '总计', the same labels on every page)."""
    text = clean_artefacts(text)
    for k, v in ENCLOSED.items():
        text = text.replace(k, v)
    text = unicodedata.normalize("NFKC", text)
    text = text.translate(PUNCT)
    return to_simplified(text)
