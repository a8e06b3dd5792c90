"""The batched store (pipelines.writers.store_batch: many pages in one transaction, the write-only rows in one
executemany per statement) writes exactly the rows the one-page path writes — every table, every column."""

from __future__ import annotations

import copy
import pickle
import sqlite3

import pytest
from conftest import shared

from pipelines import ingest
from pipelines.models import FetchedResponse
from pipelines.schema import open_db
from pipelines.search import bigrams
from pipelines.writers import PREPARED, load_registry, prepare_for_store, store_batch

SEEN = "2026-03-01T08:00:00+00:00"
# the segments of the contentless search index depend on when it was flushed; its answers are compared instead
FTS_SHADOWS = ("reports_fts_data", "reports_fts_idx")


def real_pages() -> list[tuple[str, bytes, str]]:
    """(url, bytes, content type) of real reports: the seeds, pingtan's HTML and text reports of every year."""
    out = [(f"http://www.example.gov.cn/seeds/{p.name}", p.read_bytes(), "text/plain")
           for p in sorted(shared("seeds").glob("*.txt"))]
    out += [(f"http://www.pingtan.gov.cn/zwgk/{p.name}", p.read_bytes(),
             "text/html" if p.suffix == ".html" else "text/plain")
            for p in sorted(shared("corpus", "pingtan").glob("pingtan-20*-report.*"))]
    return out


@pytest.fixture(scope="module")
def items() -> list[tuple]:
    """(url, bytes, content type, record): real records, and the cases that make the store read what it wrote
    before — the same page again, a corrected figure (a new revision), a second source of one report (linked),
    spam findings, a page that is not a report, and a figure SQLite cannot hold (that page's store fails)."""
    out = []
    for url, data, ctype in real_pages():
        out.append((url, data, ctype, ingest.parse(data, filename=url, url=url, content_type=ctype)))
    reports = [it for it in out if it[3].get("outcome") == "ok" and it[3].get("applications")]
    assert len(reports) >= 8
    url, data, ctype, rec = reports[0]
    out.append((url, data, ctype, copy.deepcopy(rec)))  # the same page again: unchanged
    fixed = copy.deepcopy(rec)
    key = next(k for k, v in fixed["applications"].items() if isinstance(v, int))
    fixed["applications"][key] += 1
    out.append((url, data + b"\n", ctype, fixed))  # corrected: a new revision
    second = copy.deepcopy(reports[1][3])
    out.append((reports[1][0] + ".txt", reports[1][1] + b" ", "text/plain", second))  # a second source: linked
    spammed = copy.deepcopy(reports[2][3])
    spammed["spam"] = [{"kind": "hidden_link", "text": "博彩", "where": "body > div", "action": "removed",
                        "context": "display:none"}]
    out.append((reports[2][0], reports[2][1] + b"  ", ctype, spammed))
    huge = copy.deepcopy(reports[3][3])
    huge["applications"][key] = 10 ** 30
    out.append((reports[3][0], reports[3][1] + b"   ", ctype, huge))  # cannot store: OverflowError
    out.append(("http://www.example.gov.cn/list.html", b"<html>list</html>", "text/html",
                {"agency": None, "year": None, "outcome": "no_tables", "detail": "no report tables", "spam": [],
                 "quarantined": False, "source": {"url": "http://www.example.gov.cn/list.html", "kind": "html",
                                                  "encoding": "utf-8"}}))
    # after the failure, later pages still store (the batch goes on)
    url, data, ctype, rec = reports[4]
    out.append((url, data + b"    ", ctype, copy.deepcopy(rec)))
    return out


def build(path, items, batched: bool) -> tuple[sqlite3.Connection, list[str]]:
    db = open_db(str(path))
    with db.conn:
        load_registry(db, [{"agency": "平潭综合实验区管理委员会", "level": "county", "province": "福建省",
                            "region_code": "350128", "portal_url": "http://www.pingtan.gov.cn/"}])

    def one(url, data, ctype, record):
        page_id = ingest.archive(db, FetchedResponse(url=url, kind="report", status=200, body=data,
                                                     content_type=ctype, fetched_at=SEEN))
        return ingest.store(db, copy.deepcopy(record), page_id, url, SEEN)

    statuses = []
    with ingest.bulk_writes(db):
        if batched:
            with store_batch(db):
                statuses = [one(*it)[1] for it in items]
        else:
            for it in items:
                with db.conn:
                    statuses.append(one(*it)[1])
    db.conn.close()
    return sqlite3.connect(path), statuses


def table_rows(con: sqlite3.Connection) -> dict[str, list]:
    out = {}
    for (name,) in con.execute("SELECT name FROM sqlite_master WHERE (type = 'table' OR name IN ('cells', 'checks')) "
                               "AND name NOT LIKE 'sqlite_%' AND name != 'reports_fts' ORDER BY name"):
        if name in FTS_SHADOWS or name == "_sqlite_migrations":  # (when each migration ran)
            continue
        # compared as the `cells` and `checks` views: what a key's number is is not what the store promises,
        # the cells and checks it reads back are
        if name in ("cell_values", "cell_keys", "check_values", "check_keys"):
            continue
        cols = [r[1] for r in con.execute(f"PRAGMA table_info([{name}])")]
        if name == "archive":  # where in the WARC files: names carry the session's time, records random ids
            cols = [c for c in cols if not c.startswith("warc_")]
        rows = con.execute(f"SELECT {', '.join(f'[{c}]' for c in cols)} FROM [{name}]").fetchall()
        out[name] = sorted(rows, key=repr)
    return out


def test_batched_store_writes_the_same_rows_as_one_page_at_a_time(tmp_path, items):
    one, statuses = build(tmp_path / "one.db", items, batched=False)
    many, statuses_batched = build(tmp_path / "many.db", items, batched=True)
    assert statuses == statuses_batched
    assert statuses.count("error") == 1 and "changed" in statuses and "unchanged" in statuses
    assert "linked" in statuses and statuses[-1] == "unchanged"
    a, b = table_rows(one), table_rows(many)
    assert a.keys() == b.keys()
    for name in a:
        assert a[name] == b[name], name
    assert len(a["reports"]) >= 10 and len(a["cells"]) > 1000 and len(a["checks"]) > 100
    assert "博彩" in {r[5] for r in a["spam_findings"]}
    failed = one.execute("SELECT detail FROM pages WHERE parse_outcome = 'error'").fetchall()
    assert failed == [("cannot store: OverflowError: Python int too large to convert to SQLite INTEGER",)]
    # the search index answers the same for every report's words (its rowids are the reports' rowids)
    for text, title in one.execute("SELECT text, title FROM reports"):
        for query in {*bigrams(text).split()[::97], *bigrams(title or "").split()[:3]}:
            sql = "SELECT rowid FROM reports_fts WHERE reports_fts MATCH ? ORDER BY rowid"
            assert one.execute(sql, [f'"{query}"']).fetchall() == many.execute(sql, [f'"{query}"']).fetchall()


def test_a_failing_page_in_a_batch_leaves_only_its_page_row(tmp_path, items):
    many, _statuses = build(tmp_path / "many.db", items, batched=True)
    bad = many.execute("SELECT id, report_id FROM pages WHERE parse_outcome = 'error'").fetchall()
    assert len(bad) == 1 and bad[0][1] is None
    assert many.execute("SELECT count(*) FROM reports WHERE page_id = ?", [bad[0][0]]).fetchone() == (0,)


def test_a_whole_reparse_rebuilds_every_index_it_deferred(tmp_path):
    db = open_db(str(tmp_path / "r.db"))
    assert ingest.ingest_paths(db, [str(shared("seeds"))]) == {"new": 5}

    def indexes():
        return sorted(db.conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"))

    before = indexes()
    cells = db.conn.execute("SELECT * FROM cells ORDER BY report_id, table_name, key").fetchall()
    assert len(before) > 20
    assert ingest.reparse(db) == {"unchanged": 5}
    assert indexes() == before
    assert db.conn.execute("SELECT * FROM cells ORDER BY report_id, table_name, key").fetchall() == cells


def test_search_entries_worked_out_in_the_extraction_worker_store_the_same(tmp_path, items):
    """The worker sends each record with its search-index share worked out (prepare_for_store); through a pickle,
    as from the worker, the store writes exactly what it writes working them out itself."""
    prepared = []
    for url, data, ctype, record in items:
        sent = pickle.loads(pickle.dumps(prepare_for_store(copy.deepcopy(record)), protocol=5))
        if record.get("outcome") == "ok" and record.get("agency"):
            assert sent[PREPARED]["text"] is sent["text"]  # the pickle kept the sharing the check relies on
        prepared.append((url, data, ctype, sent))
    assert sum(PREPARED in it[3] for it in prepared) >= 10
    plain, statuses = build(tmp_path / "plain.db", items, batched=True)
    fast, statuses_fast = build(tmp_path / "fast.db", prepared, batched=True)
    assert statuses == statuses_fast
    a, b = table_rows(plain), table_rows(fast)
    assert a == b
    assert not any(PREPARED in (r[0] or "") for r in fast.execute("SELECT record_json FROM reports"))
    sql = "SELECT rowid FROM reports_fts WHERE reports_fts MATCH ? ORDER BY rowid"
    for text, title in plain.execute("SELECT text, title FROM reports"):
        for query in {*bigrams(text).split()[::97], *bigrams(title or "").split()[:3]}:
            assert plain.execute(sql, [f'"{query}"']).fetchall() == fast.execute(sql, [f'"{query}"']).fetchall()


def test_a_record_changed_after_its_search_entry_was_worked_out_is_indexed_as_it_is(tmp_path, items):
    url, data, ctype, record = next(it for it in items if it[3].get("outcome") == "ok" and it[3].get("agency"))
    sent = prepare_for_store(copy.deepcopy(record))
    sent["text"] = sent["text"] + "\n本年度鹦鹉螺号专项行动"   # a new text object: the worked-out entry is stale
    con, statuses = build(tmp_path / "changed.db", [(url, data, ctype, sent)], batched=True)
    assert statuses == ["new"]
    sql = "SELECT count(*) FROM reports_fts WHERE reports_fts MATCH ?"
    assert con.execute(sql, ['"' + bigrams("鹦鹉螺号") + '"']).fetchone() == (1,)
    assert con.execute("SELECT text FROM reports").fetchone()[0].endswith("鹦鹉螺号专项行动")
