"""What a generated report says: its figures, the sentences that state them and the blocks a page is made of.

Everything here is a pure function of a `Spec` (and the generation), seeded per report, so a report is the
same on every run and can be built lazily when its URL is first asked for. Figures add up (balance,
results_sum, row_total, subtotal, review totals, prose vs table) unless the spec plants a failure; the
failing identities are then computed (demo/figures.py, independently of nianbao's extractor) and listed in
the manifest.

Blocks are renderer-neutral: ("title", text), ("h", text), ("p", text), ("sign", text), ("table", Table),
("html", markup) — the HTML, PDF and DOCX writers each turn them into their own markup.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

# the national row order, the adding up, the planted slips and the identities (shared with bench/publish.py)
from demo.figures import RESULTS, REVIEW_GROUPS, SIX, add_up_applications, add_up_review, failing_identities, put_off
from demo.portal import tables as TB

# How likely / how large each result row is for a natural person (other columns are scaled down).
RESULT_SHAPE = {
    "granted": (0.95, 40), "partly_granted": (0.5, 8),
    "withheld_state_secret": (0.08, 1), "withheld_prohibited_by_law": (0.08, 1), "withheld_three_safety": (0.1, 2),
    "withheld_third_party": (0.2, 3), "withheld_internal_affairs": (0.2, 2), "withheld_process_info": (0.25, 3),
    "withheld_enforcement_file": (0.15, 2), "withheld_inquiry": (0.15, 2),
    "unavailable_not_held": (0.8, 12), "unavailable_needs_creation": (0.3, 3), "unavailable_unclear": (0.3, 2),
    "declined_petition": (0.3, 3), "declined_repeat": (0.3, 3), "declined_publication": (0.1, 1),
    "declined_excessive": (0.1, 2), "declined_confirmation": (0.1, 1),
    "other": (0.4, 4), "other_no_correction": (0.35, 3), "other_unpaid_fee": (0.1, 1), "other_other": (0.3, 3),
}
COLUMN_FACTOR = {"natural_person": 1.0, "commercial": 0.3, "research": 0.04, "nonprofit": 0.06,
                 "legal_services": 0.15, "other_org": 0.1}

# Quirks a spec may carry (see README.md, "Quirks"):
QUIRKS = {
    "typos": "table 三 labels misspelt as in real reports: 危机 for 危及, 二类 for 三类, 只记 for 只计, 总结 for 总计",
    "signed_change": "2019 table 二 本年增/减 printed with a sign: +3 / -1",
    "amount_yi": "采购总金额 printed in 亿元 (5.19亿元 → 519000000)",
    "amount_wan": "采购总金额 printed in 万元 (7121.99万元 → 71219900)",
    "amount_header_unit": "采购总金额（万元） in the header, bare numbers in the cell",
    "br_headers": "header cells broken with <br> (本年新<br>制作数量)",
    "total_header_variant": "对外公开总量 instead of 对外公开总数量 (seed 002)",
    "old_normative_label": "a 2021 table 二 that still prints 规范性文件",
    "hybrid": "table 二 in the 2021 form, table 三 with the 2019 single （六） row (淮安市洪泽区-like)",
    "word_spans": "Word-exported markup: mso- styles, one <span> per character, numbers split across spans",
    "subtotals": "subtotal rows for （三）（四）（五）(（六）) with their own figures",
    "blank_cells": "规章 row printed as — (null, never 0)",
    "stats_table": "a pre-2019 report with the old 政府信息公开情况统计表",
    "prose_with_carried": "the sentence counts new + carried-over requests (受理…（含上年结转…件）)",
    "zero_applications": "no requests at all: 未收到政府信息公开申请, table 三 all zeros",
    "fee_charged": "a processing fee was charged: 收取信息处理费N元",
    "title_niandu": "title in the …年度政府信息公开工作年度报告 form",
    "title_year_first": "title with the year first: 2024年示例县人民政府政府信息公开工作年度报告",
    "hidden_spam": "a display:none block of casino links inside the body",
    "keyword_spam": "365体育投注 in place of 习近平 before 新时代中国特色社会主义思想",
    "gen2": "the report whose 行政许可 figure changes in generation 2",
    "th_headers": "header cells as <th>",
    "misprinted_name": "the agency's name misprinted (示列 for 示例): the registry lists it as an alias",
}
PLANTS = {
    "planted_row_total": "（一）予以公开 自然人 one more than its row total (row_total granted, results_sum natural_person)",
    "planted_balance": "结转下年度 one more for 商业企业 and 总计 (balance commercial, balance total)",
    "planted_review": "行政复议 总计 printed 0 beside 2 + 1 (review_total; the sentence's 3 then disagrees too)",
    "planted_prose": "the sentence states 5 more requests than table 三 (prose_vs_table applications_received)",
}


@dataclass(frozen=True)
class Spec:
    """One report as the listing knows it: cheap to make for thousands of reports."""

    site: str
    idx: int
    agency: str
    year: int
    fmt: str                      # "2021" | "2019" | "legacy"  (table 二)
    layout: str | None            # table 三 as printed
    published: datetime
    docid: int
    path: str
    title: str
    seed: str
    quirks: frozenset = frozenset()
    plant: str | None = None
    attachment: str | None = None          # "pdf" | "docx"
    attachment_path: str | None = None
    scale: float = 1.0
    source: str = ""                       # 来源 line of the page shell
    registered: str = ""                   # the registered name when `agency` is printed differently


@dataclass
class Content:
    cells: dict = field(default_factory=dict)     # "table.row.col" → printed text
    values: dict = field(default_factory=dict)    # "table.row.col" / "prose.key" → value
    blocks: list = field(default_factory=list)
    planted_failures: list = field(default_factory=list)
    spam: list = field(default_factory=list)


def emit(d: Decimal):
    return int(d) if d == d.to_integral_value() else float(d)


def chinese_date(d: datetime) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


# ── figures ─────────────────────────────────────────────────────────────────────────────────────

def _sparse(rng: random.Random, p: float, top: float) -> int:
    if top <= 0 or rng.random() >= p:
        return 0
    return rng.randint(1, max(1, round(top)))


def _applications(rng: random.Random, spec: Spec, layout: str) -> dict:
    """Table 三: sparse counts per applicant column, made to add up by demo/figures.py."""
    zero = "zero_applications" in spec.quirks
    results, carried_over, carried_forward = {}, {}, {}
    for col in SIX:
        f = COLUMN_FACTOR[col] * spec.scale
        results[col] = {}
        for row in RESULTS[layout]:
            p, top = RESULT_SHAPE[row]
            results[col][row] = 0 if zero else _sparse(rng, min(1.0, p * (0.6 + f)), top * f)
        _sparse(rng, 0.5 if f > 0.2 else 0.1, 3 * f + 1)  # draws kept so every other figure stays as it was
        _sparse(rng, 0.5 if f > 0.2 else 0.1, 2 * f + 1)
        # carried over = last year's carried forward of the same agency, as in a real series
        carried_forward[col] = 0 if zero else _carried_forward(spec, spec.year, col, f)
        carried_over[col] = 0 if zero else _carried_forward(spec, spec.year - 1, col, f)
    return add_up_applications(layout, results, carried_over, carried_forward, "subtotals" in spec.quirks)


def _agency_rng(spec: Spec, *parts) -> random.Random:
    """Seeded by agency (and year), not by report: an agency's figures hang together across its years."""
    return random.Random(":".join([spec.seed.split(":")[0], spec.registered or spec.agency, *map(str, parts)]))


def _carried_forward(spec: Spec, year: int, col: str, f: float) -> int:
    return _sparse(_agency_rng(spec, year, col, "carried_forward"), 0.5 if f > 0.2 else 0.1, 3 * f + 1)


def _fees_wan_yuan(spec: Spec) -> str:
    """行政事业性收费 (万元): an agency's own level (a third of departments collect none), ±25% a year."""
    base = _agency_rng(spec, "fees")
    level = 0.0 if (base.random() < 0.33 and spec.scale < 1) else base.uniform(20, 1500) * spec.scale
    digits = base.choice([0, 2, 2, 2, 4])
    amount = Decimal(round(level * _agency_rng(spec, spec.year, "fees").uniform(0.8, 1.25) * 10 ** digits)) \
        / (10 ** digits)
    return f"{amount:.{digits}f}" if digits else str(int(amount))


def _review(rng: random.Random, spec: Spec) -> dict:
    return add_up_review({g: [_sparse(rng, p, top * max(1, spec.scale)) for top in (2, 1, 1, 1)]
                          for g, p in zip(REVIEW_GROUPS, (0.35, 0.25, 0.1))})


def _amount_text(rng: random.Random, quirks) -> tuple[str, object]:
    """(printed 采购总金额, value in yuan)."""
    if "amount_yi" in quirks:
        d = Decimal(rng.randint(101, 999)) / 100
        return f"{d}亿元", emit(d * 100000000)
    if "amount_wan" in quirks:
        d = Decimal(rng.randint(100000, 999999)) / 100
        return f"{d}万元", emit(d * 10000)
    if "amount_header_unit" in quirks:
        d = Decimal(rng.randint(1000, 99999)) / 10
        return f"{d}", emit(d * 10000)
    y = rng.randint(100000, 90000000)
    return (f"{y}元" if rng.random() < 0.5 else str(y)), y


def _active(rng: random.Random, spec: Spec, fmt: str) -> tuple[dict, dict]:
    """(printed cells, values) of table 二, keys 'row.col'."""
    s = spec.scale
    cells: dict[str, str] = {}

    def put(key, value, text=None):
        cells[key] = str(value) if text is None else text

    if fmt == "2021":
        put("regulations.issued", rng.randint(0, 2))
        put("regulations.repealed", rng.randint(0, 1))
        put("regulations.in_force", rng.randint(0, 25))
        put("normative_documents.issued", rng.randint(0, int(30 * s) + 3))
        put("normative_documents.repealed", rng.randint(0, int(12 * s) + 1))
        put("normative_documents.in_force", rng.randint(10, int(300 * s) + 20))
        put("licensing.decisions", rng.randint(0, int(6000 * s) + 10))
        put("penalty.decisions", rng.randint(0, int(3000 * s) + 10))
        put("coercion.decisions", rng.randint(0, int(150 * s) + 2))
        rng.choice([0, 1, 2, 2, 4, 5]), rng.randint(0, int(200000 * s) + 100)  # draws kept (other figures stay)
        put("fees.amount_wan_yuan", None, _fees_wan_yuan(spec))
    else:
        def change(key, lo, hi):
            c = rng.randint(lo, hi)
            text = f"+{c}" if ("signed_change" in spec.quirks and c > 0) else str(c)
            put(key, None, text)

        for row, hi in (("regulations", 3), ("normative_documents", int(30 * s) + 3)):
            made = rng.randint(0, hi)
            put(f"{row}.new_made", made)
            put(f"{row}.new_published", rng.randint(0, made))
            put(f"{row}.total_published", made + rng.randint(0, int(200 * s) + (0 if row == "regulations" else 10)))
        for row, prev_hi, dec_hi in (("licensing", 800, 6000), ("other_services", 200, 800),
                                     ("penalty", 600, 3000), ("coercion", 60, 150)):
            put(f"{row}.prev_items", rng.randint(0, int(prev_hi * s) + 5))
            change(f"{row}.change", -8, 12)
            put(f"{row}.decisions", rng.randint(0, int(dec_hi * s) + 5))
        put("fees.prev_items", rng.randint(0, 40))
        change("fees.change", -3, 4)
        put("procurement.projects", rng.randint(0, int(300 * s) + 3))
        text, _ = _amount_text(rng, spec.quirks)
        put("procurement.amount_yuan", None, text)
        if "signed_change" in spec.quirks:  # make sure both signs show up
            cells["licensing.change"] = "+3"
            cells["penalty.change"] = "-1"
    if "blank_cells" in spec.quirks:
        for k in [k for k in cells if k.startswith("regulations.")]:
            cells[k] = "—"
    values = {}
    for key, text in cells.items():
        values[key] = _parse(text, key, spec.quirks)
    return cells, values


def _parse(text: str, key: str, quirks) -> object:
    t = text.strip()
    if t in ("", "—", "-", "/"):
        return None
    if key.endswith("amount_yuan"):
        for unit, mult in (("亿元", 100000000), ("万元", 10000), ("元", 1)):
            if t.endswith(unit):
                return emit(Decimal(t[: -len(unit)]) * mult)
        return emit(Decimal(t) * (10000 if "amount_header_unit" in quirks else 1))
    return emit(Decimal(t.lstrip("+")))


# ── text ────────────────────────────────────────────────────────────────────────────────────────

LEADER = "习近平"
SPAM_LEADER = "365体育投注"
HIDDEN_SPAM = ('<div style="display:none"><a href="http://www.365bet-88.top/">365bet体育在线投注</a> '
               '<a href="http://www.amxpj-vip.vip/">澳门新葡京娱乐场</a> '
               '<a href="http://www.hg0088-tiyu.xyz/">皇冠体育官网</a> '
               '<a href="http://www.zr-bjl.top/">真人百家乐开户</a></div>')

OPENERS = [
    "{y}年，{a}坚持以{l}新时代中国特色社会主义思想为指导，全面贯彻落实党中央、国务院关于全面推进政务公开工作的决策部署，"
    "认真执行《中华人民共和国政府信息公开条例》，以公开促落实、以公开促规范、以公开促服务，政府信息公开工作取得新进展。",
    "{y}年，{a}以{l}新时代中国特色社会主义思想为指导，紧紧围绕中心工作，坚持“以公开为常态、不公开为例外”，"
    "持续深化决策、执行、管理、服务、结果公开，不断提升政务公开质量和实效。",
]
MANAGEMENT = [
    "（三）政府信息管理情况。严格落实信息发布“三审三校”制度，做好公开属性源头认定和保密审查，及时清理过时失效信息。",
    "（三）政府信息管理情况。规范公文公开属性认定，动态更新政府信息公开指南和目录，加强政策文件集中统一公开。",
]
PLATFORM = [
    "（四）政府信息公开平台建设情况。持续优化政府门户网站“政府信息公开”专栏，规范政务新媒体运维管理，办好政府公报。",
    "（四）政府信息公开平台建设情况。完善政府网站集约化平台栏目设置，加强政务服务大厅政务公开专区建设，方便群众查阅。",
]
PROBLEMS = [
    "{y}年，{a}政府信息公开工作取得了一定成效，但仍存在政策解读形式不够丰富、基层政务公开标准化规范化水平有待提升等问题。"
    "下一步，将进一步压实工作责任，加强业务培训，不断提升政府信息公开质量。",
    "对照上级要求，工作中还存在主动公开的及时性有待加强、依申请公开答复规范化水平有待提高等不足。"
    "下一步，将健全工作机制，加强督促检查，推动政务公开工作再上新台阶。",
]


def _intro(spec: Spec, fmt: str) -> str:
    notice = ("《国务院办公厅政府信息与政务公开办公室关于印发〈中华人民共和国政府信息公开工作年度报告格式〉的通知》"
              "（国办公开办函〔2021〕30号）" if fmt == "2021" else
              "《国务院办公厅政府信息与政务公开办公室关于政府信息公开工作年度报告有关事项的通知》（国办公开办函〔2019〕60号）")
    return (f"本报告根据《中华人民共和国政府信息公开条例》（以下简称《条例》）和{notice}要求编制，"
            "全文包括总体情况、主动公开政府信息情况、收到和处理政府信息公开申请情况、政府信息公开行政复议和行政诉讼情况、"
            f"存在的主要问题及改进情况、其他需要报告的事项。本报告所列数据的统计期限自{spec.year}年1月1日起至"
            f"{spec.year}年12月31日止。如对本报告有疑问，请与{spec.agency}办公室联系。")


def _review_sentence(reviews: int, lawsuits: int) -> str:
    if reviews == 0 and lawsuits == 0:
        return "全年未发生因政府信息公开工作被申请行政复议、提起行政诉讼的情况。"
    if lawsuits == 0:
        return f"全年因政府信息公开工作被申请行政复议{reviews}件，未发生行政诉讼。"
    if reviews == 0:
        return f"全年未发生政府信息公开行政复议，被提起行政诉讼{lawsuits}件。"
    return f"全年因政府信息公开工作被申请行政复议{reviews}件，被提起行政诉讼{lawsuits}件。"


@dataclass
class Figures:
    """Every number a report prints, and the manifest's view of them (no text, no tables: cheap)."""

    values: dict
    planted_failures: list
    spam: list
    acells: dict = field(default_factory=dict)
    apps: dict = field(default_factory=dict)
    rev: dict = field(default_factory=dict)
    n: dict = field(default_factory=dict)         # figures stated only in sentences


def figures(spec: Spec, changed: bool = False) -> Figures:
    """The report's figures; `changed` = generation 2 for the report that changes."""
    rng = random.Random(spec.seed + ":figures")
    spam = (["keyword_substitution"] if "keyword_spam" in spec.quirks else []) + \
           (["hidden_element"] if "hidden_spam" in spec.quirks else [])
    if spec.fmt == "legacy":
        n = {"active_total": rng.randint(100, int(5000 * spec.scale) + 100)}
        n["web"] = rng.randint(0, n["active_total"])
        n["received"] = 0 if rng.random() < 0.2 else rng.randint(1, int(30 * spec.scale) + 2)
        n["face"] = rng.randint(0, n["received"])
        n["reviews"] = 1 if rng.random() < 0.15 else 0
        n["lawsuits"] = 1 if (n["reviews"] and rng.random() < 0.5) else 0
        values = {"prose.active_total": n["active_total"], "prose.applications_received": n["received"],
                  "prose.reviews": n["reviews"], "prose.lawsuits": n["lawsuits"], "prose.processing_fee_yuan": 0}
        return Figures(values, [], spam, n=n)
    fmt, layout = spec.fmt, spec.layout
    acells, avals = _active(rng, spec, fmt)
    apps = _applications(rng, spec, layout)
    rev = _review(rng, spec)
    if changed and "gen2" in spec.quirks:
        key = "licensing.decisions"
        acells[key] = str(int(acells[key]) + 12)
        avals[key] = int(acells[key])
    n = {"active_total": rng.randint(150, int(9000 * spec.scale) + 200), "reviews": rev["review.total"]}
    # planted failures change printed figures after the table was made to add up
    if spec.plant == "planted_row_total":
        put_off(apps, "granted.natural_person", 1)
    elif spec.plant == "planted_balance":
        put_off(apps, "carried_forward.commercial", 1)
        put_off(apps, "carried_forward.total", 1)
    elif spec.plant == "planted_review":
        rev.update({"review.upheld": 2, "review.corrected": 1, "review.other": 0, "review.pending": 0,
                    "review.total": 0})
        n["reviews"] = 3
    n["lawsuits"] = rev["suit_direct.total"] + rev["suit_after_review.total"]
    new, carried = apps["new_received.total"], apps["carried_over.total"]
    n["carried"] = carried
    if "zero_applications" in spec.quirks:
        n["said_kind"], n["said"] = "zero", 0
    elif "prose_with_carried" in spec.quirks and carried:
        n["said_kind"], n["said"] = "with_carried", new + carried
    else:
        n["said_kind"], n["said"] = "new", new + (5 if spec.plant == "planted_prose" else 0)
    n["fee"] = rng.randint(20, 400) if "fee_charged" in spec.quirks else 0
    values = {}
    for k, t in acells.items():
        values[f"active.{k}"] = avals[k]
    for k, v in apps.items():
        values[f"applications.{k}"] = v
    for k, v in rev.items():
        values[f"review_litigation.{k}"] = v
    values.update({"prose.active_total": n["active_total"], "prose.applications_received": n["said"],
                   "prose.reviews": n["reviews"], "prose.lawsuits": n["lawsuits"], "prose.processing_fee_yuan": n["fee"]})
    return Figures(values, failing_identities(values, layout, fmt), spam, acells, apps, rev, n)


def build(spec: Spec, changed: bool = False) -> Content:
    """The report's content: figures, printed cells and the blocks of text and tables."""
    f = figures(spec, changed)
    rng = random.Random(spec.seed + ":text")
    c = Content(values=f.values, planted_failures=f.planted_failures, spam=f.spam)
    leader = SPAM_LEADER if "keyword_spam" in spec.quirks else LEADER
    if spec.fmt == "legacy":
        _legacy(spec, rng, c, leader, f.n)
        return c
    fmt, layout, n = spec.fmt, spec.layout, f.n
    c.cells.update({f"active.{k}": t for k, t in f.acells.items()})
    c.cells.update({f"applications.{k}": str(v) for k, v in f.apps.items()})
    c.cells.update({f"review_litigation.{k}": str(v) for k, v in f.rev.items()})
    if n["said_kind"] == "zero":
        apps_sentence = "本年度未收到政府信息公开申请。"
    elif n["said_kind"] == "with_carried":
        apps_sentence = f"全年共受理政府信息公开申请{n['said']}件（含上年结转{n['carried']}件），均已按期办结。"
    else:
        apps_sentence = f"全年共收到政府信息公开申请{n['said']}件，均在法定期限内依法作出答复。"
    y, a = spec.year, spec.agency
    b = c.blocks
    b.append(("p", _intro(spec, fmt)))
    b.append(("h", "一、总体情况"))
    b.append(("p", rng.choice(OPENERS).format(y=y, a=a, l=leader)))
    b.append(("p", f"（一）主动公开情况。全年主动公开政府信息{n['active_total']}条，围绕重点领域持续深化信息公开，"
                   f"发布政策解读{rng.randint(5, 120)}篇，及时回应社会关切。"))
    b.append(("p", f"（二）依申请公开情况。{apps_sentence}"))
    b.append(("p", rng.choice(MANAGEMENT)))
    b.append(("p", rng.choice(PLATFORM)))
    b.append(("p", f"（五）监督保障情况。将政务公开工作纳入年度绩效考核，组织开展政务公开业务培训{rng.randint(1, 9)}次。"
                   + _review_sentence(n["reviews"], n["lawsuits"])
                   + ("对行政复议中被纠错的案件逐件分析原因，举一反三，规范答复程序。"
                      if f.rev.get("review.corrected") else "")))
    b.append(("h", "二、主动公开政府信息情况"))
    b.append(("table", TB.active_table(fmt, f.acells, spec.quirks)))
    b.append(("h", "三、收到和处理政府信息公开申请情况"))
    b.append(("table", TB.applications_table(layout, f.apps, spec.quirks)))
    b.append(("h", "四、政府信息公开行政复议、行政诉讼情况"))
    b.append(("table", TB.review_table(f.rev)))
    b.append(("h", "五、存在的主要问题及改进情况"))
    b.append(("p", rng.choice(PROBLEMS).format(y=y, a=a)))
    b.append(("h", "六、其他需要报告的事项"))
    if n["fee"]:
        b.append(("p", f"依据《政府信息公开信息处理费管理办法》，本年度收取信息处理费{n['fee']}元。"))
    else:
        b.append(("p", "本年度未收取信息处理费。"))
    b.append(("sign", a))
    b.append(("sign", chinese_date(spec.published)))
    return c


def _legacy(spec: Spec, rng: random.Random, c: Content, leader: str, n: dict) -> None:
    y, a = spec.year, spec.agency
    active_total, web, received, face = n["active_total"], n["web"], n["received"], n["face"]
    reviews, lawsuits = n["reviews"], n["lawsuits"]
    b = c.blocks
    b.append(("p", f"本报告根据《中华人民共和国政府信息公开条例》（以下简称《条例》）要求，由{a}办公室编制。"
                   "全文包括概述、主动公开政府信息情况、依申请公开政府信息情况、政府信息公开的收费及减免情况、"
                   "因政府信息公开申请提起行政复议和行政诉讼的情况、存在的主要问题及改进措施。"
                   f"本报告所列数据的统计期限自{y}年1月1日起至{y}年12月31日止。"))
    b.append(("h", "一、概述"))
    b.append(("p", f"{y}年，{a}认真贯彻落实《条例》和上级关于政府信息公开工作的部署要求，"
                   "健全工作机制，规范公开程序，拓宽公开渠道，政府信息公开工作稳步推进。"
                   + (f"坚持以{leader}新时代中国特色社会主义思想为指导，" if y >= 2017 else "")
                   + "切实保障人民群众的知情权、参与权和监督权。"))
    b.append(("h", "二、主动公开政府信息情况"))
    b.append(("p", f"{y}年，全年主动公开政府信息{active_total}条，其中通过政府网站发布{web}篇，"
                   "其余通过政府公报、新闻发布会、公开栏等渠道发布。"))
    b.append(("h", "三、依申请公开政府信息情况"))
    if received:
        b.append(("p", f"{y}年共受理政府信息公开申请{received}件，其中当面申请{face}件，网上及信函申请{received - face}件，"
                       "均已在规定期限内答复。"))
    else:
        b.append(("p", f"{y}年未收到政府信息公开申请。"))
    b.append(("h", "四、政府信息公开的收费及减免情况"))
    b.append(("p", f"{y}年，未发生政府信息公开收费及减免情况。"))
    b.append(("h", "五、因政府信息公开申请提起行政复议和行政诉讼的情况"))
    if reviews or lawsuits:
        b.append(("p", f"{y}年，因政府信息公开申请被申请行政复议{reviews}件，被提起行政诉讼{lawsuits}件。"))
    else:
        b.append(("p", f"{y}年，未发生因政府信息公开申请提起行政复议和行政诉讼的情况。"))
    b.append(("h", "六、存在的主要问题及改进措施"))
    b.append(("p", rng.choice(PROBLEMS).format(y=y, a=a)))
    if "stats_table" in spec.quirks:
        b.append(("h", f"附表：{a}{y}年政府信息公开情况统计表"))
        b.append(("table", TB.legacy_stats_table(y, active_total, web, received, face, reviews, lawsuits, rng)))
    b.append(("sign", a))
    b.append(("sign", chinese_date(spec.published)))
