"""Anchoring: the chain's head as one signed line that an auditor keeps outside the system.

A checkpoint line is a compact JWS (RFC 7515), ES256, header
`{"alg": "ES256", "kid": ..., "typ": "audit-checkpoint+jwt"}`, payload
`{"iss": issuer, "iat": unix seconds, "seq": n, "hash": "<64 hex>", "at": "<RFC 3339>"}` -
the head event's position, hash and time. Anyone with the public key (`wijkdeel audit
public-key`, a JWK set) can check it with any JOSE library. Since every event's hash covers the
hash before it, a log that still contains an event `seq` with that `hash`, in an intact chain
from the first event, is the log as it was when the line was signed, extended only at its end.

The key is dedicated to this: token signing keys rotate and drop out of JWKS minutes later, but
a checkpoint line must stay verifiable for as long as anyone keeps it. Its private half is kept
sealed under the master key (as token keys are); the public half is always derived from the
private half, never read from a column someone could overwrite.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlmodel import Session, select

from audit.chain import Head
from auth import jwt
from auth.keys import AUDIT, add_es256_key, open_key, public_jwk, reseal_key, thumbprint
from core.clock import rfc3339
from records.keyring import Keyring, KeyringStore, SealError
from records.models import AuditKey

TYP = "audit-checkpoint+jwt"
_HASH_RE = re.compile(r"^[0-9a-f]{64}$")
MAX_LINE = 4096


class CheckpointRefused(Exception):
    """A checkpoint line that is not one of ours, or not intact; `reason` is a stable word."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class SignedHead:
    head: Head
    kid: str
    issuer: str | None
    signed_at: datetime | None


def create_key(session: Session, keyring: Keyring, now: datetime) -> str:
    """A new audit signing key; the current one is retired but keeps verifying (the caller
    commits)."""
    return add_es256_key(session, keyring, now, AuditKey, AUDIT)


def reseal_audit_key(row: AuditKey, keyrings: KeyringStore) -> None:
    reseal_key(row, keyrings, AUDIT)


@dataclass(frozen=True)
class _Opened:
    kid: str
    pem: bytes
    public: dict[str, Any]
    current: bool


def _open(session: Session, keyrings: KeyringStore) -> list[_Opened]:
    """Every audit key whose private half opens under its own kid, current first."""
    rows = session.exec(select(AuditKey).order_by(AuditKey.created_at.desc())).all()  # type: ignore[attr-defined]
    opened = []
    for row in rows:
        try:
            pem = open_key(row, keyrings, AUDIT)
        except SealError:
            continue  # not a key this installation sealed: it verifies nothing
        private = serialization.load_pem_private_key(pem, password=None)
        assert isinstance(private, ec.EllipticCurvePrivateKey)
        public = public_jwk(private.public_key())
        if thumbprint(public) != row.kid:
            continue
        document = {**public, "kid": row.kid, "use": "sig", "alg": jwt.ALGORITHM}
        opened.append(_Opened(row.kid, pem, document, row.retired_at is None))
    return opened


def ensure_key(session: Session, keyrings: KeyringStore, now: datetime) -> tuple[str, bool]:
    """The kid of the current audit key, and whether it was created just now (first use)."""
    for key in _open(session, keyrings):
        if key.current:
            return key.kid, False
    return create_key(session, keyrings.get(), now), True


def public_keys(session: Session, keyrings: KeyringStore) -> dict[str, Any]:
    """The JWK set that verifies every checkpoint line this installation signed."""
    return {"keys": [key.public for key in _open(session, keyrings)]}


def verifiers(session: Session, keyrings: KeyringStore) -> dict[str, jwt.Key]:
    return {key.kid: jwt.public_key(key.public) for key in _open(session, keyrings)}


def verifiers_from_jwks(document: Any) -> dict[str, jwt.Key]:
    """Keys from a JWK or JWK set the auditor kept (their own copy, not the database's)."""
    keys = document.get("keys") if isinstance(document, Mapping) else None
    entries = keys if isinstance(keys, list) else [document]
    found = {}
    for entry in entries:
        if (
            not isinstance(entry, Mapping)
            or entry.get("kty") != "EC"
            or entry.get("crv") != "P-256"
        ):
            raise CheckpointRefused("unusable_public_key")
        try:
            kid = entry.get("kid") or thumbprint(dict(entry))
            found[str(kid)] = jwt.public_key(
                {name: entry[name] for name in ("kty", "crv", "x", "y")}
            )
        except Exception:
            raise CheckpointRefused("unusable_public_key") from None
    return found


def statement_signer(
    session: Session, keyrings: KeyringStore, now: datetime
) -> tuple[str, jwt.Key]:
    """The kid and private key of the service's long-lived statement key (the audit key): what
    the service signs for a person in the console, verifiable for as long as checkpoints are."""
    kid, _ = ensure_key(session, keyrings, now)
    key = next(key for key in _open(session, keyrings) if key.kid == kid)
    return kid, jwt.private_key(key.pem)


def sign_head(
    session: Session, keyrings: KeyringStore, head: Head, *, issuer: str, now: datetime
) -> str:
    kid, _ = ensure_key(session, keyrings, now)
    key = next(key for key in _open(session, keyrings) if key.kid == kid)
    claims = {
        "iss": issuer,
        "iat": int(now.timestamp()),
        "seq": head.seq,
        "hash": head.hash,
        "at": rfc3339(head.at),
    }
    return jwt.sign(claims, jwt.private_key(key.pem), kid=kid, typ=TYP)


def read_line(line: str, keys: Mapping[str, jwt.Key]) -> SignedHead:
    """The head a checkpoint line vouches for, once its signature holds under one of `keys`."""
    token = line.strip()
    if not token or len(token) > MAX_LINE:
        raise CheckpointRefused("malformed")
    try:
        claims = jwt.verify_signed(token, keys, typ=TYP)
    except jwt.TokenError as error:
        raise CheckpointRefused(error.reason) from None
    seq, digest, at = claims.get("seq"), claims.get("hash"), claims.get("at")
    if (
        not isinstance(seq, int)
        or isinstance(seq, bool)
        or seq < 1
        or not isinstance(digest, str)
        or not _HASH_RE.match(digest)
        or not isinstance(at, str)
    ):
        raise CheckpointRefused("malformed")
    try:
        moment = datetime.fromisoformat(at)
    except ValueError:
        raise CheckpointRefused("malformed") from None
    if moment.tzinfo is None:
        raise CheckpointRefused("malformed")
    iat = claims.get("iat")
    signed_at = datetime.fromtimestamp(iat, UTC) if isinstance(iat, int) else None
    kid = jwt.unverified_header(token)["kid"]
    issuer = claims.get("iss") if isinstance(claims.get("iss"), str) else None
    return SignedHead(Head(seq, digest, moment.astimezone(UTC)), kid, issuer, signed_at)
