"""The subscription limit holds when two requests for the last place arrive at once."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

from sqlalchemy import func, select

from core.errors import Conflict
from notifications import subscriptions
from records import partners
from records.db import Database
from records.models import Subscription
from wijkdeel.runtime import Runtime

URL = "https://hooks.wijkteam.example/hook"


def test_two_requests_for_the_last_place_get_one(db: Database, runtime: Runtime) -> None:
    now = datetime.now(UTC)
    keyring = runtime.keyrings.get()  # outside the sessions: SQLite has one writer
    with db.session() as session:
        partners.create_partner(session, id="wijkteam-noord", name="W", kind="wijkteam", now=now)

    def create(session: object) -> None:
        subscriptions.create(
            session,  # type: ignore[arg-type]
            partner="wijkteam-noord",
            client_id="cl_x",
            url=URL,
            events=["signal.created"],
            keyring=keyring,
            now=now,
            limit=1,
        )

    outcome: list[str] = []

    def second() -> None:
        try:
            with db.session() as session:
                create(session)
            outcome.append("created")
        except Conflict as refused:
            outcome.append(refused.code)

    with db.session() as first:
        create(first)  # the last place, not committed yet
        racer = threading.Thread(target=second)
        racer.start()
        # Time for the second to count while the first is still open; it must wait instead.
        time.sleep(0.5)
        assert outcome == []
    racer.join(timeout=30)
    assert outcome == ["subscription_limit"]
    with db.read_session() as session:
        assert session.scalar(select(func.count()).select_from(Subscription)) == 1
