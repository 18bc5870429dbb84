"""Choosing a response format from the Accept header (RFC 9110 §12.5.1)."""

from __future__ import annotations

from collections.abc import Sequence

from core.errors import NotAcceptable


def _ranges(accept: str) -> list[tuple[str, str, float]]:
    ranges = []
    for part in accept.split(","):
        media, *parameters = (piece.strip() for piece in part.split(";"))
        if "/" not in media:
            continue
        kind, _, subtype = media.lower().partition("/")
        quality = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    quality = 0.0
        ranges.append((kind, subtype, quality))
    return ranges


def _quality(offer: str, ranges: list[tuple[str, str, float]]) -> float:
    """The quality of the most specific range that matches `offer` (0 when none does)."""
    kind, _, subtype = offer.partition("/")
    best, specificity = 0.0, -1
    for range_kind, range_subtype, quality in ranges:
        if (range_kind, range_subtype) == (kind, subtype):
            rank = 2
        elif (range_kind, range_subtype) == (kind, "*"):
            rank = 1
        elif (range_kind, range_subtype) == ("*", "*"):
            rank = 0
        else:
            continue
        if rank > specificity:
            best, specificity = quality, rank
    return best


def negotiate(accept: str | None, offers: Sequence[str]) -> str:
    """The offer the client prefers; on a tie, or without an Accept header, the first offer."""
    if not accept or not accept.strip():
        return offers[0]
    ranges = _ranges(accept)
    if not ranges:
        return offers[0]
    scored = [(_quality(offer, ranges), -index, offer) for index, offer in enumerate(offers)]
    quality, _, offer = max(scored)
    if quality <= 0:
        raise NotAcceptable(
            f"this answer is available as {', '.join(offers)}", code="not_acceptable"
        )
    return offer
