"""Document rows → tables 二, 三 and 四 of the canonical record.

Every reader's output is flattened into one normalised string in which fields are separated by
``\\x1f`` and rows by ``\\n``, with a map back to (row, field). Row labels are then found in printed
order (see `formats`), and each label's values are read in one of two ways:

* grid: the label sits in a real table row → its values are the cells of that same row;
* stream: the cell structure was lost → its values are the number tokens that follow the label.

A row that cannot be read with certainty keeps its cells as null and lists them in ``unparsed``;
nothing is guessed.
"""

from __future__ import annotations

import bisect
import itertools
import re
from dataclasses import dataclass, field

from extract import formats as F
from extract.document import Document, Row
from extract.identities import application_identities, review_identities
from extract.limits import MAX_NUMBER_CHARS, figure_problem
from extract.normalize import clean_artefacts, normalize
from extract.numbers import WHITESPACE, is_blank, parse_amount_yuan, parse_number, squash
from extract.splitting import candidates, solve

SEP = "\x1f"
# A number glued to a Latin unit or a CSS length (`width:149px`, `12%`, `3pt`, `1.5em`) is never a cell:
# the lookarounds refuse digits touching ASCII letters, `%`, `:` or `#` (style text, colour codes).
NOT_UNIT = r"(?![\d.,]*[A-Za-z%％‰])"
TOKEN = re.compile(r"(?<![A-Za-z:#])(?:" + NOT_UNIT + r")(?:"
                   r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?(?:亿元|万元|元|亿|万)?"
                   r"|[+-]?\d+(?:\.\d+)?(?:亿元|万元|元|亿|万)?(?![A-Za-z%％‰])"
                   r"|—+(?=[\s\x1f|]|$)|-(?=[\s\x1f|]|$)|/(?=[\s\x1f|]|$))")
SEPARATORS = re.compile(r"[\s\x1f|]*")
CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass
class Flat:
    """The document as one matchable string, with the way back to rows and fields."""

    text: str
    rows: list[Row]
    starts: list[int] = field(default_factory=list)     # start offset of every field
    where: list[tuple[int, int]] = field(default_factory=list)  # (row, field) of every field
    row_ends: list[int] = field(default_factory=list)   # end offset of every row
    index: dict = field(default_factory=dict)           # (row, field) → position in starts

    @classmethod
    def build(cls, doc: Document) -> "Flat":
        parts: list[str] = []
        starts, where, row_ends = [], [], []
        pos = 0
        for i, row in enumerate(doc.rows):
            if i:
                parts.append("\n")
                pos += 1
            for j, f in enumerate(row.fields):
                if j:
                    parts.append(SEP)
                    pos += 1
                t = normalize(f).replace(SEP, " ") if f else ""
                starts.append(pos)
                where.append((i, j))
                parts.append(t)
                pos += len(t)
            row_ends.append(pos)
        return cls("".join(parts), doc.rows, starts, where, row_ends, {w: k for k, w in enumerate(where)})

    def locate(self, pos: int) -> tuple[int, int]:
        k = bisect.bisect_right(self.starts, pos) - 1
        return self.where[max(k, 0)]

    def field_text(self, i: int, j: int) -> str:
        k = self.index[(i, j)]
        end = self.starts[k + 1] - 1 if k + 1 < len(self.starts) and self.where[k + 1][0] == i else self.row_ends[i]
        return self.text[self.starts[k]:end]


def spread(core: str) -> re.Pattern:
    """Compile a label core so that plain-CJK alternatives tolerate line breaks inside the label."""
    alts = []
    for alt in core.split("|"):
        if re.fullmatch(r"[\u4e00-\u9fff“”]+", alt):
            alts.append(r"[ \t\n]*".join(re.escape(c) for c in alt))
        else:
            alts.append(alt)
    return re.compile("|".join(alts))


@dataclass
class Read:
    """The outcome of reading one labelled row."""

    tokens: list[str] | None = None   # the printed cell texts, one per expected cell
    fused: list[str] | None = None    # digit tokens to be split into the expected cells
    raw: str = ""                     # what was printed after the label, for `raw`/`unparsed`
    confidences: list | None = None   # OCR confidence of each token, when the row was recognised from an image
    short_grid: bool = False          # fused came from a grid row with fewer fields than cells: a
    #                                   column may be lost rather than fused (never certain by cuts alone)


def _tokens_at(text: str, pos: int, end: int) -> tuple[list[str], int]:
    """Number tokens from pos, stopping at the first thing that is not a token or a separator.
    An ordinal like the `2` of `…40000042.其他法律` belongs to the next label and is dropped."""
    toks: list[str] = []
    while True:
        m = SEPARATORS.match(text, pos, end)
        pos = m.end()
        t = TOKEN.match(text, pos, end)
        if not t:
            break
        toks.append(t.group())
        pos = t.end()
    if toks and re.fullmatch(r"\d+", toks[-1]) and pos < len(text) and text[pos] in ".、" \
            and (pos + 1 >= len(text) or not text[pos + 1].isdigit()):
        toks[-1] = toks[-1][:-1]
        if not toks[-1]:
            toks.pop()
    return toks, pos


def _skip_label_tail(text: str, pos: int, end: int) -> int:
    """Past the rest of a label ('…（区分处理的，只计这一情形…）') to where its values may start."""
    while pos < end:
        c = text[pos]
        if c.isdigit():
            if TOKEN.match(text, pos, end):
                return pos
            while pos < end and (text[pos].isdigit() or text[pos] in ".,"):
                pos += 1  # a number glued to a unit (149px) is style text, not a value
            continue
        if c in "—-/" and pos > 0 and text[pos - 1] in " \t\n\x1f|":
            return pos
        pos += 1
    return pos


def _grid_values(flat: Flat, i: int, j: int, n: int) -> Read:
    row = flat.rows[i]
    vals = [(k, f) for k, f in enumerate(row.fields[j + 1:], start=j + 1) if f is not None]
    texts = [flat.field_text(i, k) for k, _ in vals]
    originals = [clean_artefacts(f).strip() for _, f in vals]
    confs = [row.ocr[k] if row.ocr and k < len(row.ocr) else None for k, _ in vals]
    # Stray empty fields: trailing in pipe/tab dumps, leading (an empty label column) in aligned grids.
    while len(texts) > n:
        if row.aligned and is_blank(texts[0]):
            texts.pop(0), originals.pop(0), confs.pop(0)
        elif is_blank(texts[-1]):
            texts.pop(), originals.pop(), confs.pop()
        elif is_blank(texts[0]):
            texts.pop(0), originals.pop(0), confs.pop(0)
        else:
            break
    raw = " | ".join(originals)
    if len(texts) == n and all(is_blank(t) or TOKEN.fullmatch(WHITESPACE.sub("", t)) for t in texts):
        return Read(tokens=[WHITESPACE.sub("", o).replace("，", ",") if not is_blank(o) else "" for o in originals],
                    raw=raw, confidences=confs if row.ocr else None)
    digits = [WHITESPACE.sub("", t) for t in texts if not is_blank(t)]
    if 0 < len(texts) < n and all(d.isdigit() for d in digits) and len(digits) == len(texts):
        return Read(fused=digits, raw=raw, short_grid=True)
    return Read(raw=raw)


def read_row(flat: Flat, m: re.Match, next_start: int, n: int, region_has_grid: bool) -> Read:
    """The values of the row whose label matched at m (see the module docstring)."""
    i, j = flat.locate(m.end() - 1)
    row = flat.rows[i]
    if row.grid and len([f for f in row.fields if f is not None]) >= 2:
        return _grid_values(flat, i, j, n)
    end = min(next_start, len(flat.text))
    if region_has_grid:
        end = min(end, flat.row_ends[i])
    start = _skip_label_tail(flat.text, m.end(), end)
    toks, stop = _tokens_at(flat.text, start, end)
    raw = " ".join(toks)
    if region_has_grid and flat.text[stop:flat.row_ends[i]].strip(" \t\x1f|"):
        return Read(raw=raw)  # something else follows on the line: not a clean label-and-values line
    if len(toks) == n:
        return Read(tokens=toks, raw=raw)
    if 0 < len(toks) < n and all(t.isdigit() for t in toks):
        return Read(fused=toks, raw=raw)
    return Read(raw=raw)


def find_rows(flat: Flat, specs: list[tuple[str, str, bool]], start: int, end: int, prefer_grid: bool = False):
    """Find row labels in printed order → [(key, match, in_order)].

    specs: (key, core, optional). An optional row (a subtotal) only counts when it stands before the
    next mandatory row's label, so a stray word in later prose cannot pull the search past the table.
    A mandatory label found only *before* its predecessor (PDF dumps that scramble label and value
    lines) is reported with in_order False: the row is present but its values are not certain.
    With prefer_grid, a label that first occurs in a plain line ('### 一、本年新收…' above the table)
    is taken from its next occurrence inside a table row, if that comes before the next label."""
    found: list[tuple[str, re.Match, bool]] = []
    pos = start
    for idx, (key, core, optional) in enumerate(specs):
        limit = end
        if optional:
            for key2, core2, opt2 in specs[idx + 1:]:
                if not opt2:
                    m2 = spread(core2).search(flat.text, pos, end)
                    if m2:
                        limit = m2.start()
                    break
        pattern = spread(core)
        m = pattern.search(flat.text, pos, limit)
        if m:
            found.append((key, m, True))
            pos = m.end()
        elif not optional and key not in HEADER_WORDS:
            m = pattern.search(flat.text, start, pos)
            if m:
                found.append((key, m, False))
    if prefer_grid:
        for n, (key, m, ok) in enumerate(found):
            if not ok or flat.rows[flat.locate(m.end() - 1)[0]].grid:
                continue
            nxt = next((m2.start() for _, m2, ok2 in found[n + 1:] if ok2), end)
            core = next(c for k, c, _ in specs if k == key)
            for m2 in spread(core).finditer(flat.text, m.end(), nxt):
                if flat.rows[flat.locate(m2.end() - 1)[0]].grid:
                    found[n] = (key, m2, True)
                    break
    return found


# Row keys whose core is also a header word of table 三 ('总计', '其他'): never searched backwards.
HEADER_WORDS = {"total", "other", "other_other"}


def _next_start(found, n: int, end: int) -> int:
    return next((m.start() for _, m, ok in found[n + 1:] if ok and m.start() > found[n][1].start()), end)


def _region_has_grid(flat: Flat, start: int, end: int) -> bool:
    i0, _ = flat.locate(start)
    i1, _ = flat.locate(max(end - 1, start))
    return any(r.grid and len([f for f in r.fields if f is not None]) >= 3 for r in flat.rows[i0:i1 + 1])


@dataclass
class TableResult:
    values: dict = field(default_factory=dict)
    raw: dict = field(default_factory=dict)
    unparsed: list = field(default_factory=list)
    rows_present: set = field(default_factory=set)
    info: dict = field(default_factory=dict)  # "table.key" → how a cell was read, when not plainly (cell_info)
    reasons: dict = field(default_factory=dict)   # table.key → why a present cell is unparsed (a bound)


class OutOfBounds(ValueError):
    pass


def _parse_cell(text: str, column: str, header_unit: str | None):
    if len(squash(text)) > MAX_NUMBER_CHARS:
        raise OutOfBounds(f"{len(squash(text)):,} characters is not a figure (limit {MAX_NUMBER_CHARS})")
    value = parse_amount_yuan(text, header_unit) if column == "amount_yuan" else parse_number(text)
    problem = figure_problem(value, column)
    if problem:
        raise OutOfBounds(problem)
    return value


def _settle(result: TableResult, table: str, reads: dict[str, tuple[list[str], Read]], identities,
            header_unit: str | None = None, stated: dict | None = None) -> None:
    """Turn row reads into values; split fused runs where the identities make the split unique."""
    fused: dict[str, tuple[list[str], list[str]]] = {}
    fused_cands: dict[str, list] = {}
    for row, (cols, read) in reads.items():
        keys = [f"{row}.{c}" for c in cols]
        result.rows_present.add(row)
        if read.tokens is not None:
            for n, (key, col, tok) in enumerate(zip(keys, cols, read.tokens)):
                result.raw[f"{table}.{key}"] = tok
                if read.confidences is not None:
                    result.info[f"{table}.{key}"] = {"source": "ocr", "confidence": read.confidences[n]}
                try:
                    result.values[key] = _parse_cell(tok, col, header_unit)
                except OutOfBounds as exc:
                    result.values[key] = None
                    result.unparsed.append(f"{table}.{key}")
                    result.reasons[f"{table}.{key}"] = str(exc)
                    result.raw[f"{table}.{key}"] = tok[:MAX_NUMBER_CHARS * 2]
                except ValueError:
                    result.values[key] = None
                    result.unparsed.append(f"{table}.{key}")
        elif read.fused is not None:
            # a reading with a figure out of bounds is no reading
            cands = [c for c in candidates(read.fused, len(keys))
                     if not any(figure_problem(v, col) for v, col in zip(c, cols))]
            if len(cands) == 1:
                for key, v in zip(keys, cands[0]):
                    result.values[key] = v
                    result.raw[f"{table}.{key}"] = str(v)
            else:
                fused[row] = (keys, read.fused)
                fused_cands[row] = cands
        else:
            for key in keys:
                result.values[key] = None
                result.raw[f"{table}.{key}"] = read.raw
                result.unparsed.append(f"{table}.{key}")
    if fused:
        short = {r for r in fused if reads[r][1].short_grid}
        _settle_fused(result, table, fused, fused_cands, identities, stated or {}, short)


def _placements(tokens: list[str], n: int, says: dict[int, int]) -> list[tuple]:
    """Readings of a grid row that lost columns: its fields kept whole, in order, in n slots; a lost
    slot is unknown (None) unless the report's prose states that cell."""
    if any(len(t) > MAX_NUMBER_CHARS for t in tokens):
        return []  # not figures (extract/limits.py)
    out = []
    for slots in itertools.combinations(range(n), len(tokens)):
        reading: list = [says.get(i) for i in range(n)]
        if any(i in says and says[i] != int(t) for i, t in zip(slots, tokens)):
            continue
        for i, t in zip(slots, tokens):
            reading[i] = int(t)
        out.append(tuple(reading))
    return out


def _settle_fused(result: TableResult, table: str, fused: dict, fused_cands: dict, identities,
                  stated: dict, short_grid: set) -> None:
    """Fused rows: a unique cut (alone or with the identities) is read as before. Otherwise the
    report's own prose may pick the cut (`resolved_by: prose`), and a cell on which every remaining
    reading agrees is kept (`resolved_by: all_readings_agree`); the rest stay unparsed."""
    narrowed: dict[str, dict[int, int]] = {}
    for row, (keys, _) in fused.items():
        says = {i: stated[k][0] for i, k in enumerate(keys) if k in stated}
        if says:
            kept = [c for c in fused_cands[row] if all(c[i] == v for i, v in says.items())]
            if kept and len(kept) < len(fused_cands[row]):
                fused_cands[row] = kept
                narrowed[row] = says
    readings: dict[str, set] = {}
    solved = solve(fused, result.values, identities, fused_cands, readings)
    constrained = {c for ident in identities for c in ident[2] + ident[3]}
    for row, (keys, tokens) in fused.items():
        reading = solved.get(row)
        options = readings.get(row)
        if reading is None and options is None and not any(k in constrained for k in keys):
            options = set(fused_cands[row])  # no identity ties this row to others
        if reading is not None and row in narrowed and row in short_grid:
            options, reading = {reading}, None  # the prose chose a cut; a lost column stays possible
        if reading is None and options and row in short_grid:
            options = options | set(_placements(tokens, len(keys), narrowed.get(row) or
                                                {i: stated[k][0] for i, k in enumerate(keys) if k in stated}))
        for n, key in enumerate(keys):
            tkey = f"{table}.{key}"
            values = {o[n] for o in options} if reading is None and options else set()
            value = reading[n] if reading is not None else (values.pop() if len(values) == 1 else None)
            if value is None:
                result.values[key] = None
                result.raw[tkey] = " ".join(tokens)
                result.unparsed.append(tkey)
                continue
            result.values[key] = value
            result.raw[tkey] = str(value) if reading is not None else " ".join(tokens)
            if row in narrowed:
                evidence = [stated[k][1] for k in keys if k in stated]
                result.info[tkey] = {"resolved_by": "prose", "evidence": evidence[0] if len(evidence) == 1
                                     else evidence}
            elif reading is None:
                result.info[tkey] = {"resolved_by": "all_readings_agree"}


# ── table 二 ────────────────────────────────────────────────────────────────────────────────────

def read_active(flat: Flat, start: int, end: int, stated: dict | None = None) -> tuple[str | None, TableResult]:
    """Table 二. `stated`: cells the report's prose states (prose.table_statements), used only to
    choose between readings of an ambiguous row."""
    region = flat.text[start:end]
    fmt = "2021" if re.search(F.ACTIVE_2021_MARKERS, region) else \
        "2019" if re.search(F.ACTIVE_2019_MARKERS, region) else None
    result = TableResult()
    if fmt is None:
        return None, result
    columns = F.ACTIVE_COLUMNS[fmt]
    specs = [(k, F.ACTIVE_CORES[k], False) for k in columns]
    has_grid = _region_has_grid(flat, start, end)
    found = find_rows(flat, specs, start, end, prefer_grid=has_grid)
    unit = None
    mu = re.search(r"采购总金额[^\n\x1f]{0,4}?\(?(?:单位:)?\s*(亿元|万元|元)", region)
    if mu:
        unit = mu.group(1)
    reads = {}
    for n, (key, m, in_order) in enumerate(found):
        # Out of printed order only a same-line label-and-values reading is certain.
        read = read_row(flat, m, _next_start(found, n, end), len(columns[key]), has_grid or not in_order)
        reads[key] = (columns[key], read)
    _settle(result, "active", reads, [], unit, stated if fmt == "2021" else None)
    return fmt, result


# ── table 三 ────────────────────────────────────────────────────────────────────────────────────

def read_applications(flat: Flat, start: int, end: int) -> tuple[str | None, TableResult]:
    region = flat.text[start:end]
    result = TableResult()
    if not re.search(r"本年新收|上年结转", region):
        return None, result
    layout = "2021" if re.search(F.APPLICATION_LAYOUT_2021_MARKERS, region) else "2019"
    specs = [(k, core, sub) for k, core, _o, sub in F.application_rows(layout)]
    has_grid = _region_has_grid(flat, start, end)
    found = find_rows(flat, specs, start, end, prefer_grid=has_grid)
    reads = {}
    for n, (key, m, in_order) in enumerate(found):
        read = read_row(flat, m, _next_start(found, n, end), 7, has_grid or not in_order)
        subtotal = key in F.SUBTOTALS
        if subtotal and read.tokens is None and read.fused is None:
            continue  # a group label without figures of its own is not a subtotal row
        reads[key] = (F.APPLICANT_COLUMNS, read)
    _settle(result, "applications", reads, application_identities(layout, set(reads)))
    _place_detached_rows(flat, start, end, found, reads, result, layout)
    # The layout is known only when a （六） row shows it (a one-page fragment may stop before it).
    shown = any(k.startswith("other") for k in reads)
    return (layout if shown else None), result


def _orphan_rows(flat: Flat, start: int, end: int, label_rows: set[int]) -> list[tuple[int, list[str]]]:
    """Grid rows of the region with seven figures and no label (a value row cut away from its label)."""
    i0, _ = flat.locate(start)
    i1, _ = flat.locate(max(end - 1, start))
    out = []
    for i in range(i0, i1 + 1):
        row = flat.rows[i]
        if not row.grid or i in label_rows:
            continue
        cells = [WHITESPACE.sub("", flat.field_text(i, k)) for k, f in enumerate(row.fields) if f is not None]
        while cells and cells[-1] == "":
            cells.pop()
        if len(cells) == 7 and all(re.fullmatch(r"\d+", c) for c in cells):
            out.append((i, cells))
    return out


def _place_detached_rows(flat: Flat, start: int, end: int, found, reads, result: TableResult, layout) -> None:
    """Labels printed apart from their values (a wrapped label on its own lines, the value row on another):
    when the labels left without values and the label-less value rows are as many, they pair up in the
    national order — accepted only if every identity of table 三 then holds and every placed row is
    checked by its column identities (results_sum) as well as its own row_total. Otherwise nothing moves."""
    unread = [k for k, (_c, r) in reads.items() if r.tokens is None and r.fused is None and k not in F.SUBTOTALS]
    if not unread or layout is None:
        return
    label_rows = {flat.locate(m.end() - 1)[0] for _, m, _ in found}
    orphans = _orphan_rows(flat, start, end, label_rows)
    if len(orphans) != len(unread):
        return
    trial = dict(result.values)
    for key, (_, cells) in zip(unread, orphans):
        for col, v in zip(F.APPLICANT_COLUMNS, cells):
            trial[f"{key}.{col}"] = int(v)
    identities = application_identities(layout, set(reads))
    checked: dict[str, set] = {}
    for rule, _k, lhs, rhs in identities:
        if any(trial.get(c) is None for c in lhs + rhs):
            continue
        if sum(trial[c] for c in lhs) != sum(trial[c] for c in rhs):
            return  # the placement does not add up: leave every detached row unread
        for c in lhs + rhs:
            checked.setdefault(c, set()).add(rule)
    placed = [f"{k}.{c}" for k in unread for c in F.APPLICANT_COLUMNS]
    if not all({"row_total", "results_sum"} <= checked.get(c, set()) for c in placed):
        return
    for key in placed:
        result.values[key] = trial[key]
        tkey = f"applications.{key}"
        result.raw[tkey] = str(trial[key])
        if tkey in result.unparsed:
            result.unparsed.remove(tkey)
        result.info[tkey] = {"resolved_by": "national_order"}


# ── table 四 ────────────────────────────────────────────────────────────────────────────────────

def read_review(flat: Flat, start: int, end: int) -> TableResult:
    result = TableResult()
    region = flat.text[start:end]
    first = re.search(r"维\s*持", region)
    if not first:
        return result
    keys = F.REVIEW_KEYS
    i0, _ = flat.locate(start)
    i1, _ = flat.locate(max(end - 1, start))
    # Grid: the rows of numbers under the header, in order (one row of 15, or three rows of 5).
    values: list[str] = []
    originals: list[str] = []
    grid_rows = [r for r in flat.rows[i0:i1 + 1] if r.grid and len([f for f in r.fields if f is not None]) >= 3]
    blank_row: list[str] | None = None
    for r in grid_rows:
        cells = [f for f in r.fields if f is not None]
        texts = [normalize(c) for c in cells]
        if any(CJK.search(t) for t in texts):
            continue
        if all(is_blank(t) for t in texts):
            if len(texts) == 15 and blank_row is None:
                blank_row = ["" for _ in texts]  # a table 四 printed with every cell empty
            continue
        while texts and is_blank(texts[-1]) and len(values) + len(texts) > 15:
            texts.pop(), cells.pop()
        values += [WHITESPACE.sub("", t) for t in texts]
        originals += [c.strip() for c in cells]
    if not values and blank_row is not None:
        values, originals = blank_row, blank_row
    read: Read
    if grid_rows and values:
        read = Read(tokens=[("" if is_blank(v) else v) for v in values], raw=" | ".join(originals)) \
            if len(values) == 15 else Read(raw=" | ".join(originals))
    else:
        pos = _skip_label_tail(flat.text, start + first.end(), end)
        toks, _ = _tokens_at(flat.text, pos, end)
        if len(toks) == 15:
            read = Read(tokens=toks, raw=" ".join(toks))
        elif 0 < len(toks) < 15 and all(t.isdigit() for t in toks):
            read = Read(fused=toks, raw=" ".join(toks))
        else:
            read = Read(raw=" ".join(toks))
    # Reuse the row machinery with one pseudo-row whose "columns" are the 15 group.outcome keys.
    fake = {"_": (keys, read)}
    tmp = TableResult()
    _settle(tmp, "review_litigation", fake, [
        (rule, key, [f"_.{c}" for c in lhs], [f"_.{c}" for c in rhs]) for rule, key, lhs, rhs in review_identities()
    ])
    for k, v in tmp.values.items():
        result.values[k[2:]] = v
    result.raw = {k.replace("review_litigation._.", "review_litigation."): v for k, v in tmp.raw.items()}
    result.unparsed = [u.replace("review_litigation._.", "review_litigation.") for u in tmp.unparsed]
    return result
