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
    want = exp.get(table, {})
    got = rec[table]
    assert set(got) == set(want), f"keys differ: missing {set(want) - set(got)}, extra {set(got) - set(want)}"
    for key, value in want.items():
        assert got[key] == value and type(got[key]) is type(value), f"{table}.{key}: {got[key]!r} != {value!r}"


@pytest.mark.parametrize("name", CASES)
def test_prose_figures(name):
    exp, rec = load_expected(_exp_path(name)), record_for(name)
    assert rec["prose"] == exp.get("prose", {})
    assert set(rec["prose_evidence"]) == set(rec["prose"])


@pytest.mark.parametrize("name", CASES)
def test_unparsed_cells(name):
    exp, rec = load_expected(_exp_path(name)), record_for(name)
    assert sorted(rec["unparsed"]) == sorted(exp.get("unparsed", []))
    for key in rec["unparsed"]:
        table, cell = key.split(".", 1)
        if table in ("active", "applications", "review_litigation"):
            assert rec[table][cell] is None


@pytest.mark.parametrize("name", CASES)
def test_failing_checks(name):
    exp, rec = load_expected(_exp_path(name)), record_for(name)
    failing = sorted((c["rule"], c["key"]) for c in rec["checks"] if not c["ok"])
    assert failing == sorted(tuple(x) for x in exp.get("failing_checks", []))
