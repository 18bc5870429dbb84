"""The fixed words that the API contract and the audit log rely on."""

import pytest

import policies
from policies import vocabulary


def test_every_reason_word_has_one_place_in_the_order() -> None:
    words = {
        value
        for name, value in vars(vocabulary).items()
        if name.isupper() and isinstance(value, str) and value.islower() and "_" in value
    }

    assert len(vocabulary.REASONS) == len(set(vocabulary.REASONS)) == 14
    assert words == set(vocabulary.REASONS)


def test_reason_words_of_the_contract() -> None:
    assert {
        "no_agreement",
        "purpose_mismatch",
        "consent_required",
        "consent_withdrawn",
        "agreement_suspended",
        "agreement_expired",
        "partner_suspended",
        "field_not_shared",
    } <= set(vocabulary.REASONS)


def test_every_status_but_active_has_a_reason() -> None:
    assert set(vocabulary.STATUS_REASONS) == set(vocabulary.AGREEMENT_STATUSES) - {"active"}
    assert set(vocabulary.STATUS_REASONS.values()) <= set(vocabulary.REASONS)


@pytest.mark.parametrize("word", ["ab", "wijkteam-noord", "a" * 64, "0-9"])
def test_slugs(word: str) -> None:
    assert vocabulary.is_slug(word)
    assert vocabulary.SLUG_RE.match(word)


@pytest.mark.parametrize(
    "word", ["a", "a" * 65, "Wijkteam", "wijk team", "kind:school", "ab\n", 12]
)
def test_not_slugs(word: object) -> None:
    assert not vocabulary.is_slug(word)


def test_package_exports_its_public_names() -> None:
    assert set(policies.__all__) == {
        "Rule",
        "Coordination",
        "Agreement",
        "AgreementProblem",
        "validate_agreement",
        "Consent",
        "may_self_consent",
        "Party",
        "ShareRequest",
        "Ground",
        "Decision",
        "PolicySet",
        "decide",
        "purposes_for",
        "vocabulary",
    }
    assert all(hasattr(policies, name) for name in policies.__all__)
