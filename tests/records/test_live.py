"""'Live' has one definition in three forms; they must agree, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select, text
from sqlmodel import Session, col

from records.db import Database
from records.live import is_live, live_condition, live_sql
from records.models import Partner, Signal

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
offsets = st.integers(min_value=-3, max_value=3).map(lambda days: NOW + timedelta(days=days))


def _signal(erased_at: datetime | None, expires_at: datetime) -> Signal:
    return Signal(
        id="s-live",
        sender="p",
        sender_client="c",
        purpose="x",
        category="y",
        urgency="normal",
        status="open",
        subject_index="i",
        subject_ref="r",
        agreement_id="a",
        agreement_version=1,
        created_at=NOW,
        updated_at=NOW,
        expires_at=expires_at,
        erased_at=erased_at,
    )


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(erased=st.none() | offsets, expires=offsets, now=offsets)
def test_the_three_forms_agree(
    db: Database, erased: datetime | None, expires: datetime, now: datetime
) -> None:
    with Session(db.engine) as session:
        session.execute(delete(Signal))
        session.add(Partner(id="p", name="P", kind="other", created_at=NOW, updated_at=NOW))
        session.flush()
        session.add(_signal(erased, expires))
        session.flush()
        by_orm = session.scalar(select(col(Signal.id)).where(live_condition(now))) is not None
        moment = now.strftime("%Y-%m-%d %H:%M:%S.%f") if db.is_sqlite else now
        statement = f"SELECT s.id FROM signals s WHERE {live_sql('s')}"  # noqa: S608
        by_sql = session.execute(text(statement), {"now": moment}).first() is not None
        session.rollback()
    assert by_orm == by_sql == is_live(erased, expires, now)
