"""Demo sites in the address families seen on real portals (crawler/data/url_families.json, examples from
../shared/research/real-urls), and a clone of one of them.

Each site is a plain listing (GenericSite) whose report addresses take one family's shape under the site's
prefix: 集约化 `/cNNN/YYYYMM/<32 hex>.shtml`, Guangdong `…/content/post_N.html`, VSB `/info/<cat>/N.htm`, Hanweb's
`module/xxgk/xxgkAnnualReport.jsp?area=…&fbtime=YYYY`, Anhui's `/XxgkAnnualReport/show/N.html`, Hebei's
`/columns/<uuid>/YYYYMM/DD/<uuid>.html`, long numeric ids, Heilongjiang's `c0X_N.shtml`, Henan's `/YYYY/MM-DD/N.html`
and Liaoning's `<32 HEX>/index.shtml`. Some listings show only a short link text ("2023年度"), as real ones do:
the spider must then know the report by its address.

The clone (`CloneSite`) answers on the same port under the host name `localhost` — what a clone is: the same
paths one to one on a host that is not the government's — serving the Guangdong-shaped site's pages with hidden
casino links injected. The demo's registry lists it as `verified=mirror`, a known copy watched by the crawl.
"""

from __future__ import annotations

import hashlib
import uuid

from demo import generator as G
from demo.portal.sites import E, GenericSite
from demo.portal.web import Request, Response, html

CLONE_HOST = "localhost"


def _hex(seed: str, n: int = 32) -> str:
    return hashlib.md5(seed.encode()).hexdigest()[:n]


class FamilySite(GenericSite):
    """A 年报 column in one address family: two reports (2022, 2023) of one agency. A family is one row of
    `FAMILIES`; `address` is its report address, formatted with the column directory, the publication datetime
    `p`, the report's `docid` and ids made from it (`hex`/`HEX`: 32 hex digits, `uuid`, `snowflake`: a long
    number)."""

    family = ""
    short_links = False       # the listing shows "2023年度", not the report's title
    scales = False
    province = "示例省"
    level = "department"
    years = (2022, 2023)
    address = ""

    def plan(self):
        return self.gov_years(years=self.years)

    def links(self):
        if not self.short_links:
            return super().links()
        return [(s.path, f"{s.year}年度", f"{s.published:%Y-%m-%d}") for s in self.listed]

    def report_path(self, p, docid, idx):
        digits = _hex(f"{self.seed}:{self.key}:{docid}")
        return self.address.format(column_dir=self.column_dir, p=p, docid=docid, hex=digits, HEX=digits.upper(),
                                   uuid=uuid.UUID(_hex(f"{self.seed}:{docid}")),
                                   snowflake=1749345008896458753 + docid * 7919)

    @property
    def notes(self) -> str:
        return f"address family {self.family}" + ("; short link texts: known by address" if self.short_links else "")


class HanwebAnnualSite(FamilySite):
    """Hanweb's xxgk module: one address per agency and year, the year in the query."""
    AREA = "11330382MB1957702X"

    def report_path(self, p, docid, idx):
        year = p.year - 1
        return f"/hwnb/module/xxgk/xxgkAnnualReport.jsp?area={self.AREA}&fbtime={year}"

    def handle(self, req: Request):
        if req.path == "/hwnb/module/xxgk/xxgkAnnualReport.jsp":
            spec = self.by_path.get(f"{req.path}?area={req.arg('area')}&fbtime={req.arg('fbtime')}")
            return self.report_response(spec) if spec is not None else None
        return super().handle(req)


class LiaoningSite(FamilySite):
    """One directory per article: the report is …/<32 HEX>/index.shtml, which looks like a listing page."""

    def column_paths(self):
        return (self.column_dir, self.column_dir + "index.shtml")


_HEBEI_COLUMN = f"/hb/columns/{uuid.UUID(_hex('hb-column'))}/"
# key, family, agency, area, docid_base, ident, column directory, report address, and what differs
FAMILIES = [
    ("xj", "hex32-shtml", "示例市交通运输局", "示例市", 11000, "9990000011", "/xj/slss/c124214/",
     "{column_dir}{p:%Y%m}/{hex}.shtml", {}),
    ("gd", "guangdong-post", "示例市人民政府办公室", "示例市", 5632000, "9990000012", "/gd/zfjgzy/slszfbgs/zfxxgknb/",
     "{column_dir}sbj/content/post_{docid}.html", {}),
    ("vsb", "vsb", "示例市商务局", "示例市", 19300, "9990000013", "/vsb/zfxxgk/gknb/", "/vsb/info/1308/{docid}.htm", {}),
    ("hwnb", "hanweb-annual-module", "示例乐县人民政府", "示例乐县", 12000, "9990000014", "/hwnb/col/col1229663593/",
     "", {"level": "county", "short_links": True, "base": HanwebAnnualSite}),
    ("ah", "anhui-annual-report", "示例市生态环境局", "示例市", 4500, "9990000015", "/ah/public/column/zfxxgknb/",
     "/ah/XxgkAnnualReport/show/{docid}.html", {}),
    ("hb", "hebei-columns", "示例市高新区管委会", "示例市", 13100, "9990000016", _HEBEI_COLUMN,
     "{column_dir}{p:%Y%m}/{p:%d}/{uuid}.html", {}),
    ("sx", "snowflake-id", "示例区审计局", "示例区", 14000, "9990000017", "/sx/zwgk/zfxxgknb/bmxxgknb/",
     "{column_dir}{snowflake}.html", {"short_links": True}),
    ("hlj", "heilongjiang", "示例市人民防空办公室", "示例市", 172500, "9990000018", "/hlj/slsrmzf/c105127/",
     "{column_dir}{p:%Y%m}/c03_{docid}.shtml", {}),
    ("ha", "henan-dated", "示例市发展和改革委员会", "示例市", 2677000, "9990000019", "/ha/zwgk/zfxxgknb/",
     "/ha/{p:%Y}/{p:%m-%d}/{docid}.html", {}),
    ("ln", "liaoning-id-index", "示例省财政厅", "示例省", 16000, "9990000020", "/ln/sczt/zfxxgk/zfxxgknb/",
     "{column_dir}{HEX}/index.shtml", {"short_links": True, "column_file": "index.shtml", "base": LiaoningSite}),
]


def family_site(key, family, agency, area, docid_base, ident, column_dir, address, extra) -> type:
    extra = dict(extra)
    base, column_file = extra.pop("base", FamilySite), extra.pop("column_file", "index.html")
    return type(f"FamilySite_{key}", (base,), {
        "key": key, "family": family, "agency": agency, "area": area, "docid_base": docid_base, "ident": ident,
        "home": f"/{key}/", "column_dir": column_dir, "column": column_dir + column_file, "address": address,
        **extra})


FAMILY_SITES = [family_site(*row) for row in FAMILIES]


class CloneSite:
    """A clone of the Guangdong-shaped site on the host name `localhost`: the same paths, the same pages, with a
    hidden block of casino links injected (what the real clones in mirror-hosts.csv do)."""

    key = "clone"

    def __init__(self, portal, original: FamilySite):
        self.portal, self.original = portal, original

    @property
    def base_url(self) -> str:
        return f"http://{CLONE_HOST}:{self.portal.port}"

    def handle(self, req: Request) -> Response | None:
        if req.path in self.original.column_paths() or req.path == self.original.home:
            page = self.original.listing() if req.path in self.original.column_paths() else \
                self.original.page(self.original.agency, "")
            return html(self._inject(page))
        spec = self.original.by_path.get(req.path)
        if spec is None:
            return None
        page = self.original.article(spec, self.original.content(spec)).replace("{{nianbao:views}}", "1")
        return html(self._inject(page))

    @staticmethod
    def _inject(page: str) -> str:
        at = page.rindex("</body>")
        return page[:at] + G.HIDDEN_SPAM + page[at:]

    def site_rows(self) -> list[dict]:
        o = self.original
        return [G.registry_row(f"{CLONE_HOST} (克隆站)", portal_url=self.base_url + o.home,
                               column_url=self.base_url + o.column, verified="mirror",
                               notes=f"nianbao demo portal: a clone of '{o.key}' ({E(o.agency)}) on another host "
                                     "name, casino links injected; a known copy, crawled to watch it, never a "
                                     "government host")]

    def manifest_entry(self) -> dict:
        o = self.original
        return {"clone_host": CLONE_HOST, "copies": o.agency, "copies_host": f"127.0.0.1:{self.portal.port}",
                "column_url": self.base_url + o.column, "pages": [self.base_url + s.path for s in o.listed]}
