"""What one version of an agreement granted a recipient of a signal: the fields of the rules that
cover the share. An access report names them per recipient, whatever is in force today."""

from policies.agreements import Agreement, Rule
from policies.decision import Party
from policies.vocabulary import KIND_PREFIX, SIGNAL_FIELDS


def _names(end: str, party: Party) -> bool:
    return end == party.id or end == KIND_PREFIX + party.kind


def covering_rules(
    agreement: Agreement, *, sender: Party, recipient: Party, purpose: str, category: str
) -> tuple[Rule, ...]:
    """The rules of `agreement` that cover this share, as the engine matches them (both ends
    parties of the agreement, never a partner with itself), whatever the agreement's status."""
    parties = frozenset(agreement.parties)
    if sender.id == recipient.id or not {sender.id, recipient.id} <= parties:
        return ()
    return tuple(
        rule
        for rule in agreement.rules
        if _names(rule.sender, sender)
        and _names(rule.recipient, recipient)
        and purpose in rule.purposes
        and category in rule.categories
    )


def fields_granted(
    agreement: Agreement, *, sender: Party, recipient: Party, purpose: str, category: str
) -> tuple[str, ...]:
    """The fields those rules share, in the fixed order of SIGNAL_FIELDS."""
    rules = covering_rules(
        agreement, sender=sender, recipient=recipient, purpose=purpose, category=category
    )
    return tuple(name for name in SIGNAL_FIELDS if any(name in rule.fields for rule in rules))
