"""Figures stated in sentences, and the old (pre-2019) statistics table.

Patterns run over the normalised text with line breaks removed (PDF and OCR text wrap mid-sentence).
Each pattern is precision-first: a figure is only taken from a sentence that is plainly about it.
"""

from __future__ import annotations

import re

from extract.limits import MAX_COUNT, MAX_NUMBER_CHARS
from extract.splitting import candidates

N = r"(\d+(?:\.\d+)?)"
# (key, pattern, group holding the number or None for a zero statement). First match in the text wins.
PATTERNS: list[tuple[str, str, int | None]] = [
    ("active_total", r"(?<!应)主动公开(?:各类|各项)?政府信息(?:数|总数|总量)?(?:共计|共|合计|总计)?\s*" + N + r"\s*条", 1),
    ("active_total", r"(?<!应)主动公开[^。;,，]{0,12}?(?:政府)?信息(?:共计|共|合计)?\s*" + N + r"\s*条", 1),
    ("active_total", r"(?:共|当年|全年)(?:公布|发布)政府信息\s*" + N + r"\s*(?:条|件)", 1),
    ("applications_received", r"未(?:收到|受理|接到)(?:(?!复议|诉讼)[^。;,，])*?(?:申请|办件)", None),
    ("applications_received",
     r"(?:收到|受理|办理|接收|新收)(?:了)?(?:各类)?(?:政府信息公开|依申请(?:政府)?信息公开|依申请公开|信息公开)?(?:的)?"
     r"(?:申请|办件)?(?:共计|共|合计)?\s*"
     + N + r"\s*件", 1),
    ("applications_received",
     r"(?:收到|受理|接收)[^。;,，]{0,20}?(?:政府信息公开|依申请公开)申请(?:共计|共|合计)?\s*" + N + r"\s*件", 1),
    ("reviews", r"未(?:发生|接到|收到|产生)(?:[^。;,，])*?行政复议", None),
    ("reviews", r"无涉及(?:行政)?复议", None),
    ("reviews", r"(?:收到|发生|接到|有)\s*" + N + r"\s*(?:份|件|起)(?:[^。;,，]){0,14}?行政复议", 1),
    ("reviews", r"行政复议(?:申请|案件)?(?:数)?(?:为|共)?\s*" + N + r"\s*(?:件|起)", 1),
    ("reviews", r"行政复议(?:和|、|及)行政诉讼(?:案件)?(?:数量)?均为\s*" + N + r"\s*(?:件|起)", 1),
    ("lawsuits", r"未(?:发生|接到|收到|产生)(?:[^。;,，])*?诉讼", None),
    ("lawsuits", r"无涉及(?:行政)?复议、诉讼", None),
    ("lawsuits", r"行政诉讼(?:案件)?(?:数)?(?:为|共)?\s*" + N + r"\s*(?:件|起)", 1),
    ("lawsuits", r"(?<![后行])诉讼(?:案件)?\s*" + N + r"\s*(?:件|起)", 1),  # "行政复议3件，诉讼9件"
    ("lawsuits", r"行政复议(?:和|、|及)行政诉讼(?:案件)?(?:数量)?均为\s*" + N + r"\s*(?:件|起)", 1),
    ("processing_fee_yuan", r"(?:未|无|没有|不)(?:收取|发生)(?:[^。;]){0,20}?(?:处理费|收费|费用)", None),
    ("processing_fee_yuan", r"收取(?:政府信息公开)?(?:信息)?处理费(?:共计|共|合计)?\s*" + N + r"\s*元", 1),
]
# Sentences about applications must say so; "共收到15564件咨询投诉件" is not an information request.
NEEDS = {"applications_received": r"申请|依申请"}
# "未发生…被行政复议纠错或行政诉讼败诉" says no case went against the office, not that there was none.
OUTCOME_NOT_CASES = re.compile(r"纠错|纠正|败诉|撤销|确认违法|被(?:行政)?(?:复议|诉讼|起诉)")
# "累计主动公开…1770条" is the running total since some start, not the year's figure.
CUMULATIVE = re.compile(r"累计|历年|至今|以来")
YEAR_PART = re.compile(r"其中[^。;]*?(?:\d{4}\s*年(?:度)?|本年度?|今年|当年|全年)[^。;\d]*?" + N + r"\s*条")
CLAUSE_END = "。;,，"
SENTENCE = re.compile(r"[^。;!?]*[。;!?]?")


def prose_text(text: str) -> str:
    """Join wrapped lines: a line break between two non-space characters is not a sentence break."""
    text = re.sub(r"(?<=\S)[ \t]*\n[ \t]*(?=\S)", "", text)
    return re.sub(r"[ \t]+", " ", text)


def sentence_at(text: str, pos: int) -> str:
    start = max(text.rfind(c, 0, pos) for c in "。;\n") + 1
    ends = [i for i in (text.find(c, pos) for c in "。;\n") if i >= 0]
    end = min(ends) + 1 if ends else len(text)
    return text[start:end].strip()


def find_prose(text: str) -> tuple[dict, dict]:
    """(figures, evidence) from the report's sentences."""
    figures: dict = {}
    evidence: dict = {}
    body = prose_text(text)
    hits: dict[str, tuple[int, object, str]] = {}
    for key, pattern, group in PATTERNS:
        for m in re.finditer(pattern, body):
            sent = sentence_at(body, m.start())
            if key in NEEDS and not re.search(NEEDS[key], sent):
                continue
            if key == "applications_received" and re.search(r"复议|诉讼", m.group()):
                continue
            value = 0 if group is None else _num(m.group(group))
            if group is None and key in ("reviews", "lawsuits") and OUTCOME_NOT_CASES.search(_clause(body, m)):
                continue
            if CUMULATIVE.search(body[_clause_start(body, m.start()):m.end()]):
                year = YEAR_PART.search(body, m.end(), m.end() + 200) if key == "active_total" else None
                if not year or year.start() > body.find("。", m.end()) >= 0:
                    continue
                value, m = _num(year.group(1)), year
            if value is None or value >= MAX_COUNT:
                continue  # not a figure within reason (extract/limits.py)
            if key not in hits or m.start() < hits[key][0]:
                hits[key] = (m.start(), value, sent)
            break
    for key, (_, value, sent) in hits.items():
        figures[key] = value
        evidence[key] = sent
    return figures, evidence


def _clause_start(text: str, pos: int) -> int:
    return max(text.rfind(c, 0, pos) for c in CLAUSE_END + "\n") + 1


def _clause(text: str, m: re.Match) -> str:
    """The clause a match sits in, to its end: '全年未发生…行政复议纠错或行政诉讼败诉情形'."""
    ends = [i for i in (text.find(c, m.end()) for c in CLAUSE_END + "\n") if i >= 0]
    return text[_clause_start(text, m.start()):min(ends) if ends else len(text)]


def _num(s: str):
    if len(s) > MAX_NUMBER_CHARS:
        return None  # not a figure (and int() of 4,300+ digits raises)
    return float(s) if "." in s else int(s)


# ── the old statistics table (pre-2019) ─────────────────────────────────────────────────────────
# indicator → prose key. The first figure after the unit is this year's, the second the cumulative.
LEGACY_INDICATORS = [
    ("active_total", r"主动公开(?:政府)?(?:信息|文件)数"),
    ("applications_received", r"受理依申请公开(?:信息)?总数|收到申请数|申请总数"),
    ("reviews", r"行政复议数"),
    ("lawsuits", r"行政诉讼数"),
]


def find_legacy_table(text: str) -> tuple[dict, dict, list]:
    """(figures, evidence, unparsed) from a 政府信息公开情况统计表 when the report has one."""
    figures, evidence, unparsed = {}, {}, []
    anchor = re.search(r"统计表\s*指标名称|指标名称\s*计量单位|统计指标\s*单位", text)
    if not anchor:
        return figures, evidence, unparsed
    table = text[anchor.start():]
    for key, label in LEGACY_INDICATORS:
        m = re.search(r"(" + label + r")\s*(条|件|个|次)\s*((?:\d+\s*)+)", table)
        if not m:
            continue
        runs = m.group(3).split()
        row = m.group(0).strip()
        cells = 2 if re.search(r"历年累计|累计", table[:120]) else 1
        if len(runs) == cells:
            if len(runs[0]) > MAX_NUMBER_CHARS:
                unparsed.append(f"legacy_table.{key}")
                continue
            figures[key] = int(runs[0])
        else:
            # Fewer runs than cells: a fused dump. Read only when the cut is unique.
            cands = candidates(runs, cells)
            if len(cands) != 1:
                unparsed.append(f"legacy_table.{key}")
                continue
            figures[key] = cands[0][0]
        evidence[key] = row
    return figures, evidence, unparsed


# ── table figures stated in sentences (evidence for cells the table alone cannot settle) ───────────
DOCS = {"regulations": r"(?:政府)?规章", "normative_documents": r"(?:行政)?规范性文件"}
OTHER_DOC = {"regulations": "规范性文件", "normative_documents": "规章"}


def _statement_patterns(row: str) -> list[tuple[str, str]]:
    doc, other = DOCS[row], OTHER_DOC[row]
    return [
        ("issued", r"(?:制定|制发|出台|印发)(?:了|的)?" + doc + r"(?:共)?\s*" + N + r"\s*件"),
        ("repealed", r"废止(?:了)?" + doc + r"(?:共)?\s*" + N + r"\s*件"),
        ("in_force", r"现行有效(?:的)?" + doc + r"(?:共)?\s*" + N + r"\s*件"),
        ("in_force", doc + r"(?:(?!" + other + r")[^。;]){0,40}?现行有效(?:的)?(?:共)?\s*" + N + r"\s*件"),
    ]


def table_statements(text: str) -> dict[str, tuple[int, str]]:
    """{"normative_documents.issued": (5, sentence)} for table 二 (2021 format) cells the report's
    prose states plainly ('制定规范性文件5件 … 现行有效16件'). Used only to choose between readings
    of a cell the table printed ambiguously; never as a value on its own. A cumulative figure (累计)
    or a sentence stating two different values for one cell gives nothing."""
    body = prose_text(text)
    found: dict[str, set] = {}
    sentences: dict[str, str] = {}
    for row in DOCS:
        for col, pattern in _statement_patterns(row):
            for m in re.finditer(pattern, body):
                if CUMULATIVE.search(body[_clause_start(body, m.start()):m.end()]):
                    continue
                key = f"{row}.{col}"
                found.setdefault(key, set()).add(_num(m.group(1)))
                sentences.setdefault(key, sentence_at(body, m.start()))
    return {k: (v.pop(), sentences[k]) for k, v in found.items() if len(v) == 1}
