"""Agency, year reported on, publication date and title."""

from __future__ import annotations

import re

REPORT_WORDS = r"(?:政府)?信息公开(?:工作)?(?:年度)?(?:报告|年报)|政务公开(?:工作)?年度报告|年度报告"
TITLE_LINE = re.compile(r"(?:\d{4}\s*年度?)?.{0,40}?(?:" + REPORT_WORDS + r")")
YEAR_IN_TITLE = re.compile(r"((?:19|20)\d{2})\s*年")
PERIOD = re.compile(r"(?:统计期限|统计周期|统计时限|所列数据)[^。]{0,20}?((?:19|20)\d{2})\s*年?\s*1\s*月\s*1\s*日")
CN_DIGITS = {"○": 0, "〇": 0, "零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
AGENCY_LINE = re.compile(r"[^。,:;]{2,30}(?:年度?|[市县区旗盟州省乡镇]|公署|政府|办公室|委员会|局|厅|委|院|中心)")
AGENCY_SUFFIX = r"(?:人民政府办公室|人民政府|行政公署|管委会|管理委员会|委员会|办公室|政府|局|厅|委|署|办)"


def find_title(lines: list[str], doc_title: str | None) -> str | None:
    """The report's title: a line near the top that names it an annual report, with a short line
    just before it prefixed when the title was broken in two ('巴青县2019年度' / '政府信息公开工作年度报告')."""
    if doc_title and re.search(REPORT_WORDS, doc_title):
        return _clean_title(doc_title)
    head = [re.sub(r"^[#\s]+|^标题:\s*", "", ln).strip() for ln in lines[:12] if ln.strip()]
    for k, ln in enumerate(head[:8]):
        if len(ln) > 60 or re.search(r">|位置|首页", ln):
            continue
        title = None
        if TITLE_LINE.fullmatch(ln):
            title = ln
        elif k + 1 < len(head) and TITLE_LINE.fullmatch(ln + head[k + 1]) and re.search(r"\d{4}", ln):
            title = ln + head[k + 1]  # a title broken over two lines ('…政府信息公开工作' / '年度报告')
        if title is None:
            continue
        if k and AGENCY_LINE.fullmatch(head[k - 1]) and not re.search(REPORT_WORDS, head[k - 1]):
            title = head[k - 1] + title  # '巴青县2019年度' / '政府信息公开工作年度报告'
        return _clean_title(title)
    return None


def _clean_title(title: str) -> str:
    title = re.sub(r"\s*[-_|].{0,30}(?:网|门户|政府网站)$", "", title.strip())
    # TRS <title>s append the column and the site: '…年度报告_政府信息公开年报_示例市人民政府'
    title = re.sub(r"(?<=报告|年报)\s*[_|–—-].*$", "", title)
    # PDF text puts spaces around digits ('2024 年上海市…'); spaces between two names are printed ones.
    return re.sub(r"(?<=\d)\s+(?=[\u4e00-\u9fff])|(?<=[\u4e00-\u9fff])\s+(?=\d)", "", title).strip()


def agency_from_title(title: str | None) -> str | None:
    if not title:
        return None
    m = re.match(r"^(.*?)\s*(?:关于)?\s*(?:(?:19|20)\d{2}\s*年度?)", title)
    name = m.group(1) if m else ""
    if not name.strip():
        # '2024年上海市科委政府信息公开工作年度报告': the agency follows the year
        rest = re.sub(r"^\s*(?:(?:19|20)\d{2}\s*年度?)", "", title)
        name = re.split(REPORT_WORDS, rest)[0]
    name = name.strip(" ,:;-")
    return name or None


def agency_from_text(text: str) -> str | None:
    """For a report without a title (seed 004): '阿拉山口市对2018年政府信息公开进行梳理'."""
    patterns = [
        r"(?:^|[。,;)\n])\s*([\u4e00-\u9fff]{2,24}?)对\s*(?:19|20)\d{2}\s*年(?:度)?政府信息公开",
        r"由([\u4e00-\u9fff]{2,24}?" + AGENCY_SUFFIX + r")(?:根据|编制|制作)",
        r"本报告由([\u4e00-\u9fff]{2,24}?" + AGENCY_SUFFIX + r")",
    ]
    for p in patterns:
        m = re.search(p, text[:3000])
        if m:
            name = m.group(1)
            name = re.sub(r"^(?:的相关要求|相关要求|要求|规定)", "", name)
            return name
    return None


def find_year(title: str | None, text: str) -> int | None:
    if title:
        m = YEAR_IN_TITLE.search(title)
        if m:
            return int(m.group(1))
    m = PERIOD.search(text)
    if m:
        return int(m.group(1))
    # 'tolerate 20201月': a year fused with the month
    m = re.search(r"统计期限[^。]{0,10}?((?:19|20)\d{2})\s*1\s*月\s*1\s*日", text)
    if m:
        return int(m.group(1))
    m = re.search(r"((?:19|20)\d{2})\s*年(?:度)?(?:政府信息公开|政务公开)(?:工作)?(?:年度)?报告", text[:3000])
    if m:
        return int(m.group(1))
    m = re.search(r"((?:19|20)\d{2})\s*年\s*1\s*月\s*1\s*日\s*(?:起)?\s*(?:至|到)", text)
    if m:
        return int(m.group(1))
    return None


def _cn_number(s: str) -> int | None:
    """'二○一四' → 2014 (digit by digit); '十' → 10, '二十三' → 23."""
    if all(c in CN_DIGITS for c in s):
        return int("".join(str(CN_DIGITS[c]) for c in s))
    m = re.fullmatch(r"([一二三]?)十([一二三四五六七八九]?)", s)
    if m:
        return (CN_DIGITS.get(m.group(1), 1) if m.group(1) else 1) * 10 + (CN_DIGITS[m.group(2)] if m.group(2) else 0)
    return None


def _date(y: int, mo: int, d: int) -> str | None:
    if 1990 <= y <= 2100 and 1 <= mo <= 12 and 1 <= d <= 31:
        return f"{y:04d}-{mo:02d}-{d:02d}"
    return None


def find_published(page_meta: dict, text: str) -> str | None:
    for label in ("发布日期", "发布时间", "发文日期", "成文日期", "公开日期", "日期", "时间"):
        v = page_meta.get(label)
        if v:
            m = re.search(r"((?:19|20)\d{2})\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})", v)
            if m:
                return _date(*map(int, m.groups()))
    m = re.search(r"(?:发布时间|发布日期|时间)\s*[:]?\s*((?:19|20)\d{2})\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})", text[:2000])
    if m:
        return _date(*map(int, m.groups()))
    # A signed date on a line of its own near the end (or under the title): 2026年1月23日 / 二○一四年一月十日
    lines = [ln.strip(" ()") for ln in text.splitlines() if ln.strip()]
    for ln in lines[-8:][::-1] + lines[:6]:
        m = re.fullmatch(r"((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日", ln)
        if m:
            return _date(*map(int, m.groups()))
        m = re.search(r"([○〇零一二三四五六七八九]{4})年([一二三四五六七八九十]{1,3})月([一二三四五六七八九十]{1,3})日\s*$", ln)
        if m:
            y, mo, d = (_cn_number(g) for g in m.groups())
            if None not in (y, mo, d):
                return _date(y, mo, d)
    return None
