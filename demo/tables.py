"""The national tables as cell layouts (research/formats.md, cell for cell), and their HTML markup.

A table is rows of `Cell`s with HTML-style colspan/rowspan; `place` turns it into grid positions for the
PDF and DOCX writers. The layouts follow the official 2019 trial format and the 2021 format:
table 二 in 第二十条 blocks over four columns, table 三 with its three-row header (勾稽关系 note over
申请人情况 / 自然人 · 法人或其他组织 · 总计 / the five organisation columns) and the rowspan-merged
三、本年度办理结果 and （三）（四）（五）（六） group labels, table 四 with its two header rows and 15 value cells.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field


@dataclass
class Cell:
    text: str
    colspan: int = 1
    rowspan: int = 1
    head: bool = False      # a header cell (label of a column)
    num: bool = False       # a value cell


@dataclass
class Table:
    kind: str                       # active | applications | review | stats
    rows: list[list[Cell]]
    widths: list[float] = field(default_factory=list)   # relative column widths (grid columns)


def L(text, cs=1, rs=1, head=False) -> Cell:
    return Cell(text, cs, rs, head=head)


def N(text, cs=1) -> Cell:
    return Cell(str(text), cs, 1, num=True)


NOTE = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"


def active_table(fmt: str, cells: dict, quirks=frozenset()) -> Table:
    v = lambda k: cells[k]  # noqa: E731
    br = "br_headers" in quirks
    rows: list[list[Cell]] = []

    def block(article: str, header: list[tuple[str, int]], body: list[tuple[str, list[tuple[str, int]]]]):
        rows.append([L(f"第二十条第（{article}）项", cs=4, head=True)])
        rows.append([L("信息内容", head=True)] + [L(t, cs=cs, head=True) for t, cs in header])
        for label, vals in body:
            rows.append([L(label)] + [N(t, cs) for t, cs in vals])

    if fmt == "2021":
        norm = "规范性文件" if "old_normative_label" in quirks else "行政规范性文件"
        block("一", [("本年制发件数", 1), ("本年废止件数", 1), ("现行有效件数", 1)], [
            ("规章", [(v("regulations.issued"), 1), (v("regulations.repealed"), 1), (v("regulations.in_force"), 1)]),
            (norm, [(v("normative_documents.issued"), 1), (v("normative_documents.repealed"), 1),
                    (v("normative_documents.in_force"), 1)]),
        ])
        block("五", [("本年处理决定数量", 3)], [("行政许可", [(v("licensing.decisions"), 3)])])
        block("六", [("本年处理决定数量", 3)], [("行政处罚", [(v("penalty.decisions"), 3)]),
                                              ("行政强制", [(v("coercion.decisions"), 3)])])
        block("八", [("本年收费金额（单位：万元）", 3)], [("行政事业性收费", [(v("fees.amount_wan_yuan"), 3)])])
    else:
        total = "对外公开总量" if "total_header_variant" in quirks else "对外公开总数量"
        made = "本年新\n制作数量" if br else "本年新制作数量"
        published = "本年新\n公开数量" if br else "本年新公开数量"
        block("一", [(made, 1), (published, 1), (total, 1)], [
            (row_label, [(v(f"{row}.new_made"), 1), (v(f"{row}.new_published"), 1), (v(f"{row}.total_published"), 1)])
            for row, row_label in (("regulations", "规章"), ("normative_documents", "规范性文件"))
        ])
        three = [("上一年项目数量", 1), ("本年增/减", 1), ("处理决定数量", 1)]
        block("五", three, [(lab, [(v(f"{row}.prev_items"), 1), (v(f"{row}.change"), 1), (v(f"{row}.decisions"), 1)])
                            for row, lab in (("licensing", "行政许可"), ("other_services", "其他对外管理服务事项"))])
        block("六", three, [(lab, [(v(f"{row}.prev_items"), 1), (v(f"{row}.change"), 1), (v(f"{row}.decisions"), 1)])
                            for row, lab in (("penalty", "行政处罚"), ("coercion", "行政强制"))])
        block("八", [("上一年项目数量", 1), ("本年增/减", 2)],
              [("行政事业性收费", [(v("fees.prev_items"), 1), (v("fees.change"), 2)])])
        amount = "采购总金额（万元）" if "amount_header_unit" in quirks else "采购总金额"
        block("九", [("采购项目数量", 1), (amount, 2)],
              [("政府集中采购", [(v("procurement.projects"), 1), (v("procurement.amount_yuan"), 2)])])
    return Table("active", rows, [1.3, 1, 1, 1])


WITHHELD_LABELS = ["1.属于国家秘密", "2.其他法律行政法规禁止公开", "3.危及“三安全一稳定”", "4.保护第三方合法权益",
                   "5.属于三类内部事务信息", "6.属于四类过程性信息", "7.属于行政执法案卷", "8.属于行政查询事项"]
UNAVAILABLE_LABELS = ["1.本机关不掌握相关政府信息", "2.没有现成信息需要另行制作", "3.补正后申请内容仍不明确"]
DECLINED_LABELS = ["1.信访举报投诉类申请", "2.重复申请", "3.要求提供公开出版物", "4.无正当理由大量反复申请",
                   "5.要求行政机关确认或重新出具已获取信息"]
OTHER_LABELS = ["1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
                "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", "3.其他"]


def applications_table(layout: str, v: dict, quirks=frozenset()) -> Table:
    from demo.figures import COLS, DECLINED, OTHER_2021, UNAVAILABLE, WITHHELD

    typos = "typos" in quirks
    subtotals = "subtotals" in quirks
    nums = lambda row: [N(v[f"{row}.{c}"]) for c in COLS]  # noqa: E731
    rows: list[list[Cell]] = [
        [L(NOTE, cs=3, rs=3, head=True), L("申请人情况", cs=7, head=True)],
        [L("自然人", rs=2, head=True), L("法人或其他组织", cs=5, head=True), L("总计", rs=2, head=True)],
        [L(t, head=True) for t in ("商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他")],
        [L("一、本年新收政府信息公开申请数量", cs=3)] + nums("new_received"),
        [L("二、上年结转政府信息公开申请数量", cs=3)] + nums("carried_over"),
    ]
    withheld = list(WITHHELD_LABELS)
    if typos:
        withheld[2] = "3.危机“三安全一稳定”"
        withheld[4] = "5.属于二类内部事务信息"
    groups = [("（三）不予公开", WITHHELD, withheld, "withheld_subtotal"),
              ("（四）无法提供", UNAVAILABLE, UNAVAILABLE_LABELS, "unavailable_subtotal"),
              ("（五）不予处理", DECLINED, DECLINED_LABELS, "declined_subtotal")]
    if layout == "2021":
        groups.append(("（六）其他处理", OTHER_2021, OTHER_LABELS, "other_subtotal"))
    partly = "（二）部分公开（区分处理的，只记这一情形，不计其他情形）" if typos else \
        "（二）部分公开（区分处理的，只计这一情形，不计其他情形）"
    body: list[list[Cell]] = [[L("（一）予以公开", cs=2)] + nums("granted"), [L(partly, cs=2)] + nums("partly_granted")]
    for group_label, keys, labels, sub in groups:
        if subtotals:
            body.append([L(group_label, cs=2)] + nums(sub))
            for k, lab in zip(keys, labels):
                body.append([L(lab, cs=2)] + nums(k))
        else:
            for n, (k, lab) in enumerate(zip(keys, labels)):
                head = [L(group_label, rs=len(keys))] if n == 0 else []
                body.append(head + [L(lab)] + nums(k))
    if layout == "2019":
        body.append([L("（六）其他处理", cs=2)] + nums("other"))
    body.append([L("（七）总结" if typos else "（七）总计", cs=2)] + nums("total"))
    body[0] = [L("三、本年度办理结果", rs=len(body))] + body[0]
    rows += body
    rows.append([L("四、结转下年度继续办理", cs=3)] + nums("carried_forward"))
    return Table("applications", rows, [0.9, 1.2, 2.7] + [0.74] * 7)


def review_table(v: dict) -> Table:
    outcomes = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]
    rows = [
        [L("行政复议", cs=5, head=True), L("行政诉讼", cs=10, head=True)],
        [L(t, rs=2, head=True) for t in outcomes] + [L("未经复议直接起诉", cs=5, head=True),
                                                    L("复议后起诉", cs=5, head=True)],
        [L(t, head=True) for t in outcomes * 2],
        [N(v[f"{g}.{o}"]) for g in ("review", "suit_direct", "suit_after_review")
         for o in ("upheld", "corrected", "other", "pending", "total")],
    ]
    return Table("review", rows, [1] * 15)


def legacy_stats_table(year, active, web, received, face, reviews, lawsuits, rng) -> Table:
    cum = lambda n: n + rng.randint(n, n * 6 + 50)  # noqa: E731
    granted = received - (1 if received > 1 else 0)
    rows = [
        [L("指标名称", head=True), L("计量单位", head=True), L(f"{year}年度", head=True), L("历年累计", head=True)],
        [L("主动公开政府信息数"), L("条"), N(active), N(cum(active))],
        [L("其中：1.政府网站公开数"), L("条"), N(web), N(cum(web))],
        [L("2.政府公报公开数"), L("条"), N(active - web), N(cum(active - web))],
        [L("受理依申请公开信息总数"), L("件"), N(received), N(cum(received))],
        [L("其中：1.当面申请数"), L("件"), N(face), N(cum(face))],
        [L("2.网上及信函申请数"), L("件"), N(received - face), N(cum(received - face))],
        [L("对申请的答复总数"), L("件"), N(received), N(cum(received))],
        [L("其中：1.同意公开答复数"), L("件"), N(granted), N(cum(granted))],
        [L("2.不予公开答复数"), L("件"), N(received - granted), N(cum(received - granted))],
        [L("行政复议数"), L("件"), N(reviews), N(cum(reviews))],
        [L("行政诉讼数"), L("件"), N(lawsuits), N(cum(lawsuits))],
        [L("行政申诉数"), L("件"), N(0), N(0)],
    ]
    return Table("stats", rows, [2.4, 0.8, 1, 1])


# ── grid placement (for the PDF and DOCX writers) ──────────────────────────────────────────────

def place(table: Table) -> tuple[list[tuple[int, int, int, int, Cell]], int, int]:
    """[(row, col, rowspan, colspan, cell)], number of rows, number of columns."""
    taken: set[tuple[int, int]] = set()
    out = []
    ncols = 0
    for r, row in enumerate(table.rows):
        c = 0
        for cell in row:
            while (r, c) in taken:
                c += 1
            out.append((r, c, cell.rowspan, cell.colspan, cell))
            for dr in range(cell.rowspan):
                for dc in range(cell.colspan):
                    taken.add((r + dr, c + dc))
            c += cell.colspan
            ncols = max(ncols, c)
    return out, len(table.rows), ncols


# ── HTML ────────────────────────────────────────────────────────────────────────────────────────

TRS_TD = ("padding: 5px; border-width: 1px; border-style: solid; border-color: windowtext; word-break: break-all;")
WORD_TD = ("border:solid windowtext 1.0pt;mso-border-alt:solid windowtext .5pt;padding:0cm 5.4pt 0cm 5.4pt;"
           "height:19.85pt")
WORD_SPAN = "font-size:10.5pt;font-family:宋体;mso-ascii-font-family:\"Times New Roman\";mso-hansi-font-family:\"Times New Roman\""
WORD_NUM = "font-size:10.5pt;font-family:\"Times New Roman\";mso-fareast-font-family:宋体"


def _esc(s: str) -> str:
    return html.escape(s, quote=False)


def _word_runs(text: str, num: bool) -> str:
    """Word's export: a run per character (numbers split too), <br> for a line break."""
    out = []
    for line_no, line in enumerate(text.split("\n")):
        if line_no:
            out.append("<br>")
        for ch in line:
            style = WORD_NUM if (num or ch.isascii()) else WORD_SPAN
            lang = " lang=EN-US" if ch.isascii() else ""
            out.append(f"<span{lang} style='{style}'>{_esc(ch)}</span>")
    out.append("<span lang=EN-US style='font-size:10.5pt'><o:p></o:p></span>")
    return "".join(out)


def html_table(table: Table, style: str = "trs") -> str:
    """style: trs (TRS editor inline styles) · word (Word-exported) · plain (border=1) · th (header cells as <th>) ·
    lines (the benchmark's pages: bare rows)."""
    if style == "lines":  # the benchmark's pages: a row a line, every cell text
        return "\n".join(['<table border="1" cellspacing="0">']
                         + ["<tr>" + "".join(f"<td>{html.escape(c.text)}</td>" for c in row) + "</tr>"
                            for row in table.rows] + ["</table>"])
    out: list[str] = []
    if style == "word":
        out.append("<table class=MsoNormalTable border=1 cellspacing=0 cellpadding=0 align=center "
                   "style='border-collapse:collapse;border:none;mso-border-alt:solid windowtext .5pt;"
                   "mso-yfti-tbllook:1184;mso-padding-alt:0cm 5.4pt 0cm 5.4pt'>")
    elif style == "trs":
        out.append('<table style="font-size: 13px;border-collapse: collapse;border: none;width: auto !important;'
                   'margin: 0 auto;" cellspacing="0" align="center" border="1"><tbody>')
    else:
        out.append('<table border="1" cellspacing="0" cellpadding="4" width="100%" class="gknb-table"><tbody>')
    for r, row in enumerate(table.rows):
        if style == "word":
            out.append(f"<tr style='mso-yfti-irow:{r};height:19.85pt'>")
        elif style == "trs":
            out.append('<tr style="height: 19px"' + (' class="firstRow"' if r == 0 else "") + ">")
        else:
            out.append("<tr>")
        for cell in row:
            span = (f' colspan="{cell.colspan}"' if cell.colspan > 1 else "") + \
                   (f' rowspan="{cell.rowspan}"' if cell.rowspan > 1 else "")
            if style == "word":
                span = span.replace('"', "")
                out.append(f"<td{span} valign=middle style='{WORD_TD}'><p class=MsoNormal align=center "
                           f"style='text-align:center;mso-pagination:widow-orphan'>{_word_runs(cell.text, cell.num)}"
                           "</p></td>")
            elif style == "trs":
                text = "<br/>".join(_esc(t) for t in cell.text.split("\n"))
                out.append(f'<td{span} style="{TRS_TD}" valign="center"><p style="text-indent: 0em;">{text}</p></td>')
            else:
                tag = "th" if (style == "th" and cell.head) else "td"
                text = "<br>".join(_esc(t) for t in cell.text.split("\n"))
                align = ' align="center"' if cell.num or cell.head else ""
                out.append(f"<{tag}{span}{align}>{text}</{tag}>")
        out.append("</tr>")
    out.append("</table>" if style == "word" else "</tbody></table>")
    return "".join(out)


def ruled_grid(table: Table) -> list[list[str | None]]:
    """The grid a ruling-line table finder (pdfplumber) sees in the PDF: a merged area is None beyond its
    first position, and grid columns that no cell edge separates anywhere in the table are one column
    (table 三 with subtotal rows has no rule between its second and third label columns)."""
    cells, nrows, ncols = place(table)
    edges = {0, ncols}
    for _r, c, _rs, cs, _cell in cells:
        edges.update((c, c + cs))
    cuts = sorted(edges)
    col_of = {g: k for k, g in enumerate(cuts)}
    grid: list[list[str | None]] = [[None] * (len(cuts) - 1) for _ in range(nrows)]
    for r, c, _rs, _cs, cell in cells:
        grid[r][col_of[c]] = cell.text
    return grid
