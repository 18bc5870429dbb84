"""The child a record is about: BSN validation, the blind index and the pseudonym.

The BSN itself is only ever stored encrypted. To find records by BSN a keyed blind index
(HMAC-SHA256 under a key derived from the root key, separate from every encryption key) is
stored beside it. Pseudonyms are keyed hashes of the blind index, in the manner of polymorphic
pseudonymisation: the audit pseudonym (stored with every record and in the audit log, shown to
auditors) and one per partner, worked out when an answer is written, so that each partner sees
its own stable `subjectRef` for a child and no answer lets one partner's be mapped to
another's. None reveals the BSN.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import date

from records.keyring import Keyring

BLIND_INDEX_PURPOSE = "blind-index/bsn/v1"
SUBJECT_REF_PURPOSE = "subject-ref/v1"
PARTNER_REF_PURPOSE = "subject-ref/partner/v1"
BIRTH_TAG_PURPOSE = "subject-birth/v1"
SUBJECT_REF_PREFIX = "sr_"


def elfproef(bsn: str) -> bool:
    """The BSN check: nine digits with 9·d1 + 8·d2 + … + 2·d8 - 1·d9 divisible by 11."""
    if len(bsn) != 9 or not bsn.isascii() or not bsn.isdigit():
        return False
    digits = [int(char) for char in bsn]
    total = sum(weight * digit for weight, digit in zip(range(9, 1, -1), digits[:8], strict=True))
    total -= digits[8]
    return total % 11 == 0 and bsn != "000000000"


def _ref(key: bytes, message: str) -> str:
    digest = hmac.new(key, message.encode(), hashlib.sha256).digest()[:16]
    return SUBJECT_REF_PREFIX + base64.b32encode(digest).decode().rstrip("=").lower()


@dataclass(frozen=True)
class SubjectKeys:
    index_key: bytes
    ref_key: bytes
    partner_key: bytes
    birth_key: bytes

    @classmethod
    def from_keyring(cls, keyring: Keyring) -> SubjectKeys:
        return cls(
            keyring.derive(BLIND_INDEX_PURPOSE),
            keyring.derive(SUBJECT_REF_PURPOSE),
            keyring.derive(PARTNER_REF_PURPOSE),
            keyring.derive(BIRTH_TAG_PURPOSE),
        )

    def blind_index(self, bsn: str) -> str:
        return hmac.new(self.index_key, bsn.encode(), hashlib.sha256).hexdigest()

    def subject_ref(self, blind_index: str) -> str:
        """The audit pseudonym: what records and audit events hold, and auditors see."""
        return _ref(self.ref_key, blind_index)

    def partner_ref(self, partner: str, blind_index: str) -> str:
        """The child's `subjectRef` as `partner` sees it: stable for that partner, unrelated to
        any other partner's or to the audit pseudonym."""
        return _ref(self.partner_key, f"{partner}\x1f{blind_index}")

    def birth_tag(self, blind_index: str, birth_date: date | None) -> str | None:
        """A keyed tag of the child's birth date (None without one), so that a consent and a
        signal can be compared on it without either being decrypted."""
        if birth_date is None:
            return None
        message = f"{blind_index}\x1f{birth_date.isoformat()}".encode()
        return hmac.new(self.birth_key, message, hashlib.sha256).hexdigest()[:32]

    def identify(self, bsn: str) -> tuple[str, str]:
        """(blind index, subjectRef) of a valid BSN."""
        index = self.blind_index(bsn)
        return index, self.subject_ref(index)
