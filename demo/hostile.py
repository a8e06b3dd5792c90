"""A hostile portal, generated from the real corpus pages: what a compromised government site can serve.

    with HostileSite(corpus_dir) as site:       # 127.0.0.1, a free port
        site.sites()       # registry rows (a sites file names only this origin)
        site.requests      # (method, path) the portal served;  site.service.requests: the "local service"

Every document is a real corpus page (or the DOCX template) with one hostile change, so a reader that
survives it also still reads the real report. The local service on another loopback port stands for
redis, an admin console or a metadata endpoint: the crawler must never reach it, however it is linked.
The documents are built in memory at start (never committed at size); `documents()` gives them to tests
and to bench/hostile.py without a server.
"""

from __future__ import annotations

import io
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPORT_TITLE = "2024年政府信息公开工作年度报告"


def _pingtan(corpus: Path) -> str:
    return (corpus / "pingtan" / "pingtan-2024-report.html").read_text(encoding="utf-8")


REPORT_BODY_END = '<p style="text-indent: 2em;"><span style="font-family: 黑体, SimHei;">五、存在的主要问题'


def _inject(page: str, html: str, where: str = REPORT_BODY_END) -> str:
    """Insert inside the report's own content (after table 四), where the readers go."""
    i = page.rfind(where)
    return page[:i] + html + page[i:]


def lt_flood(corpus: Path, size: int = 150_000) -> bytes:
    """Defect 4: a body full of `<` with no `>` (quadratic for a `<[^>]+>` scan) and almost no text."""
    return b"<html><body>" + b"<" * size


def tag_flood(size: int = 30 * 1024 * 1024) -> bytes:
    """A body of `size` bytes of empty tags and no text, just under the crawler's 32 MB page limit: a
    tag-by-tag scan of all of it held the reactor thread for 18 s."""
    return b"<html><body>" + b"<b></b>" * (size // 7)


def huge_text_node(corpus: Path, size: int = 11_000_000) -> bytes:
    """A hidden text run of 11 million characters ahead of the report: libxml2 stops parsing at a text node
    over 10,000,000 bytes, so the page came out with no text at all (`empty`, "the document has no text")."""
    blob = '<div style="display:none">' + "casino " * (size // 7) + "</div>"
    return _inject(_pingtan(corpus), blob, "</head>").encode("utf-8")


def span_bomb(corpus: Path, cells: int = 1_000) -> bytes:
    """Defect 5: a ~39 KB table of colspan=200 rowspan=200 cells (40 million grid cells if expanded)."""
    row = "<tr>" + '<td colspan="200" rowspan="200">1</td>' * 25 + "</tr>"
    table = "<table>" + row * (cells // 25) + "</table>"
    return _inject(_pingtan(corpus), table).encode("utf-8")


def brace_less_style(corpus: Path, size: int = 100_000) -> bytes:
    """Defect 5: a `<style>` of 100 KB without braces (backtracking for a `selector{…}` pattern)."""
    style = "<style>" + ("div.a " * (size // 6)) + "</style>"
    return _inject(_pingtan(corpus), style, "</head>").encode("utf-8")


def hidden_blocks(corpus: Path, n: int = 8_000) -> bytes:
    """Defect 5: 8,000 hidden spam blocks (each a lexicon hit linking to a foreign host)."""
    blocks = "".join(f'<div style="display:none"><a href="http://bet{i}.example.com/">365体育投注 {i}</a></div>'
                     for i in range(n))
    return _inject(_pingtan(corpus), blocks).encode("utf-8")


def link_farm(corpus: Path, n: int = 4_000) -> bytes:
    """Defect 5: 4,000 link-farm groups of foreign links."""
    groups = "".join("<p>" + "".join(f'<a href="http://farm{i}-{j}.example.top/">365体育 {j}</a>' for j in range(6)) + "</p>"
                     for i in range(n))
    return _inject(_pingtan(corpus), groups).encode("utf-8")


def zip_bomb_docx(corpus: Path, inflated: int = 200 * 1024 * 1024) -> bytes:
    """Defect 5: the real DOCX template with its document.xml inflating to `inflated` bytes (1.1 GB in the
    issue; 200 MB here is already far past the limit and quick to build)."""
    src = zipfile.ZipFile(corpus / "template" / "annual-report-template-2021.docx")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            if info.filename != "word/document.xml":
                z.writestr(info, src.read(info))
                continue
            xml = src.read(info)
            head, tail = xml[: xml.rfind(b"</w:body>")], xml[xml.rfind(b"</w:body>"):]
            with z.open("word/document.xml", "w", force_zip64=True) as member:
                member.write(head)
                pad = b"<w:p/>" * (1024 * 1024 // 6)
                for _ in range(inflated // len(pad)):
                    member.write(pad)
                member.write(tail)
    return out.getvalue()


def many_lines(corpus: Path, n: int = 20_000) -> bytes:
    """The real page without its CMS content containers (so trafilatura is asked which lines are the main
    text) and `n` more lines: half paragraphs pasted into the report's body, half a sidebar of links. The
    line filter of that fallback compared every line with every main-text line (20,000 lines: minutes)."""
    page = _pingtan(corpus).replace("article_content article_content_01", "wz_body").replace("class=TRS_Editor",
                                                                                          "class=wz_text")
    paragraphs = "".join(f"<p>{FILLER_PARAGRAPH.format(i)}</p>" for i in range(n // 2))
    sidebar = ("<div class='side'><ul>" + "".join(f'<li><a href="/xxgk/t{i}.html">{FILLER_LINK.format(i)}</a></li>'
                                                  for i in range(n - n // 2)) + "</ul></div>")
    page = _inject(page, paragraphs)
    body = page.index(">", page.index("<body")) + 1
    return (page[:body] + sidebar + page[body:]).encode("utf-8")


FILLER_PARAGRAPH = "平潭综合实验区持续推进政务公开标准化规范化建设第{}项工作情况说明。"
FILLER_LINK = "政务动态第{}条"


def _replace_figure(page: str, label: str, value: str, nth: int = 1) -> str:
    """The nth number cell after `label` in the real page becomes `value`."""
    import re

    i = page.index(label, page.index("主动公开政府信息情况"))
    cells = re.compile(r"(<td[^>]*>\s*(?:<[^>]+>\s*)*)(\d+)")
    for _ in range(nth):
        m = cells.search(page, i)
        i = m.end()
    return page[:m.start(2)] + value + page[m.end(2):]


def huge_figures(corpus: Path) -> bytes:
    """Defects 2/3: one figure ≥ 2^63 and one of 5,000 digits in the real tables."""
    page = _replace_figure(_pingtan(corpus), "本年新收政府信息公开申请数量", str(2 ** 63))
    page = _replace_figure(page, "上年结转政府信息公开申请数量", "9" * 5000)
    return page.encode("utf-8")


def absurd_figures(corpus: Path) -> bytes:
    """Defect 7: −4529 and 999,999,999,999,999 in table 二, and a table-三 total (new requests) of 2^63−1."""
    page = _replace_figure(_pingtan(corpus), "行政许可", "-4529")
    page = _replace_figure(page, "行政处罚", "999999999999999")
    page = _replace_figure(page, "一、本年新收政府信息公开申请数量", str(2 ** 63 - 1), nth=7)
    return page.encode("utf-8")


def half_gbk(corpus: Path) -> bytes:
    """Defect 10: the first half of the real page in UTF-8, the rest (tables 三 and 四) in GBK."""
    page = _pingtan(corpus)
    cut = page.index("三、收到和处理政府信息公开申请情况")
    return page[:cut].encode("utf-8") + page[cut:].encode("gbk", errors="replace")


def _pdf_update(data: bytes, objects: dict[int, bytes], extra_trailer: bytes = b"") -> bytes:
    """An incremental update appended to a real PDF: new or replaced objects, a classic xref section for
    them and a trailer chained (/Prev) to the original cross-reference — what any PDF editor writes."""
    import re

    from pdfminer.pdfdocument import PDFDocument
    from pdfminer.pdfparser import PDFParser

    doc = PDFDocument(PDFParser(io.BytesIO(data)))
    trailer = doc.xrefs[0].trailer
    prev = int(re.findall(rb"startxref\s+(\d+)", data)[-1])
    out = bytearray(data if data.endswith(b"\n") else data + b"\n")
    offsets = {}
    for num, body in sorted(objects.items()):
        offsets[num] = len(out)
        out += b"%d 0 obj\n" % num + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 1\n0000000000 65535 f \n"
    for num, off in sorted(offsets.items()):
        out += b"%d 1\n%010d 00000 n \n" % (num, off)
    size = max(int(trailer["Size"]), max(objects) + 1)
    root = trailer["Root"].objid
    out += (b"trailer\n<< /Size %d /Root %d 0 R /Prev %d " % (size, root, prev) + extra_trailer
            + b" >>\nstartxref\n%d\n%%%%EOF\n" % xref)
    return bytes(out)


def encrypted_pdf(corpus: Path) -> bytes:
    """Defect 10: the real hongze PDF behind a password (standard security handler, a user password that
    is not empty): no reader can open it without the password."""
    data = (corpus / "huaian" / "hongze-2023-report.pdf").read_bytes()
    enc = (b"<< /Filter /Standard /V 1 /R 2 /Length 40 /P -4 /O <" + b"6f" * 32 + b"> /U <" + b"75" * 32 + b"> >>")
    return _pdf_update(data, {900: enc}, b"/Encrypt 900 0 R /ID [<" + b"00" * 16 + b"> <" + b"00" * 16 + b">]")


def cyclic_pdf(corpus: Path) -> bytes:
    """Defect 10: the real hongze PDF whose page tree's /Kids point back at the tree itself."""
    data = (corpus / "huaian" / "hongze-2023-report.pdf").read_bytes()
    return _pdf_update(data, {2: b"<< /Type /Pages /Kids [2 0 R] /Count 1 >>"})


DOCUMENTS = {
    "lt-flood.html": lt_flood, "span-bomb.html": span_bomb, "style.html": brace_less_style,
    "hidden-blocks.html": hidden_blocks, "link-farm.html": link_farm, "bomb.docx": zip_bomb_docx,
    "huge-figures.html": huge_figures, "absurd-figures.html": absurd_figures, "half-gbk.html": half_gbk,
    "encrypted.pdf": encrypted_pdf, "cyclic.pdf": cyclic_pdf, "many-lines.html": many_lines,
    "huge-text-node.html": huge_text_node,
}
CONTENT_TYPES = {".html": "text/html; charset=utf-8", ".pdf": "application/pdf",
                 ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}


def documents(corpus: str | Path, names=None) -> dict[str, bytes]:
    corpus = Path(corpus)
    return {name: make(corpus) for name, make in DOCUMENTS.items() if names is None or name in names}


class _Logged(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, handler, owner):
        super().__init__(("127.0.0.1", 0), handler)
        self.owner = owner


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):  # the request log is the owner's list, not stderr
        pass

    def do_GET(self):
        owner = self.server.owner
        with owner.lock:
            owner.requests.append(("GET", self.path))
        status, headers, body = owner.route(self.path)
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _Server:
    def __init__(self):
        self.lock = threading.Lock()
        self.requests: list[tuple[str, str]] = []
        self._server = None

    def start(self):
        self._server = _Logged(_Handler, self)
        self.port = self._server.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
        return self

    def stop(self):
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


class LocalService(_Server):
    """Stands for a service on the crawl machine's loopback (redis, an admin page): answers anything."""

    def route(self, path):
        return 200, {"Content-Type": "text/html; charset=utf-8"}, (
            f"<html><body><h1>{REPORT_TITLE}</h1><p>SECRET local service answered {path}</p></body></html>").encode()


class HostileSite(_Server):
    """Column /xxgk/ndbg/: a report link to every hostile document, and links and redirects to the local
    service in every form (direct, 302, [::1], integer host, localhost) and to a foreign host. Column
    /endless/: a 下一页 chain that never ends (each page one more report link)."""

    AGENCY = "恶意测试站点"
    ENDLESS_AGENCY = "无尽翻页站点"

    def __init__(self, corpus: str | Path, names=None, extra: dict[str, bytes] | None = None):
        super().__init__()
        self.corpus = Path(corpus)
        self.docs = documents(self.corpus, names) | (extra or {})
        self.service = LocalService()

    def start(self):
        self.service.start()
        return super().start()

    def stop(self):
        super().stop()
        self.service.stop()

    def sites(self) -> list[dict]:
        return [
            {"agency": self.AGENCY, "level": "county", "portal_url": self.base_url + "/",
             "column_url": self.base_url + "/xxgk/ndbg/index.html", "verified": "local"},
            {"agency": self.ENDLESS_AGENCY, "level": "county", "portal_url": self.base_url + "/",
             "column_url": self.base_url + "/endless/index.html", "verified": "local"},
        ]

    def local_links(self) -> dict[str, str]:
        """name → the URL the listing links to; each must end `off_domain`, none may reach the service."""
        p = self.service.port
        return {
            "direct": f"http://127.0.0.1:{p}/direct.html",
            "ipv6": f"http://[::1]:{p}/ipv6.html",
            "integer": f"http://2130706433:{p}/integer.html",
            "localhost": f"http://localhost:{p}/localhost.html",
            "redirect": f"{self.base_url}/go/local",
            "foreign": "http://example.invalid/t20240101_1.html",
        }

    def listing(self) -> str:
        links = [f'<li><a href="/xxgk/ndbg/{name}" title="{REPORT_TITLE}">{REPORT_TITLE}（{name}）</a></li>'
                 for name in self.docs]
        links += [f'<li><a href="{url}" title="{REPORT_TITLE}">{REPORT_TITLE}（{name}）</a></li>'
                  for name, url in self.local_links().items()]
        return f"<html><head><title>政府信息公开年报</title></head><body><ul>{''.join(links)}</ul></body></html>"

    def route(self, path):
        html = {"Content-Type": "text/html; charset=utf-8"}
        path = path.split("?", 1)[0]
        if path == "/robots.txt":
            return 200, {"Content-Type": "text/plain"}, b"User-agent: *\nAllow: /\n"
        if path in ("/", "/xxgk/ndbg/", "/xxgk/ndbg/index.html"):
            return 200, html, self.listing().encode("utf-8")
        if path == "/go/local":
            return 302, {"Location": f"http://127.0.0.1:{self.service.port}/redirected.html"}, b""
        name = path.rsplit("/", 1)[-1]
        if path.startswith("/xxgk/ndbg/") and name in self.docs:
            return 200, {"Content-Type": CONTENT_TYPES[Path(name).suffix]}, self.docs[name]
        if path.startswith("/endless/"):
            n = int(name.removeprefix("index_").removesuffix(".html")) if name.startswith("index_") else 1
            body = (f"<html><body><ul><li><a href='/endless/r/t2024010{n % 10}_{n}.html'>{REPORT_TITLE}（第{n}页）</a>"
                    f"</li></ul><a href='/endless/index_{n + 1}.html'>下一页</a></body></html>")
            if "/r/" in path:
                return 200, html, _pingtan(self.corpus).encode("utf-8")
            return 200, html, body.encode("utf-8")
        return 404, html, b"<html><body>404</body></html>"
