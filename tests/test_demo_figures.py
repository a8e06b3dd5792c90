"""demo/figures.py: the one generator core of table 三 and 四 figures, for the demo portal and bench/publish.py.
Its row order is written independently of extract/ (the portal is the extractor's oracle) and must agree."""

from __future__ import annotations

from demo import figures as FIG
from extract import formats as F


def test_row_order_agrees_with_the_extractor():
    for layout in ("2019", "2021"):
        assert FIG.printed_rows(layout, subtotals=True) == [k for k, *_ in F.application_rows(layout)]
        assert FIG.printed_rows(layout) == [k for k, _c, _o, sub in F.application_rows(layout) if not sub]
        assert FIG.RESULTS[layout] == F.RESULT_ROWS[layout]
    assert FIG.SUBTOTALS == F.SUBTOTALS and FIG.COLS == F.APPLICANT_COLUMNS
    assert FIG.REVIEW_GROUPS == F.REVIEW_GROUPS and FIG.OUTCOMES + ["total"] == F.REVIEW_OUTCOMES


def zeros(layout: str) -> dict:
    return {col: dict.fromkeys(FIG.RESULTS[layout], 0) for col in FIG.SIX}


def prefixed(apps: dict, rev: dict | None = None) -> dict:
    return {**{f"applications.{k}": v for k, v in apps.items()},
            **{f"review_litigation.{k}": v for k, v in (rev or {}).items()}}


def test_figures_add_up_and_a_planted_slip_does_not():
    results = zeros("2021")
    results["natural_person"].update(granted=3, unavailable_not_held=1)
    co, cf = dict.fromkeys(FIG.SIX, 0), dict.fromkeys(FIG.SIX, 0)
    co["natural_person"], cf["natural_person"] = 2, 1
    apps = FIG.add_up_applications("2021", results, co, cf, subtotals=True)
    assert (apps["total.natural_person"], apps["new_received.natural_person"], apps["new_received.total"]) == (4, 3, 3)
    assert (apps["unavailable_subtotal.natural_person"], apps["unavailable_subtotal.total"]) == (1, 1)
    assert FIG.failing_identities(prefixed(apps), "2021", "2021") == []
    FIG.shift_column(apps, "granted", "natural_person", "commercial")   # the row total still holds
    assert (apps["granted.natural_person"], apps["granted.commercial"], apps["granted.total"]) == (2, 1, 3)
    assert FIG.failing_identities(prefixed(apps), "2021", "2021") == [
        ["results_sum", "natural_person"], ["results_sum", "commercial"]]


def test_more_carried_in_than_handled_is_granted():
    results = zeros("2019")
    results["commercial"]["granted"] = 1
    co = {**dict.fromkeys(FIG.SIX, 0), "commercial": 5}
    apps = FIG.add_up_applications("2019", results, co, dict.fromkeys(FIG.SIX, 0))
    assert (apps["granted.commercial"], apps["total.commercial"], apps["new_received.commercial"]) == (5, 5, 0)
    assert "withheld_subtotal.total" not in apps
    rev = FIG.add_up_review({"review": [2, 1, 0, 0], "suit_direct": [0, 0, 1, 0], "suit_after_review": [0, 0, 0, 0]})
    assert (rev["review.total"], rev["suit_direct.total"]) == (3, 1)
    FIG.put_off(rev, "review.total", -5)   # never printed below zero
    assert rev["review.total"] == 0
    assert FIG.failing_identities(prefixed(apps, rev), "2019", "2019") == [["review_total", "review"]]


def test_the_benchmark_generator_uses_the_same_core():
    from demo.generator import Generator  # bench/publish.py's records

    gen = Generator(5, {i: [] for i in range(7)})
    apps, forward = gen.applications("2021", 240, None, subtotals=True)
    rev = gen.review(240)
    assert apps["new_received.total"] == 240 and apps["carried_forward.total"] == sum(forward)
    assert FIG.failing_identities(prefixed(apps, rev), "2021", "2021") == []
    rec = {"applications": apps, "review_litigation": rev}
    kind = gen.plant_failure(rec)
    assert FIG.failing_identities(prefixed(apps, rev), "2021", "2021"), kind


def test_table_two_rows_agree_with_the_extractor():
    from demo import generator as G

    for fmt in ("2019", "2021"):
        assert list(G.ACTIVE_ROWS[fmt].items()) == list(F.ACTIVE_COLUMNS[fmt].items())
    assert G.REVIEW_KEYS == F.REVIEW_KEYS
    assert [G.year_format(y) for y in (2018, 2019, 2020, 2021)] == ["legacy", "2019", "2019", "2021"]


def test_the_portal_and_the_benchmark_fill_table_two_in_one_order():
    from demo import generator as G
    from demo.portal import DemoPortal

    specs = {s.fmt: s for s in DemoPortal(size=1).site("trs").specs}
    gen = G.Generator(5, {i: [] for i in range(7)})
    for fmt in ("2019", "2021"):
        order = [f"{row}.{col}" for row, cols in G.ACTIVE_ROWS[fmt].items() for col in cols]
        assert list(G.figures(specs[fmt]).acells) == order
        assert list(gen.active(fmt, {"level": "county"}, 16.0)) == order


def test_a_benchmark_page_prints_its_record():
    """The benchmark's page (its body rendered by the generator's one renderer) gives the extractor the record's
    tables 二 and 四 back."""
    from demo import generator as G
    from extract.checks import prose_checks, table_checks
    from pipelines.parse import clean_and_extract
    from pipelines.writers import agency_id

    gen = G.Generator(3, {i: ["{P}认真贯彻落实《条例》，{Y}年政府信息公开工作取得新进展。"] for i in range(7)},
                      formats=F, checks=(table_checks, prose_checks))
    agency = G.make_agencies(gen.rng, 40, agency_id)[7]
    for year in (2020, 2023):
        rec, (page, _forward, _new) = gen.record(agency, year, None, 20.0, "http://www.example.gov.cn/a.html",
                                                 "2026-01-01T00:00:00+00:00")
        assert page.count(b"<table") == 3 + bool(rec["page_meta"])
        got = clean_and_extract(page, filename="a.html")
        assert (got["format"], got["active"], got["review_litigation"]) == (
            rec["format"], rec["active"], rec["review_litigation"])
