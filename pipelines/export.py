"""Published downloads cut to their use.

`nianbao export --figures OUT.db`: the figures-only database a journalist downloads in minutes — every published
report (current revision, not quarantined, not removed) with its wide tables, its failing checks, the summary
and the agencies; no texts, no cells table (the wide tables hold every canonical figure), no raw bytes, no
search index. Plain SQLite like the full database; the checks that passed are counted on the report row
(`checks_run`, `failed_checks`) rather than listed (a passed check is recomputable from the figures).

`nianbao export --database OUT.db`: the whole database as one compact file to publish or download (`VACUUM
INTO`: the free pages a crawl leaves dropped, every table and index rewritten in order — about 10 % smaller;
the sizes in the README's benchmark are of such a file), with Datasette's counts beside it for `nianbao serve`.
The raw bytes stay in the source's WARC folder (README, The evidence archive).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from pipelines.schema import WIDE

REPORT_COLUMNS = ["id", "report_key", "agency_id", "agency", "year", "revision", "format", "applications_layout",
                  "title", "published", "page_id", "source_url", "record_hash", "figures_hash", "cells_parsed",
                  "cells_unparsed", "failed_checks", "spam_findings", "first_seen", "last_seen"]
PUBLISHED = "is_current = 1 AND quarantined = 0 AND removed_at IS NULL"


def export_figures(src_path: str, out_path: str) -> dict:
    """Write the figures-only database; returns counts and its size in bytes."""
    out = Path(out_path)
    if out.exists():
        out.unlink()
    con = sqlite3.connect(out)
    try:
        con.execute("PRAGMA journal_mode = OFF")
        con.execute("PRAGMA synchronous = OFF")
        con.execute("ATTACH DATABASE ? AS src", [str(Path(src_path).resolve())])
        with con:
            con.execute("CREATE TEMP TABLE shown AS SELECT id FROM src.reports WHERE " + PUBLISHED)
            con.execute("CREATE UNIQUE INDEX temp.shown_id ON shown(id)")
            cols = ", ".join(REPORT_COLUMNS)
            con.execute(f"CREATE TABLE reports ({_decl(con, 'reports', REPORT_COLUMNS)}, checks_run INTEGER, "
                        "PRIMARY KEY (id)) WITHOUT ROWID")
            con.execute(f"INSERT INTO reports ({cols}, checks_run) SELECT {', '.join('r.' + c for c in REPORT_COLUMNS)}, "
                        "(SELECT count(*) FROM src.check_values c WHERE c.report_n = r.rowid) FROM src.reports r "
                        f"WHERE r.{PUBLISHED.replace(' AND ', ' AND r.')}")
            for wide in WIDE.values():
                wcols = [r[1] for r in con.execute(f"PRAGMA src.table_info([{wide}])")]
                body = ", ".join(f"[{c}] NUMERIC" for c in wcols if c != "report_id")
                con.execute(f"CREATE TABLE [{wide}] (report_id TEXT PRIMARY KEY, {body}) WITHOUT ROWID")
                con.execute(f"INSERT INTO [{wide}] SELECT w.* FROM src.[{wide}] w JOIN shown s ON s.id = w.report_id")
            con.execute("CREATE TABLE checks (report_id TEXT, rule TEXT, key TEXT, detail TEXT, "
                        "PRIMARY KEY (report_id, rule, key)) WITHOUT ROWID")
            con.execute("INSERT INTO checks SELECT c.report_id, c.rule, c.key, c.detail FROM src.checks c "
                        "JOIN shown s ON s.id = c.report_id WHERE c.ok = 0")
            summary_cols = [r[1] for r in con.execute("PRAGMA src.table_info(report_summary)")]
            con.execute("CREATE TABLE report_summary AS SELECT * FROM src.report_summary WHERE 0")
            con.execute("INSERT INTO report_summary SELECT * FROM src.report_summary ORDER BY year, agency")
            agency_cols = [c for c in ("id", "name", "region_code", "province", "level", "portal_url")
                           if c in {r[1] for r in con.execute("PRAGMA src.table_info(agencies)")}]
            con.execute(f"CREATE TABLE agencies ({', '.join(agency_cols)}, PRIMARY KEY (id)) WITHOUT ROWID")
            con.execute(f"INSERT INTO agencies SELECT {', '.join(agency_cols)} FROM src.agencies "
                        "WHERE id IN (SELECT agency_id FROM reports)")
            for cols in (["year"], ["province", "year"], ["agency", "year"]):
                if all(c in summary_cols for c in cols):
                    con.execute(f"CREATE INDEX report_summary_{'_'.join(cols)} ON report_summary ({', '.join(cols)})")
            con.execute("CREATE TABLE nianbao_meta (key TEXT PRIMARY KEY, value TEXT)")
            con.execute("INSERT INTO nianbao_meta VALUES ('export', 'figures'), ('source', ?)", [Path(src_path).name])
        counts = {t: con.execute(f"SELECT count(*) FROM [{t}]").fetchone()[0]
                  for t in ("reports", "checks", "report_summary", "agencies")}
        con.execute("DETACH DATABASE src")
        con.execute("VACUUM")
    finally:
        con.close()
    counts["bytes"] = out.stat().st_size
    return counts


def export_database(src_path: str, out_path: str) -> dict:
    """Write a compact copy of the whole database; returns its size in bytes and its published reports."""
    from pipelines.publish import write_inspect

    out = Path(out_path)
    if out.exists():
        out.unlink()
    con = sqlite3.connect(Path(src_path).resolve())
    try:
        con.execute("VACUUM INTO ?", [str(out)])
    finally:
        con.close()
    write_inspect(str(out))
    con = sqlite3.connect(out)
    try:
        reports = con.execute(f"SELECT count(*) FROM reports WHERE {PUBLISHED}").fetchone()[0]
    finally:
        con.close()
    return {"reports": reports, "bytes": out.stat().st_size}


def _decl(con: sqlite3.Connection, table: str, columns: list[str]) -> str:
    types = {r[1]: r[2] for r in con.execute(f"PRAGMA src.table_info([{table}])")}
    return ", ".join(f"[{c}] {types.get(c) or ''}".rstrip() for c in columns)
