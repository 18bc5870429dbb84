"""The lookup of a signal's sending professional for a match (signals.matches.professional_of):
sealed under the signal's own data key, opened only for that signal."""

from __future__ import annotations

from dataclasses import dataclass

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from audit.events import AuditDraft
from records.fields import load_data_key
from records.keyring import SealError
from records.models import Signal
from signals.matches import PROFESSIONAL_FIELD, professional_of
from tests.api.test_signals import Tokens, send
from tests.factories import make_neighbourhood
from wijkdeel.runtime import Runtime
from wijkdeel.unit import Tx

PROFESSIONAL = {"name": "Anouk Bakker", "function": "jeugdprofessional", "phone": "020-1234567"}


@dataclass
class Recorded:
    """A signal row as it is once signals record their professional (stored here directly)."""

    id: str
    data_key_id: str | None
    sender_professional: bytes | None


def test_the_professional_opens_only_for_its_own_signal(
    client: TestClient, admin_token: str, runtime: Runtime
) -> None:
    tokens = Tokens(client, make_neighbourhood(client, admin_token))
    first, second = send(client, tokens.kinderwerk), send(client, tokens.kinderwerk)
    with Session(runtime.db.engine) as session:
        tx = Tx(session, runtime, runtime.now(), AuditDraft(action="test", at=runtime.now()))
        row = session.get(Signal, first["id"])
        assert row is not None and row.data_key_id is not None
        key = load_data_key(session, runtime.keyrings, row.data_key_id)
        assert key is not None
        sealed = key.seal(row.id, PROFESSIONAL_FIELD, orjson.dumps({**PROFESSIONAL, "x": "y"}))
        assert PROFESSIONAL["name"].encode() not in sealed

        assert professional_of(tx, Recorded(row.id, row.data_key_id, sealed)) == PROFESSIONAL
        # A signal without one (every signal before professionals were recorded) has none.
        assert professional_of(tx, Recorded(row.id, row.data_key_id, None)) is None
        # Moved to another signal, the cipher text does not open.
        with pytest.raises(SealError):
            professional_of(tx, Recorded(second["id"], row.data_key_id, sealed))
        # Erased (its data key destroyed), the professional goes with the signal.
        assert professional_of(tx, Recorded(row.id, "no-such-key", sealed)) is None
