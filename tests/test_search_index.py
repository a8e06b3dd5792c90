"""The search index's tokenizer: `ascii` on text that pipelines/search.py has already cut into bigrams and
ASCII words finds exactly the tokens unicode61 finds, so a database made before the switch (unicode61) and
one made after (ascii) answer every search the same."""

from __future__ import annotations

import sqlite3

from conftest import shared

from pipelines.schema import FTS_HASHSIZE, open_db
from pipelines.search import bigrams, fts_query


def real_texts() -> list[str]:
    """The five seeds and the corpus's text and HTML pages (markup included: its ASCII words too)."""
    corpus = shared("corpus")
    paths = sorted(shared("seeds").glob("*.txt")) + sorted(
        p for p in corpus.rglob("*") if p.suffix in (".txt", ".md", ".html", ".htm"))
    return [p.read_text(encoding="utf-8", errors="replace") for p in paths]


def index(tokenizer: str, texts: list[str]) -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    conn.execute(f"CREATE VIRTUAL TABLE f USING fts5(title, search_text, content='', tokenize='{tokenizer}')")
    conn.execute("CREATE VIRTUAL TABLE v USING fts5vocab(f, 'instance')")
    conn.executemany("INSERT INTO f (rowid, title, search_text) VALUES (?, ?, ?)",
                     [(n, bigrams(t[:200]), bigrams(t)) for n, t in enumerate(texts, 1)])
    return conn


def test_ascii_and_unicode61_index_the_same_tokens_at_the_same_places():
    texts = real_texts()
    assert len(texts) >= 20
    ascii_, unicode61 = index("ascii", texts), index("unicode61", texts)
    every = "SELECT term, doc, col, offset FROM v ORDER BY doc, col, offset"
    got = ascii_.execute(every).fetchall()
    assert len(got) > 100_000
    assert got == unicode61.execute(every).fetchall()
    for word in ("复议", "行政诉讼", "依申请公开", "政府信息公开工作年度报告", "pdf", "2019", "不予公开", "復議"):
        find = "SELECT rowid FROM f WHERE f MATCH ? ORDER BY rowid"
        hits = ascii_.execute(find, [fts_query(word)]).fetchall()
        assert hits == unicode61.execute(find, [fts_query(word)]).fetchall(), word
        assert word in ("pdf",) or hits, word  # each word is in some real report


def test_a_new_database_indexes_with_ascii_and_one_segment_per_transaction(tmp_path):
    db = open_db(str(tmp_path / "n.db"))
    sql = db.execute("SELECT sql FROM sqlite_master WHERE name = 'reports_fts'").fetchone()[0]
    assert "tokenize='ascii'" in sql and "content=''" in sql
    assert dict(db.execute("SELECT k, v FROM reports_fts_config").fetchall())["hashsize"] == FTS_HASHSIZE == 16 << 20
