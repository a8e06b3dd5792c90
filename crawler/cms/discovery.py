"""Finding the 年报 column on a portal home page (or on its 政府信息公开 hub page).

Every anchor is scored on its text (and title attribute) and its URL:
* text: 政府信息公开年报 / 政府信息公开年度报告 (100), 信息公开年报 / 政务公开年报 / 信息公开年度报告 (80),
  年度报告 / 年报 alone (60), any other short text containing one of those names (50);
* URL: a 年报 column token (crawler/data/url_families.json: zfxxgknb, xxgknb, gknb, ndbg …) as the last directory of a column page (…/zfxxgknb/,
  …/zfxxgknb/index.html: +50), as any directory on the path (+40), or only in the file name (+20);
* another host: −60 (a county portal linking its province's column is not the county's column).
A report (a link text with a year, an address in an article family of crawler/addresses.py, an attachment) is
not a column. One column linked as …/x/ and
…/x/index.html counts once (its best-scoring link is kept). Candidates scoring ≥ 40 are returned best first
(ties: document order), as absolute URLs without fragments.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from crawler.addresses import has_column_token, is_article, is_report_title
from crawler.cms.generic import anchors, is_attachment

STRONG = {"政府信息公开年报", "政府信息公开年度报告", "政府信息公开工作年度报告"}
GOOD = {"信息公开年报", "政务公开年报", "信息公开年度报告", "政务信息公开年报", "政府信息公开年报专栏", "政务公开年度报告"}
WEAK = {"年度报告", "年报", "工作年报"}
NAME = re.compile(r"政府信息公开年报|政府信息公开年度报告|信息公开年报|政务公开年报|信息公开年度报告|年度报告")
DECOR = re.compile(r"[\s>»›<《》【】\[\]()（）·•:：|\-—…]+|更多")
YEAR = re.compile(r"(?:19|20)\d{2}")
HUB_TEXT = re.compile(r"^(?:政府信息公开|信息公开|政务公开|政府信息公开专栏|信息公开目录|政府信息公开目录)$")
HUB_URL = re.compile(r"/(?:zfxxgk|xxgk|zwgk|gkml)(?:/|$|index)", re.I)
THRESHOLD = 40


def _text_score(text: str) -> int:
    t = DECOR.sub("", text or "")
    if not t:
        return 0
    if t in STRONG:
        return 100
    if t in GOOD:
        return 80
    if t in WEAK:
        return 60
    if len(t) <= 16 and NAME.search(t):
        return 50
    return 0


INDEX_FILE = re.compile(r"/(?:index|list|default|nlist)(?:_\d+)?\.\w+$", re.I)


def _url_score(url: str) -> int:
    """+50 when the URL is a 年报 column's own page, +40 when a directory on its path is one, +20 when only the
    file name carries the pattern (…/nianbao.html)."""
    path = urlsplit(url).path
    directories = [s for s in path.split("/")[:-1] if s]
    leaf = path.rsplit("/", 1)[-1]
    if directories and has_column_token(directories[-1]) and (leaf == "" or INDEX_FILE.search(path)):
        return 50
    if any(has_column_token(s) for s in directories):
        return 40
    return 20 if has_column_token(leaf) else 0


def column_key(url: str) -> str:
    """…/zfxxgknb/index.html and …/zfxxgknb/ are one column."""
    parts = urlsplit(url)
    path = re.sub(r"/index\.s?html?$", "/", parts.path, flags=re.I)
    return f"{parts.scheme}://{(parts.netloc or '').lower()}{path}" + (f"?{parts.query}" if parts.query else "")


def candidates(url: str, text: str) -> list[tuple[int, str, str]]:
    """(score, absolute URL, link text) for every anchor that may be the 年报 column, best first."""
    host = (urlsplit(url).hostname or "").lower()
    scored: dict[str, tuple[int, int, str]] = {}
    for order, a in enumerate(anchors(url, text)):
        if not a.url.startswith(("http://", "https://")) or is_attachment(a.url):
            continue
        # a report (an article address, or any dated item: "2019年工作年报") is not the column
        if is_article(a.url) or YEAR.search(a.text) or YEAR.search(a.attr_title) \
                or is_report_title(a.text) or is_report_title(a.attr_title):
            continue
        score = max(_text_score(a.text), _text_score(a.attr_title)) + _url_score(a.url)
        if (urlsplit(a.url).hostname or "").lower() != host:
            score -= 60
        if score < THRESHOLD:
            continue
        key = column_key(a.url)
        prev = scored.get(key)
        if prev is None:
            scored[key] = (score, order, a.url, a.text or a.attr_title)
        elif score > prev[0]:
            scored[key] = (score, prev[1], a.url, a.text or a.attr_title)
    ranked = sorted(scored.values(), key=lambda v: (-v[0], v[1]))
    return [(score, u, t) for score, _, u, t in ranked]


def find_columns(url: str, text: str) -> list[str]:
    """The likely 年报 columns linked from a page, best first (absolute URLs)."""
    return [u for _, u, _ in candidates(url, text)]


def find_hubs(url: str, text: str) -> list[str]:
    """Same-host 政府信息公开 hub pages (a second hop when the home page links no 年报 column)."""
    host = (urlsplit(url).hostname or "").lower()
    out: list[str] = []
    for a in anchors(url, text):
        if (urlsplit(a.url).hostname or "").lower() != host or is_attachment(a.url) or a.url in out:
            continue
        if HUB_TEXT.match(DECOR.sub("", a.text)) or (HUB_URL.search(urlsplit(a.url).path)
                                                      and DECOR.sub("", a.text) in ("政府信息公开", "信息公开", "政务公开")):
            out.append(a.url)
    return out
