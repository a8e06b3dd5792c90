"""The demo portal's sites: which reports each one lists, its URL shapes, its listing mechanics and the
page shells it wraps reports in (research/gov-sites.md §2, §4, §7; the real pingtan TRS pages as models).

A site knows its reports as cheap `Spec`s (made for every report at start-up: a few microseconds each);
a report's figures, HTML, PDF or DOCX are built only when its URL is first asked for, then cached.
"""

from __future__ import annotations

import functools
import hashlib
import html as _html
import json
import math
import random
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import quote

from demo import generator as G
from demo.portal.docx_writer import report_docx
from demo.portal.pdf import report_pdf
from demo.portal.web import HTML, SITE_EPOCH, Request, Response, etag_of, html, redirect

CST = timezone(timedelta(hours=8))
E = _html.escape

# Where each synthetic site stands: a real province and level, and a region code of that province's shape
# whose city digits are 99 — no real division uses them, so a 示例 agency never borrows a real place's code.
PLACES = {"trs": ("江苏省", "329900"), "hanweb": ("浙江省", "339901"), "trsdyn": ("福建省", "359901"),
          "jsonapi": ("广东省", "449901"), "gbk": ("内蒙古自治区", "159901"), "hacked": ("河南省", "419901100"),
          "robots": ("湖北省", "429900"), "hostile": ("四川省", "519900"), "antibot": ("陕西省", "619900")}
# quirks sprinkled over the extra reports of a larger portal (never planted failures)
EXTRA_QUIRKS = ["br_headers", "signed_change", "amount_wan", "amount_yi", "prose_with_carried", "title_niandu",
                "subtotals", "word_spans", "blank_cells", "fee_charged"]


@functools.lru_cache(maxsize=256)
def content_of(spec: G.Spec, changed: bool) -> G.Content:
    return G.build(spec, changed)


def article_meta(page: str, spec: G.Spec, end: str = ">") -> str:
    """The page with the CMS's ArticleTitle and PubDate <meta> tags before its <title>."""
    return page.replace("<title>", f'<meta name="ArticleTitle" content="{E(spec.title)}"{end}'
                                   f'<meta name="PubDate" content="{spec.published:%Y-%m-%d %H:%M}"{end}<title>', 1)


def footer(site_name: str, ident: str, icp: str) -> str:
    return (f'<div class="footer"><div class="footer_links"><a href="#">网站地图</a> | <a href="#">联系我们</a> | '
            f'<a href="#">网站声明</a> | <a href="#">使用帮助</a></div>'
            f"<p>主办单位：{E(site_name)}办公室　承办单位：{E(site_name)}大数据中心</p>"
            f"<p><span>网站标识码：{ident}</span>　<span>{icp}</span>　<span>示公网安备 00000000000{ident[-4:]}号</span></p>"
            f"<p>版权所有：{E(site_name)}　建议使用1920×1080分辨率浏览本网站</p></div>")


class Site:
    key = ""
    agency = ""
    area = ""                 # 示例市 …: prefix of department names
    level = ""
    cms = ""
    province = "示例省"
    home = ""                 # portal path
    column = ""               # listing entry path ("" in sites() when discovery is by link text)
    listed_column = True
    docid_base = 100000
    scales = True             # does `size` multiply this site's reports?
    style = "plain"
    ident = "9990000000"
    icp = "示ICP备00000000号"
    expect = "reports"
    in_manifest = True

    def __init__(self, portal, size: int, seed: int):
        self.portal, self.size, self.seed = portal, size, seed
        self.specs = self._make_specs()
        self.by_path = {s.path: s for s in self.specs}
        self.attachments = {s.attachment_path: s for s in self.specs if s.attachment_path}
        self.listed = sorted(self.specs, key=lambda s: (s.published, s.docid), reverse=True)
        self._etags: dict[tuple[str, bool], str] = {}

    # ── reports ──
    def plan(self) -> list[tuple]:
        """(agency, year, quirks, plant, attachment) of the size-1 reports."""
        return []

    def gov_years(self, quirks: dict | None = None, plants: dict | None = None, years=range(2014, 2026)):
        quirks, plants = quirks or {}, plants or {}
        return [(self.agency, y, quirks.get(y, ()), plants.get(y), None) for y in years]

    def extra_agency(self, k: int) -> str:
        return G.department_name(self.area, k)

    def extra_quirks(self, rng: random.Random) -> tuple:
        return (rng.choice(EXTRA_QUIRKS),) if rng.random() < 0.25 else ()

    def _make_specs(self) -> list[G.Spec]:
        plan = list(self.plan())
        if self.scales and self.size > 1:
            rng = random.Random(f"{self.seed}:{self.key}:extras")
            for e in range((self.size - 1) * len(plan)):
                q = self.extra_quirks(rng)
                plan.append((self.extra_agency(e // 12), 2014 + e % 12, q, None, None))
        specs = []
        for idx, (agency, year, quirks, plant, attach) in enumerate(plan):
            rng = random.Random(f"{self.seed}:{self.key}:{idx}:spec")
            published = datetime(year + 1, rng.randint(1, 3), rng.randint(1, 28), rng.randint(8, 17),
                                 rng.randint(0, 59), tzinfo=CST)
            docid = self.docid_base + idx * 37 + rng.randint(0, 30)
            quirks = frozenset(quirks)
            registered = ""
            if "misprinted_name" in quirks and agency in G.MISPRINTS:
                registered, agency = agency, G.MISPRINTS[agency]
            fmt = G.year_format(year)
            layout = None if fmt == "legacy" else ("2019" if "hybrid" in quirks else fmt)
            if "title_niandu" in quirks:
                title = f"{agency}{year}年度政府信息公开工作年度报告"
            elif "title_year_first" in quirks:
                title = f"{year}年{agency}政府信息公开工作年度报告"
            else:
                title = f"{agency}{year}年政府信息公开工作年度报告"
            gov = (registered or agency) == self.agency
            scale = (3.0 if self.level == "city" else 1.5) if gov else (0.3 if agency.endswith("镇人民政府") else 0.6)
            path = self.report_path(published, docid, idx)
            attachment_path = None
            if attach:
                attachment_path = self.attachment_path(published, rng, attach)
            specs.append(G.Spec(site=self.key, idx=idx, agency=agency, year=year, fmt=fmt, layout=layout,
                                published=published, docid=docid, path=path, title=title,
                                seed=f"{self.seed}:{self.key}:{idx}", quirks=quirks, plant=plant,
                                attachment=attach, attachment_path=attachment_path, scale=scale,
                                source=f"{agency}办公室" if gov else agency, registered=registered))
        return specs

    def report_path(self, p: datetime, docid: int, idx: int) -> str:
        raise NotImplementedError

    def attachment_path(self, p: datetime, rng: random.Random, ext: str) -> str:
        raise NotImplementedError

    def changed(self, spec: G.Spec) -> bool:
        return self.portal.generation >= 2 and "gen2" in spec.quirks

    def content(self, spec: G.Spec) -> G.Content:
        return content_of(spec, self.changed(spec))

    def last_modified(self, spec: G.Spec) -> datetime:
        return spec.published + (timedelta(days=45) if self.changed(spec) else timedelta(0))

    # ── pages ──
    def handle(self, req: Request) -> Response | None:
        spec = self.by_path.get(req.path)
        if spec is not None:
            return self.report_response(spec)
        spec = self.attachments.get(req.path)
        if spec is not None:
            return self.attachment_response(spec)
        return None

    def report_response(self, spec: G.Spec) -> Response:
        changed = self.changed(spec)
        resp = Response(content_type=self.content_type, last_modified=self.last_modified(spec), views=True)
        etag = self._etags.get((spec.path, changed))
        if etag is None:        # first request: build the page and remember its ETag
            resp.body = self._page(spec, changed)
            resp.etag = self._etags[(spec.path, changed)] = etag_of(resp.body)
        else:                   # later: a conditional request is answered without building the page
            resp.etag, resp.body_fn = etag, functools.partial(self._page, spec, changed)
        return resp

    content_type = HTML
    encoding = "utf-8"

    @functools.lru_cache(maxsize=512)  # noqa: B019 - sites live as long as the portal
    def _page(self, spec: G.Spec, changed: bool) -> bytes:
        return self.article(spec, content_of(spec, changed)).encode(self.encoding)

    def article(self, spec: G.Spec, content: G.Content) -> str:
        raise NotImplementedError

    def attachment_response(self, spec: G.Spec) -> Response:
        data = self._attachment(spec)
        ctype = "application/pdf" if spec.attachment == "pdf" else \
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        name = quote(f"{spec.title}.{spec.attachment}")
        return Response(body=data, content_type=ctype, last_modified=spec.published,
                        headers=[("Content-Disposition", f"attachment; filename*=UTF-8''{name}")])

    @functools.lru_cache(maxsize=64)  # noqa: B019
    def _attachment(self, spec: G.Spec) -> bytes:
        c = content_of(spec, False)
        if spec.attachment == "pdf":
            return report_pdf(spec.title, c.blocks, spec.agency, date=spec.published.strftime("%Y%m%d%H%M%S+08'00'"))
        return report_docx(spec.title, c.blocks, spec.agency, date=spec.published.replace(tzinfo=None))

    def listing_modified(self, specs) -> datetime:
        return max((s.published for s in specs), default=SITE_EPOCH)

    # ── what the outside sees ──
    def url(self, path: str) -> str:
        return self.portal.base_url + path

    def site_rows(self) -> list[dict]:
        province, code = PLACES.get(self.key, (self.province, ""))
        aliases = ";".join(dict.fromkeys(s.agency for s in self.specs if s.registered == self.agency))
        return [G.registry_row(self.agency, level=self.level, region_code=code, province=province,
                               portal_url=self.url(self.home),
                               column_url=self.url(self.column) if self.listed_column else "", cms=self.cms,
                               aliases=aliases, notes=f"nianbao demo portal site '{self.key}': {self.notes}")]

    def department_rows(self) -> list[dict]:
        """Registry rows of the departments publishing on this portal (no portal of their own), so every
        synthetic agency has a province, a level and a region code."""
        province, code = PLACES.get(self.key, (self.province, ""))
        return [G.registry_row(agency, level="department", region_code=code, province=province,
                               notes=f"nianbao demo portal: a department of {self.agency} (synthetic)")
                for agency in dict.fromkeys(s.registered or s.agency for s in self.specs
                                            if (s.registered or s.agency) != self.agency)]

    notes = ""

    def manifest_entry(self) -> dict:
        reports = [self.report_manifest(s) for s in self.listed] if self.expect == "reports" else []
        return {"agency": self.agency, "cms": self.cms, "portal_url": self.url(self.home),
                "column_url": self.url(self.column), "expect": self.expect, "reports": reports}

    def report_manifest(self, spec: G.Spec) -> dict:
        c = G.figures(spec, self.changed(spec))     # figures only: the manifest never needs the text
        entry = {
            "url": self.url(spec.path), "path": spec.path, "title": spec.title, "agency": spec.agency,
            "registered_agency": spec.registered or spec.agency,
            "year": spec.year, "format": spec.fmt, "applications_layout": spec.layout,
            "published": spec.published.strftime("%Y-%m-%d"),
            "attachments": [self.url(spec.attachment_path)] if spec.attachment_path else [],
            "values_from": self.url(spec.attachment_path or spec.path),
            "values": dict(c.values), "planted_failures": [list(x) for x in c.planted_failures],
            "quirks": sorted(spec.quirks) + ([spec.plant] if spec.plant else []), "spam": list(c.spam),
        }
        return entry


# ── TRS WCM, static publishing (示例市人民政府) ─────────────────────────────────────────────────────

class TrsSite(Site):
    key = "trs"
    agency = "示例市人民政府"
    area = "示例市"
    level = "city"
    cms = "trs"
    home = "/trs/"
    column = "/trs/zwgk/zfxxgk/zfxxgknb/index.html"
    listed_column = False
    docid_base = 100100
    style = "trs"
    ident = "9990000001"
    per_page = 6
    notes = "TRS WCM static; column found by the link text 政府信息公开年报 on the home page; createPageHTML paging"
    base = "/trs/zwgk/zfxxgk/zfxxgknb/"

    def plan(self):
        return self.gov_years(
            quirks={2019: ("amount_yi", "br_headers"), 2020: ("signed_change", "amount_wan", "total_header_variant"),
                    2021: ("word_spans",), 2022: ("subtotals",), 2023: ("gen2",),
                    2024: ("title_niandu", "fee_charged", "prose_with_carried")},
            plants={2025: "planted_review"}) + [
            ("示例市司法局", 2020, ("typos", "blank_cells", "amount_header_unit"), None, None),
            ("示例市市场监督管理局", 2023, ("hybrid", "old_normative_label"), None, None),
            ("示例市教育局", 2022, (), None, "pdf"),
            ("示例市财政局", 2020, ("amount_wan",), None, "docx"),
        ]

    def report_path(self, p, docid, idx):
        return f"{self.base}{p:%Y%m}/t{p:%Y%m%d}_{docid}.html"

    def attachment_path(self, p, rng, ext):
        return f"{self.base}{p:%Y%m}/P0{p:%Y%m%d}{rng.randint(10 ** 11, 10 ** 12 - 1)}.{ext}"

    def pages(self) -> int:
        return max(1, math.ceil(len(self.listed) / self.per_page))

    def handle(self, req):
        r = super().handle(req)
        if r is not None:
            return r
        p = req.path
        if p in ("/trs", "/trs/", "/trs/index.html"):
            return html(self.home_page())
        if p in ("/trs/zwgk/", "/trs/zwgk/index.html"):
            return html(self.simple_page("政务公开", [("政府信息公开", "./zfxxgk/")], "../"))
        if p in ("/trs/zwgk/zfxxgk/", "/trs/zwgk/zfxxgk/index.html"):
            return html(self.simple_page("政府信息公开", [
                ("政府信息公开指南", "./zfxxgkzn/"), ("政府信息公开制度", "./zfxxgkzd/"),
                ("法定主动公开内容", "./fdzdgknr/"), ("政府信息公开年报", "./zfxxgknb/")], "../../"))
        for sub, name in (("zfxxgkzn", "政府信息公开指南"), ("zfxxgkzd", "政府信息公开制度"), ("fdzdgknr", "法定主动公开内容")):
            if p in (f"/trs/zwgk/zfxxgk/{sub}/", f"/trs/zwgk/zfxxgk/{sub}/index.html"):
                return html(self.simple_page(name, [], "../../../", text=f"{self.agency}{name}栏目，内容持续更新。"))
        if p == self.base or p.startswith(self.base + "index"):
            name = p[len(self.base):] or "index.html"
            n = 0
            if name != "index.html":
                stem = name[len("index_"):-len(".html")] if name.startswith("index_") and name.endswith(".html") else ""
                if not stem.isdigit() or stem.startswith("0"):
                    return None
                n = int(stem)
            if n >= self.pages():
                return None
            items = self.listed[n * self.per_page:(n + 1) * self.per_page]
            return html(self.listing(n, items), last_modified=self.listing_modified(items))
        return None

    def nav(self, up: str) -> str:
        return (f'<div class="header"><div class="logo"><a href="{up}">{self.agency}</a></div>'
                f'<ul class="nav"><li><a href="{up}">首页</a></li><li><a href="{up}zwgk/">政务公开</a></li>'
                f'<li><a href="{up}zwgk/zfxxgk/">政府信息公开</a></li><li><a href="javascript:;">互动交流</a></li></ul>'
                '<div class="aged_link"><a href="javascript:void(0);">长者模式</a> <a href="javascript:void(0);">无障碍浏览</a>'
                "</div></div>")

    def home_page(self) -> str:
        return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{self.agency}</title>'
                f'<meta name="SiteName" content="{self.agency}"/><meta name="SiteIDCode" content="{self.ident}"/></head>'
                f'<body>{self.nav("./")}<div class="main"><div class="news"><h3>要闻动态</h3><ul>'
                "<li>示例市召开全市政务公开工作会议</li><li>示例市推进政务服务“一网通办”</li></ul></div>"
                '<div class="xxgk"><h3>政府信息公开</h3><ul>'
                '<li><a href="./zwgk/zfxxgk/zfxxgkzn/">政府信息公开指南</a></li>'
                '<li><a href="./zwgk/zfxxgk/zfxxgkzd/">政府信息公开制度</a></li>'
                '<li><a href="./zwgk/zfxxgk/fdzdgknr/">法定主动公开内容</a></li>'
                '<li><a href="./zwgk/zfxxgk/zfxxgknb/">政府信息公开年报</a></li></ul></div></div>'
                f"{footer(self.agency, self.ident, self.icp)}</body></html>")

    def simple_page(self, name: str, links, up: str, text: str = "") -> str:
        items = "".join(f'<li><a href="{h}">{E(t)}</a></li>' for t, h in links)
        return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{name}_{self.agency}</title></head><body>'
                f'{self.nav(up)}<div class="breadcrumb"><span>当前位置：</span><a href="{up}">首页</a> &gt; {name}</div>'
                f'<div class="content"><h2>{name}</h2><ul>{items}</ul><p>{E(text)}</p></div>'
                f"{footer(self.agency, self.ident, self.icp)}</body></html>")

    def listing(self, n: int, items) -> str:
        lis = "\n".join(
            f'<li><a href="./{s.path[len(self.base):]}" target="_blank" title="{E(s.title)}">{E(s.title)}</a>'
            f'<span class="date">{s.published:%Y-%m-%d}</span></li>' for s in items)
        count = self.pages()
        return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>政府信息公开年报_{self.agency}</title>'
                f'<meta name="ColumnName" content="政府信息公开年报"/><meta name="SiteName" content="{self.agency}"/></head>'
                f'<body>{self.nav("../../../")}<div class="main"><div class="breadcrumb"><span>当前位置：</span>'
                '<a href="../../../">首页</a> &gt; <a href="../../">政务公开</a> &gt; <a href="../">政府信息公开</a> &gt; '
                '<a href="./">政府信息公开年报</a></div>'
                f'<div class="list_box"><div class="list_title">政府信息公开年报</div><ul class="list">\n{lis}\n</ul>'
                f'<div class="page"><script type="text/javascript">var currentPage = {n};//所在页从0开始\n'
                f'var countPage = {count}//共多少页\n'
                f'createPageHTML({count}, {n}, "index", "html");</script></div></div></div>'
                f"{footer(self.agency, self.ident, self.icp)}</body></html>")

    def meta_block(self, spec: G.Spec) -> str:
        return ('<table class="xxgk_table"><tr><td>索引号：</td>'
                f"<td>{self.ident[-6:]}-000{spec.idx:02d}/{spec.published.year}-{spec.docid % 100000:05d}</td>"
                f"<td>主题分类：</td><td>政务公开</td></tr><tr><td>发布机构：</td><td>{E(spec.source)}</td>"
                f"<td>发文日期：</td><td>{spec.published:%Y-%m-%d}</td></tr>"
                "<tr><td>文号：</td><td></td><td>有效性：</td><td>有效</td></tr></table>")

    def article(self, spec, content):
        if spec.attachment:
            name = spec.attachment_path.rsplit("/", 1)[1]
            body = (f'<p style="text-indent: 2em;">现将{E(spec.title)}予以公布，全文详见附件。</p>'
                    f'<p>附件：<a href="./{name}" title="{E(spec.title)}.{spec.attachment}">'
                    f"{E(spec.title)}.{spec.attachment}</a></p>")
        else:
            body = G.body_html(spec, content, self.style)
        return f"""<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8" name="viewport" content="width=device-width, initial-scale=1.0" />
<meta name="SiteName" content="{self.agency}"/>
<meta name="SiteIDCode" content="{self.ident}"/>
<meta name="ColumnName" content="政府信息公开年报"/>
<meta name="ColumnType" content="政府信息公开年报"/>
<meta name="ArticleTitle" content="{E(spec.title)}"/>
<meta name="PubDate" content="{spec.published:%Y-%m-%d %H:%M}"/>
<meta name="ContentSource" content="{E(spec.source)}"/>
<meta name="DocId" content="{spec.docid}"/>
<title>{E(spec.title)}_政府信息公开年报_{self.agency}</title>
<link rel="stylesheet" type="text/css" href="/trs/images/trt_ui_v2.css">
</head>
<body>
<div class="warp info_public_bg">
{self.nav("../../../../")}
<div class="main"><div class="content">
<div class="breadcrumb"><span>当前位置：</span><ul><li><a href="../../../../" title="首页">首页</a></li><li><a href="../../../" title="政务公开">政务公开</a></li><li><a href="../../" title="政府信息公开">政府信息公开</a></li><li><a href="../" title="政府信息公开年报">政府信息公开年报</a></li></ul></div>
{self.meta_block(spec)}
<div class="article_component">
<div class="article_title text_align_center">{E(spec.title)}</div>
<div class="article_extend"><span class="article_source">来源：{E(spec.source)}</span>
<span class="article_time">时间：{spec.published:%Y-%m-%d %H:%M}</span>
<span class="article_views">浏览次数：<em>{{{{nianbao:views}}}}</em></span>
<span class="font_size">字体：[ <a href="javascript:;">大</a> <a href="javascript:;">中</a> <a href="javascript:;">小</a> ]</span></div>
<div class="article_area"><div class="article_content article_content_01 font_family_cn">
<div class=TRS_Editor>{body}</div>
</div></div>
<div class="article_tools"><a href="javascript:window.print();">打印本页</a> <a href="javascript:window.close();">关闭窗口</a></div>
</div></div></div>
{footer(self.agency, self.ident, self.icp)}
</div>
</body>
</html>
"""


# ── Hanweb jcms (示例县人民政府) ───────────────────────────────────────────────────────────────────

class HanwebSite(Site):
    key = "hanweb"
    agency = "示例县人民政府"
    area = "示例县"
    level = "county"
    cms = "hanweb"
    home = "/hanweb/"
    column = "/hanweb/col/col1229000001/index.html"
    docid_base = 4012000
    style = "plain"
    ident = "9990000002"
    per_page = 15
    webid, columnid, unitid = 3021, 1229000001, 4155436
    notes = "Hanweb jcms: first page inside <datastore>, later pages by POST to dataproxy.jsp"

    def plan(self):
        return self.gov_years(quirks={2019: ("signed_change",), 2020: ("misprinted_name",), 2022: ("subtotals",),
                                      2023: ("zero_applications",), 2024: ("title_year_first",)},
                              plants={2021: "planted_row_total"}) + [
            ("示例县教育局", 2021, (), None, None), ("示例县教育局", 2022, ("br_headers",), None, None),
            ("示例县教育局", 2023, (), None, None), ("示例县卫生健康局", 2022, (), None, None),
            ("示例县卫生健康局", 2023, ("hybrid",), None, None), ("示例县卫生健康局", 2024, ("fee_charged",), None, None),
        ]

    def report_path(self, p, docid, idx):
        return f"/hanweb/art/{p.year}/{p.month}/{p.day}/art_{self.columnid}_{docid}.html"

    def record(self, s: G.Spec) -> str:
        return (f'<record><![CDATA[<li><a href="{s.path}" target="_blank" title="{E(s.title)}">{E(s.title)}</a>'
                f"<span>{s.published:%Y-%m-%d}</span></li>]]></record>")

    def nextgroup(self) -> str:
        return (f'<nextgroup><![CDATA[<a href="/hanweb/module/web/jpage/dataproxy.jsp?page=1&appid=1&webid={self.webid}'
                f'&path=/&columnid={self.columnid}&unitid={self.unitid}&webname={self.agency}&permissiontype=0"></a>]]>'
                "</nextgroup>")

    def handle(self, req):
        r = super().handle(req)
        if r is not None:
            return r
        p = req.path
        if p in ("/hanweb", "/hanweb/", "/hanweb/index.html"):
            return html(self.home_page())
        if p in (f"/hanweb/col/col{self.columnid}/", f"/hanweb/col/col{self.columnid}/index.html"):
            return html(self.column_page(), last_modified=self.listing_modified(self.listed))
        if p == "/hanweb/col/col1229000000/index.html":
            return html(self.shell("信息公开", '<ul><li><a href="/hanweb/col/col1229000001/index.html">政府信息公开年报</a>'
                                           "</li></ul>"))
        if p == "/hanweb/module/web/jpage/dataproxy.jsp":
            if req.method != "POST":
                return Response(status=405, body=b"", headers=[("Allow", "POST")], cacheable=False)
            return self.dataproxy(req)
        return None

    def dataproxy(self, req: Request) -> Response:
        form = req.form()
        ok = all((form.get(k) or [""])[0] == str(v) for k, v in
                 (("columnid", self.columnid), ("unitid", self.unitid), ("webid", self.webid)))
        total = len(self.listed) if ok else 0
        try:
            per = int(req.arg("perpage", "15"))
            if req.arg("startrecord"):
                start, end = int(req.arg("startrecord")), int(req.arg("endrecord", str(int(req.arg("startrecord")) + per - 1)))
            else:
                page = int(req.arg("page", "1"))
                start, end = (page - 1) * per + 1, page * per
        except ValueError:
            return Response(status=400, body=b"bad paging parameters", content_type="text/plain", cacheable=False)
        start, end = max(1, start), min(end, start + 99)
        items = self.listed[start - 1:end] if ok else []
        body = ('<?xml version="1.0" encoding="UTF-8"?>\n<datastore>'
                f"{self.nextgroup()}<totalrecord>{total}</totalrecord><totalpage>{math.ceil(total / per)}</totalpage>"
                "<recordset>" + "".join(self.record(s) for s in items) + "</recordset></datastore>")
        return Response(body=body.encode("utf-8"), content_type="text/xml; charset=UTF-8",
                        last_modified=self.listing_modified(items))

    def shell(self, title: str, inner: str, crumbs: str = "") -> str:
        return (f"<!DOCTYPE html><html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\">"
                "<meta name='Generator' content='大汉版通'><meta name='Author' content='大汉网络'>"
                f"<title>{E(title)}</title></head><body>"
                f'<div class="top"><div class="logo">{self.agency}</div><ul class="menu"><li><a href="/hanweb/">首页</a></li>'
                '<li><a href="/hanweb/col/col1229000000/index.html">信息公开</a></li></ul></div>'
                f'<div class="position">您现在的位置：<a href="/hanweb/">首页</a> &gt; {crumbs or E(title)}</div>'
                f"{inner}"
                f"{footer(self.agency, self.ident, self.icp)}"
                "<a href='http://www.hanweb.com' style='display:none'>Produced By 大汉网络 大汉版通发布系统</a>"
                "</body></html>")

    def home_page(self) -> str:
        return self.shell(self.agency, '<div class="xxgk"><h3>政务公开</h3><ul>'
                                       '<li><a href="/hanweb/col/col1229000000/index.html">政府信息公开</a></li>'
                                       f'<li><a href="{self.column}">政府信息公开年报</a></li></ul></div>')

    def column_page(self) -> str:
        first = self.listed[:self.per_page]
        store = (f"<datastore>{self.nextgroup()}<totalrecord>{len(self.listed)}</totalrecord><recordset>"
                 + "".join(self.record(s) for s in first) + "</recordset></datastore>")
        inner = (f'<div class="main"><div class="lm_name">政府信息公开年报</div><div id="{self.unitid}">'
                 f'<script type="text/xml">{store}</script></div>'
                 '<script language="javascript" src="/hanweb/module/jslib/jquery/jpage/jquery.page.min.js"></script>'
                 "<script>$(document).ready(function(){$('#" + str(self.unitid) + "').jpage({dataStore: dataStore, "
                 f"perPage: {self.per_page}, totalRecord: {len(self.listed)}, "
                 "proxyUrl: '/hanweb/module/web/jpage/dataproxy.jsp', groupSize: 1, barPosition: 'bottom', "
                 f"ajaxParam: {{col: 1, appid: 1, webid: {self.webid}, path: '/', columnid: {self.columnid}, "
                 f"sourceContentType: 1, unitid: {self.unitid}, webname: '{self.agency}', permissiontype: 0}}}});}});"
                 "</script></div>")
        return self.shell("政府信息公开年报", inner,
                          '<a href="/hanweb/col/col1229000000/index.html">信息公开</a> &gt; '
                          f'<a href="{self.column}">政府信息公开年报</a>')

    def article(self, spec, content):
        inner = (f'<div class="article"><h1 class="title">{E(spec.title)}</h1>'
                 f'<div class="info"><span>发布日期：{spec.published:%Y-%m-%d}</span>　<span>信息来源：{E(spec.source)}</span>　'
                 f'<span>浏览次数：<span id="hits">{{{{nianbao:views}}}}</span></span>　'
                 '<span>字号：[ <a href="javascript:;">大</a> <a href="javascript:;">中</a> <a href="javascript:;">小</a> ]</span>'
                 f'</div><div id="zoom">{G.body_html(spec, content, self.style)}</div>'
                 '<div class="print"><a href="javascript:window.print()">【打印本页】</a>'
                 '<a href="javascript:window.close()">【关闭窗口】</a></div></div>')
        page = self.shell(spec.title, inner, '<a href="/hanweb/col/col1229000000/index.html">信息公开</a> &gt; '
                                             f'<a href="{self.column}">政府信息公开年报</a>')
        return article_meta(page, spec)


# ── TRS 动静结合 (list2.trsapi), modelled on pingtan-list-index.html (示例新区管委会) ─────────────────────

class TrsDynSite(Site):
    key = "trsdyn"
    agency = "示例新区管委会"
    area = "示例新区"
    level = "county"
    cms = "trs"
    home = "/trsdyn/"
    column = "/trsdyn/zwgk/zfxxgk/zfxxgknb/index.html"
    docid_base = 80500
    style = "trs"
    ident = "9990000003"
    per_page = 10
    max_static = 1
    search_id, chnlid = 300210, 2813
    base = "/trsdyn/zwgk/zfxxgk/zfxxgknb/"
    notes = "TRS 动静结合: static index.html and index_1.htm, later pages from /trsdyn/trsapi/list2 (page 0-based)"

    def plan(self):
        return self.gov_years(quirks={2020: ("amount_header_unit",), 2024: ("word_spans",)},
                              plants={2022: "planted_balance"}) + \
            [("示例新区经济发展局", y, ("subtotals",) if y == 2021 else (), None, None) for y in range(2019, 2024)] + \
            [("示例新区社会事业局", y, (), "planted_prose" if y == 2023 else None, None) for y in range(2021, 2026)]

    def report_path(self, p, docid, idx):
        return f"{self.base}{p:%Y%m}/t{p:%Y%m%d}_{docid}.htm"

    def handle(self, req):
        r = super().handle(req)
        if r is not None:
            return r
        p = req.path
        if p in ("/trsdyn", "/trsdyn/", "/trsdyn/index.html"):
            return html(self.page("示例新区管委会", '<div class="xxgk"><a href="./zwgk/zfxxgk/zfxxgknb/">政府信息公开年报</a></div>', ""))
        if p in (self.base, self.base + "index.html"):
            return html(self.listing(0), last_modified=self.listing_modified(self.listed[:self.per_page]))
        for n in range(1, self.max_static + 1):
            if p == f"{self.base}index_{n}.htm":
                items = self.listed[n * self.per_page:(n + 1) * self.per_page]
                return html(self.listing(n), last_modified=self.listing_modified(items))
        if p == "/trsdyn/trsapi/list2":
            return self.api(req)
        return None

    def api(self, req: Request) -> Response:
        ok = req.arg("channelid") == str(self.search_id) and req.arg("classsql") == f"chnlid={self.chnlid}"
        try:
            page, per = int(req.arg("page", "0")), int(req.arg("prepage", str(self.per_page)))
        except ValueError:
            return Response(status=400, body=b'{"error": "bad page"}', content_type="application/json", cacheable=False)
        per = max(1, min(per, 100))
        items = self.listed[page * per:(page + 1) * per] if ok and page >= 0 else []
        data = {"total": len(self.listed) if ok else 0, "page": page, "prepage": per,
                "data": [{"title": s.title, "url": self.url(s.path), "date": f"{s.published:%Y-%m-%d}"} for s in items]}
        if not ok:
            data["error"] = "channelid/classsql do not match this column"
        return Response(body=json.dumps(data, ensure_ascii=False).encode("utf-8"),
                        content_type="application/json; charset=utf-8", last_modified=self.listing_modified(items))

    def page(self, title, inner, up="../../../") -> str:
        return (f'<!DOCTYPE html><html ms-controller="windowRoot"><head><meta charset="utf-8" />'
                f'<meta name="SiteName" content="{self.agency}"/><meta name="SiteIDCode" content="{self.ident}"/>'
                f"<title>{E(title)}_{self.agency}</title></head><body><div class=\"warp info_public_bg\">"
                f'<div class="header"><div class="logo"><a href="/trsdyn/">{self.agency}</a></div></div>'
                f'<div class="main"><div class="content">{inner}</div></div>'
                f"{footer(self.agency, self.ident, self.icp)}</div></body></html>")

    def listing(self, n: int) -> str:
        items = self.listed[n * self.per_page:(n + 1) * self.per_page]
        dls = "\n".join(f"""
                                        <dl>
                                            <dd class="trt-col-sm-24 slb-trt-col-24 text_align_left">
                                                <a href="./{s.path[len(self.base):]}" target="_blank" title="{E(s.title)}">{E(s.title)}</a>
                                            </dd>
                                            <dd class="trt-col-4 trt-col-sm-24 slb-trt-col-24 text_align_left">
                                                {s.published:%Y-%m-%d}
                                            </dd>
                                        </dl>""" for s in items)
        inner = f"""<div class="breadcrumb"><span>当前位置：</span><ul><li><a href="../../../">首页</a></li><li><a href="../../">政务公开</a></li><li><a href="../">政府信息公开</a></li><li><a href="./">政府信息公开年报</a></li></ul></div>
                            <div class="tabs info_tabs" ms-controller="list">
                                <div class="tabs_header"><ul><li class="on"><a class="cur_def" href="javascript:;">政府信息公开年报</a></li></ul></div>
                                <div class="rules_tabs_01 none_sm slb_none rules_tabs_no_bg"><dl><dt class="trt-col-sm-24 slb-trt-col-24">标题</dt><dt class="trt-col-4 trt-col-sm-24 slb-trt-col-24 text_align_left">发布日期</dt></dl></div>
                                <div class="rules_tabs_01 rules_tabs_no_bg" ms-visible="showStatic">{dls}
                                </div>
                                <div class="rules_tabs_01 rules_tabs_no_bg" ms-visible="!showStatic" style="display: none">
                                    <dl ms-if="list.length>0" ms-repeat="list" ms-if-loop="$index<10">
                                        <dd class="trt-col-sm-24 slb-trt-col-24 text_align_left"><a ms-attr-href="el.chnldocurl" ms-attr-title="el.doctitle" ms-text="el.doctitle|html" target="_blank"></a></dd>
                                        <dd class="trt-col-4 trt-col-sm-24 slb-trt-col-24 text_align_left" ms-text="el.docreltime|date('yyyy-MM-dd')"></dd>
                                    </dl>
                                </div>
                                <div class="page_base mar_t_base" ms-controller="list_pagebar" ms-include-src="pgTemp" ms-if="pageCount>0"></div>
                            </div>
    <script>
    var SiteInfo = {{
        itpSiteId: 21,    //互动站点ID
        searchId: {self.search_id}, //默认的文档检索频道的ID
        defaultPgTemp: "pgBar_pt.html",  //本站点默认的分页模板名
        siteMsgType: "govSite"
    }};
    </script>
    <script>
        require(["list2.trsapi", "tools"], function(listModel, tools) {{
            listModel({{
                quickMode: "动静结合",
                maxStaticIndex: {self.max_static},
                listArgs: {{
                    channelid: SiteInfo.searchId,
                    classsql: "" || "chnlid={self.chnlid}",
                    sortfield: "-docorderpri,-docreltime"
                }},
                pagebar: {{
                    prepage: {self.per_page},
                    recordCount: '{len(self.listed)}',
                    pgTemp: "pgBar_xxgk.html",
                    pgCountMode: "recordCount",
                    displayNum: 2
                }}
            }});
        }});
    </script>"""
        return self.page("政府信息公开年报", inner)

    def article(self, spec, content):
        inner = f"""<div class="breadcrumb"><span>当前位置：</span><ul><li><a href="../../../../">首页</a></li><li><a href="../../../">政务公开</a></li><li><a href="../../">政府信息公开</a></li><li><a href="../">政府信息公开年报</a></li></ul></div>
<div class="article_component"><div class="article_title_group"><div class="article_title text_align_center">{E(spec.title)}</div></div>
<div class="article_extend"><span class="article_source">来源：{E(spec.source)}</span> <span class="article_time bf-pass">时间：{spec.published:%Y-%m-%d %H:%M}</span>
<span class="article_views">阅读量：{{{{nianbao:views}}}}</span></div>
<div class="tabs_hd"><ul><li>全真版</li><li>文字版</li></ul><a class="download">文件下载</a></div>
<div class="article_area"><div class="article_content article_content_01 font_family_cn"><div class=TRS_Editor>{G.body_html(spec, content, self.style)}</div></div></div></div>"""
        page = self.page(spec.title, inner)
        return article_meta(page, spec, end="/>")


# ── a JSON-API column (示例区人民政府) ─────────────────────────────────────────────────────────────

class JsonApiSite(Site):
    key = "jsonapi"
    agency = "示例区人民政府"
    area = "示例区"
    level = "county"
    cms = "jsonapi"
    home = "/jsonapi/"
    column = "/jsonapi/xxgk/nb/"
    docid_base = 3300000
    style = "plain"
    ident = "9990000004"
    per_page = 10
    notes = "JS-rendered column: data-api list endpoint, ?page=N (1-based)&size=10"

    def plan(self):
        return self.gov_years(quirks={2020: ("blank_cells",), 2022: ("th_headers",), 2023: ("prose_with_carried",)},
                              years=range(2019, 2026)) + \
            [("示例区应急管理局", y, ("th_headers",) if y == 2024 else (), None, None) for y in range(2021, 2026)]

    def report_path(self, p, docid, idx):
        return f"/jsonapi/xxgk/nb/content/post_{docid}.html"

    def handle(self, req):
        r = super().handle(req)
        if r is not None:
            return r
        p = req.path
        if p in ("/jsonapi", "/jsonapi/", "/jsonapi/index.html"):
            return html(self.page(self.agency, '<div class="xxgk"><a href="/jsonapi/xxgk/nb/">政府信息公开年报</a></div>'))
        if p in ("/jsonapi/xxgk/nb/", "/jsonapi/xxgk/nb/index.html"):
            return html(self.page("政府信息公开年报",
                                  '<div class="crumb">您所在的位置：<a href="/jsonapi/">首页</a> &gt; 政府信息公开年报</div>'
                                  '<div id="app" class="news-list" data-api="/jsonapi/api/list?column=nb" data-size="10">'
                                  '<ul class="list"></ul><div class="pager"></div></div>'
                                  "<noscript>请开启浏览器的JavaScript功能后浏览本栏目。</noscript>"
                                  '<script src="/jsonapi/static/js/list.js"></script>'),
                        last_modified=self.listing_modified(self.listed))
        if p == "/jsonapi/api/list":
            if req.arg("column") != "nb":
                return Response(body=b'{"total": 0, "page": 1, "data": []}', content_type="application/json",
                                last_modified=SITE_EPOCH)
            try:
                page, size = int(req.arg("page", "1")), int(req.arg("size", str(self.per_page)))
            except ValueError:
                return Response(status=400, body=b'{"error": "bad page"}', content_type="application/json",
                                cacheable=False)
            size = max(1, min(size, 100))
            items = self.listed[(page - 1) * size:page * size] if page >= 1 else []
            data = {"total": len(self.listed), "page": page, "size": size,
                    "data": [{"title": s.title, "url": s.path, "date": f"{s.published:%Y-%m-%d}"} for s in items]}
            return Response(body=json.dumps(data, ensure_ascii=False).encode("utf-8"),
                            content_type="application/json; charset=utf-8", last_modified=self.listing_modified(items))
        return None

    def page(self, title, inner) -> str:
        return (f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{E(title)} - {self.agency}网</title>'
                f'</head><body><header class="gov-header"><a href="/jsonapi/">{self.agency}</a></header>'
                f'<main class="container">{inner}</main>{footer(self.agency, self.ident, self.icp)}</body></html>')

    def article(self, spec, content):
        return self.page(spec.title, (
            f'<div class="crumb">您所在的位置：<a href="/jsonapi/">首页</a> &gt; <a href="/jsonapi/xxgk/nb/">政府信息公开年报</a></div>'
            f'<div class="zw-title"><h1>{E(spec.title)}</h1></div>'
            f'<div class="zw-info"><span>发布时间：{spec.published:%Y-%m-%d %H:%M}</span> <span>来源：{E(spec.source)}</span> '
            f"<span>阅读量：{{{{nianbao:views}}}}</span> <span>字号：<a>大</a> <a>中</a> <a>小</a></span></div>"
            f'<div class="article-content">{G.body_html(spec, content, self.style)}</div>'
            '<div class="zw-share">分享到：<a>微信</a> <a>微博</a></div>'))


# ── an old static site in GB2312 (示例旗人民政府) ────────────────────────────────────────────────────

class GbkSite(Site):
    key = "gbk"
    agency = "示例旗人民政府"
    area = "示例旗"
    level = "county"
    cms = ""
    home = "/gbk/"
    column = "/gbk/xxgk/gknb/list.html"
    docid_base = 1500
    style = "plain"
    ident = "9990000005"
    per_page = 5
    encoding = "gbk"
    content_type = "text/html; charset=utf-8"     # the lie: the bytes are GBK
    notes = "old static site: GBK bytes, <meta charset=gb2312>, HTTP header says utf-8; 下一页/尾页 paging"

    def plan(self):
        return [(self.agency, y, ("stats_table",) if y == 2016 else (), None, None)
                for y in (2012, 2013, 2015, 2016, 2017, 2018, 2020, 2022)]

    def report_path(self, p, docid, idx):
        return f"/gbk/xxgk/gknb/{p:%Y-%m-%d}/{docid}.html"

    def pages(self) -> int:
        return max(1, math.ceil(len(self.listed) / self.per_page))

    def gbk(self, text: str, last_modified=None, views=False) -> Response:
        return Response(body=text.encode("gbk"), content_type=self.content_type,
                        last_modified=last_modified or SITE_EPOCH, views=views)

    def handle(self, req):
        r = super().handle(req)
        if r is not None:
            return r
        p = req.path
        if p in ("/gbk", "/gbk/", "/gbk/index.html"):
            return self.gbk(self.page(self.agency, '<tr><td><a href="/gbk/xxgk/gknb/list.html">信息公开年报</a></td></tr>'))
        if p.startswith("/gbk/xxgk/gknb/list") and p.endswith(".html"):
            stem = p[len("/gbk/xxgk/gknb/list"):-len(".html")]
            if stem == "":
                n = 1
            elif stem.startswith("_") and stem[1:].isdigit() and int(stem[1:]) >= 2:
                n = int(stem[1:])
            else:
                return None
            if n > self.pages():
                return None
            items = self.listed[(n - 1) * self.per_page:n * self.per_page]
            return self.gbk(self.listing(n, items), last_modified=self.listing_modified(items))
        missing = self.gbk(self.page("404 页面不存在", f"<tr><td>您访问的页面不存在：{E(p)}</td></tr>"))
        missing.status, missing.cacheable = 404, False
        return missing

    def page_url(self, n: int) -> str:
        return "list.html" if n == 1 else f"list_{n}.html"

    def listing(self, n: int, items) -> str:
        rows = "".join(f'<tr><td class="list_t">·<a href="/gbk/xxgk/gknb/{s.path[len("/gbk/xxgk/gknb/"):]}" target="_blank">'
                       f"{E(s.title)}</a></td><td class=\"list_d\">[{s.published:%Y-%m-%d}]</td></tr>" for s in items)
        last = self.pages()
        nav = [f"共{len(self.listed)}条记录 第{n}/{last}页 ", f'<a href="{self.page_url(1)}">首页</a> ']
        nav.append(f'<a href="{self.page_url(n - 1)}">上一页</a> ' if n > 1 else "上一页 ")
        nav.append(f'<a href="{self.page_url(n + 1)}">下一页</a> ' if n < last else "下一页 ")
        nav.append(f'<a href="{self.page_url(last)}">尾页</a>')
        return self.page("信息公开年报", f'<tr><td>您现在的位置：<a href="/gbk/">首页</a> &gt;&gt; 政务公开 &gt;&gt; 信息公开年报</td></tr>'
                                   f'<tr><td><table width="100%" class="list">{rows}</table></td></tr>'
                                   f'<tr><td align="center" class="page">{"".join(nav)}</td></tr>')

    def page(self, title, rows) -> str:
        return (f'<html><head><meta charset="gb2312"><meta http-equiv="Content-Type" content="text/html; charset=gb2312">'
                f"<title>{E(title)}</title></head><body><table width=\"980\" align=\"center\" class=\"top\"><tr><td>"
                f"{self.agency}门户网站</td></tr></table><table width=\"980\" align=\"center\" class=\"main\">{rows}</table>"
                f'<table width="980" align="center" class="foot"><tr><td>版权所有：{self.agency}　'
                f"网站标识码：{self.ident}　蒙ICP备00000005号</td></tr></table></body></html>")

    def article(self, spec, content):
        return self.page(spec.title, (
            '<tr><td>您现在的位置：<a href="/gbk/">首页</a> &gt;&gt; 政务公开 &gt;&gt; '
            '<a href="/gbk/xxgk/gknb/list.html">信息公开年报</a></td></tr>'
            f'<tr><td align="center" class="title"><b>{E(spec.title)}</b></td></tr>'
            f'<tr><td align="center">发布时间：{spec.published:%Y-%m-%d}　来源：{E(spec.source)}　点击数：{{{{nianbao:views}}}}　'
            '【字体：<a href="javascript:;">大</a> <a href="javascript:;">中</a> <a href="javascript:;">小</a>】</td></tr>'
            f'<tr><td id="info_content">{G.body_html(spec, content, self.style)}</td></tr>'
            '<tr><td align="right">【<a href="javascript:window.print()">打印本页</a>】'
            '【<a href="javascript:window.close()">关闭窗口</a>】</td></tr>'))


# ── generic sites: hacked, robots, hostile ────────────────────────────────────────────────────────

class GenericSite(Site):
    cms = ""
    style = "plain"
    container = "pages_content"
    column_dir = ""

    def column_paths(self):
        return (self.column_dir, self.column_dir + "index.html")

    def handle(self, req):
        r = super().handle(req)
        if r is not None:
            return r
        p = req.path
        if p in (self.home.rstrip("/"), self.home, self.home + "index.html"):
            return html(self.page(self.agency, f'<div class="xxgk"><h3>政务公开</h3><a href="{self.column}">'
                                               f"政府信息公开年报</a></div>"))
        if p in self.column_paths():
            return html(self.listing(), last_modified=self.listing_modified(self.listed))
        return None

    def links(self) -> list[tuple[str, str, str]]:
        return [(s.path, s.title, f"{s.published:%Y-%m-%d}") for s in self.listed]

    def listing(self) -> str:
        lis = "".join(f'<li><a href="{p}" target="_blank">{E(t)}</a><span>{d}</span></li>' for p, t, d in self.links())
        return self.page("政府信息公开年报", f'<div class="crumb">当前位置：<a href="{self.home}">首页</a> &gt; 政府信息公开年报</div>'
                                      f'<ul class="list">{lis}</ul>')

    def page(self, title, inner) -> str:
        return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{E(title)}</title></head><body>'
                f'<div class="head">{self.agency}</div><div class="main">{inner}</div>'
                f"{footer(self.agency, self.ident, self.icp)}</body></html>")

    def article(self, spec, content):
        return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{E(spec.title)}</title>'
                f'<meta name="ArticleTitle" content="{E(spec.title)}"></head><body>'
                f'<div class="head">{self.agency}</div>'
                f'<div class="crumb">当前位置：<a href="{self.home}">首页</a> &gt; <a href="{self.column}">政府信息公开年报</a></div>'
                f'<h1 class="article-title">{E(spec.title)}</h1>'
                f'<div class="article-info">发布日期：{spec.published:%Y-%m-%d}　信息来源：{E(spec.source)}　'
                f"浏览量：{{{{nianbao:views}}}}</div>"
                f'<div class="{self.container}" id="UCAP-CONTENT">{G.body_html(spec, content, self.style)}</div>'
                f"{footer(self.agency, self.ident, self.icp)}</body></html>")


class HackedSite(GenericSite):
    key = "hacked"
    agency = "示例镇人民政府"
    area = "示例镇"
    level = "township"
    home = "/hacked/"
    column_dir = "/hacked/xxgk/xxgknb/"
    column = "/hacked/xxgk/xxgknb/index.html"
    docid_base = 7000
    ident = "9990000006"
    notes = "a hacked site: hidden casino links in the body, 365体育投注 substituted for 习近平; tables intact"

    def plan(self):
        return [(self.agency, 2021, ("hidden_spam",), None, None),
                (self.agency, 2022, ("hidden_spam", "keyword_spam"), None, None),
                (self.agency, 2023, ("keyword_spam",), None, None)]

    def extra_quirks(self, rng):
        return rng.choice([("hidden_spam",), ("keyword_spam",), ("hidden_spam", "keyword_spam")])

    def report_path(self, p, docid, idx):
        return f"/hacked/xxgk/xxgknb/{p:%Y%m}/{hashlib.md5(f'{self.seed}:{docid}'.encode()).hexdigest()}.shtml"


class RobotsSite(GenericSite):
    key = "robots"
    agency = "示例局"
    level = "department"
    home = "/robots/"
    column_dir = "/robots/xxgk/ndbg/"
    column = "/robots/xxgk/ndbg/index.html"
    docid_base = 9000
    ident = "9990000007"
    scales = False
    expect = "robots"
    notes = "/robots.txt disallows /robots/xxgk/ndbg/: the column must never be fetched"

    def plan(self):
        return [(self.agency, 2022, (), None, None), (self.agency, 2023, (), None, None)]

    def report_path(self, p, docid, idx):
        return f"/robots/xxgk/ndbg/{p:%Y%m}/t{p:%Y%m%d}_{docid}.html"

    def manifest_entry(self):
        e = super().manifest_entry()
        e["disallowed"] = self.column_dir
        e["never_fetch"] = [self.url(self.column)] + [self.url(s.path) for s in self.listed]
        return e


HUGE_SIZE = 51 * 1024 * 1024     # above the crawler's DOWNLOAD_MAXSIZE (50 MB)


class HostileSite(GenericSite):
    key = "hostile"
    agency = "示例办公室"
    level = "department"
    home = "/hostile/"
    column_dir = "/hostile/xxgk/ndbg/"
    column = "/hostile/xxgk/ndbg/index.html"
    docid_base = 5000
    ident = "9990000008"
    container = "xl_content"
    scales = False
    notes = "a redirect loop, an off-domain redirect, a truncated body, a 50 MB page, a near-empty shell, one good report"
    TRAPS = {
        "/hostile/loop/a": ("redirect loop /hostile/loop/a → /hostile/loop/b → /hostile/loop/a", "error", 2022),
        "/hostile/xxgk/ndbg/offsite.html": ("302 to http://example.invalid/…: must not be followed", "error", 2021),
        "/hostile/xxgk/ndbg/truncated.html": ("Content-Length 20000, 5000 bytes sent, then the connection closes",
                                              "error", 2020),
        "/hostile/xxgk/ndbg/huge.html": (f"a {HUGE_SIZE} byte page, streamed (above DOWNLOAD_MAXSIZE)", "error", 2019),
        "/hostile/xxgk/ndbg/shell.html": ("200 with a near-empty shell (< 200 bytes of text)", "empty", 2018),
    }

    def plan(self):
        return [(self.agency, 2023, (), None, None)]

    def report_path(self, p, docid, idx):
        return f"/hostile/xxgk/ndbg/{p:%Y%m}/t{p:%Y%m%d}_{docid}.html"

    def links(self):
        out = super().links()
        for path, (_what, _expect, year) in self.TRAPS.items():
            out.append((path, f"{self.agency}{year}年政府信息公开工作年度报告", f"{year + 1}-02-01"))
        return out

    def handle(self, req):
        p = req.path
        if p == "/hostile/loop/a":
            return redirect("/hostile/loop/b")
        if p == "/hostile/loop/b":
            return redirect("/hostile/loop/a")
        if p == "/hostile/xxgk/ndbg/offsite.html":
            return redirect("http://example.invalid/xxgk/ndbg/2021/report.html")
        if p == "/hostile/xxgk/ndbg/truncated.html":
            text = self.article(self.specs[0], self.content(self.specs[0])).encode("utf-8")[:5000]
            return Response(body=text, length=20000, cacheable=False)
        if p == "/hostile/xxgk/ndbg/huge.html":
            return Response(stream=huge_chunks, length=HUGE_SIZE, cacheable=False)
        if p == "/hostile/xxgk/ndbg/shell.html":
            return Response(body=SHELL.encode("utf-8"), last_modified=SITE_EPOCH)
        return super().handle(req)

    def manifest_entry(self):
        e = super().manifest_entry()
        e["traps"] = [{"url": self.url(p), "behaviour": what, "expect": exp} for p, (what, exp, _y) in self.TRAPS.items()]
        return e


SHELL = ('<!DOCTYPE html><html><head><meta charset="utf-8"><title>加载中</title></head><body><div id="app"></div>'
         '<script src="/hostile/static/app.js"></script></body></html>')


def huge_chunks():
    """HUGE_SIZE bytes of HTML in 64 KB chunks, never held in memory at once."""
    head = ('<!DOCTYPE html><html><head><meta charset="utf-8"><title>示例办公室2019年政府信息公开工作年度报告</title>'
            '</head><body><div class="xl_content">').encode("utf-8")
    tail = b"</div></body></html>"
    para = "<p>　　本段文字用于填充页面。</p>\n".encode("utf-8")
    chunk = para * (65536 // len(para))
    yield head
    left = HUGE_SIZE - len(head) - len(tail)
    while left > 0:
        piece = chunk[:left]
        yield piece
        left -= len(piece)
    yield tail


# ── a WAF that answers 412 (瑞数-like) ───────────────────────────────────────────────────────────

class AntibotSite(Site):
    key = "antibot"
    agency = "示例委员会"
    level = "department"
    home = "/antibot/"
    column = "/antibot/xxgk/ndbg/index.html"
    scales = False
    expect = "blocked"
    notes = "every page answers HTTP 412 with a $_ts challenge (瑞数-like): record as blocked, do not retry in a loop"

    def plan(self):
        return []

    def handle(self, req):
        if req.path == "/antibot" or req.path.startswith("/antibot/"):
            return Response(status=412, body=CHALLENGE.encode("utf-8"), cacheable=False,
                            headers=[("Set-Cookie", "FSSBBIl1UgzbN7N80S=Qx7dK2mNcVbA1oZp; Path=/antibot/; HttpOnly"),
                                     ("Cache-Control", "no-store")])
        return None


CHALLENGE = """<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<meta id="9DhefwqGPrzGxEp9hPaoag" content="kE0XbWxQ8dSbdOZ1cQd2Ct7pHq3Vv8sJ_0Yh2bT4uMfLwA9rNc1" r='m'>
<script type="text/javascript">$_ts=window['$_ts'];if(!$_ts)$_ts={};$_ts.nsd=48213;$_ts.cd="qEcqrrAlxGaEcGgEqqqEqcEqrGgqtqqgrsVqcGEqrsVqcqAlqGqlrGEcqaAcrGA7qGLqqGLqrGTEcaEcqsgqrGqcqcE9qqEmrRAqqcqqrq3cqqlx";$_ts.cp=["_$Ab","_$kZ"];</script>
<script type="text/javascript" charset="utf-8" src="/antibot/4QbVtADbnLVIc/c.FxJzG50F.dfe1675.js" r='m'></script>
</head><body></body></html>"""


# ── real pages, unmodified (only with corpus_dir) ─────────────────────────────────────────────────

class RealSite(Site):
    key = "real"
    agency = "平潭综合实验区"
    level = "city"
    cms = "trs"
    home = "/real/pingtan/"
    column = "/real/pingtan/zwgk/zfxxgk/zfxxgknb/index.html"
    scales = False
    PINGTAN = "/real/pingtan/zwgk/zfxxgk/zfxxgknb/"
    HUAIAN = "/real/huaian/xxgk/ndbg/"
    PAGES = {
        "index.html": ("pingtan/pingtan-list-index.html", datetime(2026, 3, 13, 9, 0, tzinfo=CST)),
        "202302/t20230220_80629.htm": ("pingtan/pingtan-2022-report.html", datetime(2023, 2, 20, 9, 0, tzinfo=CST)),
        "202503/t20250310_97791.htm": ("pingtan/pingtan-2024-report.html", datetime(2025, 3, 10, 15, 35, tzinfo=CST)),
    }
    FILES = {
        "202402/P020240220381726354901.pdf": ("huaian/hongze-2023-report.pdf", "洪泽区人民政府",
                                              "洪泽区人民政府2023年政府信息公开工作年度报告", 2023,
                                              datetime(2024, 2, 20, 10, 0, tzinfo=CST)),
        "202503/P020250305417263549082.pdf": ("huaian/huaian-2024-report.pdf", "淮安市人民政府",
                                              "淮安市人民政府2024年政府信息公开工作年度报告", 2024,
                                              datetime(2025, 3, 5, 10, 0, tzinfo=CST)),
    }

    def __init__(self, portal, size, seed, corpus_dir: Path):
        self.corpus = Path(corpus_dir)
        super().__init__(portal, size, seed)

    def read(self, rel: str) -> bytes:
        return (self.corpus / rel).read_bytes()

    def handle(self, req):
        p = req.path
        if p in ("/real/pingtan/", "/real/pingtan/index.html"):
            return html(f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>平潭综合实验区</title></head><body>'
                        f'<a href="{self.column}">政府信息公开年报</a></body></html>')
        if p == self.PINGTAN:
            p = self.PINGTAN + "index.html"
        if p.startswith(self.PINGTAN) and p[len(self.PINGTAN):] in self.PAGES:
            rel, when = self.PAGES[p[len(self.PINGTAN):]]
            return Response(body=self.read(rel), last_modified=when)
        if p in ("/real/huaian/", "/real/huaian/index.html"):
            return html('<!DOCTYPE html><html><head><meta charset="utf-8"><title>淮安市人民政府</title></head><body>'
                        f'<a href="{self.HUAIAN}index.html">政府信息公开年报</a></body></html>')
        if p in (self.HUAIAN, self.HUAIAN + "index.html"):
            return html(self.huaian_listing(), last_modified=max(f[4] for f in self.FILES.values()))
        if p.startswith(self.HUAIAN) and p[len(self.HUAIAN):] in self.FILES:
            rel, *_rest, when = self.FILES[p[len(self.HUAIAN):]]
            return Response(body=self.read(rel), content_type="application/pdf", last_modified=when)
        return None

    def huaian_listing(self) -> str:
        lis = "".join(f'<li><a href="./{name}" target="_blank" title="{E(title)}">{E(title)}</a>'
                      f'<span class="date">{when:%Y-%m-%d}</span></li>'
                      for name, (_rel, _agency, title, _year, when) in sorted(self.FILES.items(), reverse=True))
        return ('<!DOCTYPE html><html><head><meta charset="utf-8"><title>政府信息公开年报_淮安市人民政府</title></head><body>'
                '<div class="breadcrumb"><span>当前位置：</span><a href="../../">首页</a> &gt; <a href="../">信息公开</a> &gt; '
                f'<a href="./">政府信息公开年报</a></div><ul class="list">{lis}</ul>'
                '<div class="page"><script type="text/javascript">createPageHTML(1, 0, "index", "html");</script></div>'
                "</body></html>")

    def site_rows(self):
        return [
            G.registry_row("平潭综合实验区", level="city", region_code="350128", province="福建省",
                           portal_url=self.url("/real/pingtan/"), column_url=self.url(self.column), cms="trs",
                           notes="nianbao demo portal site 'real': the real pingtan listing and two real report pages, "
                                 "unmodified"),
            G.registry_row("淮安市人民政府", level="city", region_code="320800", province="江苏省",
                           portal_url=self.url("/real/huaian/"), column_url=self.url(self.HUAIAN + "index.html"),
                           cms="trs", notes="nianbao demo portal site 'real': a generated TRS listing of two real PDF "
                                            "reports, unmodified"),
        ]

    def manifest_entry(self):
        listing = self.read(self.PAGES["index.html"][0]).decode("utf-8")
        listed = re.findall(r'href="\./(\d{6}/t\d{8}_\d+\.htm)"', listing)
        reports = []
        for name, year in (("202302/t20230220_80629.htm", 2022), ("202503/t20250310_97791.htm", 2024)):
            title = f"平潭综合实验区{year}年度政府信息公开工作年度报告"
            reports.append({"url": self.url(self.PINGTAN + name), "path": self.PINGTAN + name, "title": title,
                            "agency": "平潭综合实验区", "year": year, "format": "2021", "applications_layout": "2021",
                            "published": self.PAGES[name][1].strftime("%Y-%m-%d"), "attachments": [],
                            "values_from": self.url(self.PINGTAN + name), "values": {}, "values_known": False,
                            "planted_failures": [], "quirks": ["real"], "spam": []})
        for name, (_rel, agency, title, year, when) in sorted(self.FILES.items()):
            url = self.url(self.HUAIAN + name)
            reports.append({"url": url, "path": self.HUAIAN + name, "title": title, "agency": agency, "year": year,
                            "format": "2021", "applications_layout": "2019" if "洪泽" in agency else "2021",
                            "published": None, "listed_date": when.strftime("%Y-%m-%d"), "attachments": [url],
                            "values_from": url,
                            "values": {}, "values_known": False, "planted_failures": [], "quirks": ["real"],
                            "spam": []})
        return {"agency": self.agency, "cms": "trs", "portal_url": self.url(self.home),
                "column_url": self.url(self.column), "expect": "reports", "reports": reports,
                "columns": [self.url(self.column), self.url(self.HUAIAN + "index.html")],
                "not_found": [self.url(self.PINGTAN + n) for n in listed if n not in self.PAGES]}


SITE_CLASSES = [TrsSite, HanwebSite, TrsDynSite, JsonApiSite, GbkSite, HackedSite, RobotsSite, AntibotSite,
                HostileSite]
ROBOTS_TXT = "User-agent: *\nDisallow: /robots/xxgk/ndbg/\n"
