"""The child a record is about: BSN validation, the blind index and the pseudonym.

The BSN itself is only ever stored encrypted. To find records by BSN a keyed blind index
(HMAC-SHA256 under a key derived from the root key, separate from every encryption key) is
stored beside it; `subjectRef`, the pseudonym partners and auditors see, is a keyed hash of
the blind index, so it is stable per child and reveals nothing of the BSN.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

from records.keyring import Keyring

BLIND_INDEX_PURPOSE = "blind-index/bsn/v1"
SUBJECT_REF_PURPOSE = "subject-ref/v1"
SUBJECT_REF_PREFIX = "sr_"


def elfproef(bsn: str) -> bool:
    """The BSN check: nine digits with 9·d1 + 8·d2 + … + 2·d8 - 1·d9 divisible by 11."""
    if len(bsn) != 9 or not bsn.isascii() or not bsn.isdigit():
        return False
    digits = [int(char) for char in bsn]
    total = sum(weight * digit for weight, digit in zip(range(9, 1, -1), digits[:8], strict=True))
    total -= digits[8]
    return total % 11 == 0 and bsn != "000000000"


@dataclass(frozen=True)
class SubjectKeys:
    index_key: bytes
    ref_key: bytes

    @classmethod
    def from_keyring(cls, keyring: Keyring) -> SubjectKeys:
        return cls(keyring.derive(BLIND_INDEX_PURPOSE), keyring.derive(SUBJECT_REF_PURPOSE))

    def blind_index(self, bsn: str) -> str:
        return hmac.new(self.index_key, bsn.encode(), hashlib.sha256).hexdigest()

    def subject_ref(self, blind_index: str) -> str:
        digest = hmac.new(self.ref_key, blind_index.encode(), hashlib.sha256).digest()[:16]
        return SUBJECT_REF_PREFIX + base64.b32encode(digest).decode().rstrip("=").lower()

    def identify(self, bsn: str) -> tuple[str, str]:
        """(blind index, subjectRef) of a valid BSN."""
        index = self.blind_index(bsn)
        return index, self.subject_ref(index)
