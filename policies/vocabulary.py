"""The fixed words of sharing agreements and decisions, as they appear in the API contract."""

import re
from typing import Final

PARTNER_KINDS: Final = (
    "kinderwerk",
    "school",
    "wijkteam",
    "jongerenwerk",
    "kinderopvang",
    "politie",
    "gemeente",
    "other",
)

# GDPR art. 6(1), in the order of the article.
LEGAL_BASES: Final = (
    "consent",
    "contract",
    "legal_obligation",
    "vital_interests",
    "public_task",
    "legitimate_interests",
)

# Every decision lists the fields it shares in this order, so responses are stable.
SIGNAL_FIELDS: Final = ("subject", "summary", "details", "contact")

AGREEMENT_STATUSES: Final = ("proposed", "active", "rejected", "suspended", "terminated", "draft")
"""Every status a stored version can have; `proposed` and `rejected` come from acceptance."""

WRITTEN_STATUSES: Final = ("draft", "proposed", "active", "suspended", "terminated")
"""What an administrator may write: `active` (or `proposed`) asks the parties to accept; the
version is `proposed` until every party has (policies.acceptance)."""

SLUG_RE: Final = re.compile(r"^[a-z0-9-]{2,64}$")

KIND_PREFIX: Final = "kind:"
"""A rule's sender or recipient written as `kind:<kind>` means every party of that kind."""

PARTNER_SUSPENDED: Final = "partner_suspended"
NO_AGREEMENT: Final = "no_agreement"
AGREEMENT_NOT_ACTIVE: Final = "agreement_not_active"
AGREEMENT_SUSPENDED: Final = "agreement_suspended"
AGREEMENT_TERMINATED: Final = "agreement_terminated"
AGREEMENT_NOT_YET_VALID: Final = "agreement_not_yet_valid"
AGREEMENT_EXPIRED: Final = "agreement_expired"
PURPOSE_MISMATCH: Final = "purpose_mismatch"
CATEGORY_NOT_SHARED: Final = "category_not_shared"
CONSENT_REQUIRED: Final = "consent_required"
CONSENT_WITHDRAWN: Final = "consent_withdrawn"
CONSENT_SUBJECT_MISMATCH: Final = "consent_subject_mismatch"
PROFESSIONAL_REQUIRED: Final = "professional_required"
FIELD_NOT_SHARED: Final = "field_not_shared"

# The order in which the engine checks things, so a denial reads from the most general cause to
# the most specific one. Decisions sort their reasons by it.
REASONS: Final = (
    PARTNER_SUSPENDED,
    NO_AGREEMENT,
    AGREEMENT_NOT_ACTIVE,
    AGREEMENT_SUSPENDED,
    AGREEMENT_TERMINATED,
    AGREEMENT_NOT_YET_VALID,
    AGREEMENT_EXPIRED,
    PURPOSE_MISMATCH,
    CATEGORY_NOT_SHARED,
    CONSENT_REQUIRED,
    CONSENT_SUBJECT_MISMATCH,
    CONSENT_WITHDRAWN,
    PROFESSIONAL_REQUIRED,
    FIELD_NOT_SHARED,
)

STATUS_REASONS: Final = {
    "draft": AGREEMENT_NOT_ACTIVE,
    "proposed": AGREEMENT_NOT_ACTIVE,
    "rejected": AGREEMENT_NOT_ACTIVE,
    "suspended": AGREEMENT_SUSPENDED,
    "terminated": AGREEMENT_TERMINATED,
}
"""Why an agreement in a status other than `active` grants nothing."""


def is_slug(value: object) -> bool:
    """Whether `value` is a string of the form partner ids, purpose words and categories take."""
    return isinstance(value, str) and SLUG_RE.fullmatch(value) is not None
