"""The national layouts as data: row keys, the label cores that find them, columns, value counts.

A *core* is a short regular expression that identifies a row label even when the label is misspelt,
broken across lines or stripped of its numbering (see the typo list in the schema). Cores are tried
in the order of the printed table, each after the previous row's label, so a core only has to be
unique from its predecessor onwards. Adding a typo variant is a one-line change here.
"""

from __future__ import annotations

# ── table 二 ────────────────────────────────────────────────────────────────────────────────────
ACTIVE_COLUMNS = {
    "2019": {
        "regulations": ["new_made", "new_published", "total_published"],
        "normative_documents": ["new_made", "new_published", "total_published"],
        "licensing": ["prev_items", "change", "decisions"],
        "other_services": ["prev_items", "change", "decisions"],
        "penalty": ["prev_items", "change", "decisions"],
        "coercion": ["prev_items", "change", "decisions"],
        "fees": ["prev_items", "change"],
        "procurement": ["projects", "amount_yuan"],
    },
    "2021": {
        "regulations": ["issued", "repealed", "in_force"],
        "normative_documents": ["issued", "repealed", "in_force"],
        "licensing": ["decisions"],
        "penalty": ["decisions"],
        "coercion": ["decisions"],
        "fees": ["amount_wan_yuan"],
    },
}
ACTIVE_CORES = {
    "regulations": r"规章",
    "normative_documents": r"规范性文件",
    "licensing": r"行政许可",
    "other_services": r"对外管理服务",
    "penalty": r"行政处罚",
    "coercion": r"行政强制",
    "fees": r"事业性收费",
    "procurement": r"集中采购",
}
ACTIVE_LABELS = {
    "regulations": "规章", "normative_documents": "规范性文件", "licensing": "行政许可",
    "other_services": "其他对外管理服务事项", "penalty": "行政处罚", "coercion": "行政强制",
    "fees": "行政事业性收费", "procurement": "政府集中采购",
}
ACTIVE_COLUMN_LABELS = {
    "new_made": "本年新制作数量", "new_published": "本年新公开数量", "total_published": "对外公开总数量",
    "prev_items": "上一年项目数量", "change": "本年增/减", "decisions": "处理决定数量",
    "projects": "采购项目数量", "amount_yuan": "采购总金额(元)", "issued": "本年制发件数",
    "repealed": "本年废止件数", "in_force": "现行有效件数", "amount_wan_yuan": "本年收费金额(万元)",
}
# Markers that tell the 2021 table 二 from the 2019 one.
ACTIVE_2021_MARKERS = r"本年制发|本年废止|现行有效|收费金额"
ACTIVE_2019_MARKERS = r"本年新制作|本年新公开|上一年项目|采购项目|第二十条第\(九\)项"

# ── table 三 ────────────────────────────────────────────────────────────────────────────────────
APPLICANT_COLUMNS = ["natural_person", "commercial", "research", "nonprofit", "legal_services", "other_org", "total"]
APPLICANT_COLUMN_LABELS = {
    "natural_person": "自然人", "commercial": "商业企业", "research": "科研机构", "nonprofit": "社会公益组织",
    "legal_services": "法律服务机构", "other_org": "其他", "total": "总计",
}
# (key, core, ordinal that may precede the label, is_subtotal)
# The ordinal lets a stream reader drop the "2." of "40000042.其他法律…" from the previous row's digits.
_WITHHELD = [
    ("withheld_state_secret", r"国家秘密", "1"),
    ("withheld_prohibited_by_law", r"其他法律|行政法规禁止|行政止公开", "2"),
    ("withheld_three_safety", r"三安全一稳定", "3"),
    ("withheld_third_party", r"第三方合法", "4"),
    ("withheld_internal_affairs", r"内部事务", "5"),
    ("withheld_process_info", r"过程性信息", "6"),
    ("withheld_enforcement_file", r"执法案卷", "7"),
    ("withheld_inquiry", r"行政查询", "8"),
]
_UNAVAILABLE = [
    ("unavailable_not_held", r"不掌握", "1"),
    ("unavailable_needs_creation", r"没有现成|另行制作", "2"),
    ("unavailable_unclear", r"补正后", "3"),
]
_DECLINED = [
    ("declined_petition", r"信访", "1"),
    ("declined_repeat", r"重复申请", "2"),
    ("declined_publication", r"公开出版物", "3"),
    ("declined_excessive", r"大量反复", "4"),
    ("declined_confirmation", r"确认或|重新出具", "5"),
]
_OTHER_2021 = [
    ("other_no_correction", r"逾期不补正|无正当理由逾期", "1"),
    ("other_unpaid_fee", r"逾期未按|缴纳费用", "2"),
    ("other_other", r"(?<![\u4e00-\u9fff])其他(?![\u4e00-\u9fff])|(?<=3\.)其他", "3"),
]


def application_rows(layout: str) -> list[tuple[str, str, str | None, bool]]:
    """Rows of table 三 in printed order: (key, core, ordinal, is_subtotal)."""
    rows = [
        ("new_received", r"本年新收", None, False),
        ("carried_over", r"上年结转", None, False),
        ("granted", r"予以公开", None, False),
        ("partly_granted", r"部分公开", None, False),
        ("withheld_subtotal", r"不予公开", None, True),
        *[(k, c, o, False) for k, c, o in _WITHHELD],
        ("unavailable_subtotal", r"无法提供", None, True),
        *[(k, c, o, False) for k, c, o in _UNAVAILABLE],
        ("declined_subtotal", r"不予处理", None, True),
        *[(k, c, o, False) for k, c, o in _DECLINED],
    ]
    if layout == "2021":
        rows.append(("other_subtotal", r"其他处理", None, True))
        rows += [(k, c, o, False) for k, c, o in _OTHER_2021]
    else:
        rows.append(("other", r"其他处理|\(六\)\s*其他", None, False))
    rows += [
        ("total", r"总计|总结", None, False),
        ("carried_forward", r"结转下年|下年度继续", None, False),
    ]
    return rows


APPLICATION_LAYOUT_2021_MARKERS = r"逾期不补正|逾期未按|缴纳费用"
RESULT_ROWS = {
    "2019": ["granted", "partly_granted", *[k for k, _, _ in _WITHHELD], *[k for k, _, _ in _UNAVAILABLE],
             *[k for k, _, _ in _DECLINED], "other"],
    "2021": ["granted", "partly_granted", *[k for k, _, _ in _WITHHELD], *[k for k, _, _ in _UNAVAILABLE],
             *[k for k, _, _ in _DECLINED], *[k for k, _, _ in _OTHER_2021]],
}
SUBTOTALS = {
    "withheld_subtotal": [k for k, _, _ in _WITHHELD],
    "unavailable_subtotal": [k for k, _, _ in _UNAVAILABLE],
    "declined_subtotal": [k for k, _, _ in _DECLINED],
    "other_subtotal": [k for k, _, _ in _OTHER_2021],
}
APPLICATION_LABELS = {
    "new_received": "一、本年新收政府信息公开申请数量", "carried_over": "二、上年结转政府信息公开申请数量",
    "granted": "(一)予以公开", "partly_granted": "(二)部分公开",
    "withheld_subtotal": "(三)不予公开 小计",
    "withheld_state_secret": "(三)1.属于国家秘密", "withheld_prohibited_by_law": "(三)2.其他法律行政法规禁止公开",
    "withheld_three_safety": "(三)3.危及“三安全一稳定”", "withheld_third_party": "(三)4.保护第三方合法权益",
    "withheld_internal_affairs": "(三)5.属于三类内部事务信息", "withheld_process_info": "(三)6.属于四类过程性信息",
    "withheld_enforcement_file": "(三)7.属于行政执法案卷", "withheld_inquiry": "(三)8.属于行政查询事项",
    "unavailable_subtotal": "(四)无法提供 小计",
    "unavailable_not_held": "(四)1.本机关不掌握相关政府信息", "unavailable_needs_creation": "(四)2.没有现成信息需要另行制作",
    "unavailable_unclear": "(四)3.补正后申请内容仍不明确",
    "declined_subtotal": "(五)不予处理 小计",
    "declined_petition": "(五)1.信访举报投诉类申请", "declined_repeat": "(五)2.重复申请",
    "declined_publication": "(五)3.要求提供公开出版物", "declined_excessive": "(五)4.无正当理由大量反复申请",
    "declined_confirmation": "(五)5.要求行政机关确认或重新出具已获取信息",
    "other": "(六)其他处理", "other_subtotal": "(六)其他处理 小计",
    "other_no_correction": "(六)1.逾期不补正", "other_unpaid_fee": "(六)2.逾期未缴费", "other_other": "(六)3.其他",
    "total": "(七)总计", "carried_forward": "四、结转下年度继续办理",
}

# ── table 四 ────────────────────────────────────────────────────────────────────────────────────
REVIEW_GROUPS = ["review", "suit_direct", "suit_after_review"]
REVIEW_OUTCOMES = ["upheld", "corrected", "other", "pending", "total"]
REVIEW_KEYS = [f"{g}.{o}" for g in REVIEW_GROUPS for o in REVIEW_OUTCOMES]
REVIEW_GROUP_LABELS = {"review": "行政复议", "suit_direct": "未经复议直接起诉", "suit_after_review": "复议后起诉"}
REVIEW_OUTCOME_LABELS = {"upheld": "结果维持", "corrected": "结果纠正", "other": "其他结果", "pending": "尚未审结",
                         "total": "总计"}

# ── section anchors ─────────────────────────────────────────────────────────────────────────────
ACTIVE_START = r"第二十条\s*第|信息内容[\s\x1f]*(?:本年|上一年|采购)"
APPLICATIONS_START = r"勾稽关系|收到[和的及]?处理政府信息公开申请情况|本年新收"
REVIEW_START = r"行政复议\s*[、,和]?\s*行政诉讼|复议[、,和]?\s*诉讼情况|行政复议"
# [ \t] not \s: \s also matches the \x1f field separator of the flattened document.
REVIEW_END = r"\n[ \t]*[五5][ \t]*[、.]|存在的?主要问题|存在问题|主要问题"
