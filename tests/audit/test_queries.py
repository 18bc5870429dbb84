"""Reading the log by time: the seq bounds a time window implies never lose an event, even
where events were chained out of time order."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from audit import queries
from audit.chain import seal_all
from audit.events import AuditDraft, record
from audit.queries import EventFilter
from records.db import Database

START = datetime(2026, 1, 1, tzinfo=UTC)


def test_time_windows_find_exactly_their_events(db: Database) -> None:
    rng = random.Random(5)
    moments = []
    for index in range(80):
        # Mostly in order, with slow requests that began long before they were recorded.
        moment = START + timedelta(hours=index) - timedelta(hours=rng.choice([0, 0, 0, 30]))
        moments.append(moment)
        with db.session() as session:
            draft = AuditDraft(action="signal.read", at=moment, partner=rng.choice(["a1", "b2"]))
            record(session, draft, "allow")
    seal_all(db)
    by_seq = dict(enumerate(moments, start=1))
    partner_of = {}
    with db.read_session() as session:
        for item in queries.page(session, EventFilter(), cursor=None, limit=1000).items:
            partner_of[item["seq"]] = item["partner"]
    for since_h, until_h, partner in [
        (70, None, None),
        (60, 75, "a1"),
        (None, 10, None),
        (5, 12, "b2"),
        (40, 41, None),
        (200, None, None),
        (None, -50, None),
    ]:
        since = START + timedelta(hours=since_h) if since_h is not None else None
        until = START + timedelta(hours=until_h) if until_h is not None else None
        where = EventFilter(since=since, until=until, partner=partner)
        expected = [
            seq
            for seq, moment in by_seq.items()
            if (since is None or moment >= since)
            and (until is None or moment < until)
            and (partner is None or partner_of[seq] == partner)
        ]
        found, cursor = [], None
        with db.read_session() as session:
            while True:
                page = queries.page(session, where, cursor=cursor, limit=3)
                found += [item["seq"] for item in page.items]
                if (cursor := page.next_cursor) is None:
                    break
        export = queries.Export(where, after=0, upto=80, size=4)
        exported = []
        with db.read_session() as session:
            while not export.done:
                exported += [item["seq"] for item in export.next_chunk(session)]
        assert found == expected == exported, (since_h, until_h, partner)
        if since_h == 70:
            with db.read_session() as session:
                assert queries.bounds(session, where).low is not None  # the bound was used
