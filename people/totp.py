"""The second factor: TOTP (RFC 6238, 30-second steps, 6 digits, SHA-1 as authenticator apps
expect), its secret sealed under the master keyring, each code good once."""

from __future__ import annotations

import hmac
from datetime import datetime

import pyotp

from records.keyring import Keyring

STEP_SECONDS = 30
DIGITS = 6
# One step either side: a phone's clock a little off, or a code typed as it changes.
DRIFT_STEPS = 1


def new_secret() -> str:
    return pyotp.random_base32(32)


def _context(person_id: str) -> bytes:
    return b"person-totp|" + person_id.encode()


def seal(keyring: Keyring, person_id: str, secret: str) -> tuple[int, bytes]:
    return keyring.seal(secret.encode(), context=_context(person_id))


def open_secret(keyring: Keyring, person_id: str, version: int, blob: bytes) -> str:
    return keyring.open(version, blob, context=_context(person_id)).decode()


def provisioning_uri(secret: str, *, account: str, issuer: str) -> str:
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(
        name=account, issuer_name=issuer
    )


def step_at(moment: datetime) -> int:
    return int(moment.timestamp()) // STEP_SECONDS


def code_at(secret: str, step: int) -> str:
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).generate_otp(step)


def accepted_step(secret: str, code: str, *, now: datetime, last_step: int | None) -> int | None:
    """The step `code` belongs to, if it is current (within the drift) and later than the last
    accepted one; else None. Every candidate is compared, in constant time, so the answer
    takes as long whichever step matched."""
    offered = code.strip().replace(" ", "")
    current = step_at(now)
    found: int | None = None
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        matches = hmac.compare_digest(code_at(secret, step).encode(), offered.encode())
        if matches and (last_step is None or step > last_step) and found is None:
            found = step
    return found
