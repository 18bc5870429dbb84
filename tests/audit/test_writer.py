"""Group commit: every event is committed before write() returns, batched under contention."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from sqlalchemy import func, select

from audit.events import EVENTS, AuditDraft
from audit.writer import AuditWriter
from records.db import Database


def _rows(index: int) -> list[dict[str, object]]:
    draft = AuditDraft(action="signal.read", at=datetime.now(UTC), resource_id=str(index))
    return draft.rows("allow")


def test_concurrent_writers_all_commit_before_returning(db: Database) -> None:
    writer = AuditWriter(db)
    committed: list[int] = []
    errors: list[BaseException] = []

    def one(index: int) -> None:
        try:
            writer.write(_rows(index))
            with db.read_session() as session:
                seen = session.scalar(
                    select(func.count())
                    .select_from(EVENTS)
                    .where(EVENTS.c.resource_id == str(index))
                )
            committed.append(int(seen or 0))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == [] and committed == [1] * 40
    with db.read_session() as session:
        assert session.scalar(select(func.count()).select_from(EVENTS)) == 40


def test_a_failed_commit_fails_the_request(db: Database) -> None:
    writer = AuditWriter(db)
    bad = _rows(1)
    bad[0]["action"] = None  # NOT NULL: the commit fails
    try:
        writer.write(bad)
    except Exception as error:
        assert "IntegrityError" in type(error).__name__
    else:
        raise AssertionError("a failed commit must not look like success")
    writer.write(_rows(2))  # and the writer is usable afterwards
