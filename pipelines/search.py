"""Search text: overlapping bigrams, so two-character Chinese words are FTS5 tokens."""

from __future__ import annotations

import re

from extract.normalize import to_simplified

CJK_RUN = re.compile(r"[\u3400-\u9fff]+|[A-Za-z0-9]+")


def bigrams(text: str) -> str:
    """'行政复议' → '行政 政复 复议'. SQLite's tokenizers see a run of Chinese as one token and trigram
    finds nothing shorter than three characters; indexing overlapping bigrams makes every two-character
    word (复议, 诉讼, 公开) a token. Longer queries become phrases of bigrams (see fts_query)."""
    return simplified_bigrams(to_simplified(text))


def simplified_bigrams(text: str) -> str:
    """bigrams() of a text already in simplified characters (the store has converted it once)."""
    out: list[str] = []
    for run in CJK_RUN.findall(text):
        if run.isascii() or len(run) == 1:
            out.append(run.lower())
        else:
            out.extend(map(str.__add__, run, run[1:]))  # each character with the next, at C speed
    return " ".join(out)


def fts_query(q: str) -> str:
    """A search box string → an FTS5 query over the bigram index: each word a phrase of its bigrams."""
    terms = []
    for word in (q or "").split():
        grams = bigrams(word)
        if grams:
            terms.append('"' + grams.replace('"', "") + '"')
    return " ".join(terms)
