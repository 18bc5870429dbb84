"""Signed acceptance statements: a party's decision on one agreement version, as a compact JWS.

The payload is JSON: `{"agreement": id, "version": n, "contentHash": "sha256:…",
"decision": "accept"|"reject"}`, the protected header `{"alg": "ES256", "typ":
"wijkdeel-acceptance+jws", "kid": …}`. A partner signs it with the key registered for its
client (`kid` may be left out when the client has a single key). A statement made in the
console carries `partner` and `person` too and is signed by the service's statement key (the
audit key, whose public half verifies it for as long as the installation lives).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from auth import jwt

TYP = "wijkdeel-acceptance+jws"
MAX_SIGNATURE = 4096


class StatementRefused(Exception):
    """Why a statement does not hold; `reason` is a stable word, safe to return."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Expected:
    """What a statement must say to count for one decision on one version."""

    agreement: str
    version: int
    content_hash: str
    decision: str


def client_keys(jwks: Mapping[str, Any] | None) -> dict[str, jwt.Key]:
    """A client's registered public keys by kid ("" for one registered without)."""
    found: dict[str, jwt.Key] = {}
    for entry in (jwks or {}).get("keys", []):
        try:
            found[str(entry.get("kid", ""))] = jwt.public_key(entry)
        except Exception:  # noqa: S112  (a key that cannot verify verifies nothing)
            continue
    return found


def read(signature: str, keys: Mapping[str, jwt.Key]) -> tuple[str | None, dict[str, Any]]:
    """The kid and payload of a statement whose signature holds under one of `keys`."""
    if len(signature) > MAX_SIGNATURE:
        raise StatementRefused("malformed")
    try:
        payload = jwt.verify_signed(signature, keys, typ=TYP, lone_key=True)
        kid = jwt.unverified_header(signature).get("kid")
    except jwt.TokenError as error:
        raise StatementRefused(
            "invalid_signature"
            if error.reason in ("invalid_signature", "unknown_key")
            else "malformed_signature"
        ) from None
    return (kid if isinstance(kid, str) else None), payload


def check(payload: Mapping[str, Any], expected: Expected) -> None:
    """Refuse a verified statement that speaks of another version, content or decision."""
    if payload.get("agreement") != expected.agreement or payload.get("version") != (
        expected.version
    ):
        raise StatementRefused("wrong_version")
    if payload.get("contentHash") != expected.content_hash:
        raise StatementRefused("content_hash_mismatch")
    if payload.get("decision") != expected.decision:
        raise StatementRefused("wrong_decision")


def verify(signature: str, keys: Mapping[str, jwt.Key], expected: Expected) -> str | None:
    """Verify a statement for `expected`; returns the kid it was signed under."""
    kid, payload = read(signature, keys)
    check(payload, expected)
    return kid


def payload_for(expected: Expected, **extra: str) -> dict[str, Any]:
    return {
        "agreement": expected.agreement,
        "version": expected.version,
        "contentHash": expected.content_hash,
        "decision": expected.decision,
        **extra,
    }


def sign(payload: Mapping[str, Any], key: jwt.Key, *, kid: str) -> str:
    return jwt.sign(payload, key, kid=kid, typ=TYP)
