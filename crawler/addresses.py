"""What an address on a Chinese government portal is: a report article, a 年报 column, or neither — and which
address family it belongs to. The families and the column tokens are data (crawler/data/url_families.json, one
entry per family with real example addresses); discovery, the spider, the listing adapters and the mirror check
all ask this module. Pure: no Scrapy, no network.

The address alone decides what it can: a CMS's annual-report module (xxgkAnnualReport.jsp?…&fbtime=YYYY) is a
report; a page in a known article family under a 年报 column token (…/zfxxgknb/202001/t20200119_N.html) is a
report; a listing page whose last directory is a token (…/zfxxgknb/) is a column. An article with no token on
its path (…/art/2018/3/28/art_1229497170_3845568.html) is a report *candidate*: when the link text or page title is
known it decides (a 年度报告 title is a report; 工作规则, 信息公开指南, 年报编制通知 are not), otherwise the address
is taken as a report and the page's own title settles it after the fetch. A host that is neither under .gov.cn
nor in the site registry is never an agency's report, whatever its path looks like (a clone copies paths one to
one).
"""

from __future__ import annotations

import csv
import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

DATA = Path(__file__).with_name("data")
FAMILIES = DATA / "url_families.json"
MIRROR_HOSTS = DATA / "mirror_hosts.csv"
KINDS = ("report", "column", "other")

ATTACHMENT = re.compile(r"\.(?:pdf|docx?|wps|xlsx?|et|ofd|jpe?g|png|zip|rar)(?:$|\?)|downfile\.jsp", re.I)
# a report title: "2023年…政府信息公开工作年度报告", "…信息公开工作年度报告", or one cut short by a list template ("…年…")
REPORT_TITLE = re.compile(r"(?:19|20)\d{2}\s*年度?.{0,30}?(?:政府信息公开|政务公开|信息公开).{0,6}?(?:年度报告|工作报告|年报)"
                          r"|(?:政府信息公开|信息公开)(?:工作)?年度报告")
TRUNCATED_TITLE = re.compile(r"(?:19|20)\d{2}\s*年.{0,30}?(?:政府信息公开|政务公开|信息公开).*(?:…|\.\.\.|。。。)$")
# pages *about* reports: 《…年度报告》解读, 图解, the rules and notices that order them (年度报告制度, 编制通知, 格式)
NOT_A_REPORT = re.compile(r"解读|图解|一图读懂|政策问答|制度|通知|编制|格式|要点|工作方案|考核|评估|指南|目录")
COLUMN_TITLE = re.compile(r"(?:政府信息公开|信息公开|政务公开)(?:工作)?(?:年报|年度报告)|^年度报告$|^年报$|^工作年报$")


@dataclass(frozen=True)
class Family:
    name: str
    kind: str            # article | report | column
    label: str
    pattern: re.Pattern | None
    query: bool          # the pattern sees "path?query"
    examples: tuple[str, ...]

    def matches(self, path: str, query: str) -> bool:
        if self.pattern is None:
            return False
        return bool(self.pattern.search(f"{path}?{query}" if self.query else path))


@dataclass(frozen=True)
class Address:
    url: str
    kind: str                  # report | column | other
    family: str | None         # the address family, when one matches (also for a clone's copied path)
    column: str | None         # the 年报 column above the address, when its path shows one
    government: bool           # host under .gov.cn or in the site registry

    def line(self) -> str:
        return f"{self.url}\t{self.kind}\t{self.family or '-'}"


@functools.lru_cache(maxsize=1)
def _data() -> dict:
    return json.loads(FAMILIES.read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=1)
def families() -> tuple[Family, ...]:
    out = []
    for f in _data()["families"]:
        flags = 0 if f.get("case") else re.I
        out.append(Family(f["name"], f["kind"], f.get("label", ""),
                          re.compile(f["pattern"], flags) if f.get("pattern") else None,
                          bool(f.get("query")), tuple(f.get("examples", ()))))
    return tuple(out)


@functools.lru_cache(maxsize=1)
def _token() -> re.Pattern:
    return re.compile("|".join(map(re.escape, _data()["column_tokens"])), re.I)


@functools.lru_cache(maxsize=1)
def _year_folder() -> re.Pattern:
    return re.compile(_data()["year_folder"], re.I)


@functools.lru_cache(maxsize=1)
def _index_file() -> re.Pattern:
    return re.compile(_data()["index_file"], re.I)


def column_tokens() -> tuple[str, ...]:
    return tuple(_data()["column_tokens"])


def has_column_token(text: str) -> bool:
    return bool(_token().search(text or ""))


# ── hosts ────────────────────────────────────────────────────────────────────────────────────────

def is_government_host(host: str | None, registry_hosts=frozenset()) -> bool:
    """By rule (国办发〔2017〕47号) a government site is under .gov.cn; the registry adds the exceptions seen
    in practice (bare-IP county sites, a city's own domain) and the offline demo portal on 127.0.0.1."""
    host = (host or "").lower().split(":")[0].rstrip(".")
    return host.endswith(".gov.cn") or host == "gov.cn" or host in registry_hosts


@functools.lru_cache(maxsize=1)
def known_mirrors() -> dict[str, dict]:
    """Known non-government hosts that copy government reports (clones, reprints, document-sharing sites,
    proxies), by host name: {host: {mirror_type, copies, note}}."""
    with open(MIRROR_HOSTS, newline="", encoding="utf-8") as f:
        return {r["host"].lower().split(":")[0]: r for r in csv.DictReader(f)}


def known_mirror(host: str | None) -> dict | None:
    return known_mirrors().get((host or "").lower().split(":")[0])


# ── titles ───────────────────────────────────────────────────────────────────────────────────────

def is_report_title(title: str) -> bool:
    """A title that names an annual report (not a page about one: 解读, 编制通知, 年度报告制度 …)."""
    compact = re.sub(r"\s+", "", title or "")
    if not compact or NOT_A_REPORT.search(compact):
        return False
    return bool(REPORT_TITLE.search(compact) or TRUNCATED_TITLE.search(compact))


def is_column_title(title: str) -> bool:
    compact = re.sub(r"[\s>»›<《》【】\[\]()（）·•:：|\-—…]+|更多", "", title or "")
    return bool(compact) and len(compact) <= 20 and not re.search(r"(?:19|20)\d{2}", compact) \
        and bool(COLUMN_TITLE.search(compact))


# ── addresses ────────────────────────────────────────────────────────────────────────────────────

def family_of(url: str) -> Family | None:
    """The first family whose pattern matches the address (article, report module or column shape)."""
    parts = urlsplit(url or "")
    for f in families():
        if f.matches(parts.path, parts.query):
            return f
    return None


def is_attachment(url: str) -> bool:
    return bool(ATTACHMENT.search(url or ""))


def is_article(url: str) -> bool:
    """An address in a known article (or report-module) shape: a page that is a document, never a listing."""
    f = family_of(url)
    return f is not None and f.kind in ("article", "report")


def _directories(path: str) -> list[str]:
    return [s for s in path.split("/")[:-1] if s]


def column_of(url: str) -> str | None:
    """The 年报 column an address sits in, when its path shows one: the path up to its first directory that
    carries a column token (…/zfxxgk/zfxxgknb/202001/t….html → …/zfxxgk/zfxxgknb/)."""
    parts = urlsplit(url or "")
    segments = parts.path.split("/")
    for i, seg in enumerate(segments[:-1]):
        if seg and has_column_token(seg):
            return urlunsplit((parts.scheme, parts.netloc.lower(), "/".join(segments[: i + 1]) + "/", "", ""))
    return None


def _is_listing_page(path: str, query: str) -> bool:
    leaf = path.rsplit("/", 1)[-1]
    return leaf == "" or bool(_index_file().match(leaf))


def _is_token_column(path: str, query: str) -> bool:
    """The last directory is a 年报 token (…/zfxxgknb/), or a year folder under one (…/zfxxgknb/2023n/)."""
    dirs = _directories(path)
    if dirs and has_column_token(dirs[-1]):
        return True
    if dirs and _year_folder().match(dirs[-1]) and any(has_column_token(d) for d in dirs[:-1]):
        return True
    return False


def classify(url: str, title: str = "", registry_hosts=frozenset()) -> Address:
    """report | column | other for an address, with its family. `title` is the link text or page title when
    known: it decides for an article without a token on its path, and names a column that has no token."""
    parts = urlsplit(url or "")
    host = (parts.hostname or "").lower()
    path, query = parts.path, parts.query
    family = family_of(url)
    fam = family.name if family else None
    column = column_of(url)
    gov = is_government_host(host, registry_hosts)
    titled = bool((title or "").strip())

    def answer(kind: str, name: str | None = fam) -> Address:
        return Address(url, kind, name, column, gov)

    if not gov or not parts.scheme.startswith("http") or is_attachment(url):
        return answer("other")
    if family is not None and family.kind == "report":
        return answer("report")
    if family is None or family.kind == "column":
        if _is_listing_page(path, query) or family is not None:
            if _is_token_column(path, query):
                return answer("column", fam or "token-column")
            if titled and is_column_title(title):
                return answer("column")
            return answer("other")
        if has_column_token(query):
            return answer("column", "token-column")
    # a page: an article family, or an unknown shape
    if titled:
        return answer("report" if is_report_title(title) else "other")
    if family is not None:
        return answer("report")
    if any(has_column_token(d) for d in _directories(path)) and re.search(r"\.s?html?$", path, re.I):
        return answer("report")
    return answer("other")


def report_by_address(url: str) -> bool:
    """The address alone says report: a CMS's annual-report module, or a page in an article family under a
    年报 column token (what a listing links there is a report, whatever its link text)."""
    f = family_of(url)
    return f is not None and (f.kind == "report" or (f.kind == "article" and column_of(url) is not None))


def in_family(url: str, *names: str) -> bool:
    f = family_of(url)
    return f is not None and f.name in names


# ── copies ───────────────────────────────────────────────────────────────────────────────────────

def _site_key(host: str) -> str:
    host = (host or "").lower()
    return host[4:] if host.startswith("www.") else host


def _names(site: dict) -> set[str]:
    return {re.sub(r"\s+", "", n) for n in [site.get("agency") or ""] + (site.get("aliases") or "").split(";") if n.strip()}


def copied_site(url: str, sites: list[dict], agency: str | None = None) -> dict | None:
    """The registered site a copy on another host copies, by path: the site whose 年报 column path the
    address's path starts with (clones copy paths one to one: 156152.com/zfjgzy/gzsrmzfbgt/zfxxgknb/… is
    www.gz.gov.cn's column). The longest matching column wins; a column path several registered sites share
    (/zwgk/zfxxgk/zfxxgknb/) names one of them only when the copy's own agency (what the page says) is that
    site's. {agency, host, column} or None."""
    parts = urlsplit(url or "")
    host = _site_key(parts.hostname or "")
    path = parts.path
    matches: dict[str, list[dict]] = {}
    for s in sites:
        col = urlsplit(s.get("column_url") or "")
        col_path = col.path.rsplit("/", 1)[0] + "/"     # …/zfxxgknb/index.html is the column …/zfxxgknb/
        if not col.hostname or col_path == "/" or not s.get("agency") or s.get("verified") == "mirror" \
                or not path.startswith(col_path) or _site_key(col.hostname) == host:
            continue
        matches.setdefault(col_path, []).append(s)
    for col_path in sorted(matches, key=len, reverse=True):
        found = matches[col_path]
        if len({_site_key(urlsplit(s["column_url"]).hostname) for s in found}) > 1:
            said = re.sub(r"\s+", "", agency or "")
            found = [s for s in found if said and any(n in said or said in n for n in _names(s))]
        if len({_site_key(urlsplit(s["column_url"]).hostname) for s in found}) == 1:
            s = found[0]
            return {"agency": s["agency"], "host": urlsplit(s["column_url"]).netloc.lower(), "column": s["column_url"]}
    return None
