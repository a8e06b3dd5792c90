"""Arithmetic checks of one record. A failing check is data, not an error.

A check with any null (or absent) input is left out: skipped, not passed.
"""

from __future__ import annotations

from extract.identities import Identity, application_identities, review_identities


def _fmt(v) -> str:
    return str(v)


def evaluate(identity: Identity, values: dict) -> dict | None:
    rule, key, lhs, rhs = identity
    left = [values.get(c) for c in lhs]
    right = [values.get(c) for c in rhs]
    if any(v is None for v in left + right):
        return None
    ok = sum(left) == sum(right)
    detail = f"{' + '.join(map(_fmt, left))} {'=' if ok else '≠'} {' + '.join(map(_fmt, right))}"
    return {"rule": rule, "key": key, "ok": ok, "detail": detail}


def table_checks(record: dict) -> list[dict]:
    out = []
    apps = record.get("applications") or {}
    layout = record.get("applications_layout")
    if apps:
        rows = dict.fromkeys(k.split(".")[0] for k in apps)  # in table order: a set's order changes per process
        for ident in application_identities(layout, rows):
            c = evaluate(ident, apps)
            if c:
                out.append(c)
    rl = record.get("review_litigation") or {}
    for ident in review_identities():
        c = evaluate(ident, rl)
        if c:
            out.append(c)
    return out


def prose_checks(prose: dict, record: dict, table_figures: dict | None = None) -> list[dict]:
    """prose_vs_table: each figure stated in a sentence (`prose`) against the table's.

    `table_figures` are a pre-2019 report's statistics-table figures; otherwise tables 三 and 四."""
    out = []
    apps = record.get("applications") or {}
    rl = record.get("review_litigation") or {}
    table_figures = table_figures or {}

    def add(key, said, table, detail_rhs, ok=None):
        if said is None or table is None:
            return
        ok = (said == table) if ok is None else ok
        out.append({"rule": "prose_vs_table", "key": key, "ok": ok,
                    "detail": f"{said} {'=' if ok else '≠'} {detail_rhs}"})

    if "applications_received" in prose:
        said = prose["applications_received"]
        if "applications_received" in table_figures:
            add("applications_received", said, table_figures["applications_received"],
                str(table_figures["applications_received"]))
        else:
            new, carried = apps.get("new_received.total"), apps.get("carried_over.total")
            if new is not None:
                if said != new and carried is not None and said == new + carried:
                    add("applications_received", said, new + carried, f"{new} + {carried}", ok=True)
                else:
                    add("applications_received", said, new, str(new))
    if "reviews" in prose:
        if "reviews" in table_figures:
            add("reviews", prose["reviews"], table_figures["reviews"], str(table_figures["reviews"]))
        else:
            add("reviews", prose["reviews"], rl.get("review.total"), str(rl.get("review.total")))
    if "lawsuits" in prose:
        if "lawsuits" in table_figures:
            add("lawsuits", prose["lawsuits"], table_figures["lawsuits"], str(table_figures["lawsuits"]))
        else:
            a, b = rl.get("suit_direct.total"), rl.get("suit_after_review.total")
            if a is not None and b is not None:
                add("lawsuits", prose["lawsuits"], a + b, f"{a} + {b}")
    if "active_total" in prose and "active_total" in table_figures:
        add("active_total", prose["active_total"], table_figures["active_total"], str(table_figures["active_total"]))
    return out
