"""Totals the source left blank while every part of them is printed: the sum is certain, so it is
filled in — marked `computed` in the record's `cell_info`, never presented as printed.

Only a cell printed blank qualifies (not one in `unparsed`, not one absent from the layout), and only
when every part is a printed number (itself not computed). The identity used is then a tautology for
that cell, so its check is dropped; every other identity still checks the computed value.
"""

from __future__ import annotations

from extract.formats import APPLICANT_COLUMNS, RESULT_ROWS, REVIEW_GROUPS
from extract.identities import SIX

OUTCOMES = ("upheld", "corrected", "other", "pending")


def _blank(table: str, key: str, values: dict, raw: dict, unparsed: set) -> bool:
    """Printed blank: present in the layout, null, and not a cell we failed to read."""
    return key in values and values[key] is None and f"{table}.{key}" not in unparsed \
        and f"{table}.{key}" in raw


def _fill(table: str, key: str, parts: list[str], values: dict, info: dict, rule: str, rule_key: str) -> bool:
    if info.get(f"{table}.{key}", {}).get("source") == "ocr":
        return False  # a blank recognised in an image may be a faint figure the engine missed
    nums = [values.get(p) for p in parts]
    if any(v is None for v in nums) or any(info.get(f"{table}.{p}", {}).get("computed") for p in parts):
        return False
    values[key] = sum(nums)
    info[f"{table}.{key}"] = {"computed": True, "rule": rule, "rule_key": rule_key,
                              "from": [f"{table}.{p}" for p in parts]}
    return True


def fill_blank_totals(record: dict, info: dict) -> set[tuple[str, str]]:
    """Fill certain blank totals of tables 三 and 四 in place; returns the (rule, key) identities used,
    whose checks are tautologies for the filled cells."""
    used: set[tuple[str, str]] = set()
    raw, unparsed = record["raw"], set(record["unparsed"])
    apps = record["applications"]
    if apps:
        rows = dict.fromkeys(k.split(".")[0] for k in apps)  # printed order
        for row in rows:
            key = f"{row}.total"
            if _blank("applications", key, apps, raw, unparsed) and \
                    _fill("applications", key, [f"{row}.{c}" for c in SIX], apps, info, "row_total", row):
                used.add(("row_total", row))
        layout = record.get("applications_layout")
        results = RESULT_ROWS.get(layout or "", [])
        for col in APPLICANT_COLUMNS if results else []:
            key = f"total.{col}"
            if _blank("applications", key, apps, raw, unparsed) and \
                    _fill("applications", key, [f"{r}.{col}" for r in results], apps, info, "results_sum", col):
                used.add(("results_sum", col))
    review = record["review_litigation"]
    for group in REVIEW_GROUPS if review else []:
        key = f"{group}.total"
        if _blank("review_litigation", key, review, raw, unparsed) and \
                _fill("review_litigation", key, [f"{group}.{o}" for o in OUTCOMES], review, info,
                      f"{group}_total", group):
            used.add((f"{group}_total", group))
    return used
