"""Small-cell suppression: table-driven examples and a property over random tables."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fieldwork.reports.suppression import (
    HIDDEN,
    SMALL,
    suppress_counts,
    suppress_table,
    suppress_value,
)


@pytest.mark.parametrize(("value", "shown"), [(0, 0), (1, SMALL), (4, SMALL), (5, 5), (17, 17)])
def test_a_lone_count(value, shown):
    assert suppress_value(value) == shown


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        # nothing small: everything shown
        ([[5, 6], [7, 8]], ([[5, 6], [7, 8]], [11, 15], [12, 14], 26)),
        # zeros stay zeros
        ([[0, 6], [7, 0]], ([[0, 6], [7, 0]], [6, 7], [7, 6], 13)),
        # one small cell: its row and column each get a second, then the opposite corner
        ([[3, 10], [8, 9]], ([[SMALL, HIDDEN], [HIDDEN, HIDDEN]], [13, 17], [11, 19], 30)),
        # two small cells in a row protect each other there; their columns need partners
        (
            [[2, 3, 10], [6, 7, 9]],
            ([[SMALL, SMALL, 10], [HIDDEN, HIDDEN, 9]], [15, 22], [8, 10, 19], 37),
        ),
        # a small row total is suppressed, and so is the other row total (the grand total's line)
        ([[1, 2], [6, 9]], ([[SMALL, SMALL], [HIDDEN, HIDDEN]], [SMALL, HIDDEN], [7, 11], 18)),
    ],
)
def test_table_examples(cells, expected):
    shown = suppress_table(cells)
    assert (shown.cells, shown.row_totals, shown.column_totals, shown.total) == expected


def test_breakdowns():
    assert suppress_counts({"need": 7, "strength": 3}) == ({"need": HIDDEN, "strength": SMALL}, 10)
    assert suppress_counts({"a": 3, "b": 0}) == ({"a": SMALL, "b": 0}, SMALL)
    assert suppress_counts({"a": 3, "b": 2, "c": 9}) == ({"a": SMALL, "b": SMALL, "c": 9}, 14)
    # a partial breakdown: the unseen remainder protects the small cell
    assert suppress_counts({"helped": 3}, total=12) == ({"helped": SMALL}, 12)
    assert suppress_counts({}) == ({}, 0)


def test_rejects_ragged_or_negative_tables():
    with pytest.raises(ValueError, match="columns"):
        suppress_table([[1, 2], [3]])
    with pytest.raises(ValueError, match="negative"):
        suppress_table([[-1]])


def lines_of(cells, shown):
    rows, columns = len(cells), len(cells[0])
    row_totals = [sum(r) for r in cells]
    column_totals = [sum(cells[r][c] for r in range(rows)) for c in range(columns)]
    grand = sum(row_totals)
    for r in range(rows):
        yield ([*cells[r], row_totals[r]], [*shown.cells[r], shown.row_totals[r]])
    for c in range(columns):
        yield (
            [*(cells[r][c] for r in range(rows)), column_totals[c]],
            [*(shown.cells[r][c] for r in range(rows)), shown.column_totals[c]],
        )
    yield [*column_totals, grand], [*shown.column_totals, shown.total]
    yield [*row_totals, grand], [*shown.row_totals, shown.total]


tables = st.integers(1, 5).flatmap(
    lambda columns: st.lists(
        st.lists(st.integers(0, 30) | st.integers(0, 6), min_size=columns, max_size=columns),
        min_size=1,
        max_size=5,
    )
)


@settings(max_examples=300, deadline=None)
@given(tables)
def test_no_suppressed_cell_can_be_recovered(cells):
    shown = suppress_table(cells)
    for true_line, shown_line in lines_of(cells, shown):
        hidden = [s for s in shown_line if not isinstance(s, int)]
        # a total minus the shown cells never isolates exactly one hidden item
        assert len(hidden) != 1, (true_line, shown_line)
        for true, seen in zip(true_line, shown_line, strict=True):
            if isinstance(seen, int):
                assert seen == true  # nothing shown differs from the truth
                assert not 0 < true < 5  # every small value is suppressed
            elif seen == SMALL:
                assert true < 5
            else:
                assert seen == HIDDEN
                assert true >= 5


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from("abcdefg"), st.integers(0, 12), max_size=7))
def test_breakdown_property(counts):
    shown, total = suppress_counts(counts)
    line = [*shown.values(), total]
    assert sum(not isinstance(v, int) for v in line) != 1
    for key, value in counts.items():
        assert (
            shown[key] == value
            or (shown[key] == SMALL and value < 5)
            or (shown[key] == HIDDEN and value >= 5)
        )


@pytest.mark.parametrize("row", [[1, 5], [4, 5], [2, 0, 5], [1, 1, 5]])
def test_what_small_and_hidden_mean_never_pins_a_cell(row):
    """'<5' says 1-4 and 'x' says 5 or more: with the total shown, [1, 5] as '<5', 'x' and
    6 would pin both cells. Then the total is hidden too (or another cell)."""
    shown = suppress_table([row])
    cells, total = shown.cells[0], shown.row_totals[0]
    if isinstance(total, int):
        hidden = [i for i, c in enumerate(cells) if not isinstance(c, int)]
        rest = total - sum(c for c in cells if isinstance(c, int))
        for i in hidden:
            if row[i] >= 5:
                continue
            others = [j for j in hidden if j != i]
            lows = sum(1 if row[j] < 5 else 5 for j in others)
            highs = sum(4 if row[j] < 5 else 10**9 for j in others)
            assert max(1, rest - highs) < min(4, rest - lows), (row, shown)
