"""Issue 11 on text sources: units beside digits, computed blank totals, prose as evidence.

Each case is a real corpus report (../shared/corpus) with, where the case needs it, the one sentence or
row of the issue put in (the issue quotes them from reports outside the corpus). Values asserted are
read by hand from the source text shown in each test.
"""

from __future__ import annotations

from conftest import shared

from extract import extract_bytes
from extract.prose import find_prose, table_statements


def pingtan(year: int) -> str:
    return shared("corpus", "pingtan", f"pingtan-{year}-report.txt").read_text(encoding="utf-8")


def rec_of_text(text: str, name: str = "report.txt") -> dict:
    return extract_bytes(text.encode("utf-8"), filename=name)


# ── units and CSS beside digits are never cells ──────────────────────────────────────────────────

def test_css_width_beside_a_label_is_not_cut_into_cells():
    # pingtan 2024's table 二 with its 规章 row replaced by style text, as when a page's markup leaks.
    text = pingtan(2024).replace("规章000", "规章 width:149px", 1)
    assert "规章 width:149px" in text
    rec = rec_of_text(text)
    for col in ("issued", "repealed", "in_force"):
        assert rec["active"][f"regulations.{col}"] is None
        assert f"active.regulations.{col}" in rec["unparsed"]
    assert rec["active"]["licensing.decisions"] == 4529  # the rest of the table is read as before


def test_numbers_glued_to_units_are_not_tokens():
    from extract.tables import TOKEN

    for s in ("149px", "12%", "3pt", "1.5em", "100％"):
        assert not TOKEN.match(s), s
    for s in ("149", "-15", "5.19亿元", "9116.36", "1,234"):
        assert TOKEN.match(s).group() == s, s


# ── computed totals ──────────────────────────────────────────────────────────────────────────────

def test_blank_total_with_every_part_printed_is_computed_and_marked():
    # shanghai-kewei 2024: '| 四、结转下年度继续办理 | 1 | 0 | 0 | 0 | 0 | 0 |  |'
    rec = extract_bytes(shared("corpus", "shanghai", "shanghai-kewei-2024-pdftext.md").read_bytes(),
                        filename="shanghai-kewei-2024-pdftext.md")
    assert rec["applications"]["carried_forward.total"] == 1
    assert rec["raw"]["applications.carried_forward.total"] == ""   # printed blank, and kept so
    info = rec["cell_info"]["applications.carried_forward.total"]
    assert info["computed"] is True and info["rule"] == "row_total"
    # the tautological row_total for that row is not reported; the balance it enables is
    assert not [c for c in rec["checks"] if (c["rule"], c["key"]) == ("row_total", "carried_forward")]
    assert {"rule": "balance", "key": "total", "ok": True, "detail": "34 + 2 = 35 + 1"} in rec["checks"]


def test_blank_total_with_an_unread_part_stays_null():
    # the same 四、结转 row with one part unreadable: nothing is computed.
    text = shared("corpus", "shanghai", "shanghai-kewei-2024-pdftext.md").read_text(encoding="utf-8")
    text = text.replace("| 四、结转下年度继续办理 | 1 | 0 |", "| 四、结转下年度继续办理 | 1 | ? |", 1)
    rec = rec_of_text(text, "shanghai.md")
    assert rec["applications"]["carried_forward.total"] is None
    assert "applications.carried_forward.total" not in rec["cell_info"]


def test_blank_review_total_is_computed():
    # shanghai-kewei 2024 table 四: '| 1 | 0 | 0 | 0 | 1 | 0 | …' — 复议 1+0+0+0 = 1; print its total blank.
    text = shared("corpus", "shanghai", "shanghai-kewei-2024-pdftext.md").read_text(encoding="utf-8")
    row = "| 1 | 0 | 0 | 0 | 1 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |"
    assert row in text
    rec = rec_of_text(text.replace(row, "| 1 | 0 | 0 | 0 |  | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |", 1), "k.md")
    assert rec["review_litigation"]["review.total"] == 1
    assert rec["cell_info"]["review_litigation.review.total"]["computed"] is True
    assert not [c for c in rec["checks"] if c["rule"] == "review_total"]


# ── prose as evidence ────────────────────────────────────────────────────────────────────────────

def test_outcome_negation_is_not_a_zero_count():
    sentence = "全年未发生因依申请公开被行政复议纠错或行政诉讼败诉情形。"
    figures, _ = find_prose(sentence)
    assert "reviews" not in figures and "lawsuits" not in figures
    # in a real report (pingtan 2024, whose table 四 prints reviews), no prose_vs_table alarm follows
    text = pingtan(2024).replace("六、其他需要报告的事项", sentence + "六、其他需要报告的事项", 1)
    rec = rec_of_text(text)
    assert "reviews" not in rec["prose"] and "lawsuits" not in rec["prose"]
    assert not [c for c in rec["checks"] if c["rule"] == "prose_vs_table" and c["key"] in ("reviews", "lawsuits")]


def test_plain_negation_still_reads_zero():
    figures, _ = find_prose("本年度未发生政府信息公开行政复议、行政诉讼案件。")
    assert figures["reviews"] == 0 and figures["lawsuits"] == 0


def test_cumulative_figure_is_not_the_year():
    sentence = "平台累计主动公开政府信息1770条，其中2019年度主动公开政府信息202条。"
    figures, evidence = find_prose(sentence)
    assert figures["active_total"] == 202
    assert "202" in evidence["active_total"]


def test_cumulative_figure_without_a_year_part_gives_nothing():
    figures, _ = find_prose("截至目前，累计主动公开政府信息1770条。")
    assert "active_total" not in figures


def test_lawsuits_written_as_susong():
    figures, _ = find_prose("本年度发生行政复议3件，诉讼9件。")
    assert figures["reviews"] == 3 and figures["lawsuits"] == 9


def test_requests_received_as_yishenqing_xinxi_gongkai():
    figures, _ = find_prose("2020年，共收到依申请信息公开26件，均已按时答复。")
    assert figures["applications_received"] == 26


def test_prose_settles_a_fused_run_the_table_cannot():
    # pingtan 2022 .txt: '行政规范性文件8855698' for three cells; the prose says
    # '集中公开现行有效行政规范性文件698件，动态更新本年度制发的规范性文件88件' → 88 | 55 | 698,
    # the values the same report's HTML table prints.
    rec = rec_of_text(pingtan(2022))
    assert [rec["active"][f"normative_documents.{c}"] for c in ("issued", "repealed", "in_force")] == [88, 55, 698]
    for c in ("issued", "repealed", "in_force"):
        assert rec["cell_info"][f"active.normative_documents.{c}"]["resolved_by"] == "prose"
        assert f"active.normative_documents.{c}" not in rec["unparsed"]


def test_prose_stating_one_cell_keeps_only_what_every_reading_agrees_on():
    # pingtan 2024 .txt: '行政规范性文件6233440'; prose '本年度制发行政规范性文件62件' leaves
    # 62|3|3440, 62|33|440, 62|334|40, 62|3344|0 → only issued = 62 is certain.
    rec = rec_of_text(pingtan(2024))
    assert rec["active"]["normative_documents.issued"] == 62
    assert rec["active"]["normative_documents.repealed"] is None
    assert rec["active"]["normative_documents.in_force"] is None
    assert {"active.normative_documents.repealed", "active.normative_documents.in_force"} <= set(rec["unparsed"])


def test_issue_sentence_settles_5416():
    # the issue's case: '行政规范性文件5416' with '制定规范性文件5件 … 现行有效16件' → 5 | 4 | 16.
    text = pingtan(2024).replace("规范性文件6233440", "规范性文件5416", 1).replace(
        "动态更新发布本年度制发行政规范性文件62件", "本年度制定规范性文件5件，现行有效16件", 1)
    stated = table_statements(text)
    assert {k: v for k, (v, _) in stated.items()} == {"normative_documents.issued": 5, "normative_documents.in_force": 16}
    rec = rec_of_text(text)
    assert [rec["active"][f"normative_documents.{c}"] for c in ("issued", "repealed", "in_force")] == [5, 4, 16]


def test_prose_that_contradicts_every_cut_changes_nothing():
    text = pingtan(2024).replace("动态更新发布本年度制发行政规范性文件62件", "本年度制定规范性文件7件", 1)
    rec = rec_of_text(text)
    for c in ("issued", "repealed", "in_force"):
        assert rec["active"][f"normative_documents.{c}"] is None


def test_every_cut_agreeing_keeps_that_cell():
    # the issue's '行政处罚3500' in a 2019-format table 二 (上一年项目数量, 本年增/减, 处理决定数量):
    # cuts 3|50|0 and 35|0|0 — decisions is 0 either way; the other two stay unparsed.
    text = pingtan(2020)
    assert "行政处罚2648-18538" in text
    rec = rec_of_text(text.replace("行政处罚2648-18538", "行政处罚3500", 1))
    assert rec["active"]["penalty.decisions"] == 0
    assert rec["cell_info"]["active.penalty.decisions"]["resolved_by"] == "all_readings_agree"
    assert rec["active"]["penalty.prev_items"] is None and rec["active"]["penalty.change"] is None
    assert {"active.penalty.prev_items", "active.penalty.change"} <= set(rec["unparsed"])


def test_lost_column_with_prose_reads_only_the_stated_cell():
    # shanghai-kewei 2024's markdown table 二 with a column lost from the 规章 row: '| 规章 | 22 | 235 |'.
    # Readings: cuts 22|2|35, 22|23|5, or whole fields with a lost slot (22,235,?), (22,?,235), (?,22,235).
    # The prose '制定规章22件' makes issued = 22 in every reading; the other two cells stay unparsed.
    text = shared("corpus", "shanghai", "shanghai-kewei-2024-pdftext.md").read_text(encoding="utf-8")
    assert "| 规章 | 0 | 0 | 0 |" in text
    text = text.replace("| 规章 | 0 | 0 | 0 |", "| 规章 | 22 | 235 |", 1)
    rec = rec_of_text(text, "kewei.md")
    assert all(rec["active"][f"regulations.{c}"] is None for c in ("issued", "repealed", "in_force"))
    text = text.replace("## 表二", "本年度制定规章22件。\n## 表二", 1)
    rec = rec_of_text(text, "kewei.md")
    assert rec["active"]["regulations.issued"] == 22
    assert rec["cell_info"]["active.regulations.issued"]["resolved_by"] == "prose"
    assert rec["active"]["regulations.repealed"] is None and rec["active"]["regulations.in_force"] is None
    assert {"active.regulations.repealed", "active.regulations.in_force"} <= set(rec["unparsed"])


# ── the store keeps how each cell was read ───────────────────────────────────────────────────────

def test_store_keeps_source_resolved_by_and_computed(tmp_path):
    from pipelines.ingest import ingest_paths
    from pipelines.schema import open_db

    db = open_db(str(tmp_path / "t.db"))
    ingest_paths(db, [shared("corpus", "shanghai", "shanghai-kewei-2024-pdftext.md"),
                      shared("corpus", "pingtan", "pingtan-2022-report.txt")])
    rows = set(db.execute(
        "SELECT r.agency, c.key, c.value, c.source, c.confidence, c.resolved_by, c.computed FROM cells c "
        "JOIN reports r ON r.id = c.report_id "
        "WHERE key IN ('carried_forward.total', 'normative_documents.issued', 'granted.total')").fetchall())
    assert ("上海市科委", "carried_forward.total", 1, "text", None, None, 1) in rows
    assert ("上海市科委", "granted.total", 9, "text", None, None, 0) in rows
    assert ("平潭综合实验区", "normative_documents.issued", 88, "text", None, "prose", 0) in rows


# ── rows whose labels are cut away from their values ─────────────────────────────────────────────

def kewei_text() -> str:
    return shared("corpus", "shanghai", "shanghai-kewei-2024-pdftext.md").read_text(encoding="utf-8")


def test_detached_value_rows_are_placed_by_national_order_when_the_identities_hold():
    # shanghai-kewei 2024 (PDF text): '（二）部分公开（区分处理的，只' / '理结计这一情形，不计其他情形）' on lines
    # of their own, the value rows ('| 0 | 0 | … |', '| 1 | 0 | … | 1 |', '| 8 | 2 | … | 10 |') apart.
    rec = rec_of_text(kewei_text(), "kewei.md")
    apps = rec["applications"]
    assert [apps[f"unavailable_not_held.{c}"] for c in ("natural_person", "total")] == [4, 4]
    assert [apps[f"unavailable_needs_creation.{c}"] for c in ("natural_person", "total")] == [6, 6]
    assert [apps[f"other_no_correction.{c}"] for c in ("natural_person", "commercial", "total")] == [8, 2, 10]
    assert apps["withheld_internal_affairs.total"] == 1 and apps["partly_granted.total"] == 0
    assert rec["cell_info"]["applications.other_no_correction.total"]["resolved_by"] == "national_order"
    assert rec["unparsed"] == []
    # the report's prose agrees: 不予公开 2, 无法提供 10, 其他处理 14
    withheld = sum(apps[f"{r}.total"] for r in ("withheld_state_secret", "withheld_prohibited_by_law",
               "withheld_three_safety", "withheld_third_party", "withheld_internal_affairs",
               "withheld_process_info", "withheld_enforcement_file", "withheld_inquiry"))
    assert withheld == 2
    assert apps["unavailable_not_held.total"] + apps["unavailable_needs_creation.total"] + \
        apps["unavailable_unclear.total"] == 10
    assert not [c for c in rec["checks"] if not c["ok"]]


def test_detached_rows_that_would_not_add_up_are_not_placed():
    # one label-less row misprinted (6 … 7): pairing in order no longer adds up, so nothing is placed
    six = "| 6 | 0 | 0 | 0 | 0 | 0 | 6 |"
    assert kewei_text().count(six) == 1
    rec = rec_of_text(kewei_text().replace(six, "| 6 | 0 | 0 | 0 | 0 | 0 | 7 |"), "kewei.md")
    assert rec["applications"]["unavailable_not_held.total"] is None
    assert "applications.unavailable_not_held.total" in rec["unparsed"]
    assert not any(v.get("resolved_by") == "national_order" for v in rec["cell_info"].values())


def test_detached_rows_are_not_placed_when_one_is_missing():
    eight = "| 8 | 2 | 0 | 0 | 0 | 0 | 10 |"
    rec = rec_of_text(kewei_text().replace(eight, "", 1), "kewei.md")
    assert not any(v.get("resolved_by") == "national_order" for v in rec["cell_info"].values())
    assert "applications.other_no_correction.total" in rec["unparsed"]
