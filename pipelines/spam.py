"""Find and remove injected spam; record every finding as evidence a person can check.

Three families (research/spam.md):
* hidden elements and link blocks in the DOM (`find_hidden_spam`): removed, and reported, only when the
  hidden block carries a spam signal — a lexicon hit in its text, links to hosts that are themselves spam
  (a lexicon hit in the host name, a cheap TLD), or an iframe to a non-government host. Government pages
  hide menus and tabs legitimately — including tab panels of 友情链接 / 新闻媒体 links to non-government
  media sites — so neither hiding nor non-government links alone accuse anybody.
* words substituted into the body (`remove_inline_spam`): a brand where the leader's name stood before
  新时代中国特色社会主义思想 is restored, anywhere else it is removed; pinyin insertion is undone.
* mirrors (`mirror_findings`): a host that is neither .gov.cn nor in the site registry, or a title stuffed
  with spam phrases → the page is quarantined (stored, extracted, never published as a report).

Precision matters more than recall: the lexicon (pipelines/data/spam_lexicon.json) is brands and
compounds, an allow-list guards legitimate report vocabulary, and a sentence about enforcement
(查处, 打击 …) is never flagged.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from urllib.parse import urlsplit

from lxml import etree

from extract.document import Document
from extract.normalize import ZERO_WIDTH, normalize

DATA = Path(__file__).with_name("data")
PINYIN = re.compile(r"(?<=[\u4e00-\u9fff])[(（]([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]{1,6}(?:\s*/\s*[a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]{1,6})*)[)）]")


@functools.lru_cache(maxsize=1)
def lexicon() -> dict:
    return json.loads((DATA / "spam_lexicon.json").read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=1)
def spam_pattern() -> re.Pattern:
    words = lexicon()["gambling"] + lexicon()["porn"]
    return re.compile("|".join(map(re.escape, sorted(words, key=len, reverse=True))), re.I)


def finding(kind: str, text: str, where: str, action: str, context: str = "") -> dict:
    f = {"kind": kind, "text": text[:200], "where": where, "action": action}
    if context:
        f["context"] = context[:300]
    return f


def _enforcement_context(text: str, start: int, end: int) -> bool:
    a = max(text.rfind(c, 0, start) for c in "。；;!?\n") + 1
    ends = [i for i in (text.find(c, end) for c in "。；;!?\n") if i >= 0]
    sentence = text[a:min(ends) if ends else len(text)]
    return any(w in sentence for w in lexicon()["enforcement_words"])


def _allowed(text: str, start: int, end: int) -> bool:
    """True when the match overlaps legitimate vocabulary ('胶东半岛体育旅游' holds 半岛体育;
    '欧洲杯竞猜型体育彩票' shares 竞猜 with an official lottery name): ambiguous is not flagged."""
    for word in lexicon()["allow_context"]:
        lo = max(0, start - len(word))
        for m in re.finditer(re.escape(word), text[lo:end + len(word)]):
            s = lo + m.start()
            if s < end and s + len(word) > start:
                return True
    return False


def spam_hits(text: str) -> list[re.Match]:
    """Lexicon matches that are not legitimate vocabulary and not in a sentence about enforcement."""
    plain = ZERO_WIDTH.sub("", text)
    return [m for m in spam_pattern().finditer(plain)
            if not _allowed(plain, m.start(), m.end()) and not _enforcement_context(plain, m.start(), m.end())]


# ── hosts ───────────────────────────────────────────────────────────────────────────────────────

def is_gov_host(host: str, registry_hosts: frozenset[str] | set[str] = frozenset()) -> bool:
    from crawler.addresses import is_government_host  # what a host is: crawler/addresses.py

    return is_government_host(host, registry_hosts)


def _external_hosts(el: etree._Element, registry_hosts) -> list[str]:
    hosts = []
    for a in el.iter("a"):
        href = (a.get("href") or "").strip()
        if href.lower().startswith(("http://", "https://", "//")):
            host = urlsplit(href if not href.startswith("//") else "http:" + href).hostname or ""
            if host and not is_gov_host(host, registry_hosts):
                hosts.append(host)
    return hosts


# ── the DOM: hidden blocks, link farms, redirect scripts ───────────────────────────────────────

HIDING = [
    re.compile(r"display\s*:\s*none"),
    re.compile(r"visibility\s*:\s*hidden"),
    re.compile(r"(?<![-\w])font-size\s*:\s*0+(?:\.0+)?(?:px|pt|em|rem|%)?\s*(?:;|!|$)"),
    re.compile(r"(?<![-\w])line-height\s*:\s*0+(?:px|pt|em)?\s*(?:;|!|$)"),
    re.compile(r"(?<![-\w])opacity\s*:\s*0+(?:\.0+)?\s*(?:;|!|$)"),
    re.compile(r"text-indent\s*:\s*-\d{3,}"),
    re.compile(r"(?<![-\w])(?:top|left|right|margin-left|margin-top)\s*:\s*-\d{3,}"),
    re.compile(r"translate[xy]?\(\s*-\d{3,}"),
    re.compile(r"clip\s*:\s*rect\(\s*0[^)]*\)"),
]
ZERO_BOX = (re.compile(r"(?<![-\w])(?:width|height)\s*:\s*0+(?:px)?\s*(?:;|!|$)"), re.compile(r"overflow\s*:\s*hidden"))


@functools.lru_cache(maxsize=4096)
def hiding_declaration(style: str) -> str | None:
    """The declaration that hides an element, if any (any letter case). Cached: Word-exported pages
    repeat the same long mso- style on every cell."""
    s = (style or "").lower()
    for rx in HIDING:
        m = rx.search(s)
        if m:
            return m.group().rstrip(";! ")
    if ZERO_BOX[0].search(s) and (ZERO_BOX[1].search(s) or len(ZERO_BOX[0].findall(s)) >= 2):
        return "zero size"
    return None


def hidden_selectors(tree: etree._Element) -> dict[str, str]:
    """`.class` / `#id` rules in <style> blocks whose declarations hide → {selector: declaration}."""
    out: dict[str, str] = {}
    for style in tree.iter("style"):
        for sels, body in css_rules(style.text or ""):
            decl = hiding_declaration(body)
            if not decl:
                continue
            for sel in sels.split(","):
                sel = sel.strip()
                m = re.fullmatch(r"(?:[a-zA-Z]+)?([.#][\w-]+)", sel)
                if m:
                    out[m.group(1).lower()] = decl
    return out


def strip_css_comments(css: str) -> str:
    r"""/* … */ removed in one pass (a lazy `/\*.*?\*/` rescans to the end from every unclosed `/*`)."""
    out, pos = [], 0
    while True:
        start = css.find("/*", pos)
        if start < 0:
            out.append(css[pos:])
            return "".join(out)
        out.append(css[pos:start])
        end = css.find("*/", start + 2)
        if end < 0:
            return "".join(out)
        pos = end + 2


def css_rules(css: str) -> list[tuple[str, str]]:
    r"""(selectors, declarations) of each `selectors { declarations }` rule, innermost braces, in one
    pass over the text — `([^{}]+)\{([^{}]*)\}` backtracks quadratically over a style without braces."""
    rules = []
    for chunk in strip_css_comments(css).split("}")[:-1]:
        head, brace, body = chunk.rpartition("{")
        if brace:
            sels = head.rsplit("{", 1)[-1].rsplit("}", 1)[-1]
            if sels.strip():
                rules.append((sels, body))
    return rules


def css_path(el: etree._Element, positions: dict | None = None) -> str:
    """A CSS path a person can paste into the browser's inspector to find the element."""
    parts = []
    while el is not None and isinstance(el.tag, str) and el.tag.lower() not in ("html",):
        tag = el.tag.lower()
        part = tag
        if el.get("id"):
            part += f"#{el.get('id')}"
        else:
            cls = (el.get("class") or "").split()
            if cls:
                part += "." + cls[0]
            parent = el.getparent()
            if parent is not None:
                nth, count = _nth_of_type(parent, el, tag, positions)
                if count > 1:
                    part += f":nth-of-type({nth})"
        parts.append(part)
        if el.get("id"):
            break
        el = el.getparent()
    return " > ".join(reversed(parts))


def _nth_of_type(parent, el, tag: str, positions: dict | None) -> tuple[int, int]:
    """(1-based position of el among its parent's `tag` children, how many there are). With a cache
    dict, each parent's children are counted once per page (8,000 sibling findings stay linear)."""
    if positions is None:
        same = [c for c in parent if isinstance(c.tag, str) and c.tag.lower() == tag]
        return same.index(el) + 1, len(same)
    key = (parent, tag)
    if key not in positions:
        same = [c for c in parent if isinstance(c.tag, str) and c.tag.lower() == tag]
        positions[key] = ({c: i + 1 for i, c in enumerate(same)}, len(same))
    index, count = positions[key]
    return index[el], count


def _within(el, marked: set) -> bool:
    """Whether el or one of its ancestors is in `marked` (a walk up the tree: depth, not page size)."""
    while el is not None:
        if el in marked:
            return True
        el = el.getparent()
    return False


def _why_hidden(el: etree._Element, rules: dict[str, str]) -> str | None:
    style = el.get("style")
    if style:
        decl = hiding_declaration(style)
        if decl:
            return decl
    if el.get("hidden") is not None:
        return "hidden attribute"
    if rules:
        for c in (el.get("class") or "").split():
            if "." + c.lower() in rules:
                return f".{c} {{{rules['.' + c.lower()]}}}"
        if el.get("id") and "#" + el.get("id").lower() in rules:
            return f"#{el.get('id')} {{{rules['#' + el.get('id').lower()]}}}"
    tag = el.tag.lower() if isinstance(el.tag, str) else ""
    if tag == "marquee":
        try:
            amount = int(re.sub(r"\D", "", el.get("scrollamount") or "0") or 0)
        except ValueError:
            amount = 0
        h = re.sub(r"\D", "", el.get("height") or "") or (re.findall(r"height\s*:\s*(\d+)", (el.get("style") or "").lower()) or [""])[0]
        if amount >= 100:
            return f"marquee scrollamount={amount}"
        if h and int(h) <= 5:
            return f"marquee height={h}"
    if tag == "iframe":
        w, h = el.get("width") or "", el.get("height") or ""
        if w.strip() in ("0", "0px", "1") or h.strip() in ("0", "0px", "1"):
            return f"iframe {w}x{h}"
    return None


def _candidates(tree: etree._Element, rules: dict[str, str]) -> list[etree._Element]:
    """Elements that could be hiding something: a style, the hidden attribute, a marquee or iframe, or
    a class/id named by a hiding <style> rule — one XPath union, returned in document order."""
    parts = ["//*[@style or @hidden]", "//marquee", "//iframe"]
    if rules:
        # one test per element in Python (_why_hidden looks the class/id up in `rules`), not one XPath
        # predicate per rule: a <style> of 8,000 hiding rules would make that rules × elements
        parts.append("//*[@class or @id]")
    return tree.xpath(" | ".join(parts))


def _spam_links(tree: etree._Element, registry_hosts) -> list[etree._Element]:
    """<a> elements pointing at a non-government host whose anchor text or host is spam."""
    out = []
    suspicious = tuple(lexicon()["suspicious_tlds"])
    for a in tree.xpath("//a[starts-with(@href, 'http') or starts-with(@href, '//')]"):
        href = a.get("href") or ""
        host = urlsplit(href if not href.startswith("//") else "http:" + href).hostname or ""
        if host and not is_gov_host(host, registry_hosts):
            if spam_hits("".join(a.itertext())) or spam_hits(host) or host.endswith(suspicious):
                out.append(a)
    return out


def find_hidden_spam(tree: etree._Element, registry_hosts=frozenset()) -> list[dict]:
    """Hidden blocks with spam signals, link farms and redirect scripts: recorded, then removed."""
    findings: list[dict] = []
    rules = hidden_selectors(tree)
    doomed: list[etree._Element] = []
    marked: set = set()       # doomed, for the ancestor test (linear: no scan of every doomed block)
    positions: dict = {}      # css_path's sibling counts, once per parent
    for el in _candidates(tree, rules):
        if not isinstance(el.tag, str) or (marked and _within(el, marked)):
            continue
        tag = el.tag.lower()
        if tag in ("script", "style", "head", "title", "meta", "html", "body", "link"):
            continue
        why = _why_hidden(el, rules)
        if not why:
            continue
        text = " ".join(t.strip() for t in el.itertext() if t.strip())
        hosts = _external_hosts(el, registry_hosts)
        src_host = urlsplit(el.get("src") or "").hostname if tag == "iframe" else None
        signal = spam_hits(text) or any(_spam_host(h) for h in hosts) or (
            src_host and not is_gov_host(src_host, registry_hosts))
        if not signal:
            continue
        shown = text or (" ".join(sorted(set(hosts))) if hosts else (el.get("src") or ""))
        findings.append(finding("hidden_element", shown, css_path(el, positions), "removed", f"hidden by {why}"))
        doomed.append(el)
        marked.add(el)
    # Visible blocks of links to non-government hosts whose anchors or hosts are spam: the tightest
    # element holding three or more of them. Every ancestor's count is taken once; blocks are then
    # taken deepest first, each with the links no deeper block took (as re-counting after each block
    # would, without the quadratic re-count).
    links = [a for a in _spam_links(tree, registry_hosts) if not _within(a, marked)]
    if len(links) >= 3:
        counts: dict = {}
        for a in links:
            p = a.getparent()
            while p is not None:
                counts[p] = counts.get(p, 0) + 1
                p = p.getparent()
        order = {el: i for i, el in enumerate(counts)}
        blocks = sorted((el for el, c in counts.items() if c >= 3),
                        key=lambda el: (-sum(1 for _ in el.iterancestors()), order[el]))
        farm_links = set(links)
        taken: set = set()
        for block in blocks:
            inside = [a for a in block.iter("a") if a in farm_links and a not in taken]
            if len(inside) < 3:
                continue
            described = [f"{''.join(a.itertext()).strip()} <{urlsplit(a.get('href') or '').hostname}>" for a in inside]
            findings.append(finding("link_farm", "; ".join(described), css_path(block, positions), "removed",
                                    f"{len(inside)} links to non-government hosts"))
            doomed.append(block)
            taken.update(inside)
    for el in tree.iter("script"):
        code = el.text or ""
        if _search_engine_redirect(code, registry_hosts):
            # the target first: a long script would otherwise be cut (≤ 200 characters) before it
            targets = [u for u in dict.fromkeys(SCRIPT_TARGET.findall(code)) if not SEARCH_ENGINES.search(u)
                       and not is_gov_host(urlsplit(u if u.startswith("http") else "http:" + u).hostname, registry_hosts)]
            shown = re.sub(r"\s+", " ", code).strip()
            if targets:
                shown = "→ " + " ".join(targets) + " | " + shown
            findings.append(finding("redirect_script", shown, css_path(el, positions), "removed",
                                    "redirects visitors who arrive from a search engine"))
            doomed.append(el)
    for el in tree.iter("meta"):
        if (el.get("http-equiv") or "").lower() == "refresh":
            m = re.search(r"url\s*=\s*['\"]?([^'\" >]+)", el.get("content") or "", re.I)
            host = urlsplit(m.group(1)).hostname if m else None
            if host and not is_gov_host(host, registry_hosts):
                findings.append(finding("redirect_script", el.get("content") or "", css_path(el), "removed",
                                        "meta refresh to a non-government host"))
                doomed.append(el)
    for el in doomed:
        _remove_keep_tail(el)
    findings += _shadowed_title(tree)
    return findings


def _spam_host(host: str) -> bool:
    return bool(spam_hits(host)) or host.endswith(tuple(lexicon()["suspicious_tlds"]))


SEARCH_ENGINES = re.compile(r"baidu|sogou|so\.com|sm\.cn|bing|google|haosou|360\.cn", re.I)
NAVIGATION = re.compile(r"(?<![\w$])(?:(?:window|top|self|parent|document)\.)?location(?:\.href)?\s*=(?!=)"
                        r"|\blocation\.(?:replace|assign)\s*\(|\bwindow\.open\s*\(")
WRITES = re.compile(r"document\.write(?:ln)?\s*\(|\.innerHTML\s*=(?!=)")
SCRIPT_URL = re.compile(r"(?:https?:)?//([a-z0-9][a-z0-9.-]*\.[a-z]{2,})", re.I)
SCRIPT_TARGET = re.compile(r"(?:https?:)?//[a-z0-9][a-z0-9.-]*\.[a-z]{2,}[^\s'\"<>()\\]*", re.I)


def _search_engine_redirect(code: str, registry_hosts=frozenset()) -> bool:
    """A script that looks at document.referrer for a search engine and then sends the visitor away
    (spam.md §1.5). Reading the referrer and location.href for visit statistics is not a redirect: the
    script must assign location / call location.replace|assign / window.open (to a non-government or
    computed target), or document.write / innerHTML something from a non-government host."""
    if "document.referrer" not in code or not SEARCH_ENGINES.search(code):
        return False
    hosts = [h for h in SCRIPT_URL.findall(code) if not SEARCH_ENGINES.search(h)]
    foreign = [h for h in hosts if not is_gov_host(h, registry_hosts)]
    if NAVIGATION.search(code):
        return bool(foreign) or not hosts
    return bool(WRITES.search(code) and foreign)


def _stuffed_title(title: str) -> list[str]:
    """The spam phrases of a title stuffed with them (two distinct lexicon hits, or one and three phrases)."""
    phrases = title_spam_phrases(title or "")
    strong = spam_hits(normalize(title or ""))
    if title and (len({m.group().lower() for m in strong}) >= 2 or (strong and len(phrases) >= 3)):
        return list(dict.fromkeys(phrases))
    return []


def _shadowed_title(tree: etree._Element) -> list[dict]:
    """A mirror that stuffs <title> but keeps the cloned page's ArticleTitle meta: the reader takes the
    meta as the title (extract.readers.html.page_title), so mirror_findings never sees the <title>."""
    meta = tree.xpath('//meta[@name="ArticleTitle"]/@content') or tree.xpath('//meta[@name="articletitle"]/@content')
    if not meta or not meta[0].strip():
        return []
    el = next(iter(tree.iter("title")), None)
    title = " ".join((el.text or "").split()) if el is not None else ""
    if not title or title == " ".join(meta[0].split()):
        return []
    phrases = _stuffed_title(title)
    if not phrases:
        return []
    return [finding("mirror_title", title, css_path(el), "quarantined",
                    "title stuffed with spam phrases: " + ", ".join(phrases))]


def _remove_keep_tail(el: etree._Element) -> None:
    parent = el.getparent()
    if parent is None:
        return
    prev = el.getprevious()
    if el.tail:
        if prev is not None:
            prev.tail = (prev.tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
    parent.remove(el)


def _is_ancestor(a, b) -> bool:
    p = b.getparent()
    while p is not None:
        if p is a:
            return True
        p = p.getparent()
    return False


# ── words in the body ───────────────────────────────────────────────────────────────────────────

def remove_inline_spam(doc: Document, source_text: str = "") -> list[dict]:
    """Restore or remove substituted spam words in every line and cell (in place); undo pinyin."""
    findings: list[dict] = []
    leaders = lexicon()["leader_names"]
    cursor = 0
    whole = "\n".join(f for row in doc.rows for f in row.fields if f)
    if not spam_pattern().search(ZERO_WIDTH.sub("", whole)):
        return undo_pinyin(doc, source_text, whole)  # one pass over the text: most pages are clean
    for row in doc.rows:
        for j, field in enumerate(row.fields):
            if not field:
                continue
            text = field
            if ZERO_WIDTH.search(text):
                text = ZERO_WIDTH.sub("", text)
            hits = spam_hits(text)
            if not hits:
                row.fields[j] = text if text != field else field
                continue
            out, last = [], 0
            for m in hits:
                after = text[m.end():m.end() + 20]
                restored = next((name for phrase, name in leaders.items() if re.match(r"\s*" + phrase, after)), None)
                where, cursor = _where(source_text, m.group(), cursor)
                ctx = text[max(0, m.start() - 30):m.end() + 30]
                if restored:
                    findings.append(finding("keyword_substitution", m.group(), where, "restored",
                                            f"{ctx} → {restored}"))
                    out += [text[last:m.start()], restored]
                else:
                    findings.append(finding("keyword_substitution", m.group(), where, "removed", ctx))
                    out.append(text[last:m.start()])
                last = m.end()
            out.append(text[last:])
            row.fields[j] = "".join(out)
    findings += undo_pinyin(doc, source_text, whole)
    return findings


def undo_pinyin(doc: Document, source_text: str = "", whole: str | None = None) -> list[dict]:
    """'文(wen)章(zhang)' → '文章' when a document carries three or more such insertions."""
    if whole is not None and len(PINYIN.findall(whole)) < 3:
        return []
    samples = []
    for row in doc.rows:
        for f in row.fields:
            if f:
                samples += [m.group() for m in PINYIN.finditer(f)]
    if len(samples) < 3:
        return []
    for row in doc.rows:
        row.fields = [PINYIN.sub("", f) if f else f for f in row.fields]
    first = samples[0]
    where, _ = _where(source_text, first, 0)
    return [finding("pinyin_obfuscation", " ".join(samples[:12]), where, "removed",
                    f"{len(samples)} pinyin insertions after characters")]


def _where(source: str, needle: str, start: int) -> tuple[str, int]:
    """'char N' of the decoded page where the spam text stands (searching on from the last one)."""
    if source:
        i = source.find(needle, start)
        if i < 0:
            i = source.find(needle)
        if i >= 0:
            line = source.count("\n", 0, i) + 1
            return f"char {i} (line {line}) of the decoded page", i + len(needle)
        # the page may carry the word split by zero-width characters (raw or as entities): 澳\u200b门…
        split = re.compile(ZW_BETWEEN.join(map(re.escape, needle)), re.I)
        m = split.search(source, start) or split.search(source)
        if m:
            line = source.count("\n", 0, m.start()) + 1
            return f"char {m.start()} (line {line}) of the decoded page", m.end()
    return "text of the document", start


ZW_BETWEEN = ("(?:[\u200b\u200c\u200d\u2060\ufeff\u00ad]"
              "|&(?:#(?:8203|8204|8205|8288|65279|173)|#x(?:200b|200c|200d|2060|feff|ad)|zwsp|zwnj|zwj|shy);)*")


# ── mirrors ─────────────────────────────────────────────────────────────────────────────────────

def title_spam_phrases(title: str) -> list[str]:
    lx = lexicon()
    t = normalize(title or "")
    strong = [m.group() for m in spam_hits(t)]
    weak = [w for w in lx["title_only"] if w.lower() in t.lower()]
    return strong + weak


def mirror_findings(url: str | None, title: str | None, registry_hosts=frozenset()) -> list[dict]:
    out = []
    host = urlsplit(url).hostname if url else None
    if host and not is_gov_host(host, registry_hosts):
        from crawler.addresses import known_mirror

        known = known_mirror(host)
        why = "host is neither under .gov.cn nor in the site registry"
        if known:
            why = f"known {known['mirror_type']} host (copies {known['copies']}): {why}"
        out.append(finding("mirror_host", host, url or "", "quarantined", why))
    phrases = _stuffed_title(title or "")
    if phrases:
        out.append(finding("mirror_title", title, "head > title", "quarantined",
                           "title stuffed with spam phrases: " + ", ".join(phrases)))
    return out
