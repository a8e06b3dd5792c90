"""Fused digit runs: split only when the table's own identities make the split unique."""

from __future__ import annotations

from conftest import shared

from extract import extract_bytes
from extract.identities import application_identities, review_identities
from extract.splitting import candidates, solve


def test_as_many_digits_as_cells_is_certain():
    assert candidates(["0000000"], 7) == [(0, 0, 0, 0, 0, 0, 0)]


def test_no_leading_zeros_and_forced_cuts_at_spaces():
    # pingtan 2019 '23 0 00 0 023' (（七）总计): spaces survive, '00' and '023' cannot be one cell
    assert candidates(["23", "0", "00", "0", "023"], 7) == [(23, 0, 0, 0, 0, 0, 23)]


def test_row_total_picks_the_one_reading():
    # pingtan 2024 '21710000218': 7 cells; only 217,1,0,0,0,0,218 has total = sum of the six
    keys = [f"new_received.{c}" for c in ("natural_person", "commercial", "research", "nonprofit",
                                           "legal_services", "other_org", "total")]
    solved = solve({"new_received": (keys, ["21710000218"])}, {},
                   application_identities("2021", {"new_received"}))
    assert solved["new_received"] == (217, 1, 0, 0, 0, 0, 218)


def test_table4_run_resolved_by_group_totals():
    keys = [f"{g}.{o}" for g in ("review", "suit_direct", "suit_after_review")
            for o in ("upheld", "corrected", "other", "pending", "total")]
    solved = solve({"_": (keys, ["21317000001324019"])}, {}, [
        (r, k, lhs, rhs) for r, k, lhs, rhs in review_identities()])
    assert solved["_"] == (2, 1, 3, 1, 7, 0, 0, 0, 0, 0, 13, 2, 4, 0, 19)


def test_table2_run_without_identities_is_not_guessed():
    keys = ["normative_documents.issued", "normative_documents.repealed", "normative_documents.in_force"]
    assert len(candidates(["6233440"], 3)) > 1
    assert solve({"normative_documents": (keys, ["6233440"])}, {}, []) == {"normative_documents": None}


def test_source_that_does_not_add_up_leaves_ambiguous_rows_unread():
    # pingtan 2020: the certain rows already break results_sum, so nothing can decide the two fused rows
    rec = extract_bytes(shared("corpus", "pingtan", "pingtan-2020-report.txt").read_bytes(), filename="p.txt")
    assert rec["applications"]["new_received.total"] is None
    assert {f"applications.total.{c}" for c in ("natural_person", "total")} <= set(rec["unparsed"])
    assert rec["applications"]["granted.natural_person"] == 6
