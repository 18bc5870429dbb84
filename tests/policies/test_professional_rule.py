"""Properties of `requiresProfessional`: a rule that asks for a professional grants nothing to a
sender without one, and nothing else about a decision changes."""

from dataclasses import replace
from datetime import datetime

from hypothesis import given, settings

from policies import Agreement, Consent, PolicySet, ShareRequest, decide
from policies.vocabulary import PROFESSIONAL_REQUIRED
from tests.policies.reference import reference_decide
from tests.policies.strategies import moments, neighbourhoods, requests

Neighbourhood = tuple[list[Agreement], list[Consent]]
examples = settings(max_examples=300, deadline=None)


def _three(
    neighbourhood: Neighbourhood, request: ShareRequest, now: datetime
) -> tuple[object, ...]:
    agreements_, consents_ = neighbourhood
    policy = PolicySet.build(agreements_)
    return tuple(
        decide(policy, replace(request, professional=professional), consents_, now)
        for professional in (None, True, False)
    )


@examples
@given(neighbourhoods(), requests, moments)
def test_a_professional_present_decides_as_a_read_does(
    neighbourhood: Neighbourhood, request: ShareRequest, now: datetime
) -> None:
    at_reading, with_professional, _ = _three(neighbourhood, request, now)

    assert with_professional == at_reading


@examples
@given(neighbourhoods(), requests, moments)
def test_without_a_professional_only_rules_that_ask_for_none_grant(
    neighbourhood: Neighbourhood, request: ShareRequest, now: datetime
) -> None:
    agreements_, consents_ = neighbourhood
    policy = PolicySet.build(agreements_)
    present = decide(policy, replace(request, professional=True), consents_, now)
    absent = decide(policy, replace(request, professional=False), consents_, now)

    assert absent == reference_decide(
        agreements_, replace(request, professional=False), consents_, now
    )
    open_grounds = tuple(g for g in present.grounds if not g.rule.requires_professional)
    assert absent.grounds == open_grounds
    assert absent.allow == bool(open_grounds)
    if absent.allow:
        assert set(absent.fields) <= set(present.fields)
    elif present.allow:
        # Everything that would have granted it asks for a professional: the refusal says so.
        assert PROFESSIONAL_REQUIRED in absent.reasons
    else:
        assert set(absent.reasons) <= {*present.reasons, PROFESSIONAL_REQUIRED}
