"""Client secrets: generated once, stored only as an argon2id hash, compared in constant time."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

SECRET_PREFIX = "wds_"  # noqa: S105  (a prefix, not a secret)


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


class SecretHasher:
    def __init__(self, *, memory_kib: int, time_cost: int) -> None:
        self._hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=1)
        self._decoy: str | None = None

    @property
    def decoy(self) -> str:
        """Verified against when the client is unknown, so that an unknown client costs the
        same time as a wrong secret and the two cannot be told apart."""
        if self._decoy is None:
            self._decoy = self._hasher.hash(secrets.token_urlsafe(32))
        return self._decoy

    def hash(self, secret: str) -> str:
        return self._hasher.hash(secret)

    def verify(self, stored: str | None, offered: str) -> bool:
        try:
            return self._hasher.verify(stored or self.decoy, offered) and stored is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
