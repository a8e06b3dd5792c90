"""Generated report records at scale: what bench/publish.py stores to build its 100,000-report database.

Records (fixed seed, numpy) in the shapes the real extractor gives for the seeds and the corpus: fictional
agencies in the 31 provinces at every level, 2013–2025, the national format of each year (legacy before 2019,
the 2019 format for 2019–2020, the 2021 format after, a few hybrid table-三 layouts), tables whose figures are
mostly small with a long tail, that add up except for a planted share that does not (tables 三 and 四 through
demo/figures.py, the core the demo portal's generator uses too), some blank and unparsed cells, figures stated in
sentences, spam findings on a few pages, and a body text of a few KB built from sentences of real reports (a
pool the caller makes with `sentence_pool`; nothing here reads ../shared). Unlike the demo portal, which must
stay independent of the extractor it tests, these records take their checks from the real `extract.checks`:
they stand for what the extractor stores.
"""

from __future__ import annotations

import hashlib
import html
import math
import re
from collections import Counter
from decimal import Decimal

import numpy as np

from demo import figures as FIG
from extract import formats as F
from extract.checks import prose_checks, table_checks
from extract.normalize import to_simplified
from pipelines import writers as S

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
