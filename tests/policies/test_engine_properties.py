"""Properties of the decision engine over small random neighbourhoods.

Most properties check every possible request of the neighbourhood (`REQUESTS`) for each generated
example, so a modest number of examples covers a great many decisions.
"""

from dataclasses import replace
from datetime import datetime, timedelta
from random import Random
from zoneinfo import ZoneInfo

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from policies import (
    Agreement,
    Consent,
    Decision,
    Ground,
    PolicySet,
    ShareRequest,
    decide,
    purposes_for,
)
from policies.vocabulary import (
    AGREEMENT_SUSPENDED,
    AGREEMENT_TERMINATED,
    CONSENT_WITHDRAWN,
    NO_AGREEMENT,
    PARTNER_SUSPENDED,
)
from tests.policies.reference import (
    consent_counts,
    covers,
    in_force,
    matching_rules,
    reference_decide,
    reference_purposes_for,
)
from tests.policies.strategies import (
    AGREEMENT_IDS,
    PARTIES,
    agreement_sets,
    agreements,
    aims,
    consents,
    every_request,
    moments,
    neighbourhoods,
    requests,
    rules,
)

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
REQUESTS = every_request()
Neighbourhood = tuple[list[Agreement], list[Consent]]

examples = settings(max_examples=100, deadline=None)


def rule_of(ground: Ground) -> tuple[str, int, int]:
    """The rule a ground stands on, whichever consent it names."""
    return (ground.agreement_id, ground.agreement_version, ground.rule_index)


def access(decision: Decision) -> set[tuple[str, int, int]]:
    return {rule_of(ground) for ground in decision.grounds}


def decisions(
    agreements_: list[Agreement], consents_: list[Consent], now: datetime
) -> list[Decision]:
    policy = PolicySet.build(agreements_)
    return [decide(policy, request, consents_, now) for request in REQUESTS]


@settings(max_examples=200, deadline=None)
@given(neighbourhoods(), moments)
def test_engine_agrees_with_a_plain_reading_of_the_rules(
    neighbourhood: Neighbourhood, now: datetime
) -> None:
    agreements_, consents_ = neighbourhood

    for request, decision in zip(REQUESTS, decisions(*neighbourhood, now), strict=True):
        assert decision == reference_decide(agreements_, request, consents_, now)


@examples
@given(neighbourhoods(), moments)
def test_deny_when_no_rule_matches(neighbourhood: Neighbourhood, now: datetime) -> None:
    agreements_, _ = neighbourhood

    for request, decision in zip(REQUESTS, decisions(*neighbourhood, now), strict=True):
        if not matching_rules(agreements_, request):
            assert not decision.allow
            assert decision.reasons == (NO_AGREEMENT,)


@examples
@given(
    neighbourhoods(),
    requests,
    moments,
    st.sampled_from([(False, True), (True, False), (False, False)]),
)
def test_suspended_partner_is_always_denied(
    neighbourhood: Neighbourhood,
    request: ShareRequest,
    now: datetime,
    active: tuple[bool, bool],
) -> None:
    agreements_, consents_ = neighbourhood
    request = replace(
        request,
        sender=replace(request.sender, active=active[0]),
        recipient=replace(request.recipient, active=active[1]),
    )

    decision = decide(PolicySet.build(agreements_), request, consents_, now)

    assert not decision.allow
    assert decision.reasons == (PARTNER_SUSPENDED,)


def assert_never_less(before: list[Decision], after: list[Decision]) -> None:
    for old, new in zip(before, after, strict=True):
        if old.allow:
            assert new.allow
            assert set(old.fields) <= set(new.fields)
            assert access(old) <= access(new)


@examples
@given(neighbourhoods(min_agreements=1), moments, st.data())
def test_adding_a_rule_never_removes_access(
    neighbourhood: Neighbourhood, now: datetime, data: st.DataObject
) -> None:
    agreements_, consents_ = neighbourhood
    position = data.draw(st.integers(0, len(agreements_) - 1))
    target = agreements_[position]
    extra = data.draw(rules(target.parties, tuple(target.purposes)))
    widened = list(agreements_)
    widened[position] = replace(target, rules=(*target.rules, extra))

    assert_never_less(decisions(*neighbourhood, now), decisions(widened, consents_, now))


@examples
@given(neighbourhoods(), moments, st.data())
def test_adding_an_agreement_never_removes_access(
    neighbourhood: Neighbourhood, now: datetime, data: st.DataObject
) -> None:
    agreements_, consents_ = neighbourhood
    unused = [id for id in AGREEMENT_IDS if id not in {a.id for a in agreements_}]
    extra = data.draw(agreements(data.draw(st.sampled_from(unused))))

    assert_never_less(
        decisions(*neighbourhood, now), decisions([*agreements_, extra], consents_, now)
    )


@examples
@given(
    neighbourhoods(min_agreements=1),
    moments,
    st.sampled_from(("suspended", "terminated")),
    st.data(),
)
def test_ending_an_agreement_removes_exactly_the_access_it_gave(
    neighbourhood: Neighbourhood, now: datetime, status: str, data: st.DataObject
) -> None:
    agreements_, consents_ = neighbourhood
    position = data.draw(st.integers(0, len(agreements_) - 1))
    ended_id = agreements_[position].id
    ended = list(agreements_)
    ended[position] = replace(agreements_[position], status=status)

    before = decisions(*neighbourhood, now)
    after = decisions(ended, consents_, now)

    for old, new in zip(before, after, strict=True):
        elsewhere = tuple(g for g in old.grounds if g.agreement_id != ended_id)
        assert new.grounds == elsewhere
        assert new.allow is bool(elsewhere)
        if old.allow and not elsewhere:
            reason = AGREEMENT_SUSPENDED if status == "suspended" else AGREEMENT_TERMINATED
            assert reason in new.reasons


@examples
@given(neighbourhoods(min_consents=1), moments, st.data())
def test_withdrawing_a_consent_removes_only_access_that_needed_it(
    neighbourhood: Neighbourhood, now: datetime, data: st.DataObject
) -> None:
    agreements_, consents_ = neighbourhood
    position = data.draw(st.integers(0, len(consents_) - 1))
    gone = consents_[position]
    earlier = timedelta(minutes=data.draw(st.integers(0, 60 * 24 * 90)))
    withdrawn = list(consents_)
    withdrawn[position] = replace(gone, withdrawn_at=now - earlier)
    others = [c for c in consents_ if c.id != gone.id]

    before = decisions(*neighbourhood, now)
    after = decisions(agreements_, withdrawn, now)

    for request, old, new in zip(REQUESTS, before, after, strict=True):
        assert {g for g in new.grounds if not g.rule.requires_consent} == {
            g for g in old.grounds if not g.rule.requires_consent
        }
        assert access(new) <= access(old)
        assert all(g.consent_id != gone.id for g in new.grounds)
        needed_consent = {rule_of(g) for g in old.grounds if g.rule.requires_consent}
        still_covered = any(consent_counts(c, request, now) for c in others)
        if still_covered:
            assert needed_consent <= access(new)
        else:
            assert not needed_consent & access(new)
            if needed_consent and not new.allow:
                assert CONSENT_WITHDRAWN in new.reasons


@examples
@given(neighbourhoods(min_consents=1), moments)
def test_withdrawing_every_consent_leaves_only_rules_without_consent(
    neighbourhood: Neighbourhood, now: datetime
) -> None:
    agreements_, consents_ = neighbourhood
    withdrawn = [replace(c, withdrawn_at=now) for c in consents_]

    before = decisions(*neighbourhood, now)
    after = decisions(agreements_, withdrawn, now)

    for old, new in zip(before, after, strict=True):
        assert new.grounds == tuple(g for g in old.grounds if not g.rule.requires_consent)


@examples
@given(neighbourhoods(), moments, st.data())
def test_a_consent_opens_nothing_it_does_not_name(
    neighbourhood: Neighbourhood, now: datetime, data: st.DataObject
) -> None:
    agreements_, consents_ = neighbourhood
    added = data.draw(consents("c-added", tuple(aims(agreements_))))
    policy = PolicySet.build(agreements_)

    for request in REQUESTS:
        if not covers(added, request):
            assert decide(policy, request, [*consents_, added], now) == decide(
                policy, request, consents_, now
            )


@examples
@given(neighbourhoods(), moments)
def test_allowed_only_inside_the_window_of_an_active_agreement(
    neighbourhood: Neighbourhood, now: datetime
) -> None:
    by_id = {agreement.id: agreement for agreement in neighbourhood[0]}

    for decision in decisions(*neighbourhood, now):
        for ground in decision.grounds:
            assert in_force(by_id[ground.agreement_id], now)


@examples
@given(neighbourhoods(min_agreements=1), st.booleans(), st.integers(1, 400))
def test_nothing_is_allowed_before_or_after_every_window(
    neighbourhood: Neighbourhood, early: bool, days: int
) -> None:
    agreements_, _ = neighbourhood
    ends = [agreement.valid_until for agreement in agreements_]
    assume(early or None not in ends)  # an open-ended agreement has no "after"
    if early:
        day = min(agreement.valid_from for agreement in agreements_) - timedelta(days=days)
    else:
        day = max(end for end in ends if end is not None) + timedelta(days=days)
    now = datetime(day.year, day.month, day.day, 12, tzinfo=AMSTERDAM)

    assert not any(decision.allow for decision in decisions(*neighbourhood, now))


@examples
@given(neighbourhoods(), moments, st.randoms(use_true_random=False))
def test_decide_is_deterministic_whatever_the_order(
    neighbourhood: Neighbourhood, now: datetime, random: Random
) -> None:
    agreements_, consents_ = neighbourhood
    first = decisions(*neighbourhood, now)

    assert decisions(*neighbourhood, now) == first
    assert (
        decisions(
            random.sample(agreements_, len(agreements_)),
            random.sample(consents_, len(consents_)),
            now,
        )
        == first
    )


@examples
@given(agreement_sets(), moments)
def test_purposes_for_only_agreements_in_force_the_partner_is_party_to(
    agreements_: list[Agreement], now: datetime
) -> None:
    policy = PolicySet.build(agreements_)

    for party in PARTIES:
        assert purposes_for(policy, party.id, now) == reference_purposes_for(
            agreements_, party.id, now
        )
