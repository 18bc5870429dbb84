"""Token signing keys: kept encrypted in the database, published as JWKS, rotated in place."""

from __future__ import annotations

import base64
import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jose.backends.base import Key
from sqlmodel import Session, col, select

from auth import jwt
from records.db import Database
from records.keyring import Keyring, KeyringStore, KeysMissing
from records.models import AuditKey, SigningKey

# How long a retired key stays published beyond the lifetime of the last token it signed:
# clock skew between processes plus how long a process may keep signing with a cached key.
PUBLISH_GRACE = timedelta(seconds=90)
REFRESH_SECONDS = 10.0
UNKNOWN_KID_RELOAD_SECONDS = 5.0


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def thumbprint(public_jwk: dict[str, Any]) -> str:
    """RFC 7638 JWK thumbprint: the kid of our keys."""
    members = {name: public_jwk[name] for name in ("crv", "kty", "x", "y")}
    return _b64url(hashlib.sha256(orjson.dumps(members, option=orjson.OPT_SORT_KEYS)).digest())


def public_jwk(key: ec.EllipticCurvePublicKey) -> dict[str, Any]:
    numbers = key.public_numbers()
    return {
        "kty": "EC",
        "crv": "P-256",
        "x": _b64url(numbers.x.to_bytes(32, "big")),
        "y": _b64url(numbers.y.to_bytes(32, "big")),
    }


KeyRow = SigningKey | AuditKey
SIGNING = b"signing-key"
AUDIT = b"audit-key"


def _context(label: bytes, kid: str) -> bytes:
    return label + b":" + kid.encode()


def add_es256_key(
    session: Session, keyring: Keyring, now: datetime, model: type[KeyRow], label: bytes
) -> str:
    """Add a new ES256 key of one kind (token signing, audit checkpoints), its private half
    sealed under the master keyring, and retire the current ones (the caller commits)."""
    private = ec.generate_private_key(ec.SECP256R1())
    public = public_jwk(private.public_key())
    kid = thumbprint(public)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    version, sealed = keyring.seal(pem, context=_context(label, kid))
    for current in session.exec(select(model).where(col(model.retired_at).is_(None))):
        current.retired_at = now
        session.add(current)
    session.add(
        model(
            kid=kid,
            private_key=sealed,
            key_version=version,
            public_jwk={**public, "kid": kid, "use": "sig", "alg": jwt.ALGORITHM},
            created_at=now,
        )
    )
    session.flush()
    return kid


def open_key(row: KeyRow, keyrings: KeyringStore, label: bytes) -> bytes:
    """The private key's PEM; raises SealError if it does not open under its own kid."""
    return keyrings.for_version(row.key_version).open(
        row.key_version, row.private_key, context=_context(label, row.kid)
    )


def reseal_key(row: KeyRow, keyrings: KeyringStore, label: bytes) -> None:
    """Re-encrypt a key under the newest master key version (rewrap)."""
    pem = open_key(row, keyrings, label)
    row.key_version, row.private_key = keyrings.get().seal(pem, context=_context(label, row.kid))


def create_signing_key(session: Session, keyring: Keyring, now: datetime) -> str:
    """Add a new token signing key and retire the current ones (the caller commits)."""
    return add_es256_key(session, keyring, now, SigningKey, SIGNING)


def reseal_signing_key(row: SigningKey, keyrings: KeyringStore) -> None:
    reseal_key(row, keyrings, SIGNING)


@dataclass(frozen=True)
class PublishedKey:
    kid: str
    verifier: Key
    public_jwk: dict[str, Any]
    retired_at: datetime | None


@dataclass(frozen=True)
class KeySet:
    signer_kid: str
    signer: Key
    published: dict[str, PublishedKey]


def ensure_signing_key(session: Session, keyring: Keyring, now: datetime) -> str | None:
    """Create a token signing key if none is current (the caller commits and audits); returns
    its kid, or None."""
    current = session.exec(select(SigningKey.kid).where(col(SigningKey.retired_at).is_(None)))
    if current.first() is not None:
        return None
    return create_signing_key(session, keyring, now)


class SigningKeys:
    """The process's signing key and the published keys, re-read every few seconds.

    Reading never creates a key (that is the explicit bootstrap at start-up) and, inside a unit
    of work, goes through the unit's own connection."""

    def __init__(
        self,
        db: Database,
        keyrings: KeyringStore,
        *,
        token_ttl: int,
        clock: Callable[[], datetime],
    ) -> None:
        self._db = db
        self._keyrings = keyrings
        self._token_ttl = timedelta(seconds=token_ttl)
        self._clock = clock
        self._lock = threading.Lock()
        self._set: KeySet | None = None
        self._loaded_at = 0.0

    def current(self) -> KeySet:
        keyset = self._set
        if keyset is None or time.monotonic() - self._loaded_at > REFRESH_SECONDS:
            keyset = self.reload()
        return keyset

    def verifiers(self, kid: str | None) -> dict[str, Key]:
        """Keys to verify with; re-read when `kid` is unknown (rotated elsewhere), but at most
        once every few seconds: tokens with made-up kids must not cost a read each."""
        keyset = self.current()
        if (
            kid is not None
            and kid not in keyset.published
            and time.monotonic() - self._loaded_at > UNKNOWN_KID_RELOAD_SECONDS
        ):
            keyset = self.reload()
        return {k.kid: k.verifier for k in keyset.published.values()}

    def jwks(self) -> dict[str, Any]:
        return {"keys": [k.public_jwk for k in self.current().published.values()]}

    def reload(self) -> KeySet:
        with self._lock:
            keyset = self._load()
            self._set, self._loaded_at = keyset, time.monotonic()
            return keyset

    def _load(self) -> KeySet:
        now = self._clock()
        with self._db.reading() as session:
            rows = self._published_rows(session, now)
        current = [row for row in rows if row.retired_at is None]
        if not current:
            raise KeysMissing("the database holds no signing key; run `wijkdeel migrate`")
        signer_row = max(current, key=lambda row: row.created_at)
        pem = open_key(signer_row, self._keyrings, SIGNING)
        published = {
            row.kid: PublishedKey(
                row.kid, jwt.public_key(row.public_jwk), dict(row.public_jwk), row.retired_at
            )
            for row in rows
        }
        return KeySet(signer_row.kid, jwt.private_key(pem), published)

    def _published_rows(self, session: Session, now: datetime) -> list[SigningKey]:
        cutoff = now - self._token_ttl - PUBLISH_GRACE
        return list(
            session.exec(
                select(SigningKey).where(
                    SigningKey.retired_at.is_(None) | (SigningKey.retired_at > cutoff)  # type: ignore[union-attr,operator]
                )
            )
        )
