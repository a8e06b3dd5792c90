"""The fallback adapter, and the link helpers the CMS-specific adapters share.

A plain listing page: report links are anchors whose title reads like a report title (or that point to an
attachment that belongs to the listing); the rest of the listing is reached through explicit pagination
links — "下一页" / "尾页" / "末页" anchors, `?page=N` (pageNo, pageIndex, …) and `<stem>_N.html` siblings of
the current page.  When the pagination links reveal a numbered pattern (a "尾页" at list_9.html next to a
"下一页" at list_2.html), the pages in between are listed too: the spider dedups, and the crawl does not
have to walk the listing one page per round trip.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import lxml.html

from crawler.addresses import in_family, is_article, report_by_address
from crawler.addresses import is_report_title as looks_like_report_title
from crawler.cms.base import ATTACHMENT, Adapter, Link, PageRequest, absolute

# ── shared helpers ───────────────────────────────────────────────────────────────────────────────

YEAR = re.compile(r"((?:19|20)\d{2})\s*年")
# TRS attachment names: P0YYYYMMDD<digits>.<ext>
TRS_ATTACHMENT_NAME = re.compile(r"/P0\d{8}\d+\.[a-z0-9]+$", re.I)
# a URL that is a listing page itself, never a report
LISTING_URL = re.compile(r"(?:/|/(?:index|list|default)(?:_\d+)?\.(?:s?html?|jsp|php|aspx?))$|/col/col\d+/?(?:index\.html)?$",
                         re.I)
SKIP_HREF = re.compile(r"^\s*(?:javascript:|mailto:|tel:|#|data:)", re.I)


def is_attachment(url: str) -> bool:
    """Whether a link points to a file (PDF, Word, WPS, spreadsheet, OFD, image, Hanweb downfile.jsp) rather than
    an HTML page. The spider uses the same test (base.ATTACHMENT) to label a fetched link `attachment`."""
    return bool(ATTACHMENT.search(url or ""))


def report_year(title: str) -> int | None:
    """The year a report covers, read from its title: the first 19xx/20xx followed by 年."""
    m = YEAR.search(re.sub(r"\s+", "", title or ""))
    return int(m.group(1)) if m else None


def clean_title(title: str) -> str:
    return re.sub(r"\s+", " ", title or "").strip()


def is_trs_article(url: str) -> bool:
    """A TRS WCM article address (./YYYYMM/tYYYYMMDD_<docid>.html and its short and dated variants)."""
    return in_family(url, "trs", "trs-dated", "trs-short")


@dataclass(frozen=True)
class Anchor:
    url: str          # absolute, fragment removed
    title: str        # the anchor's title attribute when it reads like a report title, else its text
    text: str         # the anchor's visible text
    attr_title: str  # the title attribute ("" when absent)


def parse_html(text: str):
    if not text or not text.strip():
        return None
    try:
        return lxml.html.fromstring(text)
    except (lxml.etree.ParserError, ValueError):
        # a str with an XML encoding declaration, or an empty document
        try:
            return lxml.html.fromstring(text.encode("utf-8"))
        except Exception:  # noqa: BLE001 - unparseable: no anchors
            return None


def base_url(url: str, root) -> str:
    if root is not None:
        for base in root.iter("base"):
            href = base.get("href")
            if href and href.strip():
                return urljoin(url, href.strip())
    return url


def _defrag(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, ""))


def anchors(url: str, text: str) -> list[Anchor]:
    """Every `<a href>` of an HTML page or fragment (anchors inside <script> are not HTML and are not seen),
    resolved against the page URL (or its <base href>), in document order."""
    root = parse_html(text)
    if root is None:
        return []
    base = base_url(url, root)
    out = []
    for a in root.iter("a"):
        href = a.get("href")
        if not href or SKIP_HREF.match(href):
            continue
        visible = clean_title(a.text_content())
        attr = clean_title(a.get("title") or "")
        if attr and (looks_like_report_title(attr) or not visible):
            title = attr
        else:
            title = visible or attr
        out.append(Anchor(_defrag(absolute(base, href)), title, visible, attr))
    return out


def listing_dir(url: str) -> str:
    """The directory a listing page lives in: links below it belong to the listing."""
    parts = urlsplit(url)
    path = parts.path if parts.path.endswith("/") else parts.path.rsplit("/", 1)[0] + "/"
    return urlunsplit((parts.scheme, parts.netloc.lower(), path, "", ""))


def under(url: str, directory: str) -> bool:
    parts = urlsplit(url)
    lowered = urlunsplit((parts.scheme, parts.netloc.lower(), parts.path, "", ""))
    return lowered.startswith(directory) and lowered != directory


def is_listing_url(url: str, page_url: str) -> bool:
    # …/<32 HEX>/index.shtml is an article in Liaoning's family (one directory per article), not a listing
    return _defrag(url) == _defrag(page_url) or (bool(LISTING_URL.search(urlsplit(url).path)) and not is_article(url))


def select_reports(page_url: str, found: list[Anchor], *, trs_articles: bool = False,
                   extra=None) -> list[Link]:
    """The report links among `found`:
    * a link whose title reads like a report title (not a listing page — a menu entry "政府信息公开年度报告"
      pointing at the column is not a report);
    * an attachment whose title reads like a report title, or that sits below the listing's directory, or that
      carries a TRS attachment name (P0YYYYMMDD…);
    * with `trs_articles`, a TRS article URL (./YYYYMM/tYYYYMMDD_id.htm) below the listing's directory;
    * with `extra`, any link whose URL it accepts (e.g. Hanweb art_ pages inside the datastore);
    * a link whose address alone says report (crawler/addresses.report_by_address: an annual-report module, an
      article-family page under a 年报 column token).
    Deduplicated by URL, first occurrence wins (a later occurrence with a report title improves the title)."""
    directory = listing_dir(page_url)
    picked: dict[str, Link] = {}
    for a in found:
        if not a.url.startswith(("http://", "https://")):
            continue
        titled = looks_like_report_title(a.title)
        keep = False
        if is_attachment(a.url):
            keep = titled or under(a.url, directory) or bool(TRS_ATTACHMENT_NAME.search(urlsplit(a.url).path))
        elif is_listing_url(a.url, page_url):
            keep = False
        elif titled:
            keep = True
        elif trs_articles and is_trs_article(a.url) and under(a.url, directory):
            keep = True
        elif extra is not None and extra(a.url):
            keep = True
        elif report_by_address(a.url):   # its link text may say only "2023年度": the address says report
            keep = True
        if not keep:
            continue
        prev = picked.get(a.url)
        if prev is None:
            picked[a.url] = Link(a.url, a.title)
        elif titled and not looks_like_report_title(prev.title):
            picked[a.url] = Link(a.url, a.title)
    return list(picked.values())


# ── pagination ───────────────────────────────────────────────────────────────────────────────────

NEXT_TEXT = re.compile(r"^[\[【<《(（\s]*(?:下一页|下页|后一页|尾页|末页|最后一页|最末页|>>|»|›|>)[\]】>》)）\s]*$")
LAST_TEXT = re.compile(r"尾页|末页|最后一页|最末页|>>|»")
PAGE_PARAMS = ("page", "pageno", "pagenum", "pageindex", "page_no", "pagenumber", "currentpage", "curpage", "p", "pn")
# <stem>_<N>.<ext> and Chengdu-style <stem>-<N>.<ext>
NUMBERED = re.compile(r"^(?P<stem>.*?)(?P<sep>[_-])(?P<n>\d{1,5})\.(?P<ext>s?html?|jsp|php|aspx?)$", re.I)
PLAIN = re.compile(r"^(?P<stem>.*)\.(?P<ext>s?html?|jsp|php|aspx?)$", re.I)
MAX_FILL = 500   # never invent more than this many pages between two pagination links


def _page_key(url: str, page_url: str):
    """(pattern, number) when `url` is a numbered sibling of the listing page `page_url`, else None.
    pattern identifies the family so numbers of the same family can be compared and filled in."""
    u, p = urlsplit(url), urlsplit(page_url)
    if (u.scheme, u.netloc.lower()) != (p.scheme, p.netloc.lower()):
        return None
    # ?page=N on the same path
    same_page = u.path == p.path or (p.path.endswith("/") and u.path.startswith(p.path)
                                     and bool(PLAIN.match(u.path[len(p.path):]))
                                     and u.path[len(p.path):].lower().startswith(("index.", "default.")))
    if same_page:
        q = parse_qsl(u.query, keep_blank_values=True)
        here = sorted((k, v) for k, v in parse_qsl(p.query, keep_blank_values=True) if k.lower() not in PAGE_PARAMS)
        for i, (k, v) in enumerate(q):
            if k.lower() in PAGE_PARAMS and v.isdigit():
                rest = tuple((kk, vv) for j, (kk, vv) in enumerate(q) if j != i)
                if sorted(rest) != here:     # ?cat=13&page=2 is another listing's page, not ours
                    return None
                return ("query", u.path, k, i, rest), int(v)
    # <stem>_N.ext next to <stem>.ext / <stem>_M.ext in the same directory
    u_dir, u_file = u.path.rsplit("/", 1) if "/" in u.path else ("", u.path)
    p_dir, p_file = p.path.rsplit("/", 1) if "/" in p.path else ("", p.path)
    if u_dir != p_dir:
        return None
    m = NUMBERED.match(u_file)
    if not m:
        return None
    pm = NUMBERED.match(p_file) or PLAIN.match(p_file)
    p_stem = pm.group("stem") if pm else ""
    if p_file == "":           # a directory URL: its page is index.*
        p_stem = "index"
    if m.group("stem") != p_stem:
        return None
    return ("path", u_dir, m.group("stem"), m.group("sep"), m.group("ext"), u.query), int(m.group("n"))


def _page_url(pattern, n: int, page_url: str) -> str:
    p = urlsplit(page_url)
    if pattern[0] == "query":
        _, path, key, index, rest = pattern
        q = list(rest)
        q.insert(index, (key, str(n)))
        return urlunsplit((p.scheme, p.netloc, path, urlencode(q), ""))
    _, directory, stem, sep, ext, query = pattern
    return urlunsplit((p.scheme, p.netloc, f"{directory}/{stem}{sep}{n}.{ext}", query, ""))


def pagination(page_url: str, found: list[Anchor]) -> list[PageRequest]:
    """Next-page requests from explicit pagination anchors.

    Candidates: anchors whose text is 下一页/尾页/末页/… and numbered siblings of the page (`?page=N`,
    `<stem>_N.html`). Numbered candidates of one family are filled in from the smallest to the largest number
    seen (a "尾页" at _9 after a "下一页" at _2 yields _2 … _9), ordered by number; other explicit links follow in
    document order. The current page is never returned."""
    here = _defrag(page_url)
    families: dict = {}
    loose: list[str] = []
    current = _page_key(here, here)
    for a in found:
        if not a.url.startswith(("http://", "https://")) or a.url == here or is_attachment(a.url):
            continue
        key = _page_key(a.url, here)
        texty = bool(NEXT_TEXT.match(a.text)) or bool(a.text and LAST_TEXT.search(a.text) and len(a.text) <= 6)
        if key is not None:
            families.setdefault(key[0], set()).add(key[1])
        elif texty:
            loose.append(a.url)
    out: list[str] = []
    for pattern, numbers in families.items():
        lo, hi = min(numbers), max(numbers)
        if current is not None and current[0] == pattern:
            lo = min(lo, current[1] + 1)
        span = range(lo, hi + 1) if hi - lo <= MAX_FILL else sorted(numbers)
        for n in span:
            if current is not None and current[0] == pattern and n == current[1]:
                continue
            out.append(_page_url(pattern, n, here))
    for url in loose:
        if url not in out:
            out.append(url)
    return [PageRequest(u) for u in out if u != here]


# ── the adapter ──────────────────────────────────────────────────────────────────────────────────

class GenericAdapter(Adapter):
    """Any HTML listing. Detects everything: it is the last adapter tried."""

    name = "generic"

    def detect(self, url: str, text: str) -> bool:
        return True

    def report_links(self, url: str, text: str) -> list[Link]:
        return select_reports(url, anchors(url, text))

    def next_pages(self, url: str, text: str) -> list[PageRequest]:
        return pagination(url, anchors(url, text))
