"""Figures whose source this installation does not record yet: each answers None (shown as
null, "not recorded"), until the record it counts exists. One function each, with the same
shape as those in figures.queries, so wiring one in is a change of its body alone."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from figures.queries import Counts, Window


def matches_with_coordinator(connection: Connection, window: Window) -> Counts | None:
    """Matches that have a coordinator (regie): needs matches that record their coordinator."""
    return None


def informed(connection: Connection, window: Window) -> Counts | None:
    """Signals whose subject's guardians (or the child) were informed (AVG art. 13/14)."""
    return None


def informing_postponed(connection: Connection, window: Window) -> Counts | None:
    """Signals for which informing was postponed, with a reason."""
    return None
