"""Tables 三 and 四 of a generated report: the table core of the one report generator (demo/generator.py), for
the demo portal and the publishing benchmark (bench/publish.py).

Each caller draws its own counts (the portal from `random`, seeded per report; the benchmark from numpy, with
long-tailed distributions), then this module makes them a table that adds up: table 三's totals, new requests
from the carried-over and carried-forward ones, subtotals and row totals, table 四's totals. Planted failures
then change printed figures after the table was made to add up (`put_off`, `shift_column`), and
`failing_identities` lists what no longer holds.

The row order and the identities are written here from the national format (research/formats.md), not
imported from `extract/`: the demo portal is the extractor's test oracle, so it must not share its code.
tests/test_demo_figures.py checks that the two agree.
"""

from __future__ import annotations

SIX = ["natural_person", "commercial", "research", "nonprofit", "legal_services", "other_org"]
COLS = SIX + ["total"]
WITHHELD = ["withheld_state_secret", "withheld_prohibited_by_law", "withheld_three_safety", "withheld_third_party",
            "withheld_internal_affairs", "withheld_process_info", "withheld_enforcement_file", "withheld_inquiry"]
UNAVAILABLE = ["unavailable_not_held", "unavailable_needs_creation", "unavailable_unclear"]
DECLINED = ["declined_petition", "declined_repeat", "declined_publication", "declined_excessive",
            "declined_confirmation"]
OTHER_2021 = ["other_no_correction", "other_unpaid_fee", "other_other"]
RESULTS = {
    "2019": ["granted", "partly_granted", *WITHHELD, *UNAVAILABLE, *DECLINED, "other"],
    "2021": ["granted", "partly_granted", *WITHHELD, *UNAVAILABLE, *DECLINED, *OTHER_2021],
}
SUBTOTALS = {"withheld_subtotal": WITHHELD, "unavailable_subtotal": UNAVAILABLE, "declined_subtotal": DECLINED,
             "other_subtotal": OTHER_2021}
REVIEW_GROUPS = ["review", "suit_direct", "suit_after_review"]
OUTCOMES = ["upheld", "corrected", "other", "pending"]


def subtotal_rows(layout: str) -> list[str]:
    """The subtotal rows a layout may print (the 2019 layout has a single （六） row, no subtotal)."""
    return [s for s in SUBTOTALS if not (layout == "2019" and s == "other_subtotal")]


def printed_rows(layout: str, subtotals: bool = False) -> list[str]:
    """Table 三's rows in the national order: 本年新收, 上年结转, the results (each group's 小计 before its
    items when printed), 总计, 结转下年度."""
    rows = ["new_received", "carried_over"]
    for row in RESULTS[layout]:
        sub = next((s for s, parts in SUBTOTALS.items() if parts[0] == row), None)
        if subtotals and sub in subtotal_rows(layout):
            rows.append(sub)
        rows.append(row)
    return rows + ["total", "carried_forward"]


def add_up_applications(layout: str, results: dict[str, dict[str, int]], carried_over: dict[str, int],
                        carried_forward: dict[str, int], subtotals: bool = False) -> dict[str, int]:
    """Table 三 ('row.col' → figure) from each applicant column's results and its carried-over and
    carried-forward requests: every identity holds (balance, results_sum, row_total, subtotal).
    New requests are what balances (total + carried forward − carried over); a column that carried in more
    than it handled has the surplus granted, so new requests never go below zero."""
    v: dict[str, int] = {}
    rows = RESULTS[layout]
    for col in SIX:
        for row in rows:
            v[f"{row}.{col}"] = int(results[col][row])
        total = sum(v[f"{row}.{col}"] for row in rows)
        cf, co = int(carried_forward[col]), int(carried_over[col])
        if co > total + cf:
            v[f"granted.{col}"] += co - total - cf
            total = co - cf
        v[f"total.{col}"] = total
        v[f"carried_forward.{col}"] = cf
        v[f"carried_over.{col}"] = co
        v[f"new_received.{col}"] = total + cf - co
    printed = ["new_received", "carried_over", *rows, "total", "carried_forward"]
    if subtotals:
        for sub in subtotal_rows(layout):
            for col in SIX:
                v[f"{sub}.{col}"] = sum(v[f"{p}.{col}"] for p in SUBTOTALS[sub])
            printed.append(sub)
    for row in printed:
        v[f"{row}.total"] = sum(v[f"{row}.{c}"] for c in SIX)
    return v


def add_up_review(counts: dict[str, list[int]]) -> dict[str, int]:
    """Table 四 ('group.outcome' → figure) from each group's upheld, corrected, other and pending counts."""
    v: dict[str, int] = {}
    for g in REVIEW_GROUPS:
        for o, n in zip(OUTCOMES, counts[g]):
            v[f"{g}.{o}"] = int(n)
        v[f"{g}.total"] = sum(v[f"{g}.{o}"] for o in OUTCOMES)
    return v


# ── planted failures: a printed figure changed after the table was made to add up ──────────────────

def put_off(table: dict, key: str, delta: int) -> None:
    """One printed figure off by `delta` (never below zero): a cell off its row total, a total off its column."""
    table[key] = max(0, table[key] + delta)


def shift_column(apps: dict, row: str, a: str, b: str) -> None:
    """One request counted under applicant `b` instead of `a` in one row (seed 000's slip): the row total
    still holds, the columns' balance and results sums do not. With nothing under `a`, one more request is
    printed under `a` and in the row total."""
    if apps.get(f"{row}.{a}"):
        apps[f"{row}.{a}"] -= 1
        apps[f"{row}.{b}"] += 1
    else:
        apps[f"{row}.{a}"] += 1
        apps[f"{row}.total"] += 1


# ── the identities ───────────────────────────────────────────────────────────────────────────────

def failing_identities(values: dict, layout: str | None, fmt: str) -> list[list[str]]:
    """[rule, key] of every identity that does not hold, in the schema's terms ('table.row.col' and
    'prose.key' values; a null figure makes its identity unknown, not failing)."""
    out: list[list[str]] = []
    a = {k[len("applications."):]: v for k, v in values.items() if k.startswith("applications.")}
    r = {k[len("review_litigation."):]: v for k, v in values.items() if k.startswith("review_litigation.")}
    p = {k[len("prose."):]: v for k, v in values.items() if k.startswith("prose.")}

    def check(rule, key, lhs, rhs, src):
        vals = [src.get(c) for c in lhs + rhs]
        if any(v is None for v in vals):
            return
        if sum(src[c] for c in lhs) != sum(src[c] for c in rhs):
            out.append([rule, key])

    if a:
        for col in COLS:
            check("balance", col, [f"new_received.{col}", f"carried_over.{col}"],
                  [f"total.{col}", f"carried_forward.{col}"], a)
        for col in COLS:
            check("results_sum", col, [f"total.{col}"], [f"{row}.{col}" for row in RESULTS[layout]], a)
        for row in sorted({k.split(".")[0] for k in a}):
            check("row_total", row, [f"{row}.total"], [f"{row}.{c}" for c in SIX], a)
        for sub, parts in SUBTOTALS.items():
            if any(k.startswith(sub + ".") for k in a):
                for col in COLS:
                    check("subtotal", f"{sub}.{col}", [f"{sub}.{col}"], [f"{q}.{col}" for q in parts], a)
    if r:
        for g in REVIEW_GROUPS:
            check(f"{g}_total", g, [f"{g}.total"], [f"{g}.{o}" for o in OUTCOMES], r)
    if fmt != "legacy":
        if "applications_received" in p and a.get("new_received.total") is not None:
            said, new, carried = p["applications_received"], a["new_received.total"], a.get("carried_over.total")
            if said != new and not (carried is not None and said == new + carried):
                out.append(["prose_vs_table", "applications_received"])
        if "reviews" in p and r.get("review.total") is not None and p["reviews"] != r["review.total"]:
            out.append(["prose_vs_table", "reviews"])
        if "lawsuits" in p and None not in (r.get("suit_direct.total"), r.get("suit_after_review.total")):
            if p["lawsuits"] != r["suit_direct.total"] + r["suit_after_review.total"]:
                out.append(["prose_vs_table", "lawsuits"])
    return out
