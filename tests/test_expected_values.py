"""Every cell of every seed and corpus document, against values read off the documents by hand
(tests/expected/*.json; see tests/expected/README.md for how they were read)."""

from __future__ import annotations

from functools import lru_cache

import pytest
from conftest import EXPECTED, SHARED, expected_files, load_expected, shared

from extract import extract_file

CASES = [p.name for p in expected_files()]


def _exp_path(name: str):
    return EXPECTED / name


@lru_cache(maxsize=None)
def record_for(name: str) -> dict:
    src = load_expected(_exp_path(name))["source"].replace("../shared/", "")
    return extract_file(shared(*src.split("/")))


def test_every_expected_file_names_a_shared_source():
    assert len(CASES) >= 21
    for name in CASES:
        src = load_expected(_exp_path(name))["source"]
        assert src.startswith("../shared/"), name
        assert (SHARED / src.replace("../shared/", "")).exists(), src


@pytest.mark.parametrize("name", CASES)
def test_metadata(name):
    exp, rec = load_expected(_exp_path(name)), record_for(name)
    for key in ("agency", "year", "format", "applications_layout"):
        assert rec[key] == exp[key], key
    if "published" in exp:
        assert rec["published"] == exp["published"]


@pytest.mark.parametrize("table", ["active", "applications", "review_litigation"])
@pytest.mark.parametrize("name", CASES)
def test_every_cell(name, table):
    exp, rec = load_expected(_exp_path(name)), record_for(name)
    want = dict(exp.get(table, {}))
    got = rec[table]
    assert set(got) == set(want), f"keys differ: missing {set(want) - set(got)}, extra {set(got) - set(want)}"
    # A total printed blank whose parts are all printed is filled in and marked computed: the expected
    # file keeps the printed null and lists the sum under "computed" (checked by hand).
    computed = {k.split(".", 1)[1]: v for k, v in exp.get("computed", {}).items() if k.startswith(table + ".")}
    for key, value in computed.items():
        assert want[key] is None, f"{table}.{key} is computed only when printed blank"
        assert rec["cell_info"].get(f"{table}.{key}", {}).get("computed"), f"{table}.{key} not marked computed"
        want[key] = value
    marked = {k for k, v in rec["cell_info"].items() if v.get("computed") and k.startswith(table + ".")}
    assert marked == {f"{table}.{k}" for k in computed}
    # A fused cell the table alone could not cut, settled by the report's own prose (or by every
    # reading agreeing): the expected file keeps it unparsed as the table alone reads, and lists the
    # value, checked by hand against the report's other rendering, under "resolved".
    for key, value in _resolved(exp, table).items():
        assert rec["cell_info"].get(f"{table}.{key}", {}).get("resolved_by"), f"{table}.{key} not marked resolved"
        want[key] = value
    for key, value in want.items():
        assert got[key] == value and type(got[key]) is type(value), f"{table}.{key}: {got[key]!r} != {value!r}"


@pytest.mark.parametrize("name", CASES)
def test_prose_figures(name):
    exp, rec = load_expected(_exp_path(name)), record_for(name)
    assert rec["prose"] == exp.get("prose", {})
    assert set(rec["prose_evidence"]) == set(rec["prose"])


def _resolved(exp: dict, table: str) -> dict:
    return {k.split(".", 1)[1]: v["value"] for k, v in exp.get("resolved", {}).items() if k.startswith(table + ".")}


@pytest.mark.parametrize("name", CASES)
def test_unparsed_cells(name):
    exp, rec = load_expected(_exp_path(name)), record_for(name)
    resolved = set(exp.get("resolved", {}))
    assert resolved <= set(exp.get("unparsed", []))
    assert sorted(rec["unparsed"]) == sorted(set(exp.get("unparsed", [])) - resolved)
    marked = {k for k, v in rec["cell_info"].items() if v.get("resolved_by")}
    assert marked == resolved
    for key in resolved:
        assert rec["cell_info"][key]["resolved_by"] == exp["resolved"][key]["resolved_by"]
    for key in rec["unparsed"]:
        table, cell = key.split(".", 1)
        if table in ("active", "applications", "review_litigation"):
            assert rec[table][cell] is None


@pytest.mark.parametrize("name", CASES)
def test_failing_checks(name):
    exp, rec = load_expected(_exp_path(name)), record_for(name)
    failing = sorted((c["rule"], c["key"]) for c in rec["checks"] if not c["ok"])
    assert failing == sorted(tuple(x) for x in exp.get("failing_checks", []))
