"""Validation of sharing agreements before they are stored."""

from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from policies import Agreement, AgreementProblem, validate_agreement
from tests.policies.factories import NOORD_PARTNERS, convenant_noord, make_rule, with_rule

PARTNERS = {**NOORD_PARTNERS, "obs-de-eik": "school", "jongerenwerk-noord": "jongerenwerk"}


def paths(agreement: Agreement) -> list[str]:
    return [problem.path for problem in validate_agreement(agreement, PARTNERS)]


def test_example_agreement_is_valid() -> None:
    assert validate_agreement(convenant_noord(), PARTNERS) == []


def test_boundaries_are_valid() -> None:
    agreement = convenant_noord(
        valid_until=date(2026, 1, 1),
        rules=(
            make_rule(retention_days=1),
            make_rule(recipient="kind:wijkteam", categories=("wonen",), retention_days=730),
        ),
    )

    assert validate_agreement(agreement, PARTNERS) == []


def test_open_ended_agreement_is_valid() -> None:
    assert validate_agreement(convenant_noord(valid_until=None), PARTNERS) == []


INVALID: dict[str, tuple[dict[str, Any], list[str]]] = {
    "id-not-a-slug": ({"id": "Convenant Noord"}, ["id"]),
    "id-too-short": ({"id": "c"}, ["id"]),
    "party-not-a-slug": (
        {"parties": ("kinderwerk-noord", "OBS de Linde", "wijkteam-noord", "obs-de-linde")},
        ["parties[1]"],
    ),
    "party-twice": (
        {"parties": ("kinderwerk-noord", "obs-de-linde", "wijkteam-noord", "obs-de-linde")},
        ["parties[3]"],
    ),
    "party-not-registered": (
        {"parties": ("kinderwerk-noord", "obs-de-linde", "wijkteam-noord", "obs-onbekend")},
        ["parties[3]"],
    ),
    "status-unknown": ({"status": "paused"}, ["status"]),
    "ends-before-it-starts": ({"valid_until": date(2025, 12, 31)}, ["validUntil"]),
    "purpose-word-not-a-slug": (
        {
            "purposes": {
                "signalering": "Zorgsignalen",
                "afstemming": "Afstemmen",
                "Vroeg Signaleren": "Vroegsignalering",
            }
        },
        ["purposes"],
    ),
}


@pytest.mark.parametrize(("changes", "expected"), INVALID.values(), ids=INVALID.keys())
def test_agreement_problem(changes: dict[str, Any], expected: list[str]) -> None:
    assert paths(convenant_noord(**changes)) == expected


def test_no_parties() -> None:
    found = paths(convenant_noord(parties=()))

    # Without parties every rule names a non-party too; the agreement-level problem comes first.
    assert found[0] == "parties"
    assert found[1:] == [
        "rules[0].sender",
        "rules[0].recipient",
        "rules[1].sender",
        "rules[1].recipient",
    ]


def test_no_purposes() -> None:
    found = paths(convenant_noord(purposes={}))

    assert found == ["purposes", "rules[0].purposes[0]", "rules[1].purposes[0]"]


RULE_INVALID: dict[str, tuple[int, dict[str, Any], list[str]]] = {
    "sender-not-a-party": (0, {"sender": "jongerenwerk-noord"}, ["rules[0].sender"]),
    "sender-not-a-slug": (0, {"sender": "Kinderwerk Noord"}, ["rules[0].sender"]),
    "recipient-unknown-kind": (1, {"recipient": "kind:bakker"}, ["rules[1].recipient"]),
    "recipient-kind-without-party": (
        1,
        {"recipient": "kind:jongerenwerk"},
        ["rules[1].recipient"],
    ),
    "recipient-is-the-sender": (0, {"recipient": "kinderwerk-noord"}, ["rules[0].recipient"]),
    "kind-of-only-the-sender": (0, {"recipient": "kind:kinderwerk"}, ["rules[0].recipient"]),
    "no-purposes": (0, {"purposes": ()}, ["rules[0].purposes"]),
    "purpose-unknown": (
        0,
        {"purposes": ("signalering", "opsporing")},
        ["rules[0].purposes[1]"],
    ),
    "no-categories": (0, {"categories": ()}, ["rules[0].categories"]),
    "category-not-a-slug": (
        0,
        {"categories": ("opvoeding", "Huiselijk Geweld")},
        ["rules[0].categories[1]"],
    ),
    "no-fields": (0, {"fields": ()}, ["rules[0].fields"]),
    "field-unknown": (0, {"fields": ("subject", "bsn")}, ["rules[0].fields[1]"]),
    "field-twice": (0, {"fields": ("subject", "summary", "subject")}, ["rules[0].fields[2]"]),
    "legal-basis-unknown": (0, {"legal_basis": "goodwill"}, ["rules[0].legalBasis"]),
    "consent-basis-without-consent": (
        1,
        {"requires_consent": False},
        ["rules[1].requiresConsent"],
    ),
    "retention-zero": (0, {"retention_days": 0}, ["rules[0].retentionDays"]),
    "retention-beyond-two-years": (0, {"retention_days": 731}, ["rules[0].retentionDays"]),
}


@pytest.mark.parametrize(
    ("index", "changes", "expected"), RULE_INVALID.values(), ids=RULE_INVALID.keys()
)
def test_rule_problem(index: int, changes: dict[str, Any], expected: list[str]) -> None:
    assert paths(with_rule(convenant_noord(), index, **changes)) == expected


def test_kind_with_several_parties_may_include_the_sender() -> None:
    schools = convenant_noord(
        parties=("obs-de-linde", "obs-de-eik"),
        rules=(make_rule(sender="kind:school", recipient="kind:school", categories=("school",)),),
    )

    assert validate_agreement(schools, PARTNERS) == []


def test_kind_with_one_party_is_that_party_alone() -> None:
    agreement = convenant_noord(rules=(make_rule(sender="kind:school", recipient="obs-de-linde"),))

    assert paths(agreement) == ["rules[0].recipient"]


def test_duplicate_rule_is_the_later_one() -> None:
    first = make_rule(purposes=("signalering", "afstemming"), categories=("opvoeding", "school"))
    again = replace(first, purposes=("afstemming", "signalering"), fields=("summary",))
    agreement = convenant_noord(rules=(first, make_rule(categories=("wonen",)), again))

    problems = validate_agreement(agreement, PARTNERS)

    assert problems == [
        AgreementProblem(
            "rules[2]", "duplicates rules[0]: same sender, recipient, purposes and categories"
        )
    ]


def test_rules_differing_in_categories_are_not_duplicates() -> None:
    agreement = convenant_noord(rules=(make_rule(), make_rule(categories=("wonen",))))

    assert validate_agreement(agreement, PARTNERS) == []


def test_every_problem_in_document_order() -> None:
    agreement = with_rule(
        convenant_noord(id="X", status="paused", valid_until=date(2025, 1, 1)),
        1,
        recipient="kind:politie",
        fields=(),
        retention_days=0,
    )

    assert paths(agreement) == [
        "id",
        "validUntil",
        "status",
        "rules[1].recipient",
        "rules[1].fields",
        "rules[1].retentionDays",
    ]


def test_messages_quote_identifiers_but_never_free_text() -> None:
    free_text = "Sam de Vries, 111222333"
    agreement = with_rule(
        convenant_noord(
            id=free_text,
            parties=("kinderwerk-noord", "obs-de-linde", "wijkteam-noord", free_text),
            purposes={"signalering": "x", "afstemming": "y", free_text: "z"},
        ),
        0,
        recipient=free_text.upper(),
        purposes=("signalering", free_text.upper()),
        categories=(free_text,),
        fields=(free_text,),
        legal_basis=free_text,
    )

    problems = validate_agreement(agreement, PARTNERS)

    assert [p.path for p in problems] == [
        "id",
        "parties[3]",
        "purposes",
        "rules[0].recipient",
        "rules[0].purposes[1]",
        "rules[0].categories[0]",
        "rules[0].fields[0]",
        "rules[0].legalBasis",
    ]
    assert not [p for p in problems if "111222333" in p.message or "vries" in p.message.lower()]
    unregistered = validate_agreement(
        convenant_noord(parties=("kinderwerk-noord", "obs-de-linde", "wijkteam-noord", "obs-x")),
        PARTNERS,
    )
    assert unregistered == [AgreementProblem("parties[3]", "'obs-x' is not a registered partner")]
