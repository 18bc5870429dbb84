"""The figures as aggregate SQL: each source is one GROUP BY over its table, run in the database
(SQLite or PostgreSQL), never a row at a time in Python.

A period is found with a CASE over the periods' first instants (Dutch calendar months or
quarters, as UTC instants), so both databases bucket alike and an index on the time column
bounds the scan. A dimension a source does not have is left out of its GROUP BY and is null in
its rows (a refusal has no category: the refused signal was never stored).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.engine import Connection

from figures.periods import Period
from records.types import UTCDateTime

DIMENSIONS = ("senderKind", "partner", "category", "purpose")
Group = tuple[str | None, ...]
Counts = dict[tuple[str, Group], int]


@dataclass(frozen=True)
class Window:
    periods: Sequence[Period]
    dimensions: tuple[str, ...]  # in the order of DIMENSIONS
    postgres: bool


@dataclass(frozen=True)
class Source:
    """One table's rows as the figures see them."""

    tables: str  # the FROM clause
    at: str  # the time column that places a row in a period
    dimensions: dict[str, str]  # dimension -> SQL expression, for those it has
    where: str = ""
    extra: dict[str, str] = field(default_factory=dict)  # further GROUP BY expressions


SIGNALS = Source(
    "signals s JOIN partners p ON p.id = s.sender",
    "s.created_at",
    {"senderKind": "p.kind", "partner": "s.sender", "category": "s.category",
     "purpose": "s.purpose"},
)  # fmt: skip
RECIPIENTS = Source(
    "signals s JOIN partners p ON p.id = s.sender JOIN signal_recipients r ON r.signal_id = s.id",
    "s.created_at",
    SIGNALS.dimensions,
)
REFUSALS = Source(
    "audit_events a LEFT JOIN partners p ON p.id = a.partner",
    "a.at",
    {"senderKind": "p.kind", "partner": "a.partner", "purpose": "a.purpose"},
    # The literal matches the partial index ix_audit_events_denied.
    "a.action = 'signal.create' AND a.outcome = 'deny'",
    {"reason": "a.reason"},
)
# A match is one per child among the partners involved; grouped by partner (or its kind) it
# counts under each, ungrouped once (the measure counts distinct matches).
MATCHES = Source(
    "matches m JOIN match_partners mp ON mp.match_id = m.id"
    " JOIN partners p ON p.id = mp.partner_id",
    "m.created_at",
    {"senderKind": "p.kind", "partner": "mp.partner_id"},
)
COORDINATED = Source(MATCHES.tables, MATCHES.at, MATCHES.dimensions, "m.coordinator IS NOT NULL")
INFORMED = Source(SIGNALS.tables, SIGNALS.at, SIGNALS.dimensions, "s.informing_status = 'informed'")
POSTPONED = Source(
    SIGNALS.tables, SIGNALS.at, SIGNALS.dimensions, "s.informing_status = 'postponed'"
)


def _consents(window: Window, at: str, withdrawals: bool) -> Source:
    """Consents by the partner that recorded them; grouped by purpose (or category), a consent
    counts once under each purpose (category) it names; one for every category has none."""
    tables = "consents c JOIN partners p ON p.id = c.recorded_by"
    if withdrawals:
        tables = (
            "consent_withdrawals w JOIN consents c ON c.id = w.consent_id"
            " JOIN partners p ON p.id = c.recorded_by"
        )
    dims = {"senderKind": "p.kind", "partner": "c.recorded_by"}
    if "purpose" in window.dimensions:
        if window.postgres:
            tables += " CROSS JOIN LATERAL json_array_elements_text(c.purposes) AS jp(value)"
        else:
            tables += " JOIN json_each(c.purposes) AS jp"
        dims["purpose"] = "jp.value"
    if "category" in window.dimensions:
        if window.postgres:
            tables += (
                " LEFT JOIN LATERAL json_array_elements_text(CASE WHEN json_typeof(c.categories)"
                " = 'array' THEN c.categories ELSE '[]'::json END) AS jc(value) ON true"
            )
        else:
            tables += (
                " LEFT JOIN json_each(CASE WHEN json_type(c.categories) = 'array'"
                " THEN c.categories ELSE '[]' END) AS jc"
            )
        dims["category"] = "jc.value"
    return Source(tables, at, dims)


def _grouped(
    connection: Connection, source: Source, window: Window, measures: Sequence[str]
) -> list[tuple[str, Group, dict[str, str | None], list[Any]]]:
    """(period, group, further groups, measures) per group of `source` in the window."""
    parameters: dict[str, str] = {}
    branches = []
    for number, period in enumerate(window.periods):
        branches.append(f"WHEN {source.at} < :end{number} THEN :label{number}")
        parameters[f"label{number}"] = period.label
    present = [d for d in window.dimensions if d in source.dimensions]
    groups = [source.dimensions[d] for d in present] + list(source.extra.values())
    columns = [f"CASE {' '.join(branches)} END", *groups]
    where = f"{source.at} >= :start AND {source.at} < :end"
    if source.where:
        where += f" AND {source.where}"
    positions = ", ".join(str(i + 1) for i in range(len(columns)))
    statement = text(
        f"SELECT {', '.join([*columns, *measures])} FROM {source.tables}"  # noqa: S608
        f" WHERE {where} GROUP BY {positions}"
    ).bindparams(
        bindparam("start", window.periods[0].start, type_=UTCDateTime()),
        bindparam("end", window.periods[-1].end, type_=UTCDateTime()),
        *(bindparam(f"end{n}", p.end, type_=UTCDateTime()) for n, p in enumerate(window.periods)),
    )
    answer = []
    width = len(present)
    for row in connection.execute(statement, parameters):
        values = dict(zip(present, row[1 : 1 + width], strict=True))
        group = tuple(values.get(d) for d in window.dimensions)
        extra = dict(zip(source.extra, row[1 + width : 1 + len(groups)], strict=True))
        answer.append((row[0], group, extra, list(row[1 + len(groups) :])))
    return answer


def counts(
    connection: Connection, source: Source, window: Window, measure: str = "count(*)"
) -> Counts:
    return {
        (period, group): int(values[0])
        for period, group, _, values in _grouped(connection, source, window, [measure])
    }


def signals(connection: Connection, window: Window) -> Counts:
    return counts(connection, SIGNALS, window)


def recipients(connection: Connection, window: Window) -> Counts:
    return counts(connection, RECIPIENTS, window)


def matches(connection: Connection, window: Window) -> Counts:
    """Matches opened in the period (one per child among the partners involved); a match has
    no category or purpose of its own."""
    return counts(connection, MATCHES, window, "count(DISTINCT m.id)")


def matches_with_coordinator(connection: Connection, window: Window) -> Counts:
    """Of those, the matches that have a coordinator (regie) now."""
    return counts(connection, COORDINATED, window, "count(DISTINCT m.id)")


def informed(connection: Connection, window: Window) -> Counts:
    """Signals whose family (guardians, or the child by its age) was informed (AVG art. 13/14)."""
    return counts(connection, INFORMED, window)


def informing_postponed(connection: Connection, window: Window) -> Counts:
    """Signals for which informing is postponed, with a reason from the fixed list."""
    return counts(connection, POSTPONED, window)


def consents_given(connection: Connection, window: Window) -> Counts:
    return counts(connection, _consents(window, "c.created_at", withdrawals=False), window)


def consents_withdrawn(connection: Connection, window: Window) -> Counts:
    return counts(connection, _consents(window, "w.withdrawn_at", withdrawals=True), window)


def refusals(connection: Connection, window: Window) -> dict[tuple[str, Group], dict[str, int]]:
    """Refused sends by the reasons the decision gave (a refusal with two reasons counts under
    both); a request refused for anything but the agreements (a bad BSN) is not one."""
    from policies.vocabulary import REASONS

    found: dict[tuple[str, Group], dict[str, int]] = {}
    for period, group, extra, values in _grouped(connection, REFUSALS, window, ["count(*)"]):
        for reason in (extra.get("reason") or "").split(","):
            if reason in REASONS:
                cell = found.setdefault((period, group), {})
                cell[reason] = cell.get(reason, 0) + int(values[0])
    return found


def _hours(window: Window, later: str, earlier: str) -> str:
    if window.postgres:
        return f"EXTRACT(EPOCH FROM ({later} - {earlier})) / 3600.0"
    return f"(julianday({later}) - julianday({earlier})) * 24.0"


Medians = dict[tuple[str, Group], tuple[float, int]]


def recipient_figures(connection: Connection, window: Window) -> tuple[Counts, Medians, Medians]:
    """Recipients reached, and the medians of the hours from sending to a recipient's
    acknowledgement and closing (with how many recipients each is over), per period and group.
    PostgreSQL does all three in one pass; SQLite, without percentiles, in three statements."""
    if window.postgres:
        acknowledged = _hours(window, "r.acknowledged_at", "s.created_at")
        closed = _hours(window, "r.closed_at", "s.created_at")
        measures = [
            "count(*)",
            f"percentile_cont(0.5) WITHIN GROUP (ORDER BY {acknowledged})",
            "count(r.acknowledged_at)",
            f"percentile_cont(0.5) WITHIN GROUP (ORDER BY {closed})",
            "count(r.closed_at)",
        ]
        counts: Counts = {}
        to_acknowledge: Medians = {}
        to_close: Medians = {}
        for period, group, _, values in _grouped(connection, RECIPIENTS, window, measures):
            counts[(period, group)] = int(values[0])
            if values[1] is not None:
                to_acknowledge[(period, group)] = (float(values[1]), int(values[2]))
            if values[3] is not None:
                to_close[(period, group)] = (float(values[3]), int(values[4]))
        return counts, to_acknowledge, to_close
    return (
        recipients(connection, window),
        _sqlite_medians(connection, window, "acknowledged_at"),
        _sqlite_medians(connection, window, "closed_at"),
    )


def _sqlite_medians(connection: Connection, window: Window, column: str) -> Medians:
    """SQLite has no percentile: rank each value within its group and average the middle one
    or two, still in one statement."""
    hours = _hours(window, f"r.{column}", "s.created_at")
    source = RECIPIENTS
    present = [d for d in window.dimensions if d in source.dimensions]
    keys = [f"k{i}" for i in range(len(present))]
    parameters: dict[str, str] = {}
    branches = []
    for number, period in enumerate(window.periods):
        branches.append(f"WHEN s.created_at < :end{number} THEN :label{number}")
        parameters[f"label{number}"] = period.label
    selected = ", ".join(
        [f"CASE {' '.join(branches)} END AS period"]
        + [f"{source.dimensions[d]} AS {k}" for d, k in zip(present, keys, strict=True)]
        + [f"{hours} AS h"]
    )
    partition = ", ".join(["period", *keys])
    statement = text(
        f"WITH v AS (SELECT {selected} FROM {source.tables}"  # noqa: S608
        f" WHERE s.created_at >= :start AND s.created_at < :end AND r.{column} IS NOT NULL),"
        f" ranked AS (SELECT *, row_number() OVER (PARTITION BY {partition} ORDER BY h) AS n,"
        f" count(*) OVER (PARTITION BY {partition}) AS total FROM v)"
        f" SELECT {partition}, avg(h), max(total) FROM ranked"
        f" WHERE n IN ((total + 1) / 2, (total + 2) / 2) GROUP BY {partition}"
    ).bindparams(
        bindparam("start", window.periods[0].start, type_=UTCDateTime()),
        bindparam("end", window.periods[-1].end, type_=UTCDateTime()),
        *(bindparam(f"end{n}", p.end, type_=UTCDateTime()) for n, p in enumerate(window.periods)),
    )
    answer: Medians = {}
    for row in connection.execute(statement, parameters):
        values = dict(zip(present, row[1 : 1 + len(present)], strict=True))
        group = tuple(values.get(d) for d in window.dimensions)
        answer[(str(row[0]), group)] = (float(row[-2]), int(row[-1]))
    return answer
