"""Fused digit runs: read a run like `21710000218` as seven cells only when that reading is certain.

A bad text dump collapses a table row into one run of digits. Every way of cutting the run into the
expected number of cells is a candidate (no empty cell, no leading zero but a lone `0`; spaces that
survived are forced cuts). A run with exactly one cut is certain. Otherwise the table's own identities
decide: all fused rows of a table are solved together, and a row is read only when its cut is the same
in every solution. No solution (the source does not add up) or too many → the row stays unread.
"""

from __future__ import annotations

from extract.identities import Identity

MAX_CANDIDATES = 50_000   # per row; a longer run is left unread rather than searched
from extract.limits import MAX_NUMBER_CHARS  # noqa: E402

MAX_NODES = 400_000       # backtracking budget for one table


def _cuts(digits: str, parts: int) -> list[tuple[int, ...]]:
    """All ways to cut one digit string into `parts` numbers without leading zeros.

    Recursive rather than over all combinations: a piece that starts with 0 must be the lone 0, which
    prunes the search to the few real choices in zero-heavy rows (25 digits into 15 cells would be
    two million combinations, of which a few dozen are valid)."""
    out: list[tuple[int, ...]] = []
    n = len(digits)

    def rec(i: int, k: int, acc: tuple[int, ...]) -> None:
        if len(out) > MAX_CANDIDATES:
            return
        if k == 1:
            piece = digits[i:]
            if piece and (piece == "0" or piece[0] != "0"):
                out.append(acc + (int(piece),))
            return
        if digits[i] == "0":
            if n - i - 1 >= k - 1:
                rec(i + 1, k - 1, acc + (0,))
            return
        for j in range(i + 1, n - (k - 1) + 1):
            rec(j, k - 1, acc + (int(digits[i:j]),))

    if parts <= n:
        rec(0, parts, ())
    return out


def candidates(tokens: list[str], n: int) -> list[tuple[int, ...]]:
    """Every reading of the run (tokens are digit strings separated by surviving spaces) as n cells."""
    if not tokens or any(not t.isdigit() for t in tokens):
        return []
    if sum(len(t) for t in tokens) < n or len(tokens) > n:
        return []
    if sum(len(t) for t in tokens) > n * MAX_NUMBER_CHARS:
        return []  # digits enough for a figure beyond every bound in each cell: not a fused table row

    out: list[tuple[int, ...]] = []

    def walk(i: int, left: int, acc: tuple[int, ...]) -> None:
        if len(out) > MAX_CANDIDATES:
            return
        if i == len(tokens):
            if left == 0:
                out.append(acc)
            return
        remaining = len(tokens) - i - 1
        for k in range(1, min(len(tokens[i]), left - remaining) + 1):
            for piece in _cuts(tokens[i], k):
                walk(i + 1, left - k, acc + piece)

    walk(0, n, ())
    return out if len(out) <= MAX_CANDIDATES else []


def solve(
    fused: dict[str, tuple[list[str], list[str]]],
    known: dict[str, int | float | None],
    identities: list[Identity],
    precomputed: dict[str, list[tuple[int, ...]]] | None = None,
    readings_out: dict[str, set] | None = None,
) -> dict[str, tuple[int, ...] | None]:
    """Resolve fused rows. `fused` maps row → (cell keys, digit tokens); `known` holds the cells read
    with certainty. Returns row → its unique reading, or None where the reading is not certain.
    `readings_out`, when given, receives every row's readings over all solutions (left empty when the
    search was cut short or no solution exists) — the caller may keep a cell all of them agree on."""
    result: dict[str, tuple[int, ...] | None] = {}
    cands: dict[str, list[tuple[int, ...]]] = {}
    for row, (keys, tokens) in fused.items():
        cands[row] = (precomputed or {}).get(row) or candidates(tokens, len(keys))

    # Only identities whose every cell is either known (not null) or in a fused row can constrain.
    cell_row = {k: row for row, (keys, _) in fused.items() for k in keys}
    usable = []
    for ident in identities:
        cells = ident[2] + ident[3]
        if all((c in cell_row) or (known.get(c) is not None) for c in cells):
            if any(c in cell_row for c in cells):
                usable.append(ident)

    def holds(ident: Identity, values: dict[str, int | float]) -> bool | None:
        lhs = [values.get(c, known.get(c)) for c in ident[2]]
        rhs = [values.get(c, known.get(c)) for c in ident[3]]
        if any(v is None for v in lhs + rhs):
            return None
        return sum(lhs) == sum(rhs)

    # Filter each row by the identities that involve only that row's unknown cells.
    for row, (keys, _) in fused.items():
        local = [i for i in usable if {cell_row.get(c) for c in i[2] + i[3] if c in cell_row} == {row}]
        kept = []
        for cand in cands[row]:
            values = dict(zip(keys, cand))
            if all(holds(i, values) is not False for i in local):
                kept.append(cand)
        cands[row] = kept

    order = sorted(fused, key=lambda r: len(cands[r]))
    if any(not cands[r] for r in order):
        return {r: None for r in fused}

    solutions: list[dict[str, tuple[int, ...]]] = []
    nodes = 0
    aborted = False

    def consistent(values: dict[str, int]) -> bool:
        return all(holds(i, values) is not False for i in usable)

    def back(i: int, chosen: dict[str, tuple[int, ...]], values: dict[str, int]) -> None:
        nonlocal nodes, aborted
        if aborted:
            return
        if i == len(order):
            solutions.append(dict(chosen))
            if len(solutions) > 1000:
                aborted = True
            return
        row = order[i]
        keys = fused[row][0]
        for cand in cands[row]:
            nodes += 1
            if nodes > MAX_NODES:
                aborted = True
                return
            trial = dict(values)
            trial.update(zip(keys, cand))
            if consistent(trial):
                chosen[row] = cand
                back(i + 1, chosen, trial)
                del chosen[row]

    back(0, {}, {})
    for row in fused:
        readings = {s[row] for s in solutions}
        if readings_out is not None and not aborted:
            readings_out[row] = set(readings)
        result[row] = readings.pop() if (not aborted and len(readings) == 1) else None
    return result
