"""OCR cells are kept only when the table's own arithmetic confirms them.

A recognised digit can be wrong in ways no single cell shows (a 7 read as 1, a lost 0). A cell read by
OCR keeps its value only when (a) the engine's confidence is at least MIN_CONFIDENCE where it is known,
(b) it takes part in at least one identity of its table whose every input is present, and (c) every such
identity holds — after setting aside a cell that two failing identities point at (its row's and its
column's), whose identities then judge nothing. Otherwise the value goes (null, listed in `unparsed`, its recognised text kept in `raw`).
Table 二 has no identities: its OCR cells are kept only where the report's own prose states the same
figure (`resolved_by: prose`). Kept cells are marked `resolved_by: identities`.
"""

from __future__ import annotations

from extract.identities import application_identities, review_identities

MIN_CONFIDENCE = 0.6


def _verdicts(values: dict, identities) -> dict[str, list[bool]]:
    out: dict[str, list[bool]] = {}
    for _rule, _key, lhs, rhs in identities:
        cells = lhs + rhs
        if any(values.get(c) is None for c in cells):
            continue
        ok = sum(values[c] for c in lhs) == sum(values[c] for c in rhs)
        for c in cells:
            out.setdefault(c, []).append(ok)
    return out


def _localised_verdicts(values: dict, identities, ocr_keys: set) -> dict[str, list[bool]]:
    """Verdicts after setting aside the misread cells the identities point at: an OCR cell in two or more
    failing identities (its row's and its column's) is the likely culprit, so it is treated as unknown
    and the identities re-judged without it — the other cells of its row and column are then confirmed
    by their own remaining identities, never by one that involved the culprit. Repeated until stable."""
    trial = dict(values)
    while True:
        failing: dict[str, int] = {}
        for cell, oks in _verdicts(trial, identities).items():
            failing[cell] = sum(1 for ok in oks if not ok)
        culprits = {c for c, n in failing.items() if n >= 2 and c in ocr_keys and trial.get(c) is not None}
        if not culprits:
            break
        for c in culprits:
            trial[c] = None
    verdicts = _verdicts(trial, identities)
    return {c: v for c, v in verdicts.items() if trial.get(c) is not None}


def confirm_ocr_cells(record: dict, info: dict, stated: dict | None = None) -> None:
    """Apply the rule above in place to record's tables, `unparsed` and `cell_info`."""
    stated = stated or {}
    apps = record["applications"]
    tables = {
        "active": [],
        "applications": application_identities(record.get("applications_layout"),
                                                {k.split(".")[0] for k in apps}) if apps else [],
        "review_litigation": review_identities(),
    }
    unparsed = record["unparsed"]
    for table, identities in tables.items():
        values = record[table]
        verdicts = _localised_verdicts(values, identities, {k for k in values if (info.get(f"{table}.{k}") or {})
                                                             .get("source") == "ocr"})
        for key, value in values.items():
            tkey = f"{table}.{key}"
            cell = info.get(tkey)
            if not cell or cell.get("source") != "ocr" or value is None or cell.get("computed"):
                continue
            conf = cell.get("confidence")
            sure = conf is None or conf >= MIN_CONFIDENCE
            said = stated.get(key)
            if table == "active" and said is not None and said[0] == value and sure:
                cell.update(resolved_by="prose", evidence=said[1])
            elif sure and verdicts.get(key) and all(verdicts[key]):
                cell["resolved_by"] = "identities"
            else:
                values[key] = None
                cell.pop("resolved_by", None)
                if tkey not in unparsed:
                    unparsed.append(tkey)


def mark_tables_from_ocr(record: dict, info: dict, tables: list[str]) -> None:
    """Every cell of a table read from OCR rows is `source: ocr` (grid cells already carry their confidence)."""
    for table in tables:
        for key in record[table]:
            info.setdefault(f"{table}.{key}", {"source": "ocr", "confidence": None})
