"""The figures for a window: every source counted in the database, then small numbers hidden
per period and measure over the cells and their totals together (figures.suppression)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from sqlalchemy.engine import Connection

from figures import queries
from figures.queries import Counts, Group, Window
from figures.suppression import TOTAL, Key, Shown, suppress, with_totals

MIN_FOR_MEDIAN = 5
WORK_MEM = "64MB"
COUNTED: dict[str, Callable[[Connection, Window], Counts]] = {
    "signals": queries.signals,
    "consentsGiven": queries.consents_given,
    "consentsWithdrawn": queries.consents_withdrawn,
    "matches": queries.matches,
    "matchesWithCoordinator": queries.matches_with_coordinator,
    "informed": queries.informed,
    "informingPostponed": queries.informing_postponed,
}
MEDIANS = ("medianHoursToAcknowledge", "medianHoursToClose")


def _order(group: Key) -> tuple[tuple[int, str], ...]:
    return tuple((2, "") if v is TOTAL else (0, "") if v is None else (1, str(v)) for v in group)


def compute(connection: Connection, window: Window) -> dict[str, list[dict[str, Any]]]:
    """`{cells, totals}`: one cell per period and group that has anything to count, and per
    period the totals over every grouping dimension (a total's group names only the
    dimensions it is not summed over)."""
    if window.postgres:
        # A year of rows is sorted for the medians: in memory rather than in temp files, and
        # without JIT compilation, which costs more than it saves here. For this transaction
        # only.
        connection.exec_driver_sql(f"SET LOCAL work_mem = '{WORK_MEM}'")
        connection.exec_driver_sql("SET LOCAL jit = off")
    reached, to_acknowledge, to_close = queries.recipient_figures(connection, window)
    counted = {name: source(connection, window) for name, source in COUNTED.items()}
    counted["recipients"] = reached
    refused = queries.refusals(connection, window)
    medians = dict(zip(MEDIANS, (to_acknowledge, to_close), strict=True))
    reasons = sorted({reason for cell in refused.values() for reason in cell})
    keys: set[tuple[str, Group]] = set(refused)
    for found in counted.values():
        keys.update(found)
    cells: list[dict[str, Any]] = []
    totals: list[dict[str, Any]] = []
    for period in window.periods:
        groups: list[Key] = sorted({g for p, g in keys if p == period.label}, key=_order)
        if not groups:
            continue
        shown: dict[str, dict[Key, Shown]] = {}
        for name, found in counted.items():
            values: dict[Key, int] = {
                g: found.get((period.label, cast(Group, g)), 0) for g in groups
            }
            shown[name] = suppress(with_totals(values))
        for reason in reasons:
            values = {
                g: refused.get((period.label, cast(Group, g)), {}).get(reason, 0) for g in groups
            }
            shown[f"refusals.{reason}"] = suppress(with_totals(values))
        every = sorted(shown["signals"], key=_order)
        for key in every:
            entry = _entry(window, period.label, key, counted, shown, reasons)
            if TOTAL in key:
                totals.append(entry)
            else:
                for name, column in medians.items():
                    median = column.get((period.label, cast(Group, key)))
                    entry[name] = (
                        round(median[0], 1)
                        if median is not None and median[1] >= MIN_FOR_MEDIAN
                        else None
                    )
                cells.append(entry)
    return {"cells": cells, "totals": totals}


def _entry(
    window: Window,
    period: str,
    key: Key,
    counted: dict[str, Counts],
    shown: dict[str, dict[Key, Shown]],
    reasons: list[str],
) -> dict[str, Any]:
    group = {d: v for d, v in zip(window.dimensions, key, strict=True) if v is not TOTAL}
    entry: dict[str, Any] = {"period": period, "group": group}
    for name in ("signals", "recipients", *list(COUNTED)[1:]):
        entry[name] = shown[name][key]
    entry["refusals"] = {reason: shown[f"refusals.{reason}"][key] for reason in reasons}
    for name in MEDIANS:
        entry[name] = None
    return entry
