"""The fast read path (fixed SQL, records.hotpath) and the ORM path (to change a signal) decide
the same way on the same data: who may see a signal, which fields, why not - for every kind of
caller and every state a signal can be in."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from audit.events import AuditDraft
from auth.caller import Caller
from core.clock import FrozenClock
from core.errors import DomainError
from records.hotpath import signal_and_live
from records.models import Signal
from signals import reading
from signals.access import Sight
from tests.api.test_consents import consent_body
from tests.api.test_signals import Tokens, send, signal_body
from tests.factories import Neighbourhood, make_neighbourhood
from wijkdeel.runtime import Runtime
from wijkdeel.unit import Tx

PARTNERS = {
    "kinderwerk-noord": "kinderwerk",
    "wijkteam-noord": "wijkteam",
    "obs-de-linde": "school",
    "nobody-here": "other",
}
PURPOSES = ("signalering", "afstemming")


def _caller(partner: str, purpose: str) -> Caller:
    return Caller(
        client_id=f"cl_{partner}",
        partner=partner,
        partner_kind=PARTNERS[partner],
        role="partner",
        scopes=frozenset({"signals:read", "signals:write"}),
        purpose=purpose,
        expires_at=datetime.now(UTC) + timedelta(minutes=5),
        jti="j",
    )


Outcome = tuple[str, Any]


def _outcome(decide: Callable[[], Sight]) -> Outcome:
    try:
        seen = decide()
    except DomainError as refused:
        return ("refused", (refused.status, refused.code, refused.reasons))
    return (
        "seen",
        (seen.role, seen.allowed, seen.fields, seen.reasons, seen.links, seen.restricted),
    )


def _both(runtime: Runtime, caller: Caller, signal_id: str) -> tuple[Outcome, Outcome]:
    def tx(session: Session) -> Tx:
        return Tx(session, runtime, runtime.now(), AuditDraft(action="test", at=runtime.now()))

    with Session(runtime.db.engine) as session:
        fast = _outcome(lambda: reading.read(tx(session), caller, signal_id).sight)
    with Session(runtime.db.engine) as session:
        orm = _outcome(lambda: reading.load_for(tx(session), caller, signal_id)[2])
    return fast, orm


@pytest.fixture
def world(client: TestClient, admin_token: str) -> Neighbourhood:
    return make_neighbourhood(client, admin_token)


def test_the_fast_path_and_the_orm_path_decide_alike(
    client: TestClient, world: Neighbourhood, runtime: Runtime, clock: FrozenClock
) -> None:
    tokens = Tokens(client, world)
    consent = client.post(
        "/v1/consents", json=consent_body(), headers=tokens.kinderwerk_afstemming
    ).json()
    plain = send(client, tokens.kinderwerk)["id"]
    with_consent = send(client, tokens.kinderwerk_afstemming, category="school")["id"]
    erased = send(client, tokens.kinderwerk)["id"]
    assert client.delete(f"/v1/signals/{erased}", headers=tokens.kinderwerk).status_code == 204
    other_child = send(client, tokens.kinderwerk, subject={"bsn": "123456782"})["id"]
    restricted = send(client, tokens.kinderwerk, category="veiligheid")["id"]
    restriction = client.post(
        f"/v1/signals/{restricted}/restriction",
        json={"reason": "accuracy_contested"},
        headers=tokens.kinderwerk,
    )
    assert restriction.status_code == 200
    signals = [plain, with_consent, erased, other_child, restricted, "not-a-signal-id"]

    def compare() -> int:
        compared = 0
        for signal_id in signals:
            for partner in PARTNERS:
                for purpose in PURPOSES:
                    fast, orm = _both(runtime, _caller(partner, purpose), signal_id)
                    assert fast == orm, (signal_id, partner, purpose)
                    compared += 1
        return compared

    assert compare() == 48
    # Restricted: its recipient is refused on both paths alike, its sender sees it unlinked.
    fast, _ = _both(runtime, _caller("wijkteam-noord", "signalering"), restricted)
    assert fast == ("refused", (403, "signal_restricted", ("restricted",)))
    fast, _ = _both(runtime, _caller("kinderwerk-noord", "signalering"), restricted)
    assert fast[0] == "seen" and fast[1][-1] is True
    # The consent is withdrawn: the school's access ends, on both paths alike.
    withdrawn = client.post(
        f"/v1/consents/{consent['id']}/withdraw", json={}, headers=tokens.kinderwerk_afstemming
    )
    assert withdrawn.status_code == 200
    fast, _ = _both(runtime, _caller("obs-de-linde", "afstemming"), with_consent)
    assert fast == ("refused", (403, "access_ended", ("consent_withdrawn",)))
    compare()
    # Past retention (the sweeper has not run yet): gone for everyone, on both paths alike.
    clock.advance(days=200)
    fast, _ = _both(runtime, _caller("obs-de-linde", "afstemming"), with_consent)
    assert fast == ("refused", (410, "signal_erased", ()))
    compare()


def test_the_fast_path_reads_every_column_the_orm_reads(
    client: TestClient, world: Neighbourhood, runtime: Runtime
) -> None:
    tokens = Tokens(client, world)
    first = send(client, tokens.kinderwerk)["id"]
    second = client.post(
        "/v1/signals",
        json=signal_body(category="veiligheid", details=None),
        headers=tokens.kinderwerk,
    ).json()["id"]
    with Session(runtime.db.engine) as session:
        tx = Tx(session, runtime, runtime.now(), AuditDraft(action="test", at=runtime.now()))
        row, live = signal_and_live(tx.raw, second, runtime.now())
        stored = session.get(Signal, second)
        assert row is not None and stored is not None
        for name in row._fields:
            if name in ("wrapped", "wrap_version"):
                continue
            assert getattr(row, name) == getattr(stored, name), name
        # Ids made in one millisecond of the frozen clock need not sort in the order sent.
        assert sorted(signal.id for signal, _ in live) == sorted([first, second])
        assert {r.partner_id for _, recipients in live for r in recipients} == {"wijkteam-noord"}
