"""The decision engine on the example agreement of API.md."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from policies import Agreement, Consent, Party, PolicySet, decide, purposes_for
from policies.vocabulary import (
    AGREEMENT_EXPIRED,
    AGREEMENT_NOT_ACTIVE,
    AGREEMENT_NOT_YET_VALID,
    AGREEMENT_SUSPENDED,
    AGREEMENT_TERMINATED,
    CATEGORY_NOT_SHARED,
    CONSENT_REQUIRED,
    CONSENT_WITHDRAWN,
    NO_AGREEMENT,
    PARTNER_SUSPENDED,
    PURPOSE_MISMATCH,
)
from tests.policies.factories import (
    AFSTEMMING_RULE,
    NOW,
    SIGNALERING_RULE,
    convenant_noord,
    make_consent,
    make_rule,
    party,
    share,
    with_rule,
)

NOORD = PolicySet.build([convenant_noord()])
TO_SCHOOL = share("kinderwerk-noord", "obs-de-linde", purpose="afstemming", category="school")


def test_kinderwerk_signals_wijkteam_on_public_task_with_every_field() -> None:
    decision = decide(NOORD, share("kinderwerk-noord", "wijkteam-noord"), [], NOW)

    assert decision.allow
    assert decision.reasons == ()
    assert decision.legal_basis == "public_task"
    assert (decision.agreement_id, decision.agreement_version) == ("convenant-noord", 1)
    assert decision.rule_index == 0
    assert decision.rule == SIGNALERING_RULE
    assert decision.fields == ("subject", "summary", "details", "contact")
    assert decision.retention_days == 365
    assert decision.consent_id is None
    assert [(g.agreement_id, g.rule_index) for g in decision.grounds] == [("convenant-noord", 0)]


def test_school_needs_consent() -> None:
    decision = decide(NOORD, TO_SCHOOL, [], NOW)

    assert not decision.allow
    assert decision.reasons == (CONSENT_REQUIRED,)
    assert decision.fields == ()
    assert decision.legal_basis is None
    assert decision.grounds == ()


def test_school_gets_no_details_with_consent_of_the_sender() -> None:
    decision = decide(NOORD, TO_SCHOOL, [make_consent()], NOW)

    assert decision.allow
    assert decision.legal_basis == "consent"
    assert decision.fields == ("subject", "summary", "contact")
    assert decision.rule_index == 1
    assert decision.rule == AFSTEMMING_RULE
    assert decision.retention_days == 180
    assert decision.consent_id == "consent-1"
    assert decision.grounds[0].consent_id == "consent-1"


def test_consent_recorded_by_another_partner_does_not_count() -> None:
    consent = make_consent(recorded_by="wijkteam-noord")

    assert decide(NOORD, TO_SCHOOL, [consent], NOW).reasons == (CONSENT_REQUIRED,)


@pytest.mark.parametrize("offset", [timedelta(0), timedelta(hours=-1)], ids=["at-now", "before"])
def test_withdrawn_consent(offset: timedelta) -> None:
    consent = make_consent(withdrawn_at=NOW + offset)

    assert decide(NOORD, TO_SCHOOL, [consent], NOW).reasons == (CONSENT_WITHDRAWN,)


def test_consent_withdrawn_later_still_counts_now() -> None:
    consent = make_consent(withdrawn_at=NOW + timedelta(seconds=1))

    assert decide(NOORD, TO_SCHOOL, [consent], NOW).allow


def test_another_consent_in_force_outweighs_a_withdrawn_one() -> None:
    consents = [
        make_consent(id="consent-1", withdrawn_at=NOW - timedelta(days=1)),
        make_consent(id="consent-2"),
    ]

    decision = decide(NOORD, TO_SCHOOL, consents, NOW)

    assert decision.allow
    assert decision.consent_id == "consent-2"


def test_lowest_consent_id_is_named_whatever_the_order() -> None:
    consents = [make_consent(id="consent-b"), make_consent(id="consent-a")]

    assert decide(NOORD, TO_SCHOOL, consents, NOW).consent_id == "consent-a"
    assert decide(NOORD, TO_SCHOOL, consents[::-1], NOW).consent_id == "consent-a"


@pytest.mark.parametrize(
    ("valid_from", "valid_until"),
    [(date(2026, 11, 16), None), (date(2026, 1, 1), date(2026, 11, 14))],
    ids=["not-yet", "ended"],
)
def test_consent_outside_its_dates_does_not_count(
    valid_from: date, valid_until: date | None
) -> None:
    consent = make_consent(valid_from=valid_from, valid_until=valid_until)

    assert decide(NOORD, TO_SCHOOL, [consent], NOW).reasons == (CONSENT_REQUIRED,)


def test_withdrawn_consent_outside_its_dates_reads_as_missing() -> None:
    consent = make_consent(valid_until=date(2026, 11, 14), withdrawn_at=NOW)

    assert decide(NOORD, TO_SCHOOL, [consent], NOW).reasons == (CONSENT_REQUIRED,)


@pytest.mark.parametrize(
    "consent",
    [
        make_consent(purposes=("signalering",)),
        make_consent(recipients=("wijkteam-noord",)),
        make_consent(categories=("opvoeding",)),
    ],
    ids=["purpose", "recipient", "category"],
)
def test_consent_for_something_else_does_not_count(consent: Consent) -> None:
    assert decide(NOORD, TO_SCHOOL, [consent], NOW).reasons == (CONSENT_REQUIRED,)


def test_consent_without_categories_covers_every_category() -> None:
    assert decide(NOORD, TO_SCHOOL, [make_consent(categories=None)], NOW).allow


def test_purpose_mismatch() -> None:
    request = share("kinderwerk-noord", "wijkteam-noord", purpose="afstemming")

    assert decide(NOORD, request, [], NOW).reasons == (PURPOSE_MISMATCH,)


def test_category_not_shared() -> None:
    request = share("kinderwerk-noord", "wijkteam-noord", category="school")

    assert decide(NOORD, request, [], NOW).reasons == (CATEGORY_NOT_SHARED,)


def test_pair_without_a_rule_has_no_agreement() -> None:
    decision = decide(NOORD, share("wijkteam-noord", "kinderwerk-noord"), [], NOW)

    assert decision.reasons == (NO_AGREEMENT,)
    assert decision.agreement_id is None


def test_partner_outside_the_agreement_has_no_agreement() -> None:
    outsider = Party("obs-de-eik", "school")
    request = share("kinderwerk-noord", outsider, purpose="afstemming", category="school")

    assert decide(NOORD, request, [make_consent(recipients=("obs-de-eik",))], NOW).reasons == (
        NO_AGREEMENT,
    )


def test_kind_rule_needs_the_recipient_to_be_of_that_kind() -> None:
    not_a_school = party("obs-de-linde", kind="kinderopvang")
    request = share("kinderwerk-noord", not_a_school, purpose="afstemming", category="school")

    assert decide(NOORD, request, [make_consent()], NOW).reasons == (NO_AGREEMENT,)


def test_empty_policy_denies() -> None:
    request = share("kinderwerk-noord", "wijkteam-noord")

    assert decide(PolicySet.build([]), request, [], NOW).reasons == (NO_AGREEMENT,)


@pytest.mark.parametrize(
    ("sender", "recipient"),
    [
        (party("kinderwerk-noord", active=False), party("wijkteam-noord")),
        (party("kinderwerk-noord"), party("wijkteam-noord", active=False)),
        (party("wijkteam-noord", active=False), party("kinderwerk-noord")),
    ],
    ids=["sender", "recipient", "no-agreement-either"],
)
def test_suspended_partner(sender: Party, recipient: Party) -> None:
    decision = decide(NOORD, share(sender, recipient), [], NOW)

    assert not decision.allow
    assert decision.reasons == (PARTNER_SUSPENDED,)


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        ("draft", AGREEMENT_NOT_ACTIVE),
        ("suspended", AGREEMENT_SUSPENDED),
        ("terminated", AGREEMENT_TERMINATED),
    ],
)
def test_agreement_not_in_force(status: str, reason: str) -> None:
    policy = PolicySet.build([convenant_noord(status=status)])

    decision = decide(policy, share("kinderwerk-noord", "wijkteam-noord"), [], NOW)

    assert decision.reasons == (reason,)


@pytest.mark.parametrize(
    ("now", "reason"),
    [
        (datetime(2025, 12, 31, 22, 59, tzinfo=UTC), AGREEMENT_NOT_YET_VALID),
        (datetime(2025, 12, 31, 23, 0, tzinfo=UTC), None),
        (datetime(2028, 12, 31, 22, 59, tzinfo=UTC), None),
        (datetime(2028, 12, 31, 23, 0, tzinfo=UTC), AGREEMENT_EXPIRED),
        (datetime(2029, 1, 1, 0, 30, tzinfo=ZoneInfo("Europe/Amsterdam")), AGREEMENT_EXPIRED),
    ],
    ids=["eve-of-start", "first-day", "last-day", "day-after", "day-after-local"],
)
def test_validity_window_is_inclusive_in_amsterdam_dates(now: datetime, reason: str | None) -> None:
    decision = decide(NOORD, share("kinderwerk-noord", "wijkteam-noord"), [], now)

    assert decision.allow is (reason is None)
    assert decision.reasons == (() if reason is None else (reason,))


def test_open_ended_agreement_never_expires() -> None:
    policy = PolicySet.build([convenant_noord(valid_until=None)])
    far_future = datetime(2100, 1, 1, tzinfo=UTC)

    assert decide(policy, share("kinderwerk-noord", "wijkteam-noord"), [], far_future).allow


def test_reasons_of_every_candidate_in_fixed_order() -> None:
    policy = PolicySet.build(
        [
            convenant_noord(),
            convenant_noord(id="convenant-oud", status="terminated"),
            convenant_noord(id="convenant-nieuw", valid_from=date(2027, 1, 1)),
        ]
    )
    request = share("kinderwerk-noord", "wijkteam-noord", purpose="afstemming")

    assert decide(policy, request, [], NOW).reasons == (
        AGREEMENT_TERMINATED,
        AGREEMENT_NOT_YET_VALID,
        PURPOSE_MISMATCH,
    )


def test_several_grounds_share_the_union_of_fields_for_the_shortest_time() -> None:
    extra = make_rule(fields=("summary",), legal_basis="legitimate_interests", retention_days=30)
    policy = PolicySet.build(
        [
            convenant_noord(id="convenant-b", rules=(extra,)),
            convenant_noord(id="convenant-a", version=3, rules=(extra, SIGNALERING_RULE)),
        ]
    )

    decision = decide(policy, share("kinderwerk-noord", "wijkteam-noord"), [], NOW)

    assert decision.fields == ("subject", "summary", "details", "contact")
    assert decision.retention_days == 30
    assert (decision.agreement_id, decision.agreement_version, decision.rule_index) == (
        "convenant-a",
        3,
        0,
    )
    assert decision.legal_basis == "legitimate_interests"
    assert [(g.agreement_id, g.rule_index) for g in decision.grounds] == [
        ("convenant-a", 0),
        ("convenant-a", 1),
        ("convenant-b", 0),
    ]


def test_kind_to_kind_rule_lets_parties_share_with_each_other_but_not_with_themselves() -> None:
    schools = convenant_noord(
        parties=("obs-de-linde", "obs-de-eik"),
        rules=(make_rule(sender="kind:school", recipient="kind:school", categories=("school",)),),
    )
    policy = PolicySet.build([schools])
    linde, eik = Party("obs-de-linde", "school"), Party("obs-de-eik", "school")

    assert decide(policy, share(linde, eik, category="school"), [], NOW).allow
    assert decide(policy, share(linde, linde, category="school"), [], NOW).reasons == (
        NO_AGREEMENT,
    )


def test_consent_basis_never_shares_without_consent_even_if_misconfigured() -> None:
    policy = PolicySet.build([with_rule(convenant_noord(), 1, requires_consent=False)])

    assert decide(policy, TO_SCHOOL, [], NOW).reasons == (CONSENT_REQUIRED,)


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        decide(NOORD, TO_SCHOOL, [], datetime(2026, 11, 15, 12, 0))


def test_one_version_per_agreement() -> None:
    with pytest.raises(ValueError, match="convenant-noord"):
        PolicySet.build([convenant_noord(), convenant_noord(version=2)])


def test_later_version_is_what_decides() -> None:
    narrowed = with_rule(convenant_noord(version=2), 0, fields=("summary",))

    decision = decide(
        PolicySet.build([narrowed]), share("kinderwerk-noord", "wijkteam-noord"), [], NOW
    )

    assert decision.agreement_version == 2
    assert decision.fields == ("summary",)


def test_purposes_for_a_party() -> None:
    assert purposes_for(NOORD, "kinderwerk-noord", NOW) == {"signalering", "afstemming"}
    assert purposes_for(NOORD, "obs-de-eik", NOW) == frozenset()


@pytest.mark.parametrize(
    "agreement",
    [
        convenant_noord(status="suspended"),
        convenant_noord(status="draft"),
        convenant_noord(valid_until=date(2026, 11, 14)),
        convenant_noord(valid_from=date(2026, 11, 16)),
    ],
    ids=["suspended", "draft", "expired", "not-yet-valid"],
)
def test_purposes_for_ignores_agreements_not_in_force(agreement: Agreement) -> None:
    assert purposes_for(PolicySet.build([agreement]), "kinderwerk-noord", NOW) == frozenset()


def test_policy_set_exposes_the_agreements_it_indexed() -> None:
    agreement = convenant_noord()

    assert dict(PolicySet.build([agreement]).agreements) == {"convenant-noord": agreement}


def test_a_decision_cannot_be_changed() -> None:
    decision = decide(NOORD, TO_SCHOOL, [], NOW)

    with pytest.raises(AttributeError):
        decision.allow = True  # type: ignore[misc]
