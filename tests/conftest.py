"""Shared test helpers. `../shared` sits beside the clone in CI; its absence is a failure, not a skip."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
EXPECTED = Path(__file__).parent / "expected"
FIXTURES = Path(__file__).parent / "fixtures"


def shared(*parts: str) -> Path:
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.fail(f"missing test data {path}: ../shared must sit beside the clone (tests never skip for data)")
    return path


def expected_files() -> list[Path]:
    return sorted(EXPECTED.glob("*.json"))


def load_expected(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def settled(exp: dict) -> dict:
    """An expected file with its `computed` and `resolved` cells applied (tests/expected/README.md):
    the values and unparsed list a full record has."""
    out = {t: dict(exp.get(t, {})) for t in ("active", "applications", "review_litigation")}
    for key, value in exp.get("computed", {}).items():
        table, cell = key.split(".", 1)
        out[table][cell] = value
    for key, entry in exp.get("resolved", {}).items():
        table, cell = key.split(".", 1)
        out[table][cell] = entry["value"]
    out["unparsed"] = [u for u in exp.get("unparsed", []) if u not in exp.get("resolved", {})]
    return out


def q(db, sql: str, *params) -> list[tuple]:
    """Rows of one query on a database file, the connection closed after."""
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()
