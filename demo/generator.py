"""The one report generator: the agencies, figures, texts and page bodies of generated reports, for the demo
portal (demo/portal/) and the publishing benchmark (bench/publish.py).

Two profiles share the same parts: the agencies' registry rows, table 二's rows in the national order
(`fill_active`), tables 三 and 四 (demo/figures.py), the section headings, and a page body rendered from blocks
(`render_body`; the national tables' cells and markup are demo/tables.py).

- The portal's reports (`Spec` → `figures`, `build`): a pure function of the spec, seeded per report with
  `random`, so a report is the same on every run and is built lazily when its URL is first asked for. Figures
  add up unless the spec plants a failure; the failing identities are computed by demo/figures.py,
  independently of nianbao's extractor, and listed in the manifest. The portal's fixed agencies are its sites'
  and their departments (`department_name`).
- The benchmark's records at scale (`make_agencies`, `plan`, `Generator`): numpy with a fixed seed, long-tailed
  figures, fictional agencies in the 31 provinces, a body text built from sentences of real reports (a pool the
  caller makes; nothing here reads ../shared). These records stand for what the extractor stores, so the caller
  hands in the extractor's layouts and checks (`Generator(…, formats=, checks=)`); this module itself never
  imports extract/, which the portal is the test oracle of.

Blocks are renderer-neutral: ("title", text), ("h", text), ("p", text), ("sign", text), ("table", Table),
("html", markup) — the HTML, PDF and DOCX writers each turn them into their own markup.
"""

from __future__ import annotations

import hashlib
import html
import math
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

import numpy as np

from demo import figures as FIG  # the national row order, the adding up, the planted slips and the identities
from demo import tables as TB
from demo.figures import RESULTS, REVIEW_GROUPS, SIX, add_up_applications, add_up_review, failing_identities, put_off

E = html.escape

# ══ shared by both profiles ══

def year_format(year: int) -> str:
    """The national format a year's report is printed in (table 二): before 2019, 2019–2020, from 2021."""
    return "legacy" if year < 2019 else ("2019" if year < 2021 else "2021")


# ── agencies ───────────────────────────────────────────────────────────────────────────────────────

def registry_row(agency: str, *, level: str = "", region_code: str = "", province: str = "", portal_url: str = "",
                 column_url: str = "", cms: str = "", aliases: str = "", verified: str = "local",
                 notes: str = "") -> dict:
    """A generated agency as a row of the registry (crawler/sites.csv's columns)."""
    return {"agency": agency, "level": level, "region_code": region_code, "province": province,
            "portal_url": portal_url, "column_url": column_url, "cms": cms, "aliases": aliases,
            "verified": verified, "notes": notes}


# the demo portal's fixed agencies are its sites'; a larger portal adds departments named from these
DEPTS = ["发展和改革委员会", "教育局", "科学技术局", "工业和信息化局", "公安局", "民政局", "司法局", "财政局",
         "人力资源和社会保障局", "自然资源局", "生态环境局", "住房和城乡建设局", "交通运输局", "水利局", "农业农村局",
         "商务局", "文化和旅游局", "卫生健康委员会", "退役军人事务局", "应急管理局", "审计局", "市场监督管理局",
         "统计局", "医疗保障局", "林业局", "信访局", "城市管理局", "数据资源管理局", "行政审批局", "气象局"]
DISTRICTS = ["城东区", "城西区", "江南区", "江北区", "湖滨区", "山前区", "高新区", "港口区", "新城区", "滨海区",
             "河西区", "河东区"]
# a misprint seen in real reports (例 → 列): the report prints it, the registry keeps it as an alias
MISPRINTS = {"示例县人民政府": "示列县人民政府"}


def department_name(area: str, k: int) -> str:
    """The k-th department of a portal site's area (示例市城东区教育局 …), numbered once the names run out."""
    return f"{area}{DISTRICTS[(k // len(DEPTS)) % len(DISTRICTS)]}{DEPTS[k % len(DEPTS)]}" + \
        (str(k // (len(DEPTS) * len(DISTRICTS)) + 1) if k >= len(DEPTS) * len(DISTRICTS) else "")


# ── table 二 ───────────────────────────────────────────────────────────────────────────────────────
# Its rows and columns in the national order (research/formats.md), written here, not imported from extract/
# (tests/test_demo_figures.py checks they agree). Both profiles draw a table's figures in this order.
ACTIVE_ROWS = {
    "2019": {
        "regulations": ["new_made", "new_published", "total_published"],
        "normative_documents": ["new_made", "new_published", "total_published"],
        "licensing": ["prev_items", "change", "decisions"],
        "other_services": ["prev_items", "change", "decisions"],
        "penalty": ["prev_items", "change", "decisions"],
        "coercion": ["prev_items", "change", "decisions"],
        "fees": ["prev_items", "change"],
        "procurement": ["projects", "amount_yuan"],
    },
    "2021": {
        "regulations": ["issued", "repealed", "in_force"],
        "normative_documents": ["issued", "repealed", "in_force"],
        "licensing": ["decisions"],
        "penalty": ["decisions"],
        "coercion": ["decisions"],
        "fees": ["amount_wan_yuan"],
    },
}


def fill_active(fmt: str, draw) -> dict:
    """Table 二 ('row.col' → figure): `draw(row, col, so_far)` gives each figure, row by row in the national
    order (a figure may depend on the ones before it in its row: published ≤ made)."""
    out: dict = {}
    for row, cols in ACTIVE_ROWS[fmt].items():
        for col in cols:
            out[f"{row}.{col}"] = draw(row, col, out)
    return out


# ── texts ──────────────────────────────────────────────────────────────────────────────────────────
# the six section headings of the 2019 and 2021 formats (older reports had their own, each profile its own)
SECTION_HEADS = ["一、总体情况", "二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况",
                 "四、政府信息公开行政复议、行政诉讼情况", "五、存在的主要问题及改进情况", "六、其他需要报告的事项"]


# ── the page body ──────────────────────────────────────────────────────────────────────────────────

_WORD_P = ("<p class=MsoNormal style='{css};line-height:28.0pt;mso-line-height-rule:exactly'>"
           "<span style='font-size:16.0pt;font-family:{font}'>{{}}</span></p>")
_WORD_INDENT = "text-indent:32.0pt;mso-char-indent-count:2.0"
# a text block's markup by style and kind ("p" for any other kind: title, p)
PARAGRAPHS = {
    "word": {"h": _WORD_P.format(css=_WORD_INDENT, font="黑体"),
             "sign": _WORD_P.format(css="text-align:right", font="仿宋_GB2312"),
             "p": _WORD_P.format(css=_WORD_INDENT, font="仿宋_GB2312")},
    "trs": {"h": '<p style="text-indent: 2em;"><span style="font-family: 黑体, SimHei;">{}</span></p>',
            "sign": '<p style="text-align: right;">{}</p>', "p": '<p style="text-indent: 2em;">{}</p>'},
    "plain": {"h": "<p><strong>{}</strong></p>", "sign": '<p align="right">{}</p>', "p": "<p>　　{}</p>"},
    "lines": {"p": '<p style="text-indent:2em">{}</p>'},
}


def render_body(blocks: list, style: str, table_style: str | None = None) -> str:
    """A report's body as HTML, one line a block. style: trs (TRS editor inline styles) · word (Word-exported) ·
    plain (any other) · lines (the benchmark's pages: every text line an indented <p>, tables from tab-separated
    lines); table_style (default: style) also takes th (header cells as <th>)."""
    paragraphs = PARAGRAPHS.get(style, PARAGRAPHS["plain"])
    return "\n".join(TB.html_table(x, table_style or style) if kind == "table"
                     else paragraphs.get(kind, paragraphs["p"]).format(E(x)) for kind, x in blocks)


# ══ the demo portal's reports ══

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
    if fmt == "2021":
        top = {"regulations": (2, 1, 25), "normative_documents": (int(30 * s) + 3, int(12 * s) + 1, int(300 * s) + 20),
               "licensing": (int(6000 * s) + 10,), "penalty": (int(3000 * s) + 10,), "coercion": (int(150 * s) + 2,)}

        def draw(row, col, _cells):
            if row == "fees":
                rng.choice([0, 1, 2, 2, 4, 5]), rng.randint(0, int(200000 * s) + 100)  # draws kept (other figures stay)
                return _fees_wan_yuan(spec)
            low = 10 if col == "in_force" and row == "normative_documents" else 0
            return str(rng.randint(low, top[row][ACTIVE_ROWS[fmt][row].index(col)]))
    else:
        made_top = {"regulations": 3, "normative_documents": int(30 * s) + 3}
        published_top = {"regulations": int(200 * s), "normative_documents": int(200 * s) + 10}
        prev_top = {"licensing": 800, "other_services": 200, "penalty": 600, "coercion": 60}
        decisions_top = {"licensing": 6000, "other_services": 800, "penalty": 3000, "coercion": 150}

        def draw(row, col, cells):
            if col == "new_made":
                return str(rng.randint(0, made_top[row]))
            if col == "new_published":
                return str(rng.randint(0, int(cells[f"{row}.new_made"])))
            if col == "total_published":
                return str(int(cells[f"{row}.new_made"]) + rng.randint(0, published_top[row]))
            if col == "change":
                c = rng.randint(*((-3, 4) if row == "fees" else (-8, 12)))
                return f"+{c}" if ("signed_change" in spec.quirks and c > 0) else str(c)
            if col == "prev_items":
                return str(rng.randint(0, 40 if row == "fees" else int(prev_top[row] * s) + 5))
            if col == "decisions":
                return str(rng.randint(0, int(decisions_top[row] * s) + 5))
            if col == "projects":
                return str(rng.randint(0, int(300 * s) + 3))
            return _amount_text(rng, spec.quirks)[0]

    cells: dict[str, str] = fill_active(fmt, draw)
    if fmt == "2019" and "signed_change" in spec.quirks:  # make sure both signs show up
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
    b.append(("h", SECTION_HEADS[0]))
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
    b.append(("h", SECTION_HEADS[1]))
    b.append(("table", TB.active_table(fmt, f.acells, spec.quirks)))
    b.append(("h", SECTION_HEADS[2]))
    b.append(("table", TB.applications_table(layout, f.apps, spec.quirks)))
    b.append(("h", SECTION_HEADS[3]))
    b.append(("table", TB.review_table(f.rev)))
    b.append(("h", SECTION_HEADS[4]))
    b.append(("p", rng.choice(PROBLEMS).format(y=y, a=a)))
    b.append(("h", SECTION_HEADS[5]))
    if n["fee"]:
        b.append(("p", f"依据《政府信息公开信息处理费管理办法》，本年度收取信息处理费{n['fee']}元。"))
    else:
        b.append(("p", "本年度未收取信息处理费。"))
    b.append(("sign", a))
    b.append(("sign", chinese_date(spec.published)))
    return c


def body_html(spec: Spec, content: Content, style: str) -> str:
    """The report's body (what sits inside the CMS content container) in the site's style, unless the report's
    quirks say Word-exported or <th> headers; a hidden_spam report starts with the hidden casino links."""
    word = "word_spans" in spec.quirks
    body = render_body(content.blocks, "word" if word else style,
                       "word" if word else ("th" if "th_headers" in spec.quirks else style))
    return HIDDEN_SPAM + "\n" + body if "hidden_spam" in spec.quirks else body


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


# ══ the benchmark's records at scale ══

# ── geography ──────────────────────────────────────────────────────────────────────────────────────
# (code, name, weight ≈ number of counties, so big provinces get more agencies)
PROVINCES = [
    ("11", "北京市", 16), ("12", "天津市", 16), ("13", "河北省", 167), ("14", "山西省", 117),
    ("15", "内蒙古自治区", 103), ("21", "辽宁省", 100), ("22", "吉林省", 60), ("23", "黑龙江省", 121),
    ("31", "上海市", 16), ("32", "江苏省", 95), ("33", "浙江省", 90), ("34", "安徽省", 104),
    ("35", "福建省", 84), ("36", "江西省", 100), ("37", "山东省", 136), ("41", "河南省", 157),
    ("42", "湖北省", 103), ("43", "湖南省", 122), ("44", "广东省", 122), ("45", "广西壮族自治区", 111),
    ("46", "海南省", 25), ("50", "重庆市", 38), ("51", "四川省", 183), ("52", "贵州省", 88),
    ("53", "云南省", 129), ("54", "西藏自治区", 74), ("61", "陕西省", 107), ("62", "甘肃省", 86),
    ("63", "青海省", 44), ("64", "宁夏回族自治区", 22), ("65", "新疆维吾尔自治区", 106),
]
MUNICIPALITIES = {"北京市", "天津市", "上海市", "重庆市"}
PLACE_CHARS = ("安宁平阳江山河城德兴华清东西南北长永新丰泰和定化源武昌成龙云水林溪石桥海湖明光庆福瑞兰春金玉宝乐"
               "康临青白黄红高凤岭川沙田宜会远利靖顺通益盛景嘉吉良仁信义开元鹤松柏桂梅竹峰泉洪汉秀阜合津滨原"
               "州襄邵衡岳资沅澧湘赣闽浙黔滇陇蒙辽吉晋冀鲁豫鄂皖苏杭甬温台绍嘉湖舟丽衢婺")
DEPARTMENTS = ["发展和改革委员会", "教育局", "科学技术局", "工业和信息化局", "公安局", "民政局", "司法局", "财政局",
               "人力资源和社会保障局", "自然资源和规划局", "生态环境局", "住房和城乡建设局", "交通运输局", "水利局",
               "农业农村局", "商务局", "文化和旅游局", "卫生健康委员会", "退役军人事务局", "应急管理局", "审计局",
               "市场监督管理局", "统计局", "医疗保障局", "城市管理局", "林业局", "体育局", "信访局", "行政审批局",
               "数据资源管理局"]
PROVINCE_DEPARTMENTS = [d.replace("局", "厅") if d.endswith("局") and d not in ("公安局", "统计局", "审计局",
                                                                                   "信访局", "体育局") else d
                        for d in DEPARTMENTS]
LEVEL_SHARE = {"city": 0.04, "county": 0.24, "township": 0.20, "department": 0.52}  # province: the 31
# requests per year of a median agency of each level (2019), before a log-normal spread across agencies
LEVEL_SCALE = {"province": 250, "city": 70, "county": 16, "township": 0.5, "department": 7}
APPLICANT_P = [0.875, 0.065, 0.004, 0.011, 0.025, 0.020]
RESULT_W = {
    "granted": 0.37, "partly_granted": 0.11, "withheld_state_secret": 0.002, "withheld_prohibited_by_law": 0.008,
    "withheld_three_safety": 0.004, "withheld_third_party": 0.018, "withheld_internal_affairs": 0.02,
    "withheld_process_info": 0.03, "withheld_enforcement_file": 0.01, "withheld_inquiry": 0.02,
    "unavailable_not_held": 0.23, "unavailable_needs_creation": 0.04, "unavailable_unclear": 0.03,
    "declined_petition": 0.03, "declined_repeat": 0.02, "declined_publication": 0.004, "declined_excessive": 0.004,
    "declined_confirmation": 0.006, "other": 0.035, "other_no_correction": 0.012, "other_unpaid_fee": 0.001,
    "other_other": 0.022,
}
REVIEW_KEYS = [f"{g}.{o}" for g in FIG.REVIEW_GROUPS for o in FIG.OUTCOMES + ["total"]]  # table 四, printed order
LEGACY_LABELS = {"active_total": "主动公开信息数", "applications_received": "受理依申请公开信息总数",
                 "reviews": "行政复议数", "lawsuits": "行政诉讼数"}  # rows of an old statistics table
SPAM_WORDS = ["365体育投注", "bet365", "亚洲365bet", "365彩票", "国产精品", "久久精品", "成人视频"]
MIRROR_TLDS = [".top", ".xyz", ".pw", ".online"]


def province_of(code: str) -> tuple[str, str, float]:
    return next(p for p in PROVINCES if p[0] == code)


# ── agencies ───────────────────────────────────────────────────────────────────────────────────────

class Names:
    """Two-character place names, each used once in the country — until the ~16,800 run out (a million reports
    need ~31,000 townships): then a township's name is unique in its county only, as in life."""

    def __init__(self, rng):
        self.rng, self.used, self.within = rng, set(), {}
        self.exhausted = False

    def place(self, within: str | None = None) -> str:
        if not self.exhausted:
            n = self._draw(self.used)
            if n is not None:
                return n
            if within is None:
                raise RuntimeError("out of place names")
            self.exhausted = True
        n = self._draw(self.within.setdefault(within, set()))
        if n is None:
            raise RuntimeError(f"out of place names in {within}")
        return n

    def _draw(self, used: set) -> str | None:
        """A name not in `used` (then added to it), or None after 1,000 draws."""
        for _ in range(1000):
            n = "".join(self.rng.choice(list(PLACE_CHARS), 2))
            if n not in used and n[0] != n[1]:
                used.add(n)
                return n
        return None


def make_agencies(rng, count: int, agency_id) -> list[dict]:
    """~count fictional agencies: the 31 provincial governments, cities, counties, townships and departments of
    every level, spread over the provinces by their number of counties; `agency_id(name)` is the store's key of
    an agency (two names with one key would be one agency)."""
    names = Names(rng)
    weights = np.array([p[2] for p in PROVINCES], dtype=float)
    weights /= weights.sum()
    agencies: list[dict] = []
    ids: set[str] = set()

    def add(name, level, code, prov, place, parent_place=None, slug=None):
        aid = agency_id(name)
        if aid in ids:
            return
        ids.add(aid)
        slug = slug or "".join(rng.choice(list("abcdefghjklmnpqrstwxyz"), int(rng.integers(3, 7))))
        agencies.append({"agency": name, "level": level, "region_code": code, "province": prov, "place": place,
                         "parent_place": parent_place, "portal_url": f"http://www.{slug}.gov.cn/", "slug": slug})

    for code, prov, _w in PROVINCES:
        add(prov + "人民政府", "province", code + "0000", prov, prov)
    rest = max(0, count - len(agencies))
    levels = rng.choice(list(LEVEL_SHARE), size=rest, p=list(LEVEL_SHARE.values()))
    cities: dict[str, list[tuple[str, str]]] = {}   # province code → [(city name, city code)]
    counties: dict[str, list[tuple[str, str, str]]] = {}  # province code → [(county, code, city)]

    def city_in(pc):
        lst = cities.setdefault(pc, [])
        prov = province_of(pc)[1]
        if prov in MUNICIPALITIES:
            return prov, pc + "0100"
        if not lst or (len(lst) < province_of(pc)[2] / 7 + 2 and rng.random() < 0.35):
            n = names.place() + ("盟" if prov == "内蒙古自治区" and rng.random() < 0.2 else "市")
            lst.append((n, f"{pc}{len(lst) + 1:02d}00"))
        return lst[int(rng.integers(len(lst)))]

    def county_in(pc):
        lst = counties.setdefault(pc, [])
        if not lst or (len(lst) < province_of(pc)[2] * 1.2 and rng.random() < 0.6):
            city, ccode = city_in(pc)
            prov = province_of(pc)[1]
            suffix = rng.choice(["县", "县", "区", "市"] + (["旗"] if prov == "内蒙古自治区" else []))
            lst.append((names.place() + suffix, f"{ccode[:4]}{len(lst) % 99 + 1:02d}", city))
        return lst[int(rng.integers(len(lst)))]

    for level in levels:
        pc, prov, _w = PROVINCES[int(rng.choice(len(PROVINCES), p=weights))]
        if level == "city":
            city, ccode = city_in(pc)
            if prov in MUNICIPALITIES:
                county, kcode, _c = county_in(pc)
                add(f"{prov}{county}人民政府", "county", kcode, prov, county, prov)
            else:
                add(f"{city}人民政府", "city", ccode, prov, city, prov)
        elif level == "county":
            county, kcode, city = county_in(pc)
            add(f"{county}人民政府" if rng.random() < 0.8 else county, "county", kcode, prov, county, city)
        elif level == "township":
            county, kcode, city = county_in(pc)
            kind = rng.choice(["镇人民政府", "镇人民政府", "乡人民政府", "街道办事处"])
            town = names.place(within=county)
            add(f"{county}{town}{kind}", "township", kcode, prov, town + kind[0], county)
        else:
            r = rng.random()
            if r < 0.08:
                add(f"{prov}{rng.choice(PROVINCE_DEPARTMENTS)}", "department", pc + "0000", prov, prov)
            elif r < 0.45:
                city, ccode = city_in(pc)
                add(f"{city}{rng.choice(DEPARTMENTS)}", "department", ccode, prov, city, prov)
            else:
                county, kcode, city = county_in(pc)
                add(f"{county}{rng.choice(DEPARTMENTS)}", "department", kcode, prov, county, city)
    return agencies


# ── one report record ──────────────────────────────────────────────────────────────────────────────

def long_tail(rng, median: float, sigma: float) -> int:
    return int(rng.poisson(max(0.0, median * math.exp(sigma * rng.standard_normal()))))


def fused(values: list) -> str:
    return "".join(str(v) for v in values if v is not None)


class Generator:
    """The benchmark's records. `formats` is the extractor's layouts (extract/formats.py: the labels the text's
    tables print) and `checks` its (table_checks, prose_checks): a record stands for what the extractor stores.
    Figures alone (`applications`, `review`, `plant_failure`) need neither."""

    def __init__(self, seed: int, pool: dict[int, list[str]], formats=None, checks=None):
        self.rng = np.random.default_rng(seed)
        self.formats = formats
        self.table_checks, self.prose_checks = checks or (None, None)
        self.pool = pool
        self.pool_arr = {k: np.array(v, dtype=object) for k, v in pool.items()}
        self.stats = Counter()

    # figures ───────────────────────────────────────────────────────────────────────────────────
    def active(self, fmt: str, ag: dict, scale: float) -> dict:
        rng, lv = self.rng, ag["level"]
        docs = {"province": 40, "city": 20, "county": 10, "township": 1.5, "department": 4}[lv]
        makes_rules = lv in ("province", "city")
        new = {"regulations": long_tail(rng, 3 if makes_rules else 0.02, 0.8),
               "normative_documents": long_tail(rng, docs, 0.8)}
        decisions_median = {"licensing": 300, "other_services": 40, "penalty": 120, "coercion": 4}

        def draw(row, col, got):
            if col in ("new_made", "issued"):
                return new[row]
            if col == "new_published":
                return new[row] if rng.random() < 0.9 else int(rng.integers(0, new[row] + 1))
            if col in ("total_published", "in_force"):  # few agencies below a city make rules
                kept = docs * 6 if row != "regulations" or makes_rules else (0.1 if col == "total_published" else 0.05)
                return new[row] + long_tail(rng, kept, 0.7)
            if col == "repealed":
                return long_tail(rng, new[row] / 2 + 0.1, 0.8)
            if col == "decisions":
                return long_tail(rng, decisions_median[row] / 16 * scale, 1.2)
            if col == "prev_items":
                return long_tail(rng, 3, 0.8) if row == "fees" else long_tail(rng, 2 if row == "coercion" else 20, 1.0)
            if col == "change":
                if row == "fees":
                    return int(rng.integers(-2, 2)) if rng.random() < 0.3 else 0
                return int(rng.integers(-3, 6)) if rng.random() < 0.4 else 0
            if col == "projects":
                return long_tail(rng, 8 * scale / 4, 1.1)
            if col == "amount_yuan":
                return int(Decimal(str(round(float(rng.lognormal(5, 1.6)), 2))) * 10000) \
                    if got["procurement.projects"] else 0
            return 0 if rng.random() < 0.55 else emit(Decimal(str(round(float(rng.lognormal(4, 2)), 2))))  # 万元

        out = fill_active(fmt, draw)
        if rng.random() < 0.04:  # blank cells: '—' printed where nothing applies
            for k in rng.choice(list(out), size=int(rng.integers(1, 5)), replace=False):
                out[k] = None
        return out

    def applications(self, layout: str, new_total: int, carried_in: list[int] | None,
                     subtotals: bool) -> tuple[dict, list[int]]:
        rng = self.rng
        new = rng.multinomial(new_total, APPLICANT_P)
        if carried_in is None:
            carried = rng.multinomial(int(rng.poisson(0.03 * new_total)), APPLICANT_P)
        else:
            carried = np.array(carried_in)
        handled = new + carried
        forward = rng.binomial(handled, 0.04)
        processed = handled - forward
        results = FIG.RESULTS[layout]
        w = np.array([RESULT_W[r] for r in results])
        w /= w.sum()
        res = np.array([rng.multinomial(int(p), w) for p in processed])  # columns × result rows
        # new requests are what balances: processed + forward − carried = new (demo/figures.py)
        out = FIG.add_up_applications(layout, {col: dict(zip(results, res[c])) for c, col in enumerate(FIG.SIX)},
                                      dict(zip(FIG.SIX, carried)), dict(zip(FIG.SIX, forward)), subtotals)
        # in printed order, row by row (the order the extractor reads, so the checks come in that order too)
        out = {f"{r}.{c}": out[f"{r}.{c}"] for r in FIG.printed_rows(layout, subtotals) for c in FIG.COLS}
        return out, [int(x) for x in forward]

    def review(self, new_total: int) -> dict:
        rng = self.rng
        return FIG.add_up_review({g: rng.multinomial(int(rng.poisson(m * new_total + 0.02)), [0.62, 0.10, 0.18, 0.10])
                                  for g, m in (("review", 0.03), ("suit_direct", 0.015), ("suit_after_review", 0.006))})

    def plant_failure(self, rec: dict) -> str:
        """One realistic way a printed table fails to add up."""
        rng, apps, rl = self.rng, rec["applications"], rec["review_litigation"]
        kind = str(rng.choice(["column_shift", "total_off", "row_total_off", "forward_off", "review_off"],
                              p=[0.3, 0.2, 0.25, 0.15, 0.1]))
        d = int(rng.choice([-2, -1, 1, 1, 2, 3, 10]))
        if kind == "column_shift":  # seed 000: one request counted under another applicant in one row
            row = str(rng.choice(["new_received", "granted", "unavailable_not_held"]))
            FIG.shift_column(apps, row, "natural_person", str(rng.choice(["commercial", "legal_services", "other_org"])))
        elif kind == "total_off":
            FIG.put_off(apps, "total.total", d)
        elif kind == "row_total_off":
            row = str(rng.choice(["granted", "partly_granted", "unavailable_not_held", "new_received"]))
            FIG.put_off(apps, f"{row}.total", d)
        elif kind == "forward_off":
            FIG.put_off(apps, "carried_forward.total", abs(d))
        else:
            FIG.put_off(rl, f"{rng.choice(['review', 'suit_direct'])}.total", abs(d))
        return kind

    def unparse(self, rec: dict) -> None:
        """A fused digit run or OCR garbage: the cells stay in the record as null and are listed."""
        rng = self.rng
        if rng.random() < 0.7:
            rows = sorted({k.split(".")[0] for k in rec["applications"]})
            for row in rng.choice(rows, size=int(rng.integers(1, 5)), replace=False):
                keys = [k for k in rec["applications"] if k.startswith(row + ".")]
                run = fused([rec["applications"][k] for k in keys])
                for k in keys:
                    rec["applications"][k] = None
                    rec["raw"][f"applications.{k}"] = run
                    rec["unparsed"].append(f"applications.{k}")
        else:
            keys = [k for k in rec["active"] if rec["active"][k] is not None]
            for k in rng.choice(keys, size=min(len(keys), int(rng.integers(1, 4))), replace=False):
                rec["raw"][f"active.{k}"] = str(rec["active"][k]).replace("1", "l").replace("0", "O") + "件"
                rec["active"][k] = None
                rec["unparsed"].append(f"active.{k}")

    # text ──────────────────────────────────────────────────────────────────────────────────────
    def sentences(self, section: int, n: int, place: str, year: int) -> list[str]:
        arr = self.pool_arr[section]
        if not len(arr) or n <= 0:
            return []
        picks = arr[self.rng.integers(0, len(arr), size=n)]
        return [s.replace("{P}", place).replace("{Y}", str(year)) for s in picks]

    def table_lines(self, rec: dict) -> dict[int, list[str]]:
        fmt, a, ap, rl, raw = rec["format"], rec["active"], rec["applications"], rec["review_litigation"], rec["raw"]
        F = self.formats  # noqa: N806

        def cell(table, key, value):
            r = raw.get(f"{table}.{key}")
            return r if r is not None else ("—" if value is None else str(value))

        act = []
        for row, cols in ACTIVE_ROWS[fmt].items():
            if not act or row in ("licensing", "fees", "procurement"):
                act.append("信息内容\t" + "\t".join(F.ACTIVE_COLUMN_LABELS[c] for c in cols))
            act.append(F.ACTIVE_LABELS[row] + "\t" + "\t".join(cell("active", f"{row}.{c}", a.get(f"{row}.{c}"))
                                                               for c in cols))
        apps = ["（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）\t申请人情况",
                "自然人\t法人或其他组织\t总计", "商业企业\t科研机构\t社会公益组织\t法律服务机构\t其他"]
        for r in FIG.printed_rows(rec["applications_layout"], subtotals=True):  # the national row order
            if f"{r}.total" not in ap:
                continue
            label = F.APPLICATION_LABELS.get(r, r)
            apps.append(label + "\t" + "\t".join(cell("applications", f"{r}.{c}", ap.get(f"{r}.{c}"))
                                                 for c in FIG.COLS))
        rev = ["行政复议\t行政诉讼", "结果维持\t结果纠正\t其他结果\t尚未审结\t总计\t未经复议直接起诉\t复议后起诉",
               "\t".join(cell("review_litigation", k, rl.get(k)) for k in REVIEW_KEYS)]
        return {2: act, 3: apps, 4: rev}

    def build_text(self, rec: dict, ag: dict, prose_sentences: dict[int, list[str]], target: int) -> str:
        year, place = rec["year"], ag["place"]
        heads = SECTION_HEADS
        if rec["format"] == "legacy":
            heads = ["一、概述", "二、主动公开政府信息情况", "三、依申请公开政府信息情况", "四、因政府信息公开申请行政复议、提起行政诉讼的情况",
                     "五、政府信息公开工作存在的主要问题及改进情况", "六、其他需要报告的事项"]
        tables = self.table_lines(rec) if rec["format"] != "legacy" else {}
        if rec.get("legacy_table"):
            tables = {2: rec.pop("legacy_table")}
        fixed = sum(len(x) + 1 for lines in tables.values() for x in lines) + sum(len(h) for h in heads)
        budget = max(600, target - fixed)
        share = {0: 0.06, 1: 0.50, 2: 0.07, 3: 0.07, 4: 0.04, 5: 0.22, 6: 0.04}
        lines = [rec["title"] or f"{year}年政府信息公开工作年度报告"] if self.rng.random() < 0.9 else []
        for section in range(7):
            if section:
                lines.append(heads[section - 1])
            want = budget * share[section]
            body: list[str] = list(prose_sentences.get(section, []))
            size = sum(map(len, body))
            while size < want:
                s = self.sentences(section, 1, place, year)
                if not s:
                    break
                body.append(s[0])
                size += len(s[0])
            # paragraphs of 2–5 sentences
            i = 0
            while i < len(body):
                k = int(self.rng.integers(2, 6))
                lines.append("".join(body[i:i + k]))
                i += k
            lines += tables.get(section, [])
        return "\n".join(lines)

    # the record ────────────────────────────────────────────────────────────────────────────────
    def record(self, ag: dict, year: int, carried_in, scale: float, url: str, fetched_at: str) -> tuple[dict, list]:
        rng = self.rng
        fmt = year_format(year)
        layout = None if fmt == "legacy" else ("2019" if fmt == "2019" or rng.random() < 0.05 else "2021")
        printed = ag["agency"]
        if ag["level"] in ("county", "department", "township") and ag.get("parent_place") and rng.random() < 0.03:
            printed = ag["parent_place"] + printed  # 淮安市洪泽区人民政府 for the registry's 洪泽区人民政府
            self.stats["printed_name_variant"] += 1
        r = rng.random()
        title = (f"{printed}{year}年政府信息公开工作年度报告" if r < 0.85 else
                 f"{printed}{year}年度政府信息公开工作年度报告" if r < 0.93 else
                 f"{year}年{printed}政府信息公开工作年度报告" if r < 0.98 else None)
        published = None
        if rng.random() < 0.8:
            published = f"{year + 1}-{int(rng.integers(1, 4)):02d}-{int(rng.integers(1, 29)):02d}"
        page_meta = {}
        if rng.random() < 0.6:
            page_meta = {"索引号": f"{ag['region_code']}/{year + 1}-{int(rng.integers(1, 99999)):05d}",
                         "发布机构": printed, "发文日期": published or f"{year + 1}-01-15", "主题分类": "政务公开"}
        factor = 1.09 ** (year - 2019) * math.exp(0.45 * rng.standard_normal())
        new_total = int(rng.poisson(scale * factor))
        rec = {"agency": printed, "year": year, "format": fmt, "applications_layout": layout, "title": title,
               "published": published, "page_meta": page_meta, "active": {}, "applications": {},
               "review_litigation": {}, "prose": {}, "prose_evidence": {}, "raw": {}, "unparsed": [], "checks": [],
               "spam": [], "text": "", "outcome": "ok", "detail": "", "quarantined": False}
        forward = None
        if fmt != "legacy":
            rec["active"] = self.active(fmt, ag, scale)
            if carried_in is not None and rng.random() < 0.06:  # carry-over that does not match last year
                carried_in = [max(0, c + int(rng.integers(-1, 3))) for c in carried_in]
                self.stats["carry_over_mismatch_planted"] += 1
            rec["applications"], forward = self.applications(layout, new_total, carried_in, rng.random() < 0.1)
            rec["review_litigation"] = self.review(new_total)
            for t in ("active", "applications", "review_litigation"):
                for k, v in rec[t].items():
                    rec["raw"][f"{t}.{k}"] = "—" if v is None else str(v)
            if "procurement.amount_yuan" in rec["active"] and rec["active"]["procurement.amount_yuan"]:
                rec["raw"]["active.procurement.amount_yuan"] = f"{Decimal(rec['active']['procurement.amount_yuan']) / 10000}万元"
            if rng.random() < 0.07:
                self.stats[f"planted_{self.plant_failure(rec)}"] += 1
                for k in ("applications", "review_litigation"):
                    for key, v in rec[k].items():
                        rec["raw"][f"{k}.{key}"] = "—" if v is None else str(v)
            if rng.random() < 0.02:
                self.unparse(rec)
                self.stats["records_with_unparsed"] += 1
        # figures stated in sentences
        place = ag["place"]
        sent: dict[int, list[str]] = {}
        said: dict = {}
        rl, ap = rec["review_litigation"], rec["applications"]
        if fmt == "legacy":
            reviews, lawsuits = int(rng.poisson(0.03 * new_total)), int(rng.poisson(0.02 * new_total))
        else:
            reviews, lawsuits = rl.get("review.total"), (rl.get("suit_direct.total") or 0) + (rl.get("suit_after_review.total") or 0)
        if rng.random() < (0.95 if fmt == "legacy" else 0.6):
            n = long_tail(rng, {"province": 20000, "city": 8000, "county": 3000, "township": 200,
                                "department": 800}[ag["level"]], 0.8)
            s = f"{year}年，{place}共主动公开政府信息{n}条。"
            said["active_total"] = (n, s, 1)
        if rng.random() < (0.95 if fmt == "legacy" else 0.75):
            n = new_total
            if fmt != "legacy" and rng.random() < 0.07:
                n = new_total + (ap.get("carried_over.total") or 0)
            if rng.random() < 0.04:
                n = max(0, n + int(rng.integers(-3, 4)))
            s = (f"全年共收到政府信息公开申请{n}件，均在法定期限内予以答复。" if n
                 else "全年未收到政府信息公开申请。")
            said["applications_received"] = (n, s, 3)
        if rng.random() < (0.9 if fmt == "legacy" else 0.55) and reviews is not None:
            r2, l2 = reviews, lawsuits
            if rng.random() < 0.03:
                r2 += 1
            if r2 == 0 and l2 == 0:
                s = "全年未发生因政府信息公开引起的行政复议、行政诉讼案件。"
            else:
                s = f"全年因政府信息公开被申请行政复议{r2}件，被提起行政诉讼{l2}件。"
            said["reviews"] = (r2, s, 4)
            said["lawsuits"] = (l2, s, 4)
        if rng.random() < 0.45:
            fee = 0 if rng.random() < 0.96 else int(rng.integers(1, 500))
            s = f"{year}年，本机关{'未收取信息处理费' if not fee else f'收取信息处理费{fee}元'}。"
            said["processing_fee_yuan"] = (fee, s, 6)
        for k, (v, s, section) in said.items():
            rec["prose"][k] = v
            rec["prose_evidence"][k] = s
            if s not in sent.get(section, []):
                sent.setdefault(section, []).append(s)
        if fmt == "legacy" and rng.random() < 0.3:  # an old statistics table (pingtan 2013, 2018)
            table = {k: v for k, (v, _s, _x) in said.items() if k != "processing_fee_yuan"}
            if rng.random() < 0.25 and table:
                k = str(rng.choice(list(table)))
                table[k] = table[k] + int(rng.integers(1, 50))
            stated = dict(rec["prose"])
            for k, v in table.items():
                rec["prose"][k] = v
            rec["checks"] = self.prose_checks(stated, rec, table)
            rec["legacy_table"] = ["统计指标\t单位\t本年\t上年"] + [
                f"{LEGACY_LABELS[k]}\t{'条' if k == 'active_total' else '件'}\t{v}\t{long_tail(rng, v + 1, 0.3)}"
                for k, v in table.items()]
        elif fmt != "legacy":
            rec["checks"] = self.table_checks(rec) + self.prose_checks(rec["prose"], rec)
        target = int(min(9000, max(1500, rng.lognormal(math.log(3400 if fmt != "legacy" else 2600), 0.35))))
        rec["text"] = self.build_text(rec, ag, sent, target)
        # the page: spam the cleaner found (the record's text is already clean)
        injections = []
        if rng.random() < 0.03:
            for _ in range(int(rng.integers(1, 4))):
                kind = str(rng.choice(["keyword_substitution", "hidden_element", "link_farm", "pinyin_obfuscation",
                                       "redirect_script"], p=[0.4, 0.3, 0.18, 0.06, 0.06]))
                word = str(rng.choice(SPAM_WORDS))
                off = int(rng.integers(0, max(1, len(rec["text"]))))
                if kind == "keyword_substitution":
                    f = {"kind": kind, "text": word, "where": f"char {off} (line {rec['text'].count(chr(10), 0, off) + 1}) of the decoded page",
                         "action": "restored", "context": f"以{word}新时代中国特色社会主义思想为指引 → 习近平"}
                elif kind == "hidden_element":
                    f = {"kind": kind, "text": f"{word} 最新网址", "where": f"body > div.article > div:nth-of-type({int(rng.integers(1, 40))})",
                         "action": "removed", "context": "hidden by display:none"}
                elif kind == "link_farm":
                    f = {"kind": kind, "text": "; ".join(f"{word}{i} → http://{word[:3]}{i}.xyz/" for i in range(3)),
                         "where": "body > div.footer > div:nth-of-type(2)", "action": "removed", "context": "12 links to 9 off-registry hosts"}
                elif kind == "pinyin_obfuscation":
                    f = {"kind": kind, "text": "赌(du) 博(bo)", "where": f"char {off}", "action": "removed", "context": ""}
                else:
                    f = {"kind": kind, "text": f"window.location='http://{word[:3]}.top/'", "where": "head > script:nth-of-type(3)",
                         "action": "removed", "context": "redirect to an off-registry host"}
                rec["spam"].append(f)
                injections.append(f)
            self.stats["pages_with_spam"] += 1
        rec["chrome"] = {"container": "div.article", "removed": ["首页 > 政务公开 > 政府信息公开年报", "【打印本页】【关闭窗口】"]}
        data = self.page_bytes(rec, ag, injections, url)
        rec["source"] = {"url": url, "sha256": hashlib.sha256(data).hexdigest(), "encoding": "utf-8",
                         "content_type": "text/html", "kind": "html", "size": len(data)}
        return rec, [data, forward, new_total]

    def page_bytes(self, rec: dict, ag: dict, injections: list, url: str) -> bytes:
        """The report as a government portal page: a small chrome, the metadata table, the body, the tables."""
        title = rec["title"] or f"{rec['year']}年政府信息公开工作年度报告"
        e = E
        out = ["<!DOCTYPE html><html><head><meta charset=\"utf-8\">",
               f"<title>{e(title)}_{e(ag['agency'])}</title>",
               "<meta name=\"SiteName\" content=\"" + e(ag["agency"]) + "门户网站\">",
               "<link rel=\"stylesheet\" href=\"/images/common.css\"></head><body>",
               "<div class=\"header\"><ul class=\"nav\">" + "".join(
                   f"<li><a href=\"/{p}/\">{n}</a></li>" for p, n in (("index", "首页"), ("zwgk", "政务公开"), ("zwfw", "政务服务"),
                                                                      ("hdjl", "互动交流"), ("zjxx", "走进本地"), ("xxgk", "信息公开目录")))
               + "</ul></div>",
               "<div class=\"crumb\">当前位置：<a href=\"/\">首页</a> &gt; <a href=\"/zwgk/\">政务公开</a> &gt; 政府信息公开年报</div>"]
        if rec["page_meta"]:
            out.append("<table class=\"xxgk-meta\">" + "".join(f"<tr><th>{e(k)}</th><td>{e(str(v))}</td></tr>"
                                                               for k, v in rec["page_meta"].items()) + "</table>")
        out.append(f"<div class=\"article\"><h1>{e(title)}</h1>")
        if rec["text"]:
            out.append(render_body(text_blocks(rec["text"]), "lines"))
        for f in injections:
            if f["kind"] in ("hidden_element", "link_farm"):
                out.append(f"<div style=\"display:none\"><a href=\"http://spam.xyz/\">{e(f['text'])}</a></div>")
            elif f["kind"] == "redirect_script":
                out.append(f"<script>{e(f['text'])}</script>")
            else:
                out.append(f"<p>{e(f['text'])}</p>")
        out.append("</div><div class=\"footer\"><p>主办：" + e(ag["agency"]) + "办公室　网站标识码：" + ag["region_code"]
                   + "0001　ICP备案号：" + ag["slug"] + "ICP备12345678号</p><p>" + e(url) + "</p></div></body></html>")
        return "\n".join(out).encode("utf-8")


def text_blocks(text: str) -> list:
    """A record's text as page blocks: a paragraph a line, runs of tab-separated lines as one table."""
    blocks: list = []
    for line in text.splitlines():
        if "\t" not in line:
            blocks.append(("p", line))
            continue
        if not blocks or blocks[-1][0] != "table":
            blocks.append(("table", TB.Table("lines", [])))
        blocks[-1][1].rows.append([TB.Cell(c) for c in line.split("\t")])
    return blocks


def listing_bytes(ag: dict, years: list[int]) -> bytes:
    items = "".join(f"<li><a href=\"/zwgk/xxgknb/{y + 1}03/t{y + 1}0310_{i}.html\">{html.escape(ag['agency'])}{y}年政府信息公开工作年度报告</a>"
                    f"<span>{y + 1}-03-10</span></li>" for i, y in enumerate(years))
    return (f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>政府信息公开年报_{html.escape(ag['agency'])}</title></head>"
            f"<body><div class=\"list\"><ul>{items}</ul></div></body></html>").encode("utf-8")


# ── build ──────────────────────────────────────────────────────────────────────────────────────────

def plan(rng, agencies: list[dict], n_reports: int) -> list[tuple[dict, list[int]]]:
    """Which years each agency published, until n_reports agency-years: most from 2013 or 2019 on, a few
    missing years (a report taken down, a site not crawled)."""
    out, total = [], 0
    for ag in agencies:
        r = rng.random()
        start = 2013 if r < 0.35 else (int(rng.integers(2014, 2019)) if r < 0.6 else
                                       (2019 if r < 0.85 else int(rng.integers(2020, 2025))))
        if ag["level"] == "township" and start < 2017 and rng.random() < 0.6:
            start = int(rng.integers(2017, 2022))
        years = [y for y in range(start, 2026) if rng.random() < 0.93]
        if not years:
            continue
        if total + len(years) > n_reports:
            years = years[:n_reports - total]
        out.append((ag, years))
        total += len(years)
        if total >= n_reports:
            break
    return out


def agencies_needed(n_reports: int) -> int:
    return max(60, int(n_reports / 8.3 * 1.3) + 50)  # more than needed: the plan stops at n_reports
