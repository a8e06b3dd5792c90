"""Strip portal chrome: find the report body, drop breadcrumbs, toolbars, counters, related links and
footers, and turn the 信息公开 metadata block into `page_meta` instead of text.

The strings and selectors are data (pipelines/data/chrome.json). Tables are always taken from the DOM
with their spans (extract/readers/html.py); trafilatura is only asked which *paragraphs* are the main
text, and only when no known content container matches.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from extract.document import Document, Row
from extract.normalize import normalize

DATA = Path(__file__).with_name("data")


@functools.lru_cache(maxsize=1)
def rules() -> dict:
    return json.loads((DATA / "chrome.json").read_text(encoding="utf-8"))


@dataclass
class Chrome:
    """What cleaning took away, so a person can check it."""

    container: str | None = None          # the selector that found the body, or "trafilatura", or None
    removed: list[str] = field(default_factory=list)
    page_meta: dict = field(default_factory=dict)


# ── finding the body in the DOM ─────────────────────────────────────────────────────────────────

@functools.lru_cache(maxsize=1)
def _content_selectors() -> tuple[dict, dict, list]:
    """Split the selector list: plain '#id' and '.class' selectors are matched in one pass over the
    tree (a CSSSelector per entry would scan the whole page once per entry); compound ones keep
    lxml's CSSSelector."""
    from lxml.cssselect import CSSSelector

    ids, classes, compound = {}, {}, []
    for rank, sel in enumerate(rules()["content_selectors"]):
        if re.fullmatch(r"#[\w-]+", sel):
            ids.setdefault(sel[1:], rank)
        elif re.fullmatch(r"\.[\w-]+", sel):
            classes.setdefault(sel[1:], rank)
        else:
            try:
                compound.append((rank, sel, CSSSelector(sel)))
            except Exception:  # noqa: BLE001 - a bad selector in the data file must not stop cleaning
                continue
    return ids, classes, compound


def _holds_report(el: etree._Element) -> bool:
    n = 0
    for t in el.itertext():  # counted until 50: a container can hold the whole page
        n += len(WS.sub("", t))
        if n >= 50:
            return True
    return el.find(".//table") is not None


WS = re.compile(r"\s+")


def find_content(tree: etree._Element) -> tuple[etree._Element | None, str | None]:
    """The first known CMS content container (in the data file's order) that holds real text or a table."""
    ids, classes, compound = _content_selectors()
    hits: list[tuple[int, int, etree._Element, str]] = []
    for n, el in enumerate(tree.xpath("//*[@id or @class]")):
        rank = ids.get(el.get("id") or "")
        if rank is not None:
            hits.append((rank, n, el, "#" + el.get("id")))
        for c in (el.get("class") or "").split():
            rank = classes.get(c)
            if rank is not None:
                hits.append((rank, n, el, "." + c))
    hits.sort(key=lambda h: (h[0], h[1]))
    best_rank = next((h[0] for h in hits if _holds_report(h[2])), None)
    for rank, sel, select in compound:
        if best_rank is not None and rank > best_rank:
            break
        for el in select(tree):
            if _holds_report(el):
                return el, sel
    for rank, _n, el, sel in hits:
        if rank == best_rank and _holds_report(el):
            return el, sel
    return None, None


def trafilatura_lines(html: str) -> set[str] | None:
    """The paragraphs trafilatura considers main text (normalised, no spaces), or None if it finds none."""
    import trafilatura

    text = trafilatura.extract(html, include_tables=False, include_comments=False, favor_recall=True,
                               include_links=False, deduplicate=False)
    if not text:
        return None
    return {re.sub(r"\s+", "", normalize(ln)) for ln in text.splitlines() if ln.strip()}


# ── metadata (索引号, 发布机构, 发文日期 …) ─────────────────────────────────────────────────────

@functools.lru_cache(maxsize=1)
def _meta_pattern() -> re.Pattern:
    labels = sorted(rules()["meta_labels"], key=len, reverse=True)
    return re.compile(r"(?<![\u4e00-\u9fff])(" + "|".join(map(re.escape, labels)) + r")\s*[:：]\s*")


def parse_meta(text: str) -> dict:
    """'索引号：X 发布机构：Y 发文日期：Z' → {索引号: X, 发布机构: Y, 发文日期: Z}."""
    out: dict = {}
    marks = list(_meta_pattern().finditer(text))
    for k, m in enumerate(marks):
        end = marks[k + 1].start() if k + 1 < len(marks) else len(text)
        value = text[m.end():end].strip(" \t\n|,，;；")
        value = re.split(r"\s{2,}|字体|字号|【|\[|打印|分享|浏览次数|访问量|点击数", value)[0].strip()
        if value and m.group(1) not in out:
            out[m.group(1)] = value
    return out


STRONG_META = ("索引号", "发布机构", "发文日期", "成文日期", "主题分类", "文号", "发文机关", "有效性")


def meta_table(tree: etree._Element) -> tuple[dict, etree._Element | None]:
    """The smallest element carrying two or more metadata labels, parsed; None when there is none.
    Starts from the text nodes that hold a label and walks up, so a large page costs little."""
    best = None  # (labels, -length, element, text): most labels first, then the smallest block
    seen: set = set()
    xpath = "//text()[" + " or ".join(f"contains(., '{w}')" for w in STRONG_META) + "]"
    for node in tree.xpath(xpath):
        el = node.getparent()
        for _ in range(8):
            if el is None or id(el) in seen:
                break
            seen.add(id(el))
            text = " ".join(t.strip() for t in el.itertext() if t.strip())
            if len(text) > 600:
                break
            labels = len({m.group(1) for m in _meta_pattern().finditer(text)} & set(STRONG_META))
            if labels >= 2 and (best is None or (labels, -len(text)) > best[:2]):
                best = (labels, -len(text), el, text)
            el = el.getparent()
    if best is None:
        return {}, None
    return parse_meta(best[3]), best[2]


META_IN_SOURCE = re.compile("(" + "|".join(STRONG_META) + r")\s*(?:[:：]|</)")
SHELL_META = ("来源", "时间", "发布时间", "发布日期", "发文日期", "发布机构", "信息来源", "成文日期")


def _short_text(el: etree._Element, limit: int) -> str | None:
    """el's text runs, stripped and joined by spaces, or None past `limit` characters: read no further than
    that, because a date's parent can be the page's whole content container."""
    parts, n = [], -1
    for t in el.itertext():
        t = t.strip()
        if t:
            n += len(t) + 1
            if n > limit:
                return None
            parts.append(t)
    return " ".join(parts)


def shell_meta(tree: etree._Element) -> dict:
    """'来源：… 时间：…' lines in the page shell (under the title, outside the body container)."""
    out: dict = {}
    for node in tree.xpath("//body//text()[contains(., '来源') or contains(., '时间') or contains(., '日期')]"):
        el = node.getparent()
        if el is None or (isinstance(el.tag, str) and el.tag.lower() in ("script", "style")):
            continue
        text = _short_text(el, 120)
        if text is not None:
            for k, v in parse_meta(normalize(text)).items():
                if k in SHELL_META:
                    out.setdefault(k, v)
    return out


# ── line-level chrome (every document kind, including text dumps of whole pages) ────────────────

def _has_any(line: str, words) -> bool:
    return any(w in line for w in words)


def chrome_line(line: str) -> tuple[bool, dict]:
    """(is this line chrome?, metadata it carried). Only short lines are ever judged chrome, so a
    collapsed dump (the whole body on one line) is never thrown away."""
    r = rules()
    s = normalize(line).strip()
    if not s:
        return False, {}
    if len(s) > 160:
        return False, {}
    meta = parse_meta(s) if len(s) <= 120 else {}
    if any(s.startswith(b) for b in r["breadcrumb_starts"]) and (">" in s or "›" in s or "»" in s or len(s) <= 80):
        return True, meta
    if _has_any(s, r["footer_strong"]) and len(s) <= 120:
        return True, meta
    if _has_any(s, r["footer_weak"]) and len(s) <= 60:
        return True, meta
    if any(s.startswith(w) for w in r["related_starts"]) and len(s) <= 40:
        return True, meta
    if _has_any(s, r["counter_labels"]) and re.search(r"\d", s) and len(s) <= 60:
        return True, meta
    strong = [t for t in r["toolbar_tokens"] if len(t) >= 2]
    if meta or _has_any(s, strong):
        rest = _meta_pattern().sub(" ", s)
        for v in meta.values():
            rest = rest.replace(v, " ")
        for t in sorted(r["toolbar_tokens"], key=len, reverse=True):
            rest = rest.replace(t, " ")
        if len(re.findall(r"[\u4e00-\u9fffA-Za-z0-9]", rest)) <= 3:
            return True, meta
    return False, {}


def strip_chrome_lines(doc: Document) -> Chrome:
    """Drop chrome lines from a document (in place); cut the footer at its first strong marker."""
    result = Chrome()
    kept: list[Row] = []
    r = rules()
    n = len(doc.rows)
    for i, row in enumerate(doc.rows):
        if row.grid:
            kept.append(row)
            continue
        line = row.fields[0] or ""
        s = normalize(line)
        # A strong footer marker in the last part of a page ends the report: everything after is footer.
        if i > n * 0.5 and len(s) <= 120 and _has_any(s, r["footer_strong"]) and not re.search(r"[。；]", s):
            result.removed += [(x.fields[0] or "") for x in doc.rows[i:] if not x.grid]
            kept += [x for x in doc.rows[i:] if x.grid]
            break
        is_chrome, meta = chrome_line(line)
        if is_chrome:
            result.removed.append(line)
            for k, v in meta.items():
                result.page_meta.setdefault(k, v)
        else:
            kept.append(row)
    doc.rows = kept
    return result


def clean_html_tree(tree: etree._Element, html: str) -> tuple[etree._Element, Chrome, dict]:
    """Choose the element to read as the report body. Returns (element, chrome, page-level metadata
    found outside it: the metadata table and the 来源/时间 lines under the title)."""

    chrome = Chrome()
    # a metadata block needs two of its labels, each followed by a colon or a closing tag, somewhere
    # in the page source: one regex pass is far cheaper than the DOM search it saves
    if len({m.group(1) for m in META_IN_SOURCE.finditer(html)}) >= 2:
        meta, table_el = meta_table(tree)
    else:
        meta, table_el = {}, None
    content, sel = find_content(tree)
    if table_el is not None and content is not None and _inside(table_el, content):
        table_el.getparent().remove(table_el)  # parsed into page_meta, not left in the text
    body = tree.find("body") if tree.find("body") is not None else tree
    if content is None:
        chrome.container = None
        keep = trafilatura_lines(html)
        if keep is not None:
            chrome.container = "trafilatura"
            chrome.keep_lines = keep  # type: ignore[attr-defined]
        content = body
    else:
        chrome.container = sel
        for k, v in shell_meta(tree).items():
            meta.setdefault(k, v)
    chrome.page_meta = meta
    return content, chrome, meta


def _inside(el, container) -> bool:
    p = el
    while p is not None:
        if p is container:
            return True
        p = p.getparent()
    return False


def filter_to_main_text(doc: Document, keep: set[str]) -> list[str]:
    """trafilatura fallback: keep tables and the lines trafilatura calls main text; return the rest.

    A line is main text when its key (normalised, no spaces) is one of trafilatura's lines, or — for a
    key of four characters or more — when it contains one of them or is contained in one (trafilatura
    merges and splits paragraphs). Two Aho–Corasick passes answer that for every line at once, in time
    linear in the page's text plus the matches found; comparing each line with each of trafilatura's
    lines was quadratic (20,000 lines: minutes)."""
    keep = {k for k in keep if len(k) >= 2}
    keys = [None if row.grid else re.sub(r"\s+", "", normalize(row.fields[0] or "")) for row in doc.rows]
    main = set(keep)
    loose = {key for key in keys if key and len(key) >= 4 and key not in keep}
    if keep and loose:
        main |= _containing_a_line(loose, keep) | _contained_in_a_line(loose, keep)
    removed, kept = [], []
    for row, key in zip(doc.rows, keys):
        if row.grid or key in main:
            kept.append(row)
        else:
            removed.append(row.fields[0] or "")
    doc.rows = kept
    return removed


def _containing_a_line(keys: set[str], lines: set[str]) -> set[str]:
    """The keys in which one of `lines` occurs."""
    import ahocorasick

    automaton = ahocorasick.Automaton()
    for line in lines:
        automaton.add_word(line, None)
    automaton.make_automaton()
    return {key for key in keys if next(automaton.iter(key), None) is not None}


def _contained_in_a_line(keys: set[str], lines: set[str]) -> set[str]:
    """The keys that occur inside one of `lines` (keys hold no whitespace, so a newline between the
    lines keeps a match within one line)."""
    import ahocorasick

    automaton = ahocorasick.Automaton()
    for key in keys:
        automaton.add_word(key, key)
    automaton.make_automaton()
    found: set[str] = set()
    for _end, key in automaton.iter("\n".join(lines)):
        found.add(key)
    return found
