"""Hiding small numbers so that no combination of what is published reveals them.

A table for one period and one measure has cells (one per group) and totals (the sums over one
or more grouping dimensions, down to the grand total), all published together. Primary
suppression hides every entry from 1 to 4 (shown as "<5": the reader learns it lies in 0..4).
A zero is published as 0 - "nobody" discloses nobody - unless it is needed as cover, when it is
shown as "<5" too (which it is). Secondary suppression then hides further entries (shown as
"x": the reader learns it is 5 or more) until no hidden entry can be worked out from the
published ones: not by subtracting published cells from a published total, not by combining
several totals, not by the ranges the two marks give away. Two tests find an entry that could
still be worked out:

- bounds: every total is the sum of the entries one level below it; propagating the ranges of
  hidden entries through these sums narrows them - an entry narrowed to one value is exposed;
- linear algebra: an entry whose value follows from the sums alone (its row of the reduced
  system has no free variable in it) is exposed whatever the ranges.

While entries are exposed, one more published entry that shares a sum with one of them is
hidden: the one that leaves the fewest exposed, and of those the smallest. This is a pure
function; tests check it against an exhaustive search over small tables.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from itertools import combinations
from typing import Final, Literal

THRESHOLD = 5
UNDER: Final = "<5"  # primary: the count is below the threshold
WITHHELD: Final = "x"  # secondary: hidden so that an entry under the threshold stays hidden

Shown = int | Literal["<5", "x"]
_TRIED = 16  # covers weighed per step, smallest first


class _Total:
    """The marker of a dimension summed over in a total's key."""

    _instance: _Total | None = None

    def __new__(cls) -> _Total:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "TOTAL"


TOTAL = _Total()
Key = tuple[Hashable, ...]


@dataclass(frozen=True)
class Sum:
    """`parent` equals the sum of `children`."""

    parent: Key
    children: tuple[Key, ...]


def with_totals(cells: Mapping[Key, int]) -> dict[Key, int]:
    """The cells and every total over them: for each set of dimensions summed over, the sums
    of the cells that agree on the others."""
    if not cells:
        return {}
    width = len(next(iter(cells)))
    table: dict[Key, int] = dict(cells)
    for size in range(1, width + 1):
        for summed in combinations(range(width), size):
            for key, value in cells.items():
                total = tuple(TOTAL if i in summed else part for i, part in enumerate(key))
                table[total] = table.get(total, 0) + value
    return table


def sums(table: Mapping[Key, int]) -> list[Sum]:
    """Every total as the sum of the entries one level below it, once per dimension it sums."""
    found = []
    keys = sorted(table, key=_order)
    for key in keys:
        for position, part in enumerate(key):
            if part is not TOTAL:
                continue
            children = tuple(
                other
                for other in keys
                if other[position] is not TOTAL
                and all(o == k for i, (o, k) in enumerate(zip(other, key, strict=True))
                        if i != position)
            )  # fmt: skip
            found.append(Sum(key, children))
    return found


def _order(key: Key) -> tuple[tuple[int, str], ...]:
    return tuple((1, "") if part is TOTAL else (0, repr(part)) for part in key)


def suppress(table: Mapping[Key, int], threshold: int = THRESHOLD) -> dict[Key, Shown]:
    """What to publish of `table` (cells and totals, see `with_totals`)."""
    primary = {key for key, value in table.items() if 0 < value < threshold}
    if not primary:
        return dict(table)
    relations = sums(table)
    hidden: set[Key] = set(primary)
    while True:
        exposed = _exposed(table, relations, hidden, threshold)
        if not exposed:
            break
        candidates = sorted(
            {
                entry
                for relation in relations
                if relation.parent in exposed or exposed.intersection(relation.children)
                for entry in (relation.parent, *relation.children)
                if entry not in hidden
            },
            key=lambda key: (table[key], _order(key)),
        )[:_TRIED]
        if not candidates:
            break  # everything summed with them is hidden already
        # The cover that leaves the fewest entries exposed; of those, the smallest.
        chosen = min(
            candidates,
            key=lambda c: (
                len(_exposed(table, relations, hidden | {c}, threshold)),
                table[c],
                _order(c),
            ),
        )
        hidden.add(chosen)
    shown: dict[Key, Shown] = {}
    for key, value in table.items():
        shown[key] = value if key not in hidden else UNDER if value < threshold else WITHHELD
    return shown


def _exposed(
    table: Mapping[Key, int],
    relations: Iterable[Sum],
    hidden: set[Key],
    threshold: int,
) -> set[Key]:
    """Hidden entries whose value can be worked out from the published ones."""
    # Each sum as: sum(coefficient * hidden value) == constant, over hidden entries only.
    equations: list[tuple[dict[Key, int], int]] = []
    for relation in relations:
        terms: dict[Key, int] = {}
        constant = 0
        for entry, sign in ((relation.parent, -1), *((c, 1) for c in relation.children)):
            if entry in hidden:
                terms[entry] = terms.get(entry, 0) + sign
            else:
                constant -= sign * table[entry]
        if terms:
            equations.append((terms, constant))
    exposed = _pinned(table, equations, hidden, threshold)
    exposed |= _determined(equations, hidden)
    return exposed


def _pinned(
    table: Mapping[Key, int],
    equations: list[tuple[dict[Key, int], int]],
    hidden: set[Key],
    threshold: int,
) -> set[Key]:
    infinity = 10**12
    low = {key: 0 if table[key] < threshold else threshold for key in hidden}
    high = {key: threshold - 1 if table[key] < threshold else infinity for key in hidden}
    for _ in range(4 * len(hidden) + 8):
        changed = False
        for terms, constant in equations:
            # sum(c * x) == constant  =>  c_i * x_i == constant - sum_{j != i}(c_j * x_j)
            for key, coefficient in terms.items():
                rest_low = rest_high = 0
                for other, c in terms.items():
                    if other == key:
                        continue
                    a, b = c * low[other], c * high[other]
                    rest_low += min(a, b)
                    rest_high += max(a, b)
                bound_a = (constant - rest_high) * coefficient
                bound_b = (constant - rest_low) * coefficient
                new_low = max(low[key], min(bound_a, bound_b))
                new_high = min(high[key], max(bound_a, bound_b))
                if new_low != low[key] or new_high != high[key]:
                    low[key], high[key] = new_low, new_high
                    changed = True
        if not changed:
            break
    return {key for key in hidden if low[key] >= high[key]}


def _determined(equations: list[tuple[dict[Key, int], int]], hidden: set[Key]) -> set[Key]:
    """Hidden entries fixed by the sums alone: reduce the system (exact arithmetic) and see
    which pivot rows hold nothing but their pivot."""
    columns = sorted(hidden, key=_order)
    index = {key: i for i, key in enumerate(columns)}
    rows = [{index[k]: Fraction(c) for k, c in terms.items() if c} for terms, _ in equations]
    rows = [row for row in rows if row]
    pivots: list[tuple[int, dict[int, Fraction]]] = []
    for row in rows:
        row = dict(row)
        for column, pivot_row in pivots:
            factor = row.get(column)
            if factor:
                for c, v in pivot_row.items():
                    updated = row.get(c, Fraction(0)) - factor * v
                    if updated:
                        row[c] = updated
                    else:
                        row.pop(c, None)
        if not row:
            continue
        column = min(row)
        scale = row[column]
        row = {c: v / scale for c, v in row.items()}
        # Keep the earlier pivot rows reduced against the new one.
        for i, (other_column, other_row) in enumerate(pivots):
            factor = other_row.get(column)
            if factor:
                for c, v in row.items():
                    updated = other_row.get(c, Fraction(0)) - factor * v
                    if updated:
                        other_row[c] = updated
                    else:
                        other_row.pop(c, None)
                pivots[i] = (other_column, other_row)
        pivots.append((column, row))
    return {columns[column] for column, row in pivots if len(row) == 1}
