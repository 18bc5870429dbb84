"""Properties of who may know whom in a match, and of how regie moves (policies.coordination),
over small random neighbourhoods, checked against plain reference forms."""

from dataclasses import replace
from datetime import datetime
from itertools import permutations

from hypothesis import given, settings
from hypothesis import strategies as st

from policies import Agreement, Coordination, Party
from policies.coordination import (
    ACTIONS,
    Refusal,
    Regie,
    coordinate,
    known_partners,
    may_exchange_contact,
    rule_coordinator,
)
from tests.policies.reference import in_force, names
from tests.policies.strategies import PARTNERS, PURPOSES, agreement_sets, moments

examples = settings(max_examples=80, deadline=None)
PARTIES = [Party(partner, kind) for partner, kind in sorted(PARTNERS.items())]
PAIRS = list(permutations(PARTIES, 2))


@st.composite
def with_contact(draw: st.DrawFn) -> list[Agreement]:
    """Agreements whose rules say exchangeContact at random, some naming a coordinator."""
    found = []
    for agreement in draw(agreement_sets()):
        rules = tuple(
            replace(rule, exchange_contact=draw(st.booleans())) for rule in agreement.rules
        )
        ends = sorted({*agreement.parties, *(f"kind:{PARTNERS[p]}" for p in agreement.parties)})
        purposes = sorted(agreement.purposes)
        coordination = tuple(
            Coordination(purposes=(purpose,), coordinator=draw(st.sampled_from(ends)))
            for purpose in purposes
            if draw(st.booleans())
        )
        found.append(replace(agreement, rules=rules, coordination=coordination))
    return found


def reference_contact(
    agreements: list[Agreement], a: Party, b: Party, purpose: str, now: datetime
) -> bool:
    """Some rule in force with exchangeContact names the two, one at each end, for `purpose`."""
    return a.id != b.id and any(
        in_force(agreement, now)
        and rule.exchange_contact
        and purpose in rule.purposes
        and {a.id, b.id} <= set(agreement.parties)
        and any(names(rule.sender, x) and names(rule.recipient, y) for x, y in ((a, b), (b, a)))
        for agreement in agreements
        for rule in agreement.rules
    )


@examples
@given(with_contact(), moments, st.sampled_from(PURPOSES))
def test_contact_is_exchanged_exactly_where_a_rule_says_so(
    agreements: list[Agreement], now: datetime, purpose: str
) -> None:
    for a, b in PAIRS:
        allowed = may_exchange_contact(agreements, a, b, purpose, now)
        assert allowed == reference_contact(agreements, a, b, purpose, now)
        # Exchanging is mutual: the one who may see the other's professional is seen in turn.
        assert allowed == may_exchange_contact(agreements, b, a, purpose, now)


@examples
@given(with_contact(), moments, st.sampled_from(PURPOSES))
def test_without_exchange_contact_nobody_knows_anybody(
    agreements: list[Agreement], now: datetime, purpose: str
) -> None:
    silent = [
        replace(a, rules=tuple(replace(r, exchange_contact=False) for r in a.rules))
        for a in agreements
    ]
    assert not any(may_exchange_contact(silent, a, b, purpose, now) for a, b in PAIRS)
    # Nor does a suspended partner, nor a partner with itself, nor a token without a purpose.
    for a, b in PAIRS:
        assert not may_exchange_contact(agreements, replace(a, active=False), b, purpose, now)
        assert not may_exchange_contact(agreements, a, a, purpose, now)
        assert not may_exchange_contact(agreements, a, b, None, now)


@examples
@given(
    with_contact(),
    moments,
    st.sets(st.sampled_from(PARTIES), min_size=1),
    st.sampled_from(PURPOSES),
)
def test_the_rule_names_one_involved_party_of_an_agreement_in_force(
    agreements: list[Agreement], now: datetime, involved: set[Party], purpose: str
) -> None:
    found = rule_coordinator(agreements, involved, {purpose}, now)
    expected = None
    for agreement in sorted(agreements, key=lambda a: a.id):
        if not in_force(agreement, now):
            continue
        for entry in agreement.coordination:
            named = [
                p
                for p in involved
                if purpose in entry.purposes
                and p.id in agreement.parties
                and names(entry.coordinator, p)
            ]
            if expected is None and len(named) == 1:
                expected = (named[0].id, agreement.id)
    assert found == expected
    if found is not None:
        assert found[0] in {p.id for p in involved}


def test_a_partner_knows_only_whom_its_signals_show() -> None:
    seen = [("school-a", ["wt-a"]), ("kw-a", ["wt-a", "school-b"]), ("wt-a", ["school-a"])]
    assert known_partners("wt-a", seen) == {"wt-a", "school-a", "kw-a"}
    assert known_partners("kw-a", seen) == {"kw-a", "school-a", "wt-a", "school-b"}


IDS = ("p-a", "p-b", "p-c", "p-d")
regies = st.builds(
    Regie,
    coordinator=st.none() | st.sampled_from(IDS),
    handover_to=st.none() | st.sampled_from(IDS),
    ended=st.booleans(),
)


@settings(max_examples=300, deadline=None)
@given(
    regies,
    st.sampled_from(IDS),
    st.booleans(),
    st.sampled_from((*ACTIONS, "steal")),
    st.none() | st.sampled_from(IDS),
    st.sets(st.sampled_from(IDS)),
)
def test_regie_moves_only_as_the_covenant_says(
    before: Regie, actor: str, admin: bool, action: str, to: str | None, involved: set[str]
) -> None:
    after = coordinate(before, actor=actor, admin=admin, action=action, to=to, involved=involved)
    if isinstance(after, Refusal):
        return
    assert not before.ended
    # Regie and a proposal only ever go to an involved partner.
    if after.coordinator != before.coordinator:
        assert after.coordinator in involved
    if after.handover_to is not None:
        assert after.handover_to in involved and after.handover_to != after.coordinator
    # Nobody but an administrator moves regie to someone other than themselves ...
    if after.coordinator != before.coordinator and action != "assign":
        assert after.coordinator == actor
        # ... and a partner gets it only by taking it free, or accepting what it was offered.
        assert (action == "take" and before.coordinator not in involved) or (
            action == "accept" and before.handover_to == actor
        )
    if action == "assign":
        assert admin
    # Only the coordinator proposes a handover; only its receiver answers one.
    if action == "handover":
        assert before.coordinator == actor == after.coordinator and after.handover_to == to
    if action in ("accept", "decline"):
        assert before.handover_to == actor and after.handover_to is None
