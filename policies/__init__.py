"""May they: sharing agreements, consent and the decision engine; pure, with time passed in."""

from policies import vocabulary
from policies.agreements import (
    Agreement,
    AgreementProblem,
    Coordination,
    Rule,
    validate_agreement,
)
from policies.consents import Consent, may_self_consent
from policies.decision import Decision, Ground, Party, ShareRequest
from policies.engine import PolicySet, decide, purposes_for

__all__ = [
    "Agreement",
    "AgreementProblem",
    "Consent",
    "Coordination",
    "Decision",
    "Ground",
    "Party",
    "PolicySet",
    "Rule",
    "ShareRequest",
    "decide",
    "may_self_consent",
    "purposes_for",
    "validate_agreement",
    "vocabulary",
]
