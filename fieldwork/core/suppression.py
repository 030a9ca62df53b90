"""Small-cell suppression, the rule for every figure shown or exported outside the case work.

A count of 1-4 is shown as ``"<5"`` (0 stays 0). Complementary suppression then makes sure
no line of the table — a row with its total, a column with its total, the row of column
totals with the grand total — has exactly one suppressed item, because that one would be the
shown total minus the shown cells. A line with one suppressed item gets its next smallest
item suppressed too (a non-zero cell first, then a zero cell, then the total), until every
line is stable. A cell suppressed only to protect another one and itself 5 or more is shown as
``"x"``: no shown value, ``"<5"`` included, ever says something untrue.

Pure functions on plain ints, in core so that every layer (visits, calls, reports) applies
the same rule.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

THRESHOLD = 5
SMALL = "<5"
HIDDEN = "x"  # suppressed to protect another cell; the true value is THRESHOLD or more

Shown = int | str


def is_small(value: int, threshold: int = THRESHOLD) -> bool:
    return 0 < value < threshold


def show(value: int, suppressed: bool, threshold: int = THRESHOLD) -> Shown:
    if not suppressed:
        return value
    return SMALL if value < threshold else HIDDEN


def suppress_value(value: int, threshold: int = THRESHOLD) -> Shown:
    """A lone count: ``"<5"`` for 1-4."""
    return show(value, is_small(value, threshold), threshold)


def protect(
    values: Sequence[int],
    lines: Sequence[Sequence[int]],
    totals: frozenset[int],
    threshold: int = THRESHOLD,
) -> list[bool]:
    """Which items to suppress. ``values`` are all items (cells and totals), ``lines`` the
    index lists that add up (the last item of a line being its total), ``totals`` the indices
    of totals (chosen as complements only when nothing else is left)."""
    hidden = [is_small(v, threshold) for v in values]
    changed = True
    while changed:
        changed = False
        for line in lines:
            if sum(hidden[i] for i in line) != 1:
                continue
            candidates = [i for i in line if not hidden[i]]
            if not candidates:
                continue

            def preference(i: int) -> tuple[int, int, int]:
                return (i in totals, values[i] == 0, values[i])

            hidden[min(candidates, key=preference)] = True
            changed = True
        for line in lines:  # bounds: "<5" is 1-4 and "x" 5 or more; none may pin a cell
            candidates = [i for i in line if not hidden[i]]
            if candidates and _pinned(line, values, hidden, threshold):
                hidden[min(candidates, key=lambda i: (i in totals, values[i] == 0, values[i]))] = (
                    True
                )
                changed = True
    return hidden


def _pinned(
    line: Sequence[int], values: Sequence[int], hidden: Sequence[bool], threshold: int
) -> bool:
    """Would the line's shown total, its shown cells and what "<5" and "x" say leave one
    small hidden cell a single possible value (e.g. [1, 5] shown as "<5", "x", total 6)?"""
    *cells, total = line
    if hidden[total]:
        return False
    secret = [i for i in cells if hidden[i]]
    if len(secret) < 2:
        return False
    rest = values[total] - sum(values[i] for i in cells if not hidden[i])
    # what a reader takes the marks to mean: "<5" is 1-4, "x" is 5 or more
    bounds = {
        i: (1, threshold - 1) if values[i] < threshold else (threshold, float("inf"))
        for i in secret
    }
    for i in secret:
        if values[i] >= threshold:
            continue
        low_others = sum(bounds[j][0] for j in secret if j != i)
        high_others = sum(bounds[j][1] for j in secret if j != i)
        low = max(bounds[i][0], rest - high_others)
        high = min(bounds[i][1], rest - low_others)
        if low == high:
            return True
    return False


@dataclass(frozen=True)
class ShownTable:
    cells: list[list[Shown]]
    row_totals: list[Shown]
    column_totals: list[Shown]
    total: Shown


def suppress_table(cells: Sequence[Sequence[int]], threshold: int = THRESHOLD) -> ShownTable:
    """A rows x columns table of counts, with its row, column and grand totals (the sums),
    as it may be shown."""
    rows = len(cells)
    columns = len(cells[0]) if rows else 0
    if any(len(row) != columns for row in cells):
        raise ValueError("every row needs the same number of columns")
    if any(v < 0 for row in cells for v in row):
        raise ValueError("counts cannot be negative")
    row_totals = [sum(row) for row in cells]
    column_totals = [sum(cells[r][c] for r in range(rows)) for c in range(columns)]
    values = [v for row in cells for v in row] + row_totals + column_totals + [sum(row_totals)]

    def cell(r: int, c: int) -> int:
        return r * columns + c

    def row_total(r: int) -> int:
        return rows * columns + r

    def column_total(c: int) -> int:
        return rows * columns + rows + c

    grand = len(values) - 1
    lines = (
        [[cell(r, c) for c in range(columns)] + [row_total(r)] for r in range(rows)]
        + [[cell(r, c) for r in range(rows)] + [column_total(c)] for c in range(columns)]
        + [
            [column_total(c) for c in range(columns)] + [grand],
            [row_total(r) for r in range(rows)] + [grand],
        ]
    )
    totals = frozenset(range(rows * columns, len(values)))
    hidden = protect(values, lines, totals, threshold)
    shown = [show(v, h, threshold) for v, h in zip(values, hidden, strict=True)]
    return ShownTable(
        cells=[[shown[cell(r, c)] for c in range(columns)] for r in range(rows)],
        row_totals=[shown[row_total(r)] for r in range(rows)],
        column_totals=[shown[column_total(c)] for c in range(columns)],
        total=shown[grand],
    )


def suppress_counts(
    counts: Mapping[str, int], total: int | None = None, threshold: int = THRESHOLD
) -> tuple[dict[str, Shown], Shown]:
    """One breakdown (``{"need": 7, "strength": 3}``) and its total (the sum unless given,
    e.g. when the breakdown is partial)."""
    keys = list(counts)
    values = [int(counts[k]) for k in keys]
    whole = sum(values) if total is None else total
    if total is None or total == sum(values):
        hidden = protect(
            [*values, whole], [list(range(len(values) + 1))], frozenset({len(values)}), threshold
        )
    else:  # a partial breakdown: the remainder is an unseen cell of the line
        remainder = whole - sum(values)
        hidden = protect(
            [*values, remainder, whole],
            [list(range(len(values) + 2))],
            frozenset({len(values) + 1}),
            threshold,
        )
        hidden = [*hidden[: len(values)], hidden[-1]]
    shown = {k: show(v, h, threshold) for k, v, h in zip(keys, values, hidden, strict=False)}
    return shown, show(whole, hidden[-1], threshold)
