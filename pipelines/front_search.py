"""Search that serves a reader: `/search?q=…&year=&province=&level=&order=relevance|year&page=N`.

* the query language: words (all must occur), `"a phrase"`, `A OR B`, `-word` or `NOT word`; every word of
  any length is matched through the bigram index (pipelines.search.bigrams), so two-character words work;
* agencies are matched too, by registered name, alias and every printed name (沭阳 finds the 沐阳 misprint);
* results are bounded (20 a page, a count capped at 1,000; past the cap they come newest-added first, not
  ranked, since ranking reads every match, and order=year sorts the 1,000 newest-added) and each shows one
  snippet around a match
  outside the standard preamble and the tables' headings, never the full text;
* a search that finds nothing says why it may have failed and what to try.
"""

from __future__ import annotations

import re
import sqlite3

from extract.normalize import to_simplified
from pipelines.front import LEVEL_LABELS, is_demo, rows
from pipelines.search import bigrams

PAGE_SIZE = 20
COUNT_CAP = 1000
# Sentences every report prints (the legal preamble, the statistics period, table headings): a snippet
# there tells the reader nothing about this report.
BOILERPLATE = re.compile(r"^(本报告根据|本报告所列数据|本年度报告|本报告中所列|如对本报告|[一二三四五六七八九十]+、)|"
                         r"政府信息公开行政复议、行政诉讼情况|勾稽关系")
TOKEN = re.compile(r'"([^"]*)"|(\S+)')


def parse_query(q: str) -> dict:
    """'行政复议 纠错 OR 撤销 -诉讼' → {"groups": [["行政复议"], ["纠错", "撤销"]], "exclude": ["诉讼"]}."""
    groups: list[list[str]] = []
    exclude: list[str] = []
    pending_or = pending_not = False
    for m in TOKEN.finditer(to_simplified(q or "")):
        phrase, word = m.group(1), m.group(2)
        term = phrase if phrase is not None else word
        if phrase is None and word in ("OR", "|", "或"):
            pending_or = bool(groups)
            continue
        if phrase is None and word in ("NOT", "非"):
            pending_not = True
            continue
        if phrase is None and word.startswith("-") and len(word) > 1:
            term, pending_not = word[1:], True
        term = term.strip()
        if not term or not bigrams(term):
            pending_or = pending_not = False
            continue
        if pending_not:
            exclude.append(term)
        elif pending_or:
            groups[-1].append(term)
        else:
            groups.append([term])
        pending_or = pending_not = False
    return {"groups": groups, "exclude": exclude}


def fts_expression(parsed: dict) -> str:
    """The parsed query as an FTS5 expression over the bigram index (each term a phrase of its bigrams)."""
    def phrase(term: str) -> str:
        return '"' + bigrams(term).replace('"', "") + '"'

    if not parsed["groups"]:
        return ""
    expr = " AND ".join("(" + " OR ".join(phrase(t) for t in g) + ")" for g in parsed["groups"])
    for term in parsed["exclude"]:
        expr = f"({expr}) NOT {phrase(term)}"
    return expr


def snippet(text: str, terms: list[str], width: int = 70) -> tuple[str, str, str] | None:
    """(before, match, after) around the first occurrence of a term in a line that is not boilerplate
    (falling back to any occurrence)."""
    simplified = to_simplified(text or "")
    lines = simplified.split("\n")
    best = None
    for prefer_prose in (True, False):
        offset = 0
        for line in lines:
            skip = prefer_prose and (BOILERPLATE.search(line) or "\t" in line or len(line) < 12)
            if not skip:
                hits = [(line.find(t), t) for t in terms if t and line.find(t) >= 0]
                if hits:
                    pos, term = min(hits)
                    best = (offset + pos, term)
                    break
            offset += len(line) + 1
        if best:
            break
    if best is None:
        return None
    pos, term = best
    # the snippet stays within its line: a sentence, not the table that follows it
    line_start = simplified.rfind("\n", 0, pos) + 1
    line_end = simplified.find("\n", pos)
    line_end = len(simplified) if line_end < 0 else line_end
    start = max(line_start, pos - width)
    end = min(line_end, pos + len(term) + width * 2)
    before = ("…" if start > line_start else "") + simplified[start:pos]
    after = simplified[pos + len(term):end].replace("\t", " ") + ("…" if end < line_end else "")
    return before.replace("\t", " "), simplified[pos:pos + len(term)], after


def matching_agencies(conn: sqlite3.Connection, terms: list[str], limit: int = 10) -> list[dict]:
    """Agencies whose registered name, alias or any printed name contains a term."""
    out: dict[str, dict] = {}
    for term in terms:
        if len(term) < 2:
            continue
        like = f"%{term}%"
        for r in rows(conn, """
                SELECT a.id, a.name, a.province, a.level, a.aliases,
                       (SELECT count(*) FROM reports x WHERE x.agency_id = a.id AND x.is_current = 1) AS reports,
                       (SELECT group_concat(DISTINCT x.agency) FROM reports x WHERE x.agency_id = a.id
                          AND x.agency != a.name) AS printed
                FROM agencies a
                WHERE a.id IN (SELECT id FROM agencies WHERE name LIKE :l OR id LIKE :l OR aliases LIKE :l
                               UNION SELECT agency_id FROM report_summary
                                     WHERE agency IS NOT registered_agency AND agency LIKE :l)
                ORDER BY reports DESC, a.name LIMIT :n""", {"l": like, "n": limit}):
            if r["reports"]:
                r["matched_by"] = ("registered" if term in (r["name"] or "") else
                                   "alias" if term in (r["aliases"] or "") else "printed")
                r["demo"] = is_demo(r["name"])
                r["level_label"] = LEVEL_LABELS.get(r["level"] or "", r["level"])
                out.setdefault(r["id"], r)
    return list(out.values())[:limit]


def search(conn: sqlite3.Connection, q: str, year: str = "", province: str = "", level: str = "",
           order: str = "relevance", page: int = 1) -> dict:
    parsed = parse_query(q)
    expr = fts_expression(parsed)
    terms = [t for g in parsed["groups"] for t in g]
    result = {"q": q, "parsed": parsed, "expr": expr, "results": [], "count": 0, "capped": False,
              "agencies": matching_agencies(conn, terms) if terms else [], "page": page,
              "year": year, "province": province, "level": level, "order": order, "hints": []}
    result["facets"] = {
        "years": [r[0] for r in conn.execute("SELECT DISTINCT year FROM report_summary ORDER BY year DESC")],
        "provinces": [r[0] for r in conn.execute("SELECT DISTINCT province FROM report_summary "
                                                 "WHERE province IS NOT NULL ORDER BY province")],
        "levels": [r[0] for r in conn.execute("SELECT DISTINCT level FROM report_summary WHERE level IS NOT NULL "
                                              "ORDER BY level")],
    }
    if not expr:
        if q.strip():
            result["hints"].append("请输入至少一个要查找的词（只有排除词或符号时无法搜索）。")
        return result
    where = ["reports_fts MATCH :expr", "r.is_current = 1", "r.quarantined = 0", "r.removed_at IS NULL"]
    params: dict = {"expr": expr}
    if year.isdigit():
        where.append("s.year = :year")
        params["year"] = int(year)
    if province:
        where.append("s.province = :province")
        params["province"] = province
    if level:
        where.append("s.level = :level")
        params["level"] = level
    base = (f"FROM reports_fts JOIN reports r ON r.rowid = reports_fts.rowid "
            f"JOIN report_summary s ON s.report_id = r.id WHERE {' AND '.join(where)}")
    count = conn.execute(f"SELECT count(*) FROM (SELECT 1 {base} LIMIT {COUNT_CAP + 1})", params).fetchone()[0]
    result["count"], result["capped"] = min(count, COUNT_CAP), count > COUNT_CAP
    if order == "year" and result["capped"]:
        # by year, of the newest-added matches up to the cap: sorting every match by year reads every match
        # (7 s for 复议 at a million reports); the cap's matches come in the index's own order, cheaply
        params.update(limit=PAGE_SIZE, offset=(max(page, 1) - 1) * PAGE_SIZE)
        found = rows(conn, f"""SELECT * FROM (
                                   SELECT r.id, r.report_key, r.agency, r.agency_id, r.year, r.title, s.province, s.level,
                                          s.failed_checks, a.name AS agency_name, r.rowid AS rid
                                   {base.replace('WHERE', 'LEFT JOIN agencies a ON a.id = r.agency_id WHERE', 1)}
                                   ORDER BY reports_fts.rowid DESC LIMIT {COUNT_CAP})
                               ORDER BY year DESC, rid DESC LIMIT :limit OFFSET :offset""", params)
        result["order"] = "year_recent"
        return _finish(conn, result, found, terms)
    if order == "year":
        ordering = "r.year DESC, reports_fts.rank"
    elif result["capped"]:
        # Ranking reads every match (bm25 of each): linear in the matches, seconds at a million reports, and
        # meaningless for a word nearly every report prints. Past the cap, newest added first: the index's own
        # order, so a page costs the same at any size. Said on the page, with how to get a ranking back.
        ordering = "reports_fts.rowid DESC"
        result["order"] = "recent"
    else:
        ordering = "reports_fts.rank, r.year DESC"
    params.update(limit=PAGE_SIZE, offset=(max(page, 1) - 1) * PAGE_SIZE)
    found = rows(conn, f"""SELECT r.id, r.report_key, r.agency, r.agency_id, r.year, r.title, s.province, s.level,
                                  s.failed_checks, a.name AS agency_name
                           {base.replace('WHERE', 'LEFT JOIN agencies a ON a.id = r.agency_id WHERE', 1)}
                           ORDER BY {ordering} LIMIT :limit OFFSET :offset""", params)
    return _finish(conn, result, found, terms)


def _finish(conn, result: dict, found: list[dict], terms: list[str]) -> dict:
    """The page's results with a snippet each, or the hints when there are none."""
    for r in found:
        r.pop("rid", None)
        text = conn.execute("SELECT text FROM reports WHERE id = ?", [r["id"]]).fetchone()[0]
        r["snippet"] = snippet(text, terms)
        r["demo"] = is_demo(r["agency_name"] or r["agency"])
    result["results"] = found
    if not found:
        result["hints"] = _hints(result["parsed"], result["year"], result["province"], result["level"],
                                 bool(result["agencies"]))
    return result


def _hints(parsed: dict, year: str, province: str, level: str, agencies: bool) -> list[str]:
    hints = []
    if year or province or level:
        hints.append("去掉年度、省份或层级筛选再试（筛选可能太窄）。 Try without the filters.")
    if sum(len(g) for g in parsed["groups"]) > 1:
        hints.append("多个词表示同时包含：试试少用一个词，或用 OR 表示任一（如：纠错 OR 撤销）。")
    if any(len(t) > 4 for g in parsed["groups"] for t in g):
        hints.append("试试更短的词：报告用语不一，如“行政复议”可搜“复议”。 Try a shorter word.")
    if parsed["exclude"]:
        hints.append("排除词（-词 / NOT）可能排除了所有结果。")
    if agencies:
        hints.append("上面列出了名称匹配的机关，可直接打开机关页面。")
    hints.append("繁体和简体都可以搜索；数字请用阿拉伯数字。")
    return hints
