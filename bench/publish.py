"""bench/publish — build a realistic 100,000-report database through the real store code, then time every
canned query through Datasette's HTTP JSON API.

    .venv/bin/python bench/publish.py                  # 100,000 reports → bench/results/nianbao.db
    .venv/bin/python bench/publish.py --reports 2000   # quick run
    .venv/bin/python bench/publish.py --skip-build     # re-time the queries on the existing database

Build. Report records are generated (fixed seed) in the shapes the real extractor gives for the seeds and the
corpus: fictional agencies in the 31 provinces at every level, 2013–2025, the national format of each year
(legacy before 2019, the 2019 format for 2019–2020, the 2021 format after, a few hybrid table-三 layouts),
tables whose figures are mostly small with a long tail, that add up except for a planted share that does
not, some blank and unparsed cells, figures stated in sentences, spam findings on a few pages, quarantined
mirror pages, second sources, corrected re-publications, listing pages that are not reports, and a body text
of a few KB built from the real reports' own sentences with the place names swapped. Checks come from the
real `extract.checks` code. Every page goes through `pipelines.ingest.archive` and `store` (archiving the page's
bytes: the report rendered as a small HTML page) and `store_record`, in transactions of --batch records.

One fictional agency publishes at most 13 reports (2013–2025) and a report is one agency and year, so
100,000 reports need ~10,000 agencies; --agencies 3000 with fewer reports keeps the ~3,000 of the issue.

Serve. `datasette` is started with exactly `pipelines.publish.serve_args` (immutable, SQL time limit,
facet suggestions off) on a free 127.0.0.1 port; every canned query of datasette_metadata.json (databases →
nianbao → queries, read at run time) is requested as /<db>/<query>.json with parameter values drawn from the
generated data, --runs times after --warmup requests; also the report_summary table page with year and
province facets, and `_search=复议` on reports. p50 = median, p95 = nearest-rank 95th percentile of the
wall time of the whole HTTP request (one client, sequential). Queries missing the target get their
EXPLAIN QUERY PLAN printed.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import html
import json
import math
import os
import re
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.parse
from collections import Counter
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402  (a project dependency: the OCR reader uses it too)

from demo import figures as FIG  # noqa: E402  (table 三/四 figures: the demo portal's generator core)
from extract import formats as F  # noqa: E402
from extract.checks import prose_checks, table_checks  # noqa: E402
from extract.normalize import to_simplified  # noqa: E402
from pipelines import ingest, schema  # noqa: E402
from pipelines import writers as S  # noqa: E402
from pipelines.models import FetchedResponse  # noqa: E402

RESULTS = ROOT / "bench" / "results"
SHARED = ROOT.parent / "shared"
TARGET_MS = 200.0
YEARS = list(range(2013, 2026))

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
LEGACY_LABELS = {"active_total": "主动公开信息数", "applications_received": "受理依申请公开信息总数",
                 "reviews": "行政复议数", "lawsuits": "行政诉讼数"}  # rows of an old statistics table
SPAM_WORDS = ["365体育投注", "bet365", "亚洲365bet", "365彩票", "国产精品", "久久精品", "成人视频"]
MIRROR_TLDS = [".top", ".xyz", ".pw", ".online"]


def province_of(code: str) -> tuple[str, str, float]:
    return next(p for p in PROVINCES if p[0] == code)


# ── the real reports: sentences to build texts from ────────────────────────────────────────────────

SECTION_HEAD = re.compile(r"^[一二三四五六七八九]、")
# names and places of the real reports, swapped for the generated agency's
REAL_NAMES = ["阿拉善高新技术产业开发区", "乌兰布和生态沙产业示范区", "阿拉善盟行政公署", "阿拉善盟行署", "阿拉善盟",
              "阿拉善", "新巴尔虎左旗", "新左旗", "呼伦贝尔市", "巴青县", "那曲市", "阿拉山口市", "阿拉山口",
              "淮安市洪泽区人民政府", "洪泽区人民政府", "淮安市人民政府", "淮安市洪泽区", "洪泽区", "洪泽", "淮安市",
              "淮安", "沭阳县人民政府", "沐阳县人民政府", "沭阳县", "沐阳县", "沭阳", "宿迁市", "平潭综合实验区",
              "平潭", "实验区", "上海市科学技术委员会", "上海市科委", "市科委", "上海市", "内蒙古自治区", "西藏自治区",
              "新疆维吾尔自治区", "福建省", "江苏省", "自治区", "盟委", "行署", "旗委", "管委会"]
_NAMES_RE = re.compile("|".join(map(re.escape, sorted(set(REAL_NAMES), key=len, reverse=True))))
_YEAR_RE = re.compile(r"20[12]\d(?=年)")


def real_records() -> list[dict]:
    from pipelines.ingest import files_under
    from pipelines.parse import clean_and_extract

    paths = [p for p in (SHARED / "seeds", SHARED / "corpus") if p.is_dir()]
    out = []
    for f in files_under([str(p) for p in paths]):
        rec = clean_and_extract(f.read_bytes(), filename=str(f))
        if rec.get("outcome") == "ok" and rec.get("text"):
            out.append(rec)
    return out


def sentence_pool(records: list[dict]) -> dict[int, list[str]]:
    """Sentences of the real reports by section (0 = before 一、, 1 = 总体情况 … 6 = 其他事项), in simplified
    characters, place names replaced by {P} and years by {Y}; table lines and short fragments left out."""
    pool: dict[int, list[str]] = {i: [] for i in range(7)}
    for rec in records:
        section = 0
        paragraphs: list[tuple[int, str]] = []
        open_para = ""
        for line in to_simplified(rec["text"]).splitlines():
            line = re.sub(r"(?<=[\d\u4e00-\u9fff，。、；：）（])\s+(?=[\d\u4e00-\u9fff，。、；：（）])", "", line.strip())
            if SECTION_HEAD.match(line) and len(line) < 40:
                if open_para:
                    paragraphs.append((section, open_para))
                open_para = ""
                section = min(6, "一二三四五六七八九".index(line[0]) + 1)
                continue
            if (not line or "\t" in line or line[0] in "#|-*>" or sum(ch.isdigit() for ch in line) > len(line) / 3):
                if open_para:
                    paragraphs.append((section, open_para))
                open_para = ""
                continue
            # PDF and OCR text breaks sentences across lines: join until a sentence ends
            open_para += line
            if open_para[-1] in "。！？；：":
                paragraphs.append((section, open_para))
                open_para = ""
        if open_para:
            paragraphs.append((section, open_para))
        for section, para in paragraphs:
            starts_clean = not re.match(r"[，。、；：）”]", para)
            for j, s in enumerate(re.split(r"(?<=[。！？；])", para)):
                s = s.strip()
                if (len(s) < 18 or len(s) > 400 or s[-1] not in "。！？；" or (j == 0 and not starts_clean)
                        or ("年度报告" in s and len(s) < 40)):
                    continue
                s = _YEAR_RE.sub("{Y}", _NAMES_RE.sub("{P}", s))
                pool[section].append(s)
    for i in range(7):
        pool[i] = sorted(set(pool[i]))
    pool[1] = sorted(set(pool[1] + pool[0]))  # texts whose headings were not recognised: their sentences count as 一、
    pool[0] = [x for x in pool[0] if "条例" in x or "统计" in x or "年度报告" in x] or pool[0]
    pool[2] = pool[2] or pool[1]
    pool[3] = pool[3] or pool[1]
    pool[4] = pool[4] or pool[3]
    pool[6] = pool[6] or pool[5]
    return pool


# ── agencies ───────────────────────────────────────────────────────────────────────────────────────

class Names:
    def __init__(self, rng):
        self.rng, self.used = rng, set()

    def place(self) -> str:
        for _ in range(1000):
            n = "".join(self.rng.choice(list(PLACE_CHARS), 2))
            if n not in self.used and n[0] != n[1]:
                self.used.add(n)
                return n
        raise RuntimeError("out of place names")


def make_agencies(rng, count: int) -> list[dict]:
    """~count fictional agencies: the 31 provincial governments, cities, counties, townships and departments of
    every level, spread over the provinces by their number of counties."""
    names = Names(rng)
    weights = np.array([p[2] for p in PROVINCES], dtype=float)
    weights /= weights.sum()
    agencies: list[dict] = []
    ids: set[str] = set()

    def add(name, level, code, prov, place, parent_place=None, slug=None):
        aid = S.agency_id(name)
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
            town = names.place()
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

def year_format(year: int) -> str:
    return "legacy" if year < 2019 else ("2019" if year < 2021 else "2021")


def long_tail(rng, median: float, sigma: float) -> int:
    return int(rng.poisson(max(0.0, median * math.exp(sigma * rng.standard_normal()))))


def fused(values: list) -> str:
    return "".join(str(v) for v in values if v is not None)


class Generator:
    def __init__(self, seed: int, pool: dict[int, list[str]]):
        self.rng = np.random.default_rng(seed)
        self.pool = pool
        self.pool_arr = {k: np.array(v, dtype=object) for k, v in pool.items()}
        self.stats = Counter()

    # figures ───────────────────────────────────────────────────────────────────────────────────
    def active(self, fmt: str, ag: dict, scale: float) -> dict:
        rng, lv = self.rng, ag["level"]
        docs = {"province": 40, "city": 20, "county": 10, "township": 1.5, "department": 4}[lv]
        makes_rules = lv in ("province", "city")
        out: dict = {}
        reg_new = long_tail(rng, 3 if makes_rules else 0.02, 0.8)
        nd_new = long_tail(rng, docs, 0.8)
        dec = lambda m: long_tail(rng, m * scale, 1.2)  # noqa: E731
        if fmt == "2019":
            for row, new in (("regulations", reg_new), ("normative_documents", nd_new)):
                out[f"{row}.new_made"] = new
                out[f"{row}.new_published"] = new if rng.random() < 0.9 else int(rng.integers(0, new + 1))
                out[f"{row}.total_published"] = new + long_tail(rng, docs * 6 if row != "regulations" or makes_rules
                                                               else 0.1, 0.7)
            for row, m in (("licensing", 300), ("other_services", 40), ("penalty", 120), ("coercion", 4)):
                prev = long_tail(rng, 20 if row != "coercion" else 2, 1.0)
                out[f"{row}.prev_items"] = prev
                out[f"{row}.change"] = int(rng.integers(-3, 6)) if rng.random() < 0.4 else 0
                out[f"{row}.decisions"] = dec(m / 16)
            out["fees.prev_items"] = long_tail(rng, 3, 0.8)
            out["fees.change"] = int(rng.integers(-2, 2)) if rng.random() < 0.3 else 0
            out["procurement.projects"] = long_tail(rng, 8 * scale / 4, 1.1)
            out["procurement.amount_yuan"] = int(Decimal(str(round(float(rng.lognormal(5, 1.6)), 2))) * 10000) \
                if out["procurement.projects"] else 0
        else:
            for row, new in (("regulations", reg_new), ("normative_documents", nd_new)):
                out[f"{row}.issued"] = new
                out[f"{row}.repealed"] = long_tail(rng, new / 2 + 0.1, 0.8)
                out[f"{row}.in_force"] = new + long_tail(rng, docs * 6 if row != "regulations" or makes_rules
                                                        else 0.05, 0.7)
            for row, m in (("licensing", 300), ("penalty", 120), ("coercion", 4)):
                out[f"{row}.decisions"] = dec(m / 16)
            if rng.random() < 0.55:
                out["fees.amount_wan_yuan"] = 0
            else:
                v = Decimal(str(round(float(rng.lognormal(4, 2)), 2)))
                out["fees.amount_wan_yuan"] = int(v) if v == v.to_integral_value() else float(v)
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

        def cell(table, key, value):
            r = raw.get(f"{table}.{key}")
            return r if r is not None else ("—" if value is None else str(value))

        act = []
        for row, cols in F.ACTIVE_COLUMNS[fmt].items():
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
               "\t".join(cell("review_litigation", k, rl.get(k)) for k in F.REVIEW_KEYS)]
        return {2: act, 3: apps, 4: rev}

    def build_text(self, rec: dict, ag: dict, prose_sentences: dict[int, list[str]], target: int) -> str:
        year, place = rec["year"], ag["place"]
        heads = ["一、总体情况", "二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况",
                 "四、政府信息公开行政复议、行政诉讼情况", "五、存在的主要问题及改进情况", "六、其他需要报告的事项"]
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
            rec["checks"] = prose_checks(stated, rec, table)
            rec["legacy_table"] = ["统计指标\t单位\t本年\t上年"] + [
                f"{LEGACY_LABELS[k]}\t{'条' if k == 'active_total' else '件'}\t{v}\t{long_tail(rng, v + 1, 0.3)}"
                for k, v in table.items()]
        elif fmt != "legacy":
            rec["checks"] = table_checks(rec) + prose_checks(rec["prose"], rec)
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
        e = html.escape
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
        in_table = False
        for line in rec["text"].splitlines():
            if "\t" in line:
                if not in_table:
                    out.append("<table border=\"1\" cellspacing=\"0\">")
                    in_table = True
                out.append("<tr>" + "".join(f"<td>{e(c)}</td>" for c in line.split("\t")) + "</tr>")
            else:
                if in_table:
                    out.append("</table>")
                    in_table = False
                out.append(f"<p style=\"text-indent:2em\">{e(line)}</p>")
        if in_table:
            out.append("</table>")
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


def provenance() -> dict:
    """Which code built or served the database: others edit pipelines/ and the metadata while benchmarks run."""
    def git(*a):
        try:
            return subprocess.run(["git", *a], cwd=ROOT, capture_output=True, text=True, timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return None
    return {"git_head": git("rev-parse", "--short", "HEAD"),
            "uncommitted": git("status", "--porcelain", "pipelines", "datasette_metadata.json").splitlines()
            if git("rev-parse", "HEAD") else None,
            "store_py_sha1": hashlib.sha1(b"".join((ROOT / "pipelines" / f).read_bytes() for f in ("schema.py", "writers.py"))).hexdigest()[:12],
            "metadata_sha1": hashlib.sha1((ROOT / "datasette_metadata.json").read_bytes()).hexdigest()[:12]}


def db_files(path: Path) -> list[Path]:
    return [Path(str(path) + s) for s in ("", "-wal", "-shm", "-journal")]


def file_size(path: Path) -> int:
    return sum(p.stat().st_size for p in db_files(path) if p.exists())


def build(args) -> dict:
    path = Path(args.db)
    path.parent.mkdir(parents=True, exist_ok=True)
    for p in db_files(path):
        if p.exists():
            p.unlink()
    import shutil

    from pipelines.publish import inspect_path
    from pipelines.warc_archive import warc_dir

    shutil.rmtree(warc_dir(path), ignore_errors=True)
    inspect_path(str(path)).unlink(missing_ok=True)
    t0 = time.perf_counter()
    code = provenance()
    real = real_records()
    pool = sentence_pool(real)
    gen = Generator(args.seed, pool)
    rng = gen.rng
    n_ag = args.agencies or agencies_needed(args.reports)
    agencies = make_agencies(rng, n_ag)
    schedule = plan(rng, agencies, args.reports)
    if args.agencies and sum(len(y) for _a, y in schedule) < args.reports:
        sys.exit(f"--agencies {args.agencies} cannot carry {args.reports} reports (at most 13 years each)")
    t_setup = time.perf_counter() - t0
    print(f"real material: {len(real)} records, {sum(map(len, pool.values()))} sentences; "
          f"{len(schedule)} agencies publishing ({len(agencies)} generated), setup {t_setup:.1f}s", flush=True)

    db = schema.open_db(str(path))
    bulk = S.bulk_writes(db, load=True)  # as ingest and the crawler write: WAL, synchronous = NORMAL, checkpointed after
    bulk.__enter__()
    if args.prototype:
        prototypes(db, args.prototype)
    used = [a for a, _y in schedule]
    with db.conn:
        S.load_registry(db, [{k: a[k] for k in ("agency", "level", "region_code", "province", "portal_url")}
                             for a in used])
    statuses: Counter = Counter()
    t_gen = t_store = cpu_store = 0.0  # cpu: this process's CPU time (the machine is shared: wall time is not ours)
    done = 0
    pages = 0
    batch: list = []
    started = time.perf_counter()
    last_print = started
    loads = [os.getloadavg()[0]]
    timeline = []

    def flush():
        nonlocal t_store, cpu_store, batch, pages
        if not batch:
            return
        ts, cs = time.perf_counter(), time.process_time()
        def one(kind, data, rec, url, fetched_at, ctype):
            nonlocal pages
            # the crawler's own path: pipelines/ingest.py archive → (the record, generated here) → store
            page_id = ingest.archive(db, FetchedResponse(url=url, kind="report", site=rec.pop("_site", None),
                                                         status=200, body=data, content_type=ctype,
                                                         fetched_at=fetched_at))
            _rid, status = ingest.store(db, rec, page_id, url, fetched_at)
            statuses[f"{kind}:{status}"] += 1
            pages += 1

        if args.txn == "page":  # as pipelines/ingest.py: one transaction per page
            for item in batch:
                with db.conn:
                    one(*item)
        else:
            with (db.atomic() if args.txn == "atomic" else db.conn):
                for item in batch:
                    one(*item)
        t_store += time.perf_counter() - ts
        cpu_store += time.process_time() - cs
        batch = []

    for ag, years in schedule:
        carried = None
        host = urllib.parse.urlsplit(ag["portal_url"]).hostname
        scale = LEVEL_SCALE[ag["level"]] * math.exp(1.1 * rng.standard_normal())
        if ag["level"] == "department" and ag["region_code"].endswith("0000"):
            scale *= 6
        tg = time.perf_counter()
        items = []
        if rng.random() < 0.15:  # the agency's listing page: stored, not a report
            data = listing_bytes(ag, years)
            rec = {"agency": None, "year": None, "outcome": "no_tables", "detail": "no report tables or figures",
                   "spam": [], "quarantined": False, "source": {"url": f"http://{host}/zwgk/xxgknb/", "encoding": "utf-8",
                                                               "kind": "html"}}
            items.append(("listing", data, rec, f"http://{host}/zwgk/xxgknb/", "2026-04-01T08:00:00+00:00", "text/html"))
        for y in years:
            n = int(rng.integers(1, 99999))
            url = f"http://{host}/zwgk/xxgknb/{y + 1}03/t{y + 1}03{int(rng.integers(1, 29)):02d}_{n}.html"
            fetched = f"2026-{int(rng.integers(1, 4)):02d}-{int(rng.integers(1, 29)):02d}T{int(rng.integers(0, 24)):02d}:00:00+00:00"
            mirror_only = rng.random() < 0.002
            if mirror_only:  # only a spam mirror of this report was found: stored, quarantined
                url = f"http://www.{ag['slug']}{int(rng.integers(10, 99))}{rng.choice(MIRROR_TLDS)}/{n}.html"
            rec, (data, forward, _new) = gen.record(ag, y, carried, scale, url, fetched)
            carried = forward
            if mirror_only:
                rec["title"] = (rec["title"] or "") + "_在线观看_高清_官方网站"
                rec["spam"].append({"kind": "mirror_title", "text": rec["title"], "where": "head > title",
                                    "action": "quarantined", "context": "title stuffed with spam phrases"})
                rec["spam"].append({"kind": "mirror_host", "text": urllib.parse.urlsplit(url).hostname, "where": url,
                                    "action": "quarantined", "context": "not .gov.cn and not in the registry"})
                rec["quarantined"] = True
                gen.stats["mirror_only_reports"] += 1
            rec["_site"] = host
            items.append(("report", data, rec, url, fetched, "text/html"))
            r = rng.random()
            if r < 0.03 and not mirror_only:  # the same report as an attachment (PDF in life; its text here)
                second = copy.deepcopy(rec)
                turl = url.rsplit(".", 1)[0] + ".txt"
                tdata = rec["text"].encode("utf-8")
                second["source"] = {"url": turl, "sha256": hashlib.sha256(tdata).hexdigest(), "encoding": "utf-8",
                                    "content_type": "text/plain", "kind": "text", "size": len(tdata)}
                second["spam"], second["chrome"] = [], {"container": None, "removed": []}
                items.append(("attachment", tdata, second, turl, fetched, "text/plain"))
            elif r < 0.045 and not mirror_only and rec["format"] != "legacy":  # republished with corrections
                fixed = copy.deepcopy(rec)
                apps = fixed["applications"]
                if apps.get("granted.total") is not None:
                    apps["granted.total"] += 1
                    apps["granted.natural_person"] = (apps.get("granted.natural_person") or 0) + 1
                    fixed["raw"]["applications.granted.total"] = str(apps["granted.total"])
                fixed["checks"] = table_checks(fixed) + prose_checks(fixed["prose"], fixed)
                fixed["text"] = fixed["text"] + "\n（本报告于" + f"{y + 1}-06-30更正）"
                fdata = data.replace(b"</body>", "<p>（更正）</p></body>".encode())
                fixed["source"] = dict(rec["source"], sha256=hashlib.sha256(fdata).hexdigest(), size=len(fdata))
                items.append(("correction", fdata, fixed, url, "2026-06-30T08:00:00+00:00", "text/html"))
            elif r < 0.048 and not mirror_only:  # a mirror copy of a published report
                murl = f"http://www.{ag['slug']}{int(rng.integers(10, 99))}{rng.choice(MIRROR_TLDS)}/{n}.html"
                m = copy.deepcopy(rec)
                m["source"] = dict(rec["source"], url=murl)
                m["spam"] = [{"kind": "mirror_host", "text": urllib.parse.urlsplit(murl).hostname, "where": murl,
                              "action": "quarantined", "context": "not .gov.cn and not in the registry"}]
                m["quarantined"] = True
                items.append(("mirror", data + b"<!-- mirror -->", m, murl, fetched, "text/html"))
        t_gen += time.perf_counter() - tg
        for it in items:
            batch.append(it)
            if it[0] == "report":
                done += 1
            if len(batch) >= args.batch:
                flush()
        now = time.perf_counter()
        if now - last_print > 30:
            flush()
            rate = done / (now - started)
            timeline.append((done, round(now - started, 1), round(t_store, 1)))
            loads.append(os.getloadavg()[0])
            print(f"  {done:>7}/{args.reports} reports  {rate:6.1f}/s overall  store {t_store:7.1f}s  "
                  f"generate {t_gen:6.1f}s  db {file_size(path) / 1e9:.2f} GB", flush=True)
            last_print = now
    flush()
    if done < args.reports:
        print(f"warning: only {done} reports planned from {len(agencies)} agencies", flush=True)
    ts, cs = time.perf_counter(), time.process_time()
    bulk.__exit__(None, None, None)  # checkpoint, back to one file (journal_mode DELETE)
    t_store += time.perf_counter() - ts
    cpu_store += time.process_time() - cs
    out_end_s = round(time.perf_counter() - ts, 1)
    wall = time.perf_counter() - started
    size_built = file_size(path)
    out = {"reports": done, "agencies": len(schedule), "pages": pages, "statuses": dict(statuses),
           "generator": dict(gen.stats), "build_wall_s": round(wall, 1), "store_s": round(t_store, 1),
           "generate_s": round(t_gen, 1), "store_reports_per_s": round(done / t_store, 1) if t_store else None,
           "store_cpu_s": round(cpu_store, 1), "store_reports_per_cpu_s": round(done / cpu_store, 1) if cpu_store else None,
           "session_end_s": out_end_s,
           "size_built": size_built, "timeline": timeline, "txn": args.txn, "batch": args.batch,
           "prototype": args.prototype, "load_avg_1m_mean": round(statistics.mean(loads), 2),
           "load_avg_1m_max": round(max(loads), 2), "code": code}
    out["rows"] = {t: db.execute(f"SELECT count(*) FROM [{t}]").fetchone()[0]
                   for t in db.table_names() if not t.startswith("reports_fts_")}
    out["rows"]["reports (current, shown)"] = db.execute(
        "SELECT count(*) FROM reports WHERE is_current = 1 AND quarantined = 0 AND removed_at IS NULL").fetchone()[0]
    out["failed_check_reports"] = db.execute("SELECT count(DISTINCT report_id) FROM checks WHERE ok = 0").fetchone()[0]
    db.close()
    if args.analyze:
        t = time.perf_counter()
        con = sqlite3.connect(path)
        con.execute("ANALYZE")
        con.commit()
        con.close()
        out["analyze_s"] = round(time.perf_counter() - t, 1)
        out["size_analyzed"] = file_size(path)
    if args.vacuum:
        t = time.perf_counter()
        con = sqlite3.connect(path)
        con.execute("VACUUM")
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        con.close()
        out["vacuum_s"] = round(time.perf_counter() - t, 1)
        out["size_vacuumed"] = file_size(path)
        from pipelines.publish import write_inspect

        write_inspect(str(path))  # as a write session leaves it (VACUUM changed the file)
    from pipelines.export import export_figures
    from pipelines.warc_archive import warc_dir

    out["size_db"] = file_size(path)
    out["size_warc"] = sum(f.stat().st_size for f in warc_dir(path).glob("*.warc.gz"))
    out["warc_files"] = len(list(warc_dir(path).glob("*.warc.gz")))
    t = time.perf_counter()
    figures = export_figures(str(path), str(path.with_name(path.stem + "-figures.db")))
    out["export_s"] = round(time.perf_counter() - t, 1)
    out["size_figures"] = figures["bytes"]
    return out


# ── store speed-ups, prototyped by monkeypatching (nothing in pipelines/ is edited) ─────────────────

def prototypes(db, names: str) -> None:
    """--prototype a,b,…: candidate changes to pipelines/writers.py and schema.py, to measure their effect on the build.
      cache       PRAGMA cache_size = -262144 (a 256 MB page cache instead of SQLite's 2 MB)
      novalueidx  without the cells(table_name, key, value) index (no canned query uses it)
      cellsnorowid cells as a WITHOUT ROWID table (its primary key is the table: no second copy of it)
      contentless reports_fts with content='' (the bigram text is not stored a second time)
    """
    for name in names.split(","):
        if name == "nothing":
            pass
        elif name == "cache":
            db.conn.execute("PRAGMA cache_size = -262144")
        elif name == "novalueidx":
            db.conn.execute("DROP INDEX IF EXISTS idx_cells_table_name_key_value")
        elif name == "cellsnorowid":
            sql = db.conn.execute("SELECT sql FROM sqlite_master WHERE name = 'cells'").fetchone()[0]
            idx = [r[0] for r in db.conn.execute("SELECT sql FROM sqlite_master WHERE tbl_name = 'cells' "
                                                 "AND type = 'index' AND sql IS NOT NULL")]
            with db.conn:
                db.conn.execute("DROP TABLE cells")
                db.conn.execute(sql.rstrip().rstrip(";") + " WITHOUT ROWID")
                for i in idx:
                    db.conn.execute(i)
        elif name == "contentless":
            with db.conn:
                db.conn.execute("DROP TABLE reports_fts")
                db.conn.execute("CREATE VIRTUAL TABLE reports_fts USING fts5(title, search_text, content='', "
                                "tokenize='unicode61')")
        elif name:
            sys.exit(f"unknown prototype {name}")


# ── serve and time ─────────────────────────────────────────────────────────────────────────────────

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


NAMED = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


def sample_values(db_path: Path, seed: int) -> dict[str, list]:
    """Parameter values drawn from the generated data: agencies that published many years, their years,
    provinces, levels, report ids …"""
    con = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    rng = np.random.default_rng(seed + 1)
    agencies = con.execute("""SELECT agency_id, max(agency), count(*) FROM reports WHERE is_current = 1 AND quarantined = 0
                              GROUP BY agency_id HAVING count(*) >= 6 LIMIT 4000""").fetchall()
    picks = [agencies[i] for i in rng.choice(len(agencies), size=min(12, len(agencies)), replace=False)]
    reports = con.execute("SELECT id, report_key, page_id FROM reports WHERE is_current = 1 AND quarantined = 0 "
                          "AND agency_id IN (%s) ORDER BY id" % ",".join("?" * len(picks)),
                          [p[0] for p in picks]).fetchall()
    provinces = [r[0] for r in con.execute("SELECT DISTINCT province FROM agencies WHERE province IS NOT NULL ORDER BY 1")]
    con.close()
    return {
        "agency_id": [p[0] for p in picks], "agency": [p[1] for p in picks],
        "report_id": [r[0] for r in reports], "report_key": [r[1] for r in reports], "page_id": [r[2] for r in reports],
        "province": [provinces[i] for i in rng.choice(len(provinces), size=min(12, len(provinces)), replace=False)],
        "year": [2023, 2024, 2021, 2019, 2022, 2020, 2025, 2018],
        "level": ["county", "city", "department", "township", "province"],
        "q": ["复议", "依申请公开", "诉讼", "信息处理费", "政策解读", "行政复议"],
    }


def value_for(param: str, values: dict, i: int, overrides: dict) -> str:
    """A value for a canned query's parameter, by its name (override with --param name=value)."""
    if param in overrides:
        return overrides[param]
    p = param.lower()

    def pick(key):
        lst = values[key]
        return str(lst[i % len(lst)])

    if "agency_id" in p:
        return pick("agency_id")
    if "agency" in p or p in ("name", "body", "org", "publisher"):
        return pick("agency")
    if "report_key" in p:
        return pick("report_key")
    if "report" in p or p in ("id", "rid"):
        return pick("report_id")
    if "page" in p:
        return pick("page_id")
    if "year" in p or p in ("y", "yr"):
        if p.startswith(("from", "min", "start", "since")) or p.endswith(("_from", "_min", "_start")):
            return "2019"
        if p.startswith(("to", "max", "end", "until")) or p.endswith(("_to", "_max", "_end")):
            return "2025"
        return pick("year")
    if "province" in p or "region" in p:
        return pick("province")
    if "level" in p:
        return pick("level")
    if p in ("q", "query", "search", "term", "text", "word", "words", "keyword", "keywords", "phrase", "s"):
        return pick("q")
    if "rule" in p:
        return "balance"
    if p in ("key", "figure", "cell", "metric", "column"):
        return "new_received.total"
    if "table" in p:
        return "applications"
    if "kind" in p:
        return "keyword_substitution"
    if "format" in p:
        return "2021"
    if p.startswith(("min", "threshold", "at_least", "n", "limit", "top")) or p.endswith(("_min", "_n")):
        return "10"
    if p.startswith(("max",)):
        return "1000000"
    return ""


def percentile(samples: list[float], q: float) -> float:
    s = sorted(samples)
    return s[max(0, math.ceil(q * len(s)) - 1)]


def explain(db_path: Path, sql: str, params: dict) -> list[str]:
    from pipelines.publish import prepare_connection

    con = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    prepare_connection(con)
    try:
        rows = con.execute("EXPLAIN QUERY PLAN " + sql, params).fetchall()
        return [f"{'  ' * 0}{r[0]}/{r[1]}: {r[3]}" for r in rows]
    except sqlite3.Error as exc:
        return [f"(cannot explain: {exc})"]
    finally:
        con.close()


def direct_ms(db_path: Path, sql: str, params: dict, runs: int = 5) -> float | None:
    """The query alone in SQLite (no HTTP, no JSON), first 1,001 rows as Datasette fetches them."""
    from pipelines.publish import prepare_connection

    con = sqlite3.connect(f"file:{db_path}?immutable=1", uri=True)
    prepare_connection(con)
    out = []
    try:
        for _ in range(runs):
            t = time.perf_counter()
            con.execute(sql, params).fetchmany(1001)
            out.append((time.perf_counter() - t) * 1000)
    except sqlite3.Error:
        return None
    finally:
        con.close()
    return statistics.median(out)


def serve_and_time(args) -> dict:
    import httpx

    from pipelines.publish import serve_args

    db_path = Path(args.db).resolve()
    port = free_port()
    sargs = serve_args(str(db_path), "127.0.0.1", port)
    meta_path = Path(sargs[sargs.index("--metadata") + 1])
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    dbname = db_path.stem
    queries = (meta.get("databases", {}).get(dbname, {}) or {}).get("queries", {}) or {}
    source = "datasette_metadata.json"
    if args.queries_file:
        extra = json.loads(Path(args.queries_file).read_text(encoding="utf-8"))
        if args.queries_merge:
            # prototyping rewrites: the file's queries replace (or add to) the metadata's, served the same way
            queries = {**queries, **extra}
            meta.setdefault("databases", {}).setdefault(dbname, {})["queries"] = queries
            meta_path.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
            source = f"datasette_metadata.json with {args.queries_file} merged over it"
        elif not queries:
            # development only: serve the file's queries through the same metadata
            meta.setdefault("databases", {}).setdefault(dbname, {})["queries"] = extra
            meta_path.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
            queries = extra
            source = f"{args.queries_file} (datasette_metadata.json has none)"
    if args.tables_merge:
        # prototyping table settings (facets, sort) the same way
        extra = json.loads(Path(args.tables_merge).read_text(encoding="utf-8"))
        tables = meta.setdefault("databases", {}).setdefault(dbname, {}).setdefault("tables", {})
        for t, conf in extra.items():
            tables[t] = {**tables.get(t, {}), **conf}
        meta_path.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        source += f"; tables from {args.tables_merge} merged"
    values = sample_values(db_path, args.seed)
    overrides = dict(p.split("=", 1) for p in args.param)
    log = open(RESULTS / "datasette.log", "w")
    cmd = [sys.executable, "-m", "datasette", *sargs]
    print(f"\nserving: datasette {' '.join(sargs)}", flush=True)
    proc = subprocess.Popen(cmd, cwd=str(ROOT), stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    results = {"queries_source": source, "serve_args": sargs, "endpoints": [], "code": provenance()}
    try:
        client = httpx.Client(base_url=base, timeout=60)
        t0 = time.perf_counter()
        while True:
            try:
                if client.get("/-/versions.json").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.perf_counter() - t0 > 180:
                raise SystemExit(f"datasette did not start; see {RESULTS / 'datasette.log'}")
            time.sleep(0.2)
        results["startup_s"] = round(time.perf_counter() - t0, 1)
        # the first real page: Datasette's database page lists every table with its row count
        client.get(f"/{dbname}")
        results["first_page_s"] = round(time.perf_counter() - t0, 1)
        results["load_avg_1m_start"] = round(os.getloadavg()[0], 2)
        print(f"datasette up on {base} in {results['startup_s']}s; {len(queries)} canned queries from {source}",
              flush=True)

        endpoints = []
        for name, q in queries.items():
            sql = q.get("sql", "") if isinstance(q, dict) else str(q)
            params = list(dict.fromkeys((q.get("params") if isinstance(q, dict) else None) or NAMED.findall(sql)))
            endpoints.append({"name": name, "path": f"/{dbname}/{urllib.parse.quote(name)}.json", "sql": sql,
                              "params": params, "kind": "canned"})
            if params and not args.no_blank:
                # what a reader gets on first opening the query: every parameter blank
                endpoints.append({"name": f"{name} (blank params)", "path": f"/{dbname}/{urllib.parse.quote(name)}.json",
                                  "sql": sql, "params": params, "kind": "canned", "blank": True})
        endpoints.append({"name": "report_summary ?_facet=year&_facet=province", "kind": "table",
                          "path": f"/{dbname}/report_summary.json?_facet=year&_facet=province", "params": []})
        endpoints.append({"name": "report_summary (metadata's default facets)", "kind": "table",
                          "path": f"/{dbname}/report_summary.json", "params": []})
        endpoints.append({"name": "reports ?_search=复议", "kind": "table",
                          "path": f"/{dbname}/reports.json?_search=" + urllib.parse.quote("复议"), "params": []})
        endpoints.append({"name": "reports ?_search=复议 (4 columns)", "kind": "table",
                          "path": f"/{dbname}/reports.json?_search=" + urllib.parse.quote("复议")
                          + "&_col=agency&_col=year&_col=title&_col=format", "params": []})
        # the front door's pages when they are there (the landing, a report, an agency)
        con = sqlite3.connect(db_path)
        key, aid = con.execute("SELECT r.report_key, r.agency_id FROM report_summary s JOIN reports r ON r.id = "
                               "s.report_id ORDER BY s.new_requests DESC LIMIT 1").fetchone()
        con.close()
        for name, path in (("landing page /", "/"), ("report page /report/<key>", f"/report/{key}"),
                           ("agency page /agency/<id>", f"/agency/{urllib.parse.quote(aid)}"),
                           (f"database page /{dbname}", f"/{dbname}")):
            if client.get(path).status_code == 200:
                endpoints.append({"name": name, "kind": "page", "path": path, "params": []})
            else:
                print(f"  (no {name} on this server: not timed)", flush=True)
        if args.only:
            endpoints = [ep for ep in endpoints if any(o in ep["name"] for o in args.only.split(","))]
        for ep in endpoints:
            times, errors, info = [], Counter(), {}
            for i in range(args.warmup + args.runs):
                pv = {p: "" if ep.get("blank") else value_for(p, values, i, overrides) for p in ep["params"]}
                url = ep["path"] + (("&" if "?" in ep["path"] else "?") + urllib.parse.urlencode(pv) if pv else "")
                t = time.perf_counter()
                resp = client.get(url)
                body = resp.content
                dt = (time.perf_counter() - t) * 1000
                if i >= args.warmup:
                    times.append(dt)
                ok = resp.status_code == 200
                try:
                    js = json.loads(body) if ep["kind"] != "page" else {}
                except ValueError:
                    js = {}
                if isinstance(js, dict) and js.get("ok") is False:
                    ok = False
                if not ok:
                    errors[(resp.status_code, str(js.get("error", body[:200]))[:200] if isinstance(js, dict) else "")] += 1
                if i == args.warmup:
                    info = {"example_url": url, "status": resp.status_code, "bytes": len(body),
                            "rows": len(js.get("rows", [])) if isinstance(js, dict) else None,
                            "truncated": js.get("truncated") if isinstance(js, dict) else None}
                    if ep["kind"] == "table" and isinstance(js, dict):
                        info["filtered_table_rows_count"] = js.get("filtered_table_rows_count")
                        info["facets_timed_out"] = js.get("facets_timed_out")
                        info["facets"] = {k: len(v.get("results", [])) for k, v in (js.get("facet_results") or {}).items()}
                        info["human_description_en"] = js.get("human_description_en")
            ep.update(info)
            ep["p50_ms"] = round(statistics.median(times), 1)
            ep["p95_ms"] = round(percentile(times, 0.95), 1)
            ep["max_ms"] = round(max(times), 1)
            ep["errors"] = [f"{n}× HTTP {s}: {e}" for (s, e), n in errors.items()]
            ep["meets_target"] = ep["p95_ms"] < TARGET_MS and not errors
            if ep["kind"] == "canned":
                pv = {p: "" if ep.get("blank") else value_for(p, values, args.warmup, overrides) for p in ep["params"]}
                ep["sql_ms"] = direct_ms(db_path, ep["sql"], pv)
                if not ep["meets_target"] or args.explain:
                    ep["plan"] = explain(db_path, ep["sql"], pv)
            flag = "ok " if ep["meets_target"] else "MISS"
            print(f"  {flag} {ep['name'][:48]:<48} p50 {ep['p50_ms']:8.1f} ms  p95 {ep['p95_ms']:8.1f} ms  "
                  f"{info.get('bytes', 0) / 1024:8.1f} KB  {'; '.join(ep['errors'])[:120]}", flush=True)
            results["endpoints"].append({k: v for k, v in ep.items()})
        client.close()
        results["load_avg_1m_end"] = round(os.getloadavg()[0], 2)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
    return results


# ── report ─────────────────────────────────────────────────────────────────────────────────────────

def print_report(b: dict | None, s: dict | None, args) -> None:
    print("\n" + "═" * 100)
    if b:
        print(f"BUILD  {b['reports']:,} reports of {b['agencies']:,} agencies, {b['pages']:,} pages "
              f"(transactions: {b['txn']}, {b['batch']} records each{', prototype ' + b['prototype'] if b.get('prototype') else ''})")
        print(f"  code: {b.get('code')}")
        print(f"  build wall time      {b['build_wall_s']:>10,.1f} s  (store_page + store_record {b['store_s']:,.1f} s = "
              f"{b['store_reports_per_s']} reports/s; generating records {b['generate_s']:,.1f} s)")
        print(f"  store throughput     {b['store_reports_per_s']:>10} reports/s wall  (target ≥ 500); "
              f"{b.get('store_reports_per_cpu_s')} reports per CPU-second of this process ({b.get('store_cpu_s')} s CPU); "
              f"end of session (derived tables, deferred indexes) {b.get('session_end_s')} s")
        print(f"  size as built        {b['size_built'] / 1e9:>10.2f} GB")
        if "size_analyzed" in b:
            print(f"  after ANALYZE        {b['size_analyzed'] / 1e9:>10.2f} GB  ({b['analyze_s']} s)")
        if "size_vacuumed" in b:
            print(f"  after VACUUM         {b['size_vacuumed'] / 1e9:>10.2f} GB  ({b['vacuum_s']} s)")
        if "size_db" in b:
            n = max(b["reports"], 1)
            print(f"  nianbao.db           {b['size_db'] / 1e6:>10.1f} MB  = {b['size_db'] / n / 1e3:6.1f} KB/report  (target ≤ 40)")
            print(f"  figures export       {b['size_figures'] / 1e6:>10.1f} MB  = {b['size_figures'] / n / 1e3:6.1f} KB/report  "
                  f"(target ≤ 3; written in {b['export_s']} s)")
            print(f"  WARC archive         {b['size_warc'] / 1e6:>10.1f} MB  = {b['size_warc'] / n / 1e3:6.1f} KB/report  "
                  f"({b['warc_files']} files; generated pages of ~13 KB, real ones are 100–260 KB)")
        print("  rows: " + ", ".join(f"{t} {n:,}" for t, n in b["rows"].items()))
        print(f"  store statuses: {b['statuses']}")
        print(f"  machine load (1-min average) during the build: mean {b.get('load_avg_1m_mean')}, max {b.get('load_avg_1m_max')} on {os.cpu_count()} CPUs")
        print(f"  reports with a failing check: {b['failed_check_reports']:,}; generator: {b['generator']}")
    if s:
        print(f"\nQUERIES  ({args.runs} runs after {args.warmup} warm-ups, one client; target p95 < {TARGET_MS:.0f} ms; "
              f"queries from {s['queries_source']})")
        print(f"  code: {s.get('code')}")
        print(f"  nianbao serve: answering in {s.get('startup_s')} s, first database page in {s.get('first_page_s')} s "
              f"(target < 10 s)")
        print(f"  load average at start {s.get('load_avg_1m_start')}, at end {s.get('load_avg_1m_end')}; sql ms = the query alone in sqlite3, median of 5")
        print(f"  {'endpoint':<50}{'p50 ms':>9}{'p95 ms':>9}{'sql ms':>9}{'KB':>9}  target")
        for ep in s["endpoints"]:
            sql_ms = ep.get("sql_ms")
            print(f"  {ep['name'][:50]:<50}{ep['p50_ms']:>9.1f}{ep['p95_ms']:>9.1f}"
                  f"{(f'{sql_ms:.1f}' if sql_ms is not None else '—'):>9}{ep.get('bytes', 0) / 1024:>9.1f}  "
                  f"{'meets' if ep['meets_target'] else 'MISSES'}{'  ' + '; '.join(ep['errors']) if ep['errors'] else ''}")
        for ep in s["endpoints"]:
            if ep["kind"] == "table":
                print(f"  {ep['name']}: rows counted {ep.get('filtered_table_rows_count')}, facets timed out "
                      f"{ep.get('facets_timed_out')}, facets {ep.get('facets')}; {ep.get('human_description_en')!r}")
        for ep in s["endpoints"]:
            if ep.get("plan"):
                print(f"\n  EXPLAIN QUERY PLAN {ep['name']}  ({ep.get('example_url')})")
                for line in ep["plan"]:
                    print("    " + line)
    print("═" * 100)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reports", type=int, default=100_000)
    ap.add_argument("--agencies", type=int, default=0, help="fictional agencies (default: as many as --reports needs)")
    ap.add_argument("--db", default=str(RESULTS / "nianbao.db"))
    ap.add_argument("--seed", type=int, default=20240521)
    ap.add_argument("--batch", type=int, default=250, help="records per transaction")
    ap.add_argument("--txn", choices=["batch", "page", "atomic"], default="batch",
                    help="batch: `with db.conn:` around --batch records; page: one per page, as ingest.py; "
                         "atomic: db.atomic() around --batch records")
    ap.add_argument("--prototype", default="",
                    help="store changes to try, comma-separated: cache,novalueidx,cellsnorowid,contentless")
    ap.add_argument("--no-analyze", dest="analyze", action="store_false")
    ap.add_argument("--no-vacuum", dest="vacuum", action="store_false")
    ap.add_argument("--skip-build", action="store_true", help="time the queries on the existing --db")
    ap.add_argument("--build-only", action="store_true")
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--queries-file", help="JSON {name: {sql, …}} used when the metadata has no canned queries")
    ap.add_argument("--queries-merge", action="store_true",
                    help="serve and time the metadata's queries with --queries-file's merged over them (rewrites)")
    ap.add_argument("--tables-merge", help="JSON {table: {facets: …}} merged over the metadata's table settings")
    ap.add_argument("--only", default="", help="time only endpoints whose name contains one of these, comma-separated")
    ap.add_argument("--param", action="append", default=[], help="name=value for a canned query parameter")
    ap.add_argument("--explain", action="store_true", help="EXPLAIN QUERY PLAN for every canned query")
    ap.add_argument("--no-blank", action="store_true", help="skip timing each canned query with blank parameters")
    args = ap.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    db = Path(args.db).resolve()
    # results beside a database kept elsewhere (a prototype copy must not overwrite the default run's figures)
    out_path = (RESULTS / f"publish-{db.stem}-{args.reports}.json" if db.parent == RESULTS.resolve()
                else db.with_name(f"{db.stem}.publish-{args.reports}.json"))
    b = s = None
    if not args.skip_build:
        b = build(args)
        out_path.write_text(json.dumps({"build": b}, ensure_ascii=False, indent=1), encoding="utf-8")
    elif out_path.exists():
        b = json.loads(out_path.read_text(encoding="utf-8")).get("build")
    if not args.build_only:
        s = serve_and_time(args)
    out_path.write_text(json.dumps({"build": b, "serve": s}, ensure_ascii=False, indent=1, default=str),
                        encoding="utf-8")
    print_report(b, s, args)
    print(f"results: {out_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
