"""The baseline: what a team without wijkdeel would write.

A bare FastAPI app in the style of the FastAPI/SQLModel template, as plain as such an endpoint can
be: sync `def` endpoints, a SQLModel session dependency, a table of case notes with a comparable
row (an id, the same content fields as a signal's — stored as plain text, about the size of a
signal's cipher texts — and timestamps). A read returns the row's columns as they are (no JSON
parsed back into models); an insert validates a comparable body and adds one row (no refresh,
no second statement). No tokens, no policy, no encryption, no audit. Its own database:
`BENCH_BASELINE_DATABASE_URL` (a SQLite file in WAL mode, with the same pragmas as wijkdeel's, or
a PostgreSQL database with the same pool size).

Run: `uvicorn bench.baseline:app`; seed: `python -m bench.baseline seed ROWS` (prints the ids).
"""

from __future__ import annotations

import json
import os
import random
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, status
from pydantic import BaseModel, ConfigDict, EmailStr, Field
from pydantic.alias_generators import to_camel
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Field as Column
from sqlmodel import Session, SQLModel, create_engine


class CaseNote(SQLModel, table=True):
    __tablename__ = "case_notes"

    id: str = Column(primary_key=True, max_length=36)
    sender: str = Column(max_length=64)
    category: str = Column(max_length=64)
    urgency: str = Column(max_length=8)
    status: str = Column(default="open", max_length=16)
    subject: str  # JSON text: bsn, name, birth date
    summary: str
    details: str | None = None
    contact: str | None = None  # JSON text
    created_at: datetime
    updated_at: datetime


class Camel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class Subject(Camel):
    bsn: str = Field(min_length=9, max_length=9)
    name: str | None = Field(default=None, max_length=200)
    birth_date: date | None = None


class Contact(Camel):
    name: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=40)
    email: EmailStr | None = Field(default=None, max_length=254)


class CaseNoteCreate(Camel):
    subject: Subject
    category: str = Field(pattern="^[a-z0-9-]{2,64}$")
    urgency: str = Field(pattern="^(low|normal|high|acute)$")
    summary: str = Field(min_length=1, max_length=500)
    details: str | None = Field(default=None, max_length=10_000)
    contact: Contact | None = None


def columns(note: CaseNote) -> dict[str, Any]:
    """The row as stored: what the least a FastAPI+SQLModel read can answer."""
    return note.model_dump(mode="json")


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=10000")
            cursor.close()

        return engine
    # wijkdeel's pool size, so that neither side waits on a pool the other does not have.
    return create_engine(url, pool_size=10, max_overflow=10, pool_timeout=30)


engine = make_engine(os.environ.get("BENCH_BASELINE_DATABASE_URL", "sqlite:///baseline.db"))


def get_session() -> Iterator[Session]:
    with Session(engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]

app = FastAPI(title="baseline", openapi_url=None, docs_url=None, redoc_url=None)


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/notes/{note_id}")
def read_note(note_id: str, session: SessionDep) -> dict[str, Any]:
    note = session.get(CaseNote, note_id)
    if note is None:
        raise HTTPException(status_code=404, detail="Note not found")
    return columns(note)


@app.post("/notes", status_code=status.HTTP_201_CREATED)
def create_note(body: CaseNoteCreate, session: SessionDep) -> dict[str, Any]:
    now = datetime.now(UTC)
    note = CaseNote(
        id=str(uuid.uuid4()),
        sender="kinderwerk-noord",
        category=body.category,
        urgency=body.urgency,
        subject=body.subject.model_dump_json(by_alias=True),
        summary=body.summary,
        details=body.details,
        contact=body.contact.model_dump_json() if body.contact else None,
        created_at=now,
        updated_at=now,
    )
    answer = columns(note)
    session.add(note)
    session.commit()
    return answer


def seed(rows: int) -> list[str]:
    """The table and `rows` notes with the same content as the bench's signals."""
    from bench.load import SIGNAL_BODY, elfproef_bsn

    SQLModel.metadata.create_all(engine)
    rng = random.Random(7)
    body = CaseNoteCreate.model_validate(SIGNAL_BODY)
    ids = []
    now = datetime.now(UTC)
    with Session(engine) as session:
        for _ in range(rows):
            subject = body.subject.model_copy(update={"bsn": elfproef_bsn(rng, first=1)})
            note = CaseNote(
                id=str(uuid.uuid4()),
                sender="kinderwerk-noord",
                category=body.category,
                urgency=body.urgency,
                subject=subject.model_dump_json(by_alias=True),
                summary=body.summary,
                details=body.details,
                contact=body.contact.model_dump_json() if body.contact else None,
                created_at=now,
                updated_at=now,
            )
            session.add(note)
            ids.append(note.id)
        session.commit()
    return ids


def count(requests: int) -> dict[str, dict[str, Any]]:
    """Statements and commits per read and per insert, in-process (see bench/statements.py)."""
    from collections import Counter

    from fastapi.testclient import TestClient
    from sqlalchemy import event as events

    from bench.load import SIGNAL_BODY

    ids = seed(requests)
    statements: Counter[str] = Counter()
    commits = [0]

    def on_statement(_conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
        statements[sql.lstrip().split(None, 1)[0].upper()] += 1

    def on_commit(_conn: Any) -> None:
        commits[0] += 1

    from bench.statements import count_hops

    events.listen(engine, "before_cursor_execute", on_statement)
    events.listen(engine, "commit", on_commit)
    result = {}
    hops = [0]
    with TestClient(app) as client, count_hops(hops):
        for op in ("read", "insert"):
            statements.clear()
            commits[0] = 0
            hops[0] = 0
            for n in range(requests):
                if op == "read":
                    answer = client.get(f"/notes/{ids[n]}")
                else:
                    answer = client.post(
                        "/notes", json=SIGNAL_BODY | {"subject": {"bsn": "111222333"}}
                    )
                assert answer.status_code in (200, 201), answer.text
            result[op] = {
                "per_request": sum(statements.values()) / requests,
                "commits": commits[0] / requests,
                "kinds": {k: v / requests for k, v in statements.most_common()},
                "hops": hops[0] / requests,
            }
    return result


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "seed":
        print("\n".join(seed(int(sys.argv[2]))))
    elif len(sys.argv) == 3 and sys.argv[1] == "count":
        print(json.dumps(count(int(sys.argv[2]))))
    else:
        sys.exit("usage: python -m bench.baseline seed ROWS | count REQUESTS")
    engine.dispose()
