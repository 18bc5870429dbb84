"""Small numbers stay hidden: no combination of published cells and totals reveals one.

Checked by exhaustive search: every assignment of values to the hidden cells that agrees with
everything published (cells, totals, and the ranges "<5" and "x" give away) is found, and each
hidden cell and total must take at least two values among them."""

from __future__ import annotations

from collections.abc import Mapping

from hypothesis import example, given, settings
from hypothesis import strategies as st

from figures.suppression import TOTAL, UNDER, WITHHELD, Key, Shown, suppress, with_totals

SLACK = 2  # how far above its true value a withheld cell is tried


def _feasible_values(table: Mapping[Key, int], shown: Mapping[Key, Shown]) -> dict[Key, set[int]]:
    cells = sorted((k for k in table if TOTAL not in k), key=repr)
    totals = [k for k in table if TOTAL in k]
    children = {
        t: [c for c in cells if all(p is TOTAL or p == q for p, q in zip(t, c, strict=True))]
        for t in totals
    }
    last = {t: max(cells.index(c) for c in children[t]) for t in totals}
    due: dict[int, list[Key]] = {}
    for t in totals:
        due.setdefault(last[t], []).append(t)

    def domain(key: Key) -> range:
        mark = shown[key]
        if mark == UNDER:
            return range(0, 5)
        if mark == WITHHELD:
            return range(5, table[key] + SLACK + 1)
        return range(int(mark), int(mark) + 1)

    def fits(key: Key, value: int) -> bool:
        mark = shown[key]
        if mark == UNDER:
            return value < 5
        if mark == WITHHELD:
            return value >= 5
        return value == mark

    seen: dict[Key, set[int]] = {k: set() for k in table}
    values: dict[Key, int] = {}

    def walk(position: int) -> None:
        if position == len(cells):
            for key in cells:
                seen[key].add(values[key])
            for t in totals:
                seen[t].add(sum(values[c] for c in children[t]))
            return
        key = cells[position]
        for value in domain(key):
            values[key] = value
            if all(fits(t, sum(values[c] for c in children[t])) for t in due.get(position, [])):
                walk(position + 1)

    walk(0)
    return seen


def _check(cells: dict[Key, int]) -> None:
    table = with_totals(cells)
    shown = suppress(table)
    assert set(shown) == set(table)
    for key, value in table.items():
        if 0 < value < 5 or (value == 0 and shown[key] != 0):
            assert shown[key] == UNDER, (key, value)
        elif shown[key] != WITHHELD:
            assert shown[key] == value
    feasible = _feasible_values(table, shown)
    for key, mark in shown.items():
        assert table[key] in feasible[key]
        if mark in (UNDER, WITHHELD):
            assert len(feasible[key]) >= 2, (cells, shown, key, feasible[key])


counts = st.integers(0, 9)


@settings(max_examples=200, deadline=None)
@given(st.lists(counts, min_size=1, max_size=5))
@example([4, 4])
@example([0, 5])
@example([1, 5])
@example([1, 1])
@example([1, 1, 1, 1])
@example([0, 4, 4])
@example([3, 10, 12])
def test_one_dimension(values: list[int]) -> None:
    _check({(f"g{i}",): v for i, v in enumerate(values)})


@settings(max_examples=80, deadline=None)
@given(st.integers(1, 3), st.integers(2, 3), st.data())
def test_two_dimensions(rows: int, columns: int, data: st.DataObject) -> None:
    present = data.draw(
        st.lists(st.tuples(st.integers(0, rows - 1), st.integers(0, columns - 1)), min_size=1,
                 max_size=rows * columns, unique=True)
    )  # fmt: skip
    _check({(f"r{r}", f"c{c}"): data.draw(counts) for r, c in present})


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_three_dimensions(data: st.DataObject) -> None:
    present = data.draw(
        st.lists(st.tuples(st.integers(0, 1), st.integers(0, 1), st.integers(0, 1)),
                 min_size=1, max_size=5, unique=True)
    )  # fmt: skip
    _check({(f"a{a}", f"b{b}", f"c{c}"): data.draw(st.integers(0, 7)) for a, b, c in present})


def test_large_numbers_are_published_as_they_are() -> None:
    table = with_totals({("a",): 12, ("b",): 30})
    assert suppress(table) == table


def test_a_lone_small_cell_takes_another_with_it() -> None:
    shown = suppress(with_totals({("a",): 3, ("b",): 10, ("c",): 12}))
    assert shown[("a",)] == UNDER and shown[("b",)] == WITHHELD
    assert shown[("c",)] == 12 and shown[(TOTAL,)] == 25
