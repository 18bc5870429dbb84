"""Acceptance rules, pure: the status a version reaches, the version in force, the content hash."""

from __future__ import annotations

import json
import random

from hypothesis import given
from hypothesis import strategies as st

from api.schemas.agreements import EXAMPLE
from policies.acceptance import (
    IN_FORCE,
    canonical_json,
    content_hash,
    in_force,
    initial_status,
    settled_status,
)
from policies.vocabulary import AGREEMENT_STATUSES, WRITTEN_STATUSES

PARTIES = st.lists(st.sampled_from(["a", "b", "c", "d", "e"]), unique=True, max_size=5)
DECISIONS = st.dictionaries(
    st.sampled_from(["a", "b", "c", "d", "e", "stranger"]), st.sampled_from(["accept", "reject"])
)


@given(PARTIES, DECISIONS)
def test_one_rejection_rejects_and_only_every_party_activates(
    parties: list[str], decisions: dict[str, str]
) -> None:
    status = settled_status(parties, decisions)  # type: ignore[arg-type]
    standing = [decisions.get(party) for party in parties]
    if "reject" in standing:
        assert status == "rejected"
    elif parties and all(decision == "accept" for decision in standing):
        assert status == "active"
    else:
        assert status == "proposed"


@given(PARTIES, DECISIONS)
def test_a_stranger_decides_nothing(parties: list[str], decisions: dict[str, str]) -> None:
    without = {party: d for party, d in decisions.items() if party in parties}
    assert settled_status(parties, decisions) == settled_status(parties, without)  # type: ignore[arg-type]


@given(st.sampled_from(WRITTEN_STATUSES))
def test_only_what_widens_sharing_waits_for_the_parties(written: str) -> None:
    started = initial_status(written)
    assert started == ("proposed" if written in ("active", "proposed") else written)
    assert started in AGREEMENT_STATUSES


VERSIONS = st.lists(st.sampled_from(AGREEMENT_STATUSES), max_size=8).map(
    lambda statuses: [(n, status) for n, status in enumerate(statuses, start=1)]
)


@given(VERSIONS)
def test_a_proposal_never_displaces_the_version_in_force(versions: list[tuple[int, str]]) -> None:
    chosen = in_force(versions)
    effective = [n for n, status in versions if status in IN_FORCE]
    if not versions:
        assert chosen is None
    elif effective:
        assert chosen == max(effective)
    else:
        assert chosen == len(versions)  # the newest, which grants nothing


def _shuffled(value: object, rng: random.Random) -> object:
    if isinstance(value, dict):
        items = list(value.items())
        rng.shuffle(items)
        return {key: _shuffled(item, rng) for key, item in items}
    if isinstance(value, list):
        return [_shuffled(item, rng) for item in value]
    return value


@given(st.randoms(use_true_random=False), st.integers(1, 1000))
def test_the_hash_ignores_member_order_and_status_but_not_the_version(
    rng: random.Random, version: int
) -> None:
    document = json.loads(json.dumps(EXAMPLE))
    shuffled = _shuffled({**document, "status": "proposed"}, rng)
    assert isinstance(shuffled, dict)
    assert content_hash(shuffled, version) == content_hash(document, version)
    assert content_hash(document, version) != content_hash(document, version + 1)
    edited = json.loads(json.dumps(document))
    edited["rules"][0]["retentionDays"] += 1
    assert content_hash(edited, version) != content_hash(document, version)


def test_canonical_json_is_rfc_8785_for_agreement_values() -> None:
    value = {"b": [1, True, None], "a": "é\n\u2028", "\uffff": 0, "\U0001f600": 1}
    # Members by UTF-16 code units: the astral character (a surrogate pair, 0xD83D...) sorts
    # before U+FFFF, unlike by code point.
    assert canonical_json(value) == (
        '{"a":"é\\n\u2028","b":[1,true,null],"\U0001f600":1,"\uffff":0}'.encode()
    )
    assert content_hash(EXAMPLE, 1).startswith("sha256:") and len(content_hash(EXAMPLE, 1)) == 71
