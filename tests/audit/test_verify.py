"""Chain verification beyond the basics: the walk split over processes, and the fast path
never deciding differently from the hash definition."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text, update

from audit import chain
from audit.chain import events, seal_all, verify
from audit.events import AuditDraft, record
from records.db import Database


def append(db: Database, count: int, *, at: datetime | None = None) -> None:
    for index in range(count):
        with db.session() as session:
            moment = at + timedelta(seconds=index) if at else datetime.now(UTC)
            draft = AuditDraft(action="signal.read", at=moment, client_id="cl_test", partner="p1")
            draft.resource_id = str(index)
            record(session, draft, "allow")
    seal_all(db)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("tamper", "seq", "reason"),
    [
        ("link", 21, "broken_link"),  # the first event of the second segment
        ("delete", 20, "missing_event"),  # the last event of the first segment
        ("column", 33, "altered_event"),
    ],
)
def test_segments_walked_apart_are_linked_together(
    db: Database, monkeypatch: pytest.MonkeyPatch, tamper: str, seq: int, reason: str
) -> None:
    monkeypatch.setattr(chain, "PARALLEL_MIN", 0)
    append(db, 40)
    alone, together = verify(db), verify(db, workers=2)
    assert together == alone and together.valid and together.count == 40
    with db.engine.begin() as conn:
        if tamper == "link":
            conn.execute(update(events).where(events.c.seq == seq).values(prev_hash="a" * 64))
        elif tamper == "delete":
            conn.execute(events.delete().where(events.c.seq == seq))
        else:
            conn.execute(update(events).where(events.c.seq == seq).values(outcome="deny"))
    broken = verify(db, workers=2)
    assert not broken.valid and (broken.first_invalid_seq, broken.reason) == (seq, reason)
    assert broken.count == seq - 1 and verify(db).first_invalid_seq == seq


def test_a_value_stored_another_way_is_judged_by_the_definition(db: Database) -> None:
    """The walk reads SQLite timestamps as text; a row stored in another form of the same
    moment is re-checked the ordinary way rather than called altered."""
    if not db.is_sqlite:
        pytest.skip("PostgreSQL stores a timestamp in one form only")
    append(db, 5, at=datetime(2026, 1, 1, tzinfo=UTC))
    with db.engine.begin() as conn:
        stored = conn.execute(text("SELECT at FROM audit_events WHERE seq = 3")).scalar()
        assert stored == "2026-01-01 00:00:02.000000"
        conn.execute(text("UPDATE audit_events SET at = '2026-01-01 00:00:02' WHERE seq = 3"))
    assert verify(db).valid
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE audit_events SET at = '2026-01-01 00:00:03' WHERE seq = 3"))
    changed = verify(db)
    assert (changed.valid, changed.first_invalid_seq, changed.reason) == (False, 3, "altered_event")


def test_a_checkpoint_is_re_hashed_before_the_walk_starts_after_it(db: Database) -> None:
    append(db, 8)
    head = verify(db).head
    assert head is not None
    append(db, 2)
    assert verify(db, after=head).checked_from == 8
    with db.engine.begin() as conn:
        conn.execute(update(events).where(events.c.seq == 8).values(resource_id="x"))
    result = verify(db, after=head)
    assert (result.valid, result.first_invalid_seq, result.reason) == (
        False,
        8,
        "checkpoint_mismatch",
    )
