"""Acceptance of agreements by all parties: the canonical content a party signs, and the status
a version reaches from the parties' decisions. Pure: no I/O, no clock.

A version an administrator writes as `active` (or `proposed`) is `proposed` until every party
has accepted it; one rejection makes it `rejected`. A version that grants nothing (`draft`,
`suspended`, `terminated`) takes effect at once: any party may stop sharing, none may widen it
alone. The version in force is the newest one that took effect; a proposal never displaces it.
"""

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Final, Literal

Decision = Literal["accept", "reject"]
DECISIONS: Final = ("accept", "reject")

PROPOSED: Final = "proposed"
ACTIVE: Final = "active"
REJECTED: Final = "rejected"
SUSPENDED: Final = "suspended"

TAKES_EFFECT_AT_ONCE: Final = frozenset({"draft", "suspended", "terminated"})
"""Written statuses that need nobody's acceptance: they only take sharing away."""

IN_FORCE: Final = frozenset({ACTIVE}) | TAKES_EFFECT_AT_ONCE
"""Statuses of a version that took effect (the newest such version is the one in force)."""

ACCEPTANCE_REVOKED: Final = "acceptance_revoked"
"""The status reason of a version suspended because a party revoked its acceptance."""

HASH_PREFIX: Final = "sha256:"


def initial_status(written: str) -> str:
    """The status a newly written version starts in."""
    return PROPOSED if written in (ACTIVE, PROPOSED) else written


def settled_status(parties: Iterable[str], decisions: Mapping[str, Decision]) -> str:
    """The status of a proposed version given each party's standing decision (parties without
    one have not decided); decisions of anyone not a party count for nothing."""
    named = tuple(parties)
    standing = [decisions.get(party) for party in named]
    if "reject" in standing:
        return REJECTED
    if named and all(decision == "accept" for decision in standing):
        return ACTIVE
    return PROPOSED


def in_force(versions: Sequence[tuple[int, str]]) -> int | None:
    """Of (version, status) pairs, the version in force: the newest that took effect, else the
    newest of all (a proposal or a rejection, which grants nothing); None when there are none."""
    effective = [version for version, status in versions if status in IN_FORCE]
    if effective:
        return max(effective)
    return max((version for version, _ in versions), default=None)


def canonical_content(document: Mapping[str, object], version: int) -> dict[str, object]:
    """What the parties agree to: the document as written, without its status (which moves
    as they decide), with the version number (so a signature never carries over to another
    version with the same text)."""
    content = {name: value for name, value in document.items() if name not in ("status", "version")}
    content["version"] = version
    return content


def canonical_json(value: object) -> bytes:
    """RFC 8785 (JSON Canonicalization Scheme) for the values agreements hold: objects with
    members sorted by the UTF-16 code units of their names, no whitespace, strings escaped
    minimally, integers as integers. Floats do not occur in agreements and are refused."""
    return json.dumps(
        _ordered(value), ensure_ascii=False, separators=(",", ":"), allow_nan=False
    ).encode("utf-8")


def _ordered(value: object) -> object:
    if isinstance(value, Mapping):
        names = sorted((str(name) for name in value), key=lambda name: name.encode("utf-16-be"))
        return {name: _ordered(value[name]) for name in names}
    if isinstance(value, list | tuple):
        return [_ordered(item) for item in value]
    if isinstance(value, float):
        raise ValueError("floats have no canonical form here")
    if value is None or isinstance(value, str | int | bool):
        return value
    raise ValueError(f"{type(value).__name__} is not a JSON value")


def content_hash(document: Mapping[str, object], version: int) -> str:
    """`sha256:` and the lowercase hex SHA-256 of the canonical JSON of the version's content."""
    digest = hashlib.sha256(canonical_json(canonical_content(document, version))).hexdigest()
    return HASH_PREFIX + digest
