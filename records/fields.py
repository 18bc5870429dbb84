"""Field encryption: AES-256-GCM per field under the record's own data key.

Associated data binds every cipher text to its record, its field and the data key's version,
so a cipher text moved to another record or field does not open. Data keys are wrapped by the
current master key version; rewrapping them never touches the fields.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlmodel import Session

from records.bulk import insert_all
from records.keyring import Keyring, KeyringStore, open_with, seal_with
from records.models import DataKey

DATA_KEY_VERSION = 1


def _wrap_context(data_key_id: str) -> bytes:
    return b"data-key:" + data_key_id.encode()


@dataclass(frozen=True)
class DataKeyHandle:
    id: str
    key: bytes
    version: int = DATA_KEY_VERSION
    # The cipher object once per record, not once per field (it expands the key each time).
    cipher: AESGCM = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "cipher", AESGCM(self.key))

    def _aad(self, record_id: str, name: str) -> bytes:
        return f"{record_id}\x1f{name}\x1fk{self.version}".encode()

    def seal(self, record_id: str, name: str, plaintext: bytes) -> bytes:
        return seal_with(self.cipher, plaintext, self._aad(record_id, name))

    def open(self, record_id: str, name: str, blob: bytes) -> bytes:
        return open_with(self.cipher, blob, self._aad(record_id, name))


def new_data_key(session: Session, keyring: Keyring, now: datetime) -> DataKeyHandle:
    key = os.urandom(32)
    data_key_id = str(uuid.uuid4())
    version, wrapped = keyring.seal(key, context=_wrap_context(data_key_id))
    # Inserted at once, before the record that refers to it (no relationship orders them).
    insert_all(
        session, [DataKey(id=data_key_id, wrapped=wrapped, wrap_version=version, created_at=now)]
    )
    return DataKeyHandle(data_key_id, key)


def unwrap(
    keyrings: KeyringStore, data_key_id: str, wrap_version: int, wrapped: bytes
) -> DataKeyHandle:
    keyring = keyrings.for_version(wrap_version)
    return DataKeyHandle(
        data_key_id, keyring.open(wrap_version, wrapped, context=_wrap_context(data_key_id))
    )


def load_data_key(
    session: Session, keyrings: KeyringStore, data_key_id: str
) -> DataKeyHandle | None:
    row = session.get(DataKey, data_key_id)
    if row is None:
        return None
    return unwrap(keyrings, row.id, row.wrap_version, row.wrapped)


def rewrap_data_key(row: DataKey, keyrings: KeyringStore) -> bool:
    """Re-wrap one data key under the newest master key version; False if it already was."""
    newest = keyrings.get()
    if row.wrap_version == newest.current_version:
        return False
    handle = unwrap(keyrings, row.id, row.wrap_version, row.wrapped)
    row.wrap_version, row.wrapped = newest.seal(handle.key, context=_wrap_context(row.id))
    return True
