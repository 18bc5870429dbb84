"""The fields an access report says a recipient was granted are the fields the engine shares
when that agreement alone is in force and asks for no consent."""

from dataclasses import fields, replace

from hypothesis import given, settings

from policies import Agreement, Party, PolicySet, Rule, decide
from policies.grants import fields_granted
from tests.policies.strategies import MIDDLE, agreements, every_request

REQUESTS = every_request()


# Conditions on sending that the rule's fields do not depend on: off, so the engine allows.
UNCONDITIONAL = {"requires_consent": False, "legal_basis": "public_task"}
if "requires_professional" in {f.name for f in fields(Rule)}:
    UNCONDITIONAL["requires_professional"] = False


def _in_force(agreement: Agreement) -> Agreement:
    """The same rules, active and valid at MIDDLE, none asking for consent (or a named
    professional, where rules can)."""
    return replace(
        agreement,
        status="active",
        valid_from=MIDDLE.date().replace(month=1),
        valid_until=None,
        rules=tuple(replace(rule, **UNCONDITIONAL) for rule in agreement.rules),
    )


@settings(max_examples=150, deadline=None)
@given(agreements("ag-a"))
def test_fields_granted_are_what_the_engine_shares(agreement: Agreement) -> None:
    agreement = _in_force(agreement)
    policy = PolicySet.build([agreement])
    for request in REQUESTS:
        decision = decide(policy, request, (), MIDDLE)
        granted = fields_granted(
            agreement,
            sender=request.sender,
            recipient=request.recipient,
            purpose=request.purpose,
            category=request.category,
        )
        assert granted == (decision.fields if decision.allow else ()), request


def test_a_rule_for_another_category_grants_nothing() -> None:
    rule = Rule(
        sender="kw",
        recipient="kind:school",
        purposes=("afstemming",),
        categories=("school",),
        fields=("summary",),
        legal_basis="consent",
        requires_consent=True,
        retention_days=9,
    )
    agreement = Agreement("ag", 1, "t", ("kw", "sc"), MIDDLE.date(), None, "active", {}, (rule,))
    sender, school = Party("kw", "kinderwerk"), Party("sc", "school")
    common = {"sender": sender, "recipient": school, "purpose": "afstemming"}
    assert fields_granted(agreement, **common, category="school") == ("summary",)
    assert fields_granted(agreement, **common, category="opvoeding") == ()
    assert fields_granted(agreement, **{**common, "recipient": sender}, category="school") == ()
