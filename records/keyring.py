"""Master key versions: the one small interface every encryption in wijkdeel goes through.

The root key comes from the environment (a KMS or HSM can stand behind it later). It wraps the
master key versions kept in the database; master keys wrap data keys, signing keys and webhook
secrets. Rotation adds a master key version; older versions keep decrypting until rewrapped.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Mapping
from datetime import datetime

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlmodel import Session, col, select

from records.db import Database
from records.models import MasterKey

NONCE_BYTES = 12


class SealError(Exception):
    """A cipher text could not be opened: wrong key version, wrong context, or tampered."""


def _aad(context: bytes, version: int) -> bytes:
    return context + b"|v" + str(version).encode()


def seal_with(key: bytes | AESGCM, plaintext: bytes, aad: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    cipher = key if isinstance(key, AESGCM) else AESGCM(key)
    return nonce + cipher.encrypt(nonce, plaintext, aad)


def open_with(key: bytes | AESGCM, blob: bytes, aad: bytes) -> bytes:
    cipher = key if isinstance(key, AESGCM) else AESGCM(key)
    try:
        return cipher.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], aad)
    except (InvalidTag, ValueError):
        raise SealError("cipher text does not open under this key and context") from None


class Keyring:
    """Master key versions by number; the highest is current."""

    def __init__(self, root: bytes, versions: Mapping[int, bytes]) -> None:
        if not versions:
            raise ValueError("a keyring needs at least one master key version")
        self._root = root
        self._versions = dict(versions)
        self.current_version = max(self._versions)

    @property
    def versions(self) -> tuple[int, ...]:
        return tuple(sorted(self._versions, reverse=True))

    def has(self, version: int) -> bool:
        return version in self._versions

    def seal(self, plaintext: bytes, *, context: bytes) -> tuple[int, bytes]:
        version = self.current_version
        return version, seal_with(self._versions[version], plaintext, _aad(context, version))

    def open(self, version: int, blob: bytes, *, context: bytes) -> bytes:
        key = self._versions.get(version)
        if key is None:
            raise SealError(f"master key version {version} is unknown")
        return open_with(key, blob, _aad(context, version))

    def derive(self, purpose: str) -> bytes:
        """A key for one purpose (blind index, pseudonyms), stable across master rotations."""
        return HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=f"wijkdeel/{purpose}".encode()
        ).derive(self._root)


def _unwrap_master(root: bytes, row: MasterKey) -> bytes:
    return open_with(root, row.wrapped, _aad(b"master-key", row.version))


def read_keyring(session: Session, root: bytes) -> Keyring | None:
    rows = session.exec(select(MasterKey)).all()
    if not rows:
        return None
    return Keyring(root, {row.version: _unwrap_master(root, row) for row in rows})


def add_master_version(session: Session, root: bytes, now: datetime) -> int:
    """Add the next master key version (the caller commits)."""
    current = session.exec(
        select(MasterKey.version).order_by(col(MasterKey.version).desc())
    ).first()
    version = (current or 0) + 1
    session.add(
        MasterKey(
            version=version,
            wrapped=seal_with(root, os.urandom(32), _aad(b"master-key", version)),
            created_at=now,
        )
    )
    session.flush()
    return version


class KeysMissing(RuntimeError):
    """The database holds no keys yet: `wijkdeel migrate` (or the service's start) creates them."""


def ensure_master(session: Session, root: bytes, now: datetime) -> int | None:
    """Create master key version 1 if there is none (the caller commits and audits); returns
    the version created, or None."""
    if session.exec(select(MasterKey.version)).first() is not None:
        return None
    return add_master_version(session, root, now)


class KeyringStore:
    """The process's view of the keyring, re-read now and then so a rotation elsewhere shows.

    Reading never creates keys (that is the explicit bootstrap at start-up) and, inside a unit
    of work, goes through the unit's own connection."""

    REFRESH_SECONDS = 10.0

    def __init__(self, db: Database, root: bytes) -> None:
        self._db = db
        self._root = root
        self._lock = threading.Lock()
        self._keyring: Keyring | None = None
        self._loaded_at = 0.0

    def get(self) -> Keyring:
        keyring = self._keyring
        if keyring is None or time.monotonic() - self._loaded_at > self.REFRESH_SECONDS:
            keyring = self.reload()
        return keyring

    def for_version(self, version: int) -> Keyring:
        """The keyring, re-read once if it does not know `version` yet."""
        keyring = self.get()
        return keyring if keyring.has(version) else self.reload()

    def reload(self) -> Keyring:
        with self._lock, self._db.reading() as session:
            keyring = read_keyring(session, self._root)
            if keyring is None:
                raise KeysMissing("the database holds no master key; run `wijkdeel migrate`")
            self._keyring, self._loaded_at = keyring, time.monotonic()
            return keyring
