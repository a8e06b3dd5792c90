"""The arithmetic identities of the national tables, as data.

Used twice: by `checks` to report whether a report adds up, and by the digit-run splitter to decide
whether a fused run (`21710000218` for seven cells) has exactly one reading. An identity is
``(rule, key, lhs, rhs)``: the cells in ``lhs`` sum to the cells in ``rhs``.
"""

from __future__ import annotations

from collections.abc import Collection

from extract.formats import APPLICANT_COLUMNS, RESULT_ROWS, REVIEW_GROUPS, SUBTOTALS

Identity = tuple[str, str, list[str], list[str]]

SIX = APPLICANT_COLUMNS[:-1]


def application_identities(layout: str | None, rows_present: Collection[str]) -> list[Identity]:
    """Identities of table 三 for the rows a report prints (keys are ``row.column``). Without a known
    layout (a fragment that stops before （六）) the result rows are unknown, so no results_sum."""
    out: list[Identity] = []
    results = RESULT_ROWS[layout] if layout else []
    for col in APPLICANT_COLUMNS:
        out.append(("balance", col, [f"new_received.{col}", f"carried_over.{col}"],
                    [f"total.{col}", f"carried_forward.{col}"]))
    for col in APPLICANT_COLUMNS if results else []:
        out.append(("results_sum", col, [f"total.{col}"], [f"{r}.{col}" for r in results]))
    for row in rows_present:
        out.append(("row_total", row, [f"{row}.total"], [f"{row}.{c}" for c in SIX]))
    for sub, parts in SUBTOTALS.items():
        if sub in rows_present:
            for col in APPLICANT_COLUMNS:
                out.append(("subtotal", f"{sub}.{col}", [f"{sub}.{col}"], [f"{p}.{col}" for p in parts]))
    return out


def review_identities() -> list[Identity]:
    return [
        (f"{g}_total", g, [f"{g}.total"], [f"{g}.{o}" for o in ("upheld", "corrected", "other", "pending")])
        for g in REVIEW_GROUPS
    ]
