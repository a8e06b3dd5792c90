"""CMS listing adapters (crawler/cms) on saved listing pages (tests/fixtures/listings).

The one real page is pingtan-list-index.html, a byte-for-byte copy of ../shared/corpus/pingtan/pingtan-list-index.html
(平潭综合实验区's 年报 column; source in ../shared/corpus/SOURCES.md: changwu/pingtan-gov-zwgk-archive,
`pingtan/zwgk/zfxxgk/zfxxgknb/_lists/index.html` @ 6115fd44c19b346a6b58795ceaf18cc339f2e809). The others are faithful
reproductions of the CMS patterns of ../shared/research/gov-sites.md §2–3 for fictional agencies.
"""

from __future__ import annotations

import json

from conftest import FIXTURES, shared

from crawler.cms.adapters import ADAPTERS, adapter_for, read
from crawler.cms.base import Link, PageRequest
from crawler.cms.discovery import candidates, column_key, find_columns, find_hubs
from crawler.cms.generic import GenericAdapter, is_attachment, report_year
from crawler.cms.jsonapi import JsonApiAdapter
from crawler.cms.trs import TRSAPI_LIST2, TrsAdapter, dynamic_config

LISTINGS = FIXTURES / "listings"
FORM_HEADERS = (("Content-Type", "application/x-www-form-urlencoded"),)


def page(name: str, encoding: str = "utf-8") -> str:
    return (LISTINGS / name).read_bytes().decode(encoding)


# ── TRS 动静结合 on the real pingtan page ──────────────────────────────────────────────────────────

PINGTAN = "https://www.pingtan.gov.cn/zwgk/zfxxgk/zfxxgknb/"
PINGTAN_REPORTS = [
    ("202603/t20260313_105587.htm", 2025), ("202503/t20250310_97791.htm", 2024), ("202403/t20240308_87885.htm", 2023),
    ("202302/t20230220_80629.htm", 2022), ("202202/t20220208_80613.htm", 2021), ("202103/t20210305_80595.htm", 2020),
    ("202001/t20200120_80576.htm", 2019), ("201901/t20190110_80529.htm", 2018), ("201801/t20180123_80506.htm", 2017),
    ("201701/t20170118_80485.htm", 2016),
]


def test_pingtan_fixture_is_the_corpus_page_byte_for_byte():
    assert (LISTINGS / "pingtan-list-index.html").read_bytes() == \
        shared("corpus", "pingtan", "pingtan-list-index.html").read_bytes()


def test_pingtan_static_first_page_gives_its_ten_reports():
    text = page("pingtan-list-index.html")
    adapter = adapter_for(PINGTAN, text)
    assert adapter.name == "trs"
    links = adapter.report_links(PINGTAN, text)
    assert links == [Link(PINGTAN + path, f"平潭综合实验区{year}年度政府信息公开工作年度报告")
                     for path, year in PINGTAN_REPORTS]
    assert [report_year(link.title) for link in links] == list(range(2025, 2015, -1))
    assert not any(is_attachment(link.url) for link in links)


def test_pingtan_dynamic_config_and_next_pages():
    text = page("pingtan-list-index.html")
    # listModel({quickMode: "动静结合", maxStaticIndex: 1, listArgs: {channelid: SiteInfo.searchId,
    #   classsql: "" || "chnlid=1813"}, pagebar: {prepage: 10, recordCount: '20'}}), SiteInfo.searchId = 200210
    assert dynamic_config(PINGTAN, text) == {"channelid": "200210", "classsql": "chnlid=1813", "prepage": 10,
                                             "recordCount": 20, "maxStaticIndex": 1}
    # 20 records, 10 a page: pages 0 and 1, both static (≤ maxStaticIndex) → only index_1.htm, no API call
    assert TrsAdapter().next_pages(PINGTAN, text) == [PageRequest(PINGTAN + "index_1.htm")]
    # the page's own menu names the column nlist.htm: static pages are named after the page
    assert TrsAdapter().next_pages(PINGTAN + "nlist.htm", text) == [PageRequest(PINGTAN + "nlist_1.htm")]


def test_pingtan_config_with_more_records_goes_to_the_list2_api():
    text = page("pingtan-list-index.html").replace("recordCount: '20'", "recordCount: '45'")
    api = "https://www.pingtan.gov.cn/trsapi/list2?channelid=200210&classsql=chnlid%3D1813&page={}&prepage=10"
    assert TRSAPI_LIST2 == "{root}trsapi/list2?channelid={channelid}&classsql={classsql}&page={page}&prepage={prepage}"
    # 45 records → pages 0…4: 0 and 1 static, 2–4 from the API (0-based, the static pages' numbering)
    assert TrsAdapter().next_pages(PINGTAN, text) == [
        PageRequest(PINGTAN + "index_1.htm"),
        PageRequest(api.format(2), kind="api"), PageRequest(api.format(3), kind="api"),
        PageRequest(api.format(4), kind="api"),
    ]
    # from the second static page: the API pages (page 0, the column's entry page, is not guessed)
    assert TrsAdapter().next_pages(PINGTAN + "index_1.htm", text) == [
        PageRequest(api.format(2), kind="api"), PageRequest(api.format(3), kind="api"),
        PageRequest(api.format(4), kind="api"),
    ]
    # under a path prefix (the demo portal's /trsdyn/) the API lives under the same prefix
    demo = "http://127.0.0.1:8000/trsdyn/zwgk/zfxxgk/zfxxgknb/index.html"
    assert TrsAdapter().next_pages(demo, text)[1] == PageRequest(
        "http://127.0.0.1:8000/trsdyn/trsapi/list2?channelid=200210&classsql=chnlid%3D1813&page=2&prepage=10",
        kind="api")


def test_trs_list2_api_answer():
    url = "https://www.pingtan.gov.cn/trsapi/list2?channelid=200210&classsql=chnlid%3D1813&page=2&prepage=10"
    answer = json.dumps({"total": 45, "data": [
        {"title": "平潭综合实验区2015年度政府信息公开工作年度报告", "url": "/zwgk/zfxxgk/zfxxgknb/201601/t20160120_80400.htm",
         "date": "2016-01-20"},
        {"doctitle": "平潭综合实验区2014年度政府信息公开工作年度报告",
         "chnldocurl": "https://www.pingtan.gov.cn/zwgk/zfxxgk/zfxxgknb/201501/t20150121_80300.htm"},
        {"title": "关于开展政务公开日活动的通知", "url": "/zwgk/tzgg/201501/notice.html"},
    ]}, ensure_ascii=False)
    adapter = adapter_for(url, answer)
    assert adapter.name == "trs"
    assert adapter.report_links(url, answer) == [
        Link("https://www.pingtan.gov.cn/zwgk/zfxxgk/zfxxgknb/201601/t20160120_80400.htm",
             "平潭综合实验区2015年度政府信息公开工作年度报告"),
        Link("https://www.pingtan.gov.cn/zwgk/zfxxgk/zfxxgknb/201501/t20150121_80300.htm",
             "平潭综合实验区2014年度政府信息公开工作年度报告"),
    ]
    # page 2 of 0…4: the next one is page 3; page 4 is the last
    assert adapter.next_pages(url, answer) == [PageRequest(url.replace("page=2", "page=3"), kind="api")]
    last = url.replace("page=2", "page=4")
    assert adapter.next_pages(last, answer) == []


# ── TRS static publishing: createPageHTML ──────────────────────────────────────────────────────────

TRS_COLUMN = "http://www.shilishi.gov.cn/zwgk/zfxxgk/zfxxgknb/"


def test_trs_createpage_listing():
    url = TRS_COLUMN + "index_1.html"
    text = page("trs-createpage-index_1.html")
    adapter = adapter_for(url, text)
    assert adapter.name == "trs"
    assert adapter.report_links(url, text) == [
        # the title attribute wins over the truncated visible text
        Link(TRS_COLUMN + "202303/t20230314_3123456.html", "示例市财政局2022年政府信息公开工作年度报告"),
        Link(TRS_COLUMN + "202303/t20230310_3120001.html", "示例市交通运输局2022年度政府信息公开工作年度报告"),
        # not a report title, but a TRS article inside the column
        Link(TRS_COLUMN + "202303/t20230301_3110002.html", "关于调整政府信息公开年报栏目的说明"),
        Link(TRS_COLUMN + "202302/t20230227_3100003.html", "示例市审计局2022年政府信息公开工作年度报告"),
        Link(TRS_COLUMN + "202302/P020230228396512345678.pdf", "示例市审计局2022年政府信息公开工作年度报告（PDF版）"),
        Link(TRS_COLUMN + "202202/t20220125_2900004.html", "示例市统计局2021年政府信息公开工作年度报告"),
    ]  # not: the menu/breadcrumb "政府信息公开年度报告" (./), the side-box notice and the 《…》解读 page
    assert [is_attachment(link.url) for link in adapter.report_links(url, text)] == [False] * 4 + [True, False]
    # createPageHTML(4, 1, "index", "html"): pages 2 and 3 (page 0 is the entry page the crawl came in by)
    assert adapter.next_pages(url, text) == [PageRequest(TRS_COLUMN + "index_2.html"),
                                             PageRequest(TRS_COLUMN + "index_3.html")]
    # from page 0 (the column's directory URL)
    first = text.replace("createPageHTML(4, 1,", "createPageHTML(4, 0,")
    assert adapter.next_pages(TRS_COLUMN, first) == [PageRequest(TRS_COLUMN + f"index_{k}.html") for k in (1, 2, 3)]


def test_trs_createpage_variants():
    trs = TrsAdapter()
    # the "list" page name and .shtml
    listing = "http://www.nxgy.gov.cn/xxgk/gknb/list.shtml"
    text = '<div class="page"><script>createPageHTML(3, 0, "list", "shtml");</script></div>'
    assert trs.detect(listing, text)
    assert trs.next_pages(listing, text) == [PageRequest("http://www.nxgy.gov.cn/xxgk/gknb/list_1.shtml"),
                                             PageRequest("http://www.nxgy.gov.cn/xxgk/gknb/list_2.shtml")]
    # variables instead of literals, single quotes, .htm
    text = ("<script>var countPage = 3//共多少页\nvar currentPage = 2;//当前页\n"
            "createPageHTML(countPage, currentPage, 'index', 'htm');</script>")
    assert trs.next_pages("http://a.gov.cn/ndbg/index_2.htm", text) == [PageRequest("http://a.gov.cn/ndbg/index_1.htm")]
    # in-article paging
    article = "http://a.gov.cn/zfxxgknb/201510/t20151009_67430.html"
    text = '<script>createPageHTML(3, 0,"t20151009_67430","html")</script>'
    assert trs.next_pages(article, text) == [
        PageRequest("http://a.gov.cn/zfxxgknb/201510/t20151009_67430_1.html"),
        PageRequest("http://a.gov.cn/zfxxgknb/201510/t20151009_67430_2.html")]
    # one page only: nothing more; the function's definition (no quoted arguments) is not a call
    assert trs.next_pages(listing, '<script>createPageHTML(1, 0, "index", "html")</script>') == []
    assert not trs.detect(listing, "<script>function createPageHTML(_nPageCount, _nCurrIndex, _sPageName, _sPageExt){}"
                                   "</script>")


# ── Hanweb jcms ────────────────────────────────────────────────────────────────────────────────────

HANWEB = "http://www.shilixian.gov.cn"
HANWEB_FORM = (("col", "1"), ("appid", "1"), ("webid", "3"), ("path", "/"), ("columnid", "1229000001"),
               ("sourceContentType", "1"), ("unitid", "4041"), ("webname", "示例县人民政府"), ("permissiontype", "0"))
HANWEB_FIRST = [
    ("2025/1/20", 4500115, "示例县人民政府2024年"), ("2025/1/18", 4500114, "示例县教育局2024年"),
    ("2025/1/17", 4500113, "示例县卫生健康局2024年"), ("2025/1/16", 4500112, "示例县自然资源和规划局2024年度"),
    ("2025/1/9", 4500111, "示例县城关镇人民政府2024年"), ("2024/1/22", 4300110, "示例县人民政府2023年"),
    ("2024/1/19", 4300109, "示例县教育局2023年"), ("2024/1/18", 4300108, "示例县卫生健康局2023年"),
    ("2024/1/15", 4300107, "示例县自然资源和规划局2023年度"), ("2024/1/8", 4300106, "示例县城关镇人民政府2023年"),
    ("2023/1/30", 4100105, "示例县人民政府2022年"), ("2023/1/20", 4100104, "示例县教育局2022年"),
    ("2023/1/19", 4100103, "示例县卫生健康局2022年"), ("2023/1/16", 4100102, "示例县自然资源和规划局2022年度"),
    ("2023/1/6", 4100101, "示例县城关镇人民政府2022年"),
]


def dataproxy(prefix: str, start: int, end: int, perpage: int, form) -> PageRequest:
    return PageRequest(f"{prefix}/module/web/jpage/dataproxy.jsp?startrecord={start}&endrecord={end}&perpage={perpage}",
                       method="POST", formdata=form, headers=FORM_HEADERS, kind="api")


def test_hanweb_column_page_reads_the_inline_datastore():
    url = HANWEB + "/col/col1229000001/index.html"
    text = page("hanweb-col-index.html")
    adapter = adapter_for(url, text)
    assert adapter.name == "hanweb"
    assert adapter.report_links(url, text) == [
        Link(f"{HANWEB}/art/{day}/art_1229000001_{doc}.html", f"{head}政府信息公开工作年度报告")
        for day, doc, head in HANWEB_FIRST]
    # an HTML parser that skips <script> sees no report at all on this page
    assert GenericAdapter().report_links(url, text) == []
    # jpage: perPage 5, totalRecord 23, 15 records inline → records 16–20 and 21–25, ids from ajaxParam / nextgroup
    assert adapter.next_pages(url, text) == [dataproxy(HANWEB, 16, 20, 5, HANWEB_FORM),
                                             dataproxy(HANWEB, 21, 25, 5, HANWEB_FORM)]


def test_hanweb_dataproxy_answer():
    url = HANWEB + "/module/web/jpage/dataproxy.jsp?startrecord=16&endrecord=20&perpage=5"
    text = page("hanweb-dataproxy-16-20.xml")
    adapter = adapter_for(url, text)
    assert adapter.name == "hanweb"
    assert adapter.report_links(url, text) == [
        Link(f"{HANWEB}/art/2022/1/28/art_1229000001_3900100.html", "示例县人民政府2021年政府信息公开工作年度报告"),
        Link(f"{HANWEB}/art/2022/1/21/art_1229000001_3900099.html", "示例县教育局2021年政府信息公开工作年度报告"),
        Link(f"{HANWEB}/art/2022/1/20/art_1229000001_3900098.html", "示例县卫生健康局2021年政府信息公开工作年度报告"),
        Link(f"{HANWEB}/art/2022/1/14/art_1229000001_3900097.html",
             "示例县自然资源和规划局2021年度政府信息公开工作年度报告"),
        Link(f"{HANWEB}/art/2022/1/7/art_1229000001_3900096.html", "示例县城关镇人民政府2021年政府信息公开工作年度报告"),
    ]
    # <totalrecord>23</totalrecord>; the form comes from the <nextgroup> link (the POST body is not in the answer)
    assert adapter.next_pages(url, text) == [dataproxy(HANWEB, 21, 25, 5, HANWEB_FORM)]
    last = HANWEB + "/module/web/jpage/dataproxy.jsp?startrecord=21&endrecord=25&perpage=5"
    assert adapter.next_pages(last, text) == []


def test_hanweb_datastore_carrying_its_ids_under_a_path_prefix():
    # the demo portal's shape: webid/columnid/unitid/totalrecord inside the datastore, the site under /hanweb/
    records = "".join(
        f'<record><![CDATA[<li><a href="/hanweb/art/2024/1/{d}/art_1229000001_{700 + d}.html">'
        f'示例县第{d}局2023年政府信息公开工作年度报告</a><span>2024-01-{d:02d}</span></li>]]></record>'
        for d in range(1, 16))
    text = ('<html><body><div id="77"><script type="text/xml"><datastore><webid>5</webid>'
            '<columnid>1229000001</columnid><unitid>77</unitid><webname>示例县人民政府</webname>'
            f'<totalrecord>40</totalrecord><perpage>15</perpage><recordset>{records}</recordset></datastore>'
            '</script></div></body></html>')
    base = "http://127.0.0.1:8000/hanweb"
    url = base + "/col/col1229000001/index.html"
    listing = read(url, text)
    assert len(listing.reports) == 15
    assert listing.reports[0] == Link(base + "/art/2024/1/1/art_1229000001_701.html",
                                      "示例县第1局2023年政府信息公开工作年度报告")
    form = (("col", "1"), ("appid", "1"), ("webid", "5"), ("path", "/"), ("columnid", "1229000001"),
            ("sourceContentType", "1"), ("unitid", "77"), ("webname", "示例县人民政府"), ("permissiontype", "0"))
    assert listing.pages == [dataproxy(base, 16, 30, 15, form), dataproxy(base, 31, 45, 15, form)]


# ── JSON API ───────────────────────────────────────────────────────────────────────────────────────

JSONAPI = "http://www.shiliqu.gov.cn"
JSON_AGENCIES = ["示例区人民政府", "示例区发展和改革局", "示例区教育局", "示例区民政局", "示例区财政局",
                 "示例区人力资源和社会保障局", "示例区生态环境分局", "示例区住房和城乡建设局", "示例区交通运输局", "示例区水利局"]


def test_jsonapi_column_page_asks_for_page_one():
    url = JSONAPI + "/xxgk/nb/"
    text = page("jsonapi-column.html")
    adapter = adapter_for(url, text)
    assert adapter.name == "jsonapi"
    assert adapter.report_links(url, text) == []
    assert adapter.next_pages(url, text) == [PageRequest(JSONAPI + "/api/list?column=nb&page=1&size=10", kind="api")]


def test_jsonapi_answer_gives_reports_and_the_remaining_pages():
    url = JSONAPI + "/api/list?column=nb&page=1&size=10"
    text = page("jsonapi-page1.json")
    adapter = adapter_for(url, text)
    assert adapter.name == "jsonapi"
    assert adapter.report_links(url, text) == [
        Link(f"{JSONAPI}/xxgk/nb/2025/{1001 + i}.html", f"{a}2024年政府信息公开工作年度报告")
        for i, a in enumerate(JSON_AGENCIES)]
    # total 23, 10 a page → pages 2 and 3
    assert adapter.next_pages(url, text) == [
        PageRequest(JSONAPI + "/api/list?column=nb&page=2&size=10", kind="api"),
        PageRequest(JSONAPI + "/api/list?column=nb&page=3&size=10", kind="api")]
    third = json.dumps({"total": 23, "page": 3, "data": [{"title": "示例区司法局2024年政府信息公开工作年度报告",
                                                          "url": "/xxgk/nb/2025/1021.html", "date": "2025-01-02"}]})
    assert JsonApiAdapter().next_pages(JSONAPI + "/api/list?column=nb&page=3&size=10", third) == []


# ── generic: 下一页 / 尾页, ?page=N ──────────────────────────────────────────────────────────────────

GBK = "http://www.shiliqi.gov.cn/xxgk/gknb/"


def test_generic_gbk_listing_with_next_and_last_links():
    url = GBK + "list.html"
    text = page("generic-gbk-list.html", "gb18030")
    adapter = adapter_for(url, text)
    assert adapter.name == "generic"
    assert adapter.report_links(url, text) == [
        Link(GBK + "2024/0115/123.html", "示例旗2023年政府信息公开工作年度报告"),
        Link(GBK + "2023/0116/118.html", "示例旗2022年政府信息公开工作年度报告"),
        Link(GBK + "2022/0120/101.html", "示例旗2021年政府信息公开工作年度报告"),
        Link(GBK + "2021/0125/96.html", "示例旗2020年政府信息公开工作年度报告"),
        Link(GBK + "2018/0320/55.html", "示例旗2017年政府信息公开年度报告"),
        Link(GBK + "2018/0320/nb2017.doc", "示例旗2017年政府信息公开年度报告（附件下载）"),
        Link(GBK + "2015/0330/31.html", "示例旗人民政府2014年度政务公开工作报告"),
    ]  # not 示例旗召开2024年政务公开工作会议, not the nav's 信息公开年报 (this very column)
    # 下一页 list_2.html … 尾页 list_4.html: the pages in between are filled in
    assert adapter.next_pages(url, text) == [PageRequest(GBK + f"list_{n}.html") for n in (2, 3, 4)]
    # the same links seen from page 3
    assert adapter.next_pages(GBK + "list_3.html", text) == [PageRequest(GBK + f"list_{n}.html") for n in (2, 4)]


def test_generic_query_page_links():
    url = "http://www.a.gov.cn/xxgk/ndbg.jsp?cat=12"
    text = ('<div class="pages"><a href="ndbg.jsp?cat=12&page=2">下一页</a> <a href="ndbg.jsp?cat=12&page=5">末页</a>'
            '<a href="ndbg.jsp?cat=13">其他栏目</a><a href="ndbg.jsp?cat=13&page=9">9</a><a href="javascript:;">上一页</a></div>')
    # (another listing's ?cat=13&page=9 is not ours)
    assert GenericAdapter().next_pages(url, text) == [
        PageRequest(f"http://www.a.gov.cn/xxgk/ndbg.jsp?cat=12&page={n}") for n in (2, 3, 4, 5)]
    # an unrecognised 下一页 target is still followed, as it is
    text = '<a href="/xxgk/more_ndbg.htm">下一页</a><a href="/other.htm">其他</a>'
    assert GenericAdapter().next_pages(url, text) == [PageRequest("http://www.a.gov.cn/xxgk/more_ndbg.htm")]


# ── registry ───────────────────────────────────────────────────────────────────────────────────────

def test_registry_order_and_hints():
    assert [a.name for a in ADAPTERS] == ["hanweb", "trs", "jsonapi", "generic"]
    trs_text = page("trs-createpage-index_1.html")
    gbk_text = page("generic-gbk-list.html", "gb18030")
    # a hint is taken only when its adapter recognises the page
    assert adapter_for(GBK + "list.html", gbk_text, hint="trsdyn").name == "generic"
    assert adapter_for(TRS_COLUMN, trs_text, hint="hanweb").name == "trs"
    assert adapter_for(TRS_COLUMN, trs_text, hint="generic").name == "trs"
    assert adapter_for(TRS_COLUMN, trs_text, hint="TRS").name == "trs"
    assert is_attachment("http://a.gov.cn/x/P020230228396512345678.pdf")
    assert is_attachment("http://a.gov.cn/module/download/downfile.jsp?classid=0&filename=nb.docx")
    assert is_attachment("http://a.gov.cn/x/nb.WPS") and is_attachment("http://a.gov.cn/x/nb.et")
    assert not is_attachment("http://a.gov.cn/x/t20230101_1.html")


# ── discovery ──────────────────────────────────────────────────────────────────────────────────────

def test_discovery_on_a_portal_home_page():
    home = "http://www.shilishi.gov.cn/"
    text = page("portal-home.html")
    assert candidates(home, text) == [
        # link text 政府信息公开年报 (title attribute and split spans) + the column's own URL; …/zfxxgknb/ ("更多>>")
        # is the same column and counts once
        (150, "http://www.shilishi.gov.cn/zwgk/zfxxgk/zfxxgknb/index.html", "政府信息公开年报"),
        (110, "http://www.shilishi.gov.cn/bmxxgk/ndbg/index.html", "年度报告"),
        # another host's column ranks last
        (40, "https://www.shilisheng.gov.cn/zwgk/zfxxgknb/", "示例省政府信息公开年报"),
    ]  # not: the 2024 report, its PDF, its 图解, the dated 2019年工作年报 page
    assert find_columns(home, text)[:2] == ["http://www.shilishi.gov.cn/zwgk/zfxxgk/zfxxgknb/index.html",
                                            "http://www.shilishi.gov.cn/bmxxgk/ndbg/index.html"]
    assert find_hubs(home, text) == ["http://www.shilishi.gov.cn/zwgk/", "http://www.shilishi.gov.cn/zwgk/zfxxgk/"]
    # the real pingtan page's own menu leads to its column
    assert find_columns(PINGTAN, page("pingtan-list-index.html")) == [PINGTAN + "nlist.htm"]
    assert find_columns(home, "<html><body><a href='/a/'>政务动态</a></body></html>") == []


# ── the live demo portal ───────────────────────────────────────────────────────────────────────────

def _fetch(url: str, request: PageRequest | None = None) -> tuple[str, str]:
    """GET (or the PageRequest's POST) on the demo portal — 127.0.0.1 only — decoded the way the spider decodes."""
    import urllib.parse
    import urllib.request

    from extract.encoding import charset_from_content_type, decode

    assert urllib.parse.urlsplit(url).hostname == "127.0.0.1", url
    data = urllib.parse.urlencode(request.formdata).encode() if request and request.method == "POST" else None
    req = urllib.request.Request(url, data=data, headers=dict(request.headers) if request else {},
                                 method=request.method if request else "GET")
    with urllib.request.urlopen(req, timeout=10) as resp:
        assert resp.status == 200, (url, resp.status)
        text, _ = decode(resp.read(), charset_from_content_type(resp.headers.get("Content-Type")))
        return resp.url, text


def _walk(start: str, cms: str) -> tuple[dict[str, str], list[str], set[str]]:
    """Walk a column the way the spider does: adapter_for → report links + next pages, until nothing is new."""
    reports: dict[str, str] = {}
    visited: list[str] = []
    used: set[str] = set()
    queue = [PageRequest(start)]
    seen = {(start, "GET", ())}
    while queue:
        request = queue.pop(0)
        url, text = _fetch(request.url, request)
        visited.append(request.url)
        adapter = adapter_for(url, text, hint=cms or None)
        used.add(adapter.name)
        listing = adapter.read(url, text)
        for link in listing.reports:
            reports.setdefault(link.url, link.title)
        for nxt in listing.pages:
            key = (nxt.url, nxt.method, nxt.formdata)
            if key not in seen:
                seen.add(key)
                queue.append(nxt)
        assert len(visited) < 50, visited
    return reports, visited, used


def test_adapters_walk_the_live_demo_portal():
    from demo.portal import DemoPortal

    portal = DemoPortal(size=1).start()
    try:
        base = portal.base_url
        manifest = portal.manifest()
        sites = {row["portal_url"][len(base):].strip("/"): row for row in portal.sites()}

        # trs: no column_url — discovery on the home page finds it by the link text 政府信息公开年报
        assert sites["trs"]["column_url"] == ""
        _, home = _fetch(sites["trs"]["portal_url"])
        columns = find_columns(sites["trs"]["portal_url"], home)
        assert columns == [base + "/trs/zwgk/zfxxgk/zfxxgknb/"]
        for key in ("hanweb", "trsdyn", "jsonapi", "gbk"):
            _, home = _fetch(sites[key]["portal_url"])
            # the home page may link the column's directory where sites() names its index.html: the same column
            assert column_key(find_columns(sites[key]["portal_url"], home)[0]) == column_key(sites[key]["column_url"])

        expected_adapters = {"trs": {"trs"}, "hanweb": {"hanweb"}, "trsdyn": {"trs"}, "jsonapi": {"jsonapi"},
                             "gbk": {"generic"}, "hacked": {"generic"}}
        for key, adapters in expected_adapters.items():
            start = columns[0] if key == "trs" else sites[key]["column_url"]
            reports, visited, used = _walk(start, sites[key]["cms"])
            want = {r["url"]: r["title"] for r in manifest[key]["reports"]}
            assert reports == want, key
            assert used == adapters, (key, used)
            if key == "trs":     # createPageHTML over ≥ 3 pages: index.html, index_1.html, index_2.html
                assert visited[1:] == [base + f"/trs/zwgk/zfxxgk/zfxxgknb/index_{k}.html"
                                       for k in range(1, len(visited))]
                assert len(visited) >= 3
            if key == "trsdyn":  # 22 records, 10 a page: index, index_1.htm, then API page 2
                assert visited == [start, base + "/trsdyn/zwgk/zfxxgk/zfxxgknb/index_1.htm",
                                   base + "/trsdyn/trsapi/list2?channelid=300210&classsql=chnlid%3D2813&page=2"
                                          "&prepage=10"]
            if key == "hanweb":  # 18 records, 15 inline: one dataproxy POST for 16–30
                assert visited == [start, base + "/hanweb/module/web/jpage/dataproxy.jsp"
                                                 "?startrecord=16&endrecord=30&perpage=15"]
            if key == "jsonapi":  # 12 records: API pages 1 and 2
                assert visited == [start, base + "/jsonapi/api/list?column=nb&page=1&size=10",
                                   base + "/jsonapi/api/list?column=nb&page=2&size=10"]
            if key == "gbk":     # 8 records, 5 a page: list.html, list_2.html
                assert visited == [start, base + "/gbk/xxgk/gknb/list_2.html"]
        # nothing the adapters asked for was refused or missing
        assert [r for r in portal.requests if r[2] >= 400] == []
    finally:
        portal.stop()
