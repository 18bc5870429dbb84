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
from itertools import combinations
from typing import Final, Literal

THRESHOLD = 5
UNDER: Final = "<5"  # primary: the count is below the threshold
WITHHELD: Final = "x"  # secondary: hidden so that an entry under the threshold stays hidden

Shown = int | Literal["<5", "x"]
# Exact rank arithmetic modulo a large prime: the sums have coefficients 0 and ±1, so the reduced
# system over this field is the one over the rationals, and ints are far faster than Fractions.
_PRIME = 2**61 - 1


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
    children: dict[tuple[Key, int], list[Key]] = {}
    for key in sorted(table, key=_order):
        for position, part in enumerate(key):
            if part is TOTAL:
                continue
            parent = (*key[:position], TOTAL, *key[position + 1 :])
            if parent in table:
                children.setdefault((parent, position), []).append(key)
    return [Sum(parent, tuple(found)) for (parent, _), found in sorted(
        children.items(), key=lambda item: (_order(item[0][0]), item[0][1]))]  # fmt: skip


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
        # Cheap first: a sum that leaves one of its hidden entries a single value on its own.
        _cover_locally(table, relations, hidden, threshold)
        # Then the whole system, exactly; rarely more than once.
        exposed = _exposed(table, relations, hidden, threshold)
        if not exposed:
            break
        # One cover for each exposed entry at once (the smallest beside it), not one per
        # round: each exact check costs more than a cover more or less.
        added = False
        covered: set[Key] = set()  # entries sharing a sum with a cover added this round
        for entry in sorted(exposed, key=lambda key: (table[key], _order(key))):
            if entry in covered:
                continue
            candidates = _covers(table, relations, hidden, {entry})
            if candidates:
                hidden.add(candidates[0])
                added = True
                for relation in relations:
                    members = (relation.parent, *relation.children)
                    if candidates[0] in members:
                        covered.update(members)
        if not added:
            break  # everything summed with them is hidden already
    shown: dict[Key, Shown] = {}
    for key, value in table.items():
        shown[key] = value if key not in hidden else UNDER if value < threshold else WITHHELD
    return shown


def _covers(
    table: Mapping[Key, int], relations: Iterable[Sum], hidden: set[Key], exposed: set[Key]
) -> list[Key]:
    """Published entries that share a sum with an exposed one, smallest first."""
    return sorted(
        {
            entry
            for relation in relations
            if relation.parent in exposed or exposed.intersection(relation.children)
            for entry in (relation.parent, *relation.children)
            if entry not in hidden
        },
        key=lambda key: (table[key], _order(key)),
    )


def _cover_locally(
    table: Mapping[Key, int], relations: list[Sum], hidden: set[Key], threshold: int
) -> None:
    """Hide more until no single sum, taken alone, pins one of its hidden entries."""
    changed = True
    while changed:
        changed = False
        for relation in relations:
            entries = (relation.parent, *relation.children)
            secret = [e for e in entries if e in hidden]
            if not secret or not _pinned_alone(table, relation, hidden, threshold):
                continue
            covers = sorted(
                (e for e in entries if e not in hidden), key=lambda key: (table[key], _order(key))
            )
            if covers:
                hidden.add(covers[0])
                changed = True


def _pinned_alone(
    table: Mapping[Key, int], relation: Sum, hidden: set[Key], threshold: int
) -> bool:
    """Whether this sum alone fixes one of its hidden entries (from the published ones and the
    ranges the marks give away)."""
    parent_hidden = relation.parent in hidden
    children = [c for c in relation.children if c in hidden]
    known = sum(table[c] for c in relation.children if c not in hidden)
    infinity = 10**12

    def bounds(key: Key) -> tuple[int, int]:
        return (0, threshold - 1) if table[key] < threshold else (threshold, infinity)

    if not parent_hidden:
        rest = table[relation.parent] - known  # the hidden children sum to this
        if len(children) == 1:
            return True
        low = sum(bounds(c)[0] for c in children)
        high = sum(bounds(c)[1] for c in children)
        # Pinned when the sum sits at an end of the range all of them together can take.
        return rest in (low, high)
    if not children:
        return True  # the parent is the sum of published children
    low = known + sum(bounds(c)[0] for c in children)
    high = known + sum(bounds(c)[1] for c in children)
    parent_low, parent_high = bounds(relation.parent)
    return max(low, parent_low) >= min(high, parent_high)


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
    """Propagate the ranges of hidden entries through the sums until nothing narrows (a
    worklist: a sum is looked at again only when a range in it changed)."""
    infinity = 10**12
    low = {key: 0 if table[key] < threshold else threshold for key in hidden}
    high = {key: threshold - 1 if table[key] < threshold else infinity for key in hidden}
    containing: dict[Key, list[int]] = {}
    for number, (terms, _) in enumerate(equations):
        for key in terms:
            containing.setdefault(key, []).append(number)
    pending = list(range(len(equations)))
    queued = set(pending)
    budget = 50 * len(equations) + 100  # ranges only narrow; this bounds a slow creep
    while pending and budget > 0:
        budget -= 1
        number = pending.pop()
        queued.discard(number)
        terms, constant = equations[number]
        # sum(c * x) == constant  =>  c_i * x_i == constant - sum_{j != i}(c_j * x_j)
        span = [(min(c * low[k], c * high[k]), max(c * low[k], c * high[k])) for k, c in
                terms.items()]  # fmt: skip
        all_low = sum(a for a, _ in span)
        all_high = sum(b for _, b in span)
        for (key, coefficient), (own_low, own_high) in zip(terms.items(), span, strict=True):
            bound_a = (constant - (all_high - own_high)) * coefficient
            bound_b = (constant - (all_low - own_low)) * coefficient
            new_low = max(low[key], min(bound_a, bound_b))
            new_high = min(high[key], max(bound_a, bound_b))
            if new_low != low[key] or new_high != high[key]:
                low[key], high[key] = new_low, new_high
                for other in containing[key]:
                    if other not in queued and other != number:
                        queued.add(other)
                        pending.append(other)
    return {key for key in hidden if low[key] >= high[key]}


def _determined(equations: list[tuple[dict[Key, int], int]], hidden: set[Key]) -> set[Key]:
    """Hidden entries fixed by the sums alone: reduce the system and see which pivot rows hold
    nothing but their pivot."""
    columns = sorted(hidden, key=_order)
    index = {key: i for i, key in enumerate(columns)}
    pivots: dict[int, dict[int, int]] = {}  # pivot column -> its row, reduced
    for terms, _ in equations:
        row = {index[k]: c % _PRIME for k, c in terms.items() if c % _PRIME}
        for column in [c for c in row if c in pivots]:
            factor = row.get(column)
            if factor:
                _subtract(row, pivots[column], factor)
        if not row:
            continue
        column = min(row)
        inverse = pow(row[column], _PRIME - 2, _PRIME)
        row = {c: v * inverse % _PRIME for c, v in row.items()}
        for other in pivots.values():
            factor = other.get(column)
            if factor:
                _subtract(other, row, factor)
        pivots[column] = row
    return {columns[column] for column, row in pivots.items() if len(row) == 1}


def _subtract(row: dict[int, int], pivot_row: dict[int, int], factor: int) -> None:
    """row -= factor * pivot_row (mod the prime), dropping zeros."""
    for c, v in pivot_row.items():
        updated = (row.get(c, 0) - factor * v) % _PRIME
        if updated:
            row[c] = updated
        else:
            row.pop(c, None)
