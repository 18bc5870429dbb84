"""The question put to the policy engine and its answer."""

from dataclasses import dataclass

from policies.agreements import Rule


@dataclass(frozen=True, slots=True)
class Party:
    """A partner as the engine needs to know it."""

    id: str
    kind: str
    active: bool = True


@dataclass(frozen=True, slots=True)
class ShareRequest:
    """May `sender` share a signal of `category` with `recipient` for `purpose`?"""

    sender: Party
    recipient: Party
    purpose: str
    category: str
    subject_tag: str | None = None
    """The keyed tag of the signal subject's birth date, if it records one: a consent for a
    subject with another birth date does not count."""
    professional: bool | None = None
    """Whether a professional acts for the sender (True/False) when a signal is sent; None when
    a share is decided again at reading, where a rule's `requires_professional` binds nothing:
    it is about who sends, not who reads."""


@dataclass(frozen=True, slots=True)
class Ground:
    """One agreement rule that allows a share; `rule_index` counts from 0 in the agreement."""

    agreement_id: str
    agreement_version: int
    rule_index: int
    rule: Rule
    legal_basis: str
    consent_id: str | None


@dataclass(frozen=True, slots=True)
class Decision:
    """Allow or deny, and what it stands on.

    An allow names one ground (the first of `grounds` by agreement id, version and rule index),
    shares the union of the fields of every ground and keeps a signal no longer than the strictest
    ground allows. A deny lists its reasons in the order of `vocabulary.REASONS`.
    """

    allow: bool
    reasons: tuple[str, ...]
    legal_basis: str | None
    agreement_id: str | None
    agreement_version: int | None
    rule_index: int | None
    rule: Rule | None
    fields: tuple[str, ...]
    retention_days: int | None
    consent_id: str | None
    grounds: tuple[Ground, ...]

    @classmethod
    def deny(cls, reasons: tuple[str, ...]) -> "Decision":
        """A denial for `reasons`, which the caller has already put in order."""
        return cls(False, reasons, None, None, None, None, None, (), None, None, ())
