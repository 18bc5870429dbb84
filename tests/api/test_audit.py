"""The audit log through HTTP: search, pages, exports, verification, the subject report."""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import json
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from audit.chain import events, seal_all
from audit.events import AuditDraft, record
from core.clock import FrozenClock, rfc3339
from tests.api.test_consents import consent_body
from tests.api.test_signals import BSN, DETAILS, NAME, SUMMARY, Tokens, send, signal_body
from tests.factories import (
    Credentials,
    Neighbourhood,
    audit_events,
    audit_ref,
    bearer,
    make_client,
    make_neighbourhood,
    token,
)
from wijkdeel.runtime import Runtime

FIELDS = [
    "seq",
    "id",
    "at",
    "clientId",
    "partner",
    "role",
    "action",
    "resourceType",
    "resourceId",
    "subjectRef",
    "purpose",
    "legalBasis",
    "agreementId",
    "agreementVersion",
    "outcome",
    "reason",
    "requestId",
    "ip",
    "prevHash",
    "hash",
]
LATER_FIELDS = ["count", "actor", "processingActivityId"]  # fmt: skip
# Everything personal in API.md's story; none of it may leave through the audit log.
PERSONAL = [
    BSN, NAME, SUMMARY, DETAILS, "Petra Jansen", "06-12345678", "petra@kinderwerk.example",
    "J. de Vries", "toestemmingsformulier", "2017-03-02",
]  # fmt: skip
CSV_TYPE, NDJSON_TYPE = "text/csv", "application/x-ndjson"


@pytest.fixture
def world(client: TestClient, admin_token: str) -> Neighbourhood:
    return make_neighbourhood(client, admin_token)


@pytest.fixture
def tokens(client: TestClient, world: Neighbourhood) -> Tokens:
    return Tokens(client, world)


@pytest.fixture
def auditor_creds(client: TestClient, admin_token: str) -> Credentials:
    return make_client(client, admin_token, partner="gemeente", role="auditor")


@pytest.fixture
def auditor(client: TestClient, auditor_creds: Credentials) -> dict[str, str]:
    return bearer(token(client, auditor_creds))


def all_pages(client: TestClient, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    items, cursor = [], None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = client.get("/v1/audit/events", params=query, headers=headers)
        assert response.status_code == 200, response.text
        items += response.json()["items"]
        cursor = response.json()["nextCursor"]
        if cursor is None:
            return items


def exported(
    client: TestClient, headers: dict[str, str], media: str, **params: Any
) -> list[dict[str, Any]]:
    response = client.get("/v1/audit/events", params=params, headers={**headers, "accept": media})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(media)
    return parse(media, response.text)


def parse(media: str, text: str) -> list[dict[str, Any]]:
    if media == NDJSON_TYPE:
        return [json.loads(line) for line in text.splitlines()]
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert rows == [] or list(rows[0]) == [*FIELDS, *LATER_FIELDS]
    # A later field is a column in every row and absent from an event that does not hold it.
    return [
        {
            name: (
                None
                if value == ""
                else int(value)
                if name in ("seq", "agreementVersion")
                else value
            )
            for name, value in row.items()
            if not (name in LATER_FIELDS and value == "")
        }
        for row in rows
    ]


def rehash(event: dict[str, Any]) -> str:
    """What anyone can do with an exported event: no wijkdeel code involved."""
    document = {name: value for name, value in event.items() if name != "hash"}
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def append(runtime: Runtime, count: int, **fields: Any) -> None:
    for index in range(count):
        with runtime.db.session() as session:
            draft = AuditDraft(action="signal.read", at=runtime.now(), partner="p1")
            draft.resource_id = f"r{index}"
            for name, value in fields.items():
                setattr(draft, name, value)
            record(session, draft, "allow")


def story(client: TestClient, tokens: Tokens) -> dict[str, Any]:
    """API.md's story, start to end: every kind of access to one child's data."""
    created = send(client, tokens.kinderwerk)
    assert client.get(f"/v1/signals/{created['id']}", headers=tokens.wijkteam).status_code == 200
    assert client.get(f"/v1/signals/{created['id']}", headers=tokens.school).status_code == 404
    refused = client.post(
        "/v1/signals", json=signal_body(category="school"), headers=tokens.kinderwerk_afstemming
    )
    assert refused.status_code == 403
    consent = client.post(
        "/v1/consents", json=consent_body(), headers=tokens.kinderwerk_afstemming
    ).json()
    to_school = send(client, tokens.kinderwerk_afstemming, category="school")
    assert client.get(f"/v1/signals/{to_school['id']}", headers=tokens.school).status_code == 200
    withdrawn = client.post(
        f"/v1/consents/{consent['id']}/withdraw", json={}, headers=tokens.kinderwerk_afstemming
    )
    assert withdrawn.status_code == 200
    assert client.get(f"/v1/signals/{to_school['id']}", headers=tokens.school).status_code == 403
    assert len(client.get("/v1/signals", headers=tokens.wijkteam).json()["items"]) == 1
    assert (
        client.delete(f"/v1/signals/{created['id']}", headers=tokens.kinderwerk).status_code == 204
    )
    return created


def test_auditor_searches_by_every_filter(
    client: TestClient,
    tokens: Tokens,
    world: Neighbourhood,
    auditor_creds: Credentials,
    runtime: Runtime,
    clock: FrozenClock,
) -> None:
    start = clock()
    story(client, tokens)
    clock.advance(hours=2)
    fresh = bearer(token(client, world.kinderwerk, purpose="signalering"))
    send(client, fresh, subject={"bsn": "123456782"})
    auditor = bearer(token(client, auditor_creds))
    stored = audit_events(runtime)
    everything = all_pages(client, auditor, limit=1000)
    assert [e["seq"] for e in everything] == list(range(1, len(everything) + 1))
    assert [e["id"] for e in everything[: len(stored)]] == [e["id"] for e in stored]
    assert list(everything[0]) == FIELDS

    def expect(**where: Any) -> list[str]:
        return [e["id"] for e in stored if all(e[k] == v for k, v in where.items())]

    client_id = tokens_client_id(stored, "wijkteam-noord")
    cases: list[tuple[dict[str, Any], list[str]]] = [
        ({"partner": "wijkteam-noord"}, expect(partner="wijkteam-noord")),
        ({"clientId": client_id}, expect(client_id=client_id)),
        ({"action": "signal.read"}, expect(action="signal.read")),
        ({"outcome": "deny"}, expect(outcome="deny")),
        ({"subjectRef": audit_ref(runtime, BSN)}, expect(subject_ref=audit_ref(runtime, BSN))),
        (
            {"partner": "kinderwerk-noord", "action": "signal.create", "outcome": "allow"},
            expect(partner="kinderwerk-noord", action="signal.create", outcome="allow"),
        ),
        (
            {"informing": "pending"},
            expect(action="signal.informing", reason="informing:pending"),
        ),
    ]
    for params, ids in cases:
        found = all_pages(client, auditor, limit=3, **params)
        # Paging through one child's events is itself an access to them: it shows up as it goes.
        own = [e for e in found if e["action"] == "audit.read"]
        assert [e["id"] for e in found if e not in own] == ids and ids, params
        assert not own or (params.keys() == {"subjectRef"} and own[0]["role"] == "auditor")
    boundary = start + timedelta(hours=1)
    recent = all_pages(client, auditor, since=rfc3339(boundary), partner="kinderwerk-noord")
    assert [e["id"] for e in recent] == [
        e["id"] for e in stored if e["at"] >= boundary and e["partner"] == "kinderwerk-noord"
    ]
    assert {e["action"] for e in recent} == {
        "token.issue",
        "signal.create",
        "signal.share",
        "signal.informing",
    }
    early = all_pages(client, auditor, until=rfc3339(boundary), partner="kinderwerk-noord")
    assert early and {e["id"] for e in early}.isdisjoint({e["id"] for e in recent})
    assert len(early) + len(recent) == len(expect(partner="kinderwerk-noord"))


def tokens_client_id(stored: list[dict[str, Any]], partner: str) -> str:
    return next(e["client_id"] for e in stored if e["partner"] == partner and e["client_id"])


def test_reading_the_log_is_audited(
    client: TestClient,
    tokens: Tokens,
    auditor: dict[str, str],
    runtime: Runtime,
    auditor_creds: Credentials,
) -> None:
    send(client, tokens.kinderwerk)
    client.get(
        "/v1/audit/events",
        params={"partner": "kinderwerk-noord", "subjectRef": audit_ref(runtime, BSN)},
        headers={**auditor, "x-request-id": "inspection-1"},
    )
    client.get(
        "/v1/audit/events",
        params={"action": "signal.share"},
        headers={**auditor, "accept": CSV_TYPE},
    )
    reads = audit_events(runtime, action="audit.read")
    assert [e["reason"] for e in reads] == [
        "json partner=kinderwerk-noord",
        "csv action=signal.share",
    ]
    assert (
        reads[0]["subject_ref"] == audit_ref(runtime, BSN)
        and reads[0]["request_id"] == "inspection-1"
    )
    assert {e["client_id"] for e in reads} == {auditor_creds.client_id}
    assert {e["role"] for e in reads} == {"auditor"} and {e["outcome"] for e in reads} == {"allow"}


def test_pages_skip_and_repeat_nothing_while_events_are_appended(
    client: TestClient, auditor: dict[str, str], runtime: Runtime
) -> None:
    append(runtime, 30)
    seal_all(runtime.db)
    seen: list[int] = []
    cursor = None
    for round_ in range(100):
        params = {"limit": 7, **({"cursor": cursor} if cursor else {})}
        page = client.get("/v1/audit/events", params=params, headers=auditor).json()
        seen += [e["seq"] for e in page["items"]]
        cursor = page["nextCursor"]
        if cursor is None:
            break
        if round_ < 5:
            append(runtime, 4)
            seal_all(runtime.db)  # as the worker would, between two pages
    assert cursor is None
    assert seen == list(range(1, len(seen) + 1))
    assert len(seen) >= 30 + 5 * 4
    filtered = [e["seq"] for e in all_pages(client, auditor, limit=2, partner="p1")]
    assert len(filtered) == 50 and filtered == sorted(set(filtered))


def test_exports_hold_exactly_the_json(
    client: TestClient, tokens: Tokens, auditor: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import audit.queries

    story(client, tokens)
    monkeypatch.setattr(audit.queries, "EXPORT_CHUNK", 4)  # many chunks, each boundary crossed
    for params in ({"partner": "kinderwerk-noord"}, {"outcome": "deny"}, {}):
        as_json = all_pages(client, auditor, limit=5, **params)
        as_csv = exported(client, auditor, CSV_TYPE, **params)
        as_ndjson = exported(client, auditor, NDJSON_TYPE, **params)
        if params:
            assert as_csv == as_json == as_ndjson and as_json
        else:
            # Unfiltered, each request also sees the audit.read event of the one before it.
            assert as_csv[: len(as_json)] == as_json and len(as_csv) == len(as_json) + 1
            assert as_ndjson[: len(as_csv)] == as_csv and len(as_ndjson) == len(as_csv) + 1
    for event in as_ndjson:
        assert rehash(event) == event["hash"]
    assert all(b["prevHash"] == a["hash"] for a, b in itertools.pairwise(as_ndjson))
    later = exported(client, auditor, NDJSON_TYPE, cursor=all_pages_cursor(client, auditor, 10))
    assert [e["seq"] for e in later][:3] == [11, 12, 13]


def all_pages_cursor(client: TestClient, headers: dict[str, str], limit: int) -> str:
    page = client.get("/v1/audit/events", params={"limit": limit}, headers=headers).json()
    return str(page["nextCursor"])


def test_export_answers_headers_and_empty_results(
    client: TestClient, auditor: dict[str, str]
) -> None:
    response = client.get(
        "/v1/audit/events",
        params={"partner": "nobody-here"},
        headers={**auditor, "accept": CSV_TYPE},
    )
    header = ",".join(FIELDS + LATER_FIELDS)
    assert response.status_code == 200 and response.text.splitlines() == [header]
    assert response.headers["content-disposition"] == 'attachment; filename="audit-events.csv"'
    assert response.headers["api-version"] and response.headers["x-request-id"]
    preferred = client.get(
        "/v1/audit/events",
        headers={**auditor, "accept": "text/html;q=0.9, application/x-ndjson;q=0.8, */*;q=0.1"},
    )
    assert preferred.headers["content-type"].startswith(NDJSON_TYPE)
    refused = client.get("/v1/audit/events", headers={**auditor, "accept": "application/xml"})
    assert refused.status_code == 406 and refused.json()["code"] == "not_acceptable"
    assert client.get("/v1/audit/events", headers={**auditor, "accept": "*/*"}).json()["items"]


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"partner": "Wijkteam Noord"}, "partner"),
        ({"outcome": "maybe"}, "outcome"),
        ({"since": "2026-11-29T10:00:00"}, "since"),
        ({"until": "yesterday"}, "until"),
        ({"subjectRef": "111222333"}, "subjectRef"),
        ({"action": "DROP TABLE"}, "action"),
        ({"limit": 1001}, "limit"),
        ({"cursor": "not-a-cursor"}, "cursor"),
    ],
)
def test_bad_parameters_are_400(
    client: TestClient, auditor: dict[str, str], params: dict[str, Any], name: str
) -> None:
    response = client.get("/v1/audit/events", params=params, headers=auditor)
    assert response.status_code == 400, response.text
    assert name in [p["name"] for p in response.json()["invalidParams"]]
    assert "111222333" not in response.text


def test_who_may_read_the_log(
    client: TestClient, tokens: Tokens, auditor: dict[str, str], world: Neighbourhood
) -> None:
    created = send(client, tokens.kinderwerk)
    report = {"bsn": BSN}
    for headers in (tokens.kinderwerk, tokens.wijkteam, tokens.admin):
        assert client.get("/v1/audit/events", headers=headers).status_code == 403
        assert client.get("/v1/audit/verify", headers=headers).status_code == 403
        denied = client.post("/v1/audit/subject-report", json=report, headers=headers)
        assert denied.status_code == 403 and denied.json()["code"] == "insufficient_scope"
    assert client.get("/v1/audit/events").status_code == 401
    assert client.post("/v1/audit/subject-report", json=report).status_code == 401
    # And an auditor reads the log, not the signals.
    assert client.get("/v1/signals", headers=auditor).status_code == 403
    assert client.get(f"/v1/signals/{created['id']}", headers=auditor).status_code == 403
    assert client.post("/v1/signals", json=signal_body(), headers=auditor).status_code == 403
    assert client.post("/v1/consents/search", json=report, headers=auditor).status_code == 403
    assert client.get("/v1/audit/events", headers=auditor).status_code == 200


def test_verify_walks_the_whole_chain_unless_asked_for_the_checkpoint(
    client: TestClient, auditor: dict[str, str], runtime: Runtime
) -> None:
    append(runtime, 20)
    seal_all(runtime.db)
    first = client.get("/v1/audit/verify", headers=auditor).json()
    assert first["valid"] is True and first["mode"] == "full" and first["checkedFrom"] == 0
    assert first["count"] >= 20
    assert set(first) == {"valid", "mode", "checkedFrom", "count", "head", "unsealed"}
    head = first["head"]
    stored = audit_events(runtime)
    assert head == {
        "seq": first["count"],
        "hash": stored[head["seq"] - 1]["hash"],
        "at": head["at"],
    }
    again = client.get("/v1/audit/verify", headers=auditor).json()
    assert again["valid"] and again["mode"] == "full" and again["checkedFrom"] == 0
    assert again["count"] > head["seq"]
    checkpoint = again["head"]["seq"]
    routine = client.get("/v1/audit/verify", params={"from": "checkpoint"}, headers=auditor)
    assert routine.json()["valid"] and routine.json()["mode"] == "incremental"
    assert routine.json()["checkedFrom"] == checkpoint

    with runtime.db.engine.begin() as conn:  # a sealed event before the newest checkpoint
        conn.execute(update(events).where(events.c.seq == 5).values(partner="someone-else"))
    full = client.get("/v1/audit/verify", headers=auditor).json()
    assert full == {
        "valid": False,
        "mode": "full",
        "checkedFrom": 0,
        "firstInvalidSeq": 5,
        "reason": "altered_event",
    }
    # The routine walk cannot see it, and its answer says what it covered.
    blind = client.get("/v1/audit/verify", params={"from": "checkpoint"}, headers=auditor).json()
    assert blind["valid"] is True and blind["mode"] == "incremental"
    assert blind["checkedFrom"] > 5
    verifies = audit_events(runtime, action="audit.verify")
    assert verifies[-2]["reason"] == "full invalid seq:5 altered_event"
    assert verifies[-1]["reason"].startswith(f"from:{blind['checkedFrom']} valid")
    assert client.get("/v1/audit/verify", headers=auditor).json()["valid"] is False


def test_a_long_chain_is_verified_in_several_processes(
    client: TestClient,
    auditor: dict[str, str],
    runtime: Runtime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import audit.chain

    walks: list[int] = []
    parallel = audit.chain._walk_parallel

    def counted(*args: Any, **kwargs: Any) -> Any:
        walks.append(kwargs["workers"])
        return parallel(*args, **kwargs)

    # A long chain, as far as the decision to split the walk goes: 40 events, 2 processes.
    monkeypatch.setattr(audit.chain, "PARALLEL_MIN", 10)
    monkeypatch.setattr(audit.chain, "_walk_parallel", counted)
    monkeypatch.setattr(runtime.settings, "audit_verify_workers", 2)
    append(runtime, 40)
    seal_all(runtime.db)
    assert client.get("/v1/audit/verify", headers=auditor).json()["valid"] is True
    with runtime.db.engine.begin() as conn:  # in the second process's half
        conn.execute(update(events).where(events.c.seq == 33).values(reason="nothing"))
    broken = client.get("/v1/audit/verify", headers=auditor).json()
    assert broken["valid"] is False and broken["firstInvalidSeq"] == 33
    assert walks == [2, 2]


@pytest.mark.parametrize("start", ["genesis", "", "CHECKPOINT", "checkpoint,start"])
def test_verify_refuses_an_unknown_start(
    client: TestClient, auditor: dict[str, str], start: str
) -> None:
    response = client.get("/v1/audit/verify", params={"from": start}, headers=auditor)
    assert response.status_code == 400 and response.json()["code"] == "invalid_parameter"
    assert response.json()["invalidParams"][0]["name"] == "from"


@pytest.mark.parametrize("tamper", ["column", "delete", "reorder", "truncate", "checkpoint"])
def test_verify_detects_each_direct_change(
    client: TestClient, auditor: dict[str, str], runtime: Runtime, tamper: str
) -> None:
    append(runtime, 12)
    seal_all(runtime.db)
    checkpoint = client.get("/v1/audit/verify", headers=auditor).json()["head"]["seq"]
    append(runtime, 6)
    seal_all(runtime.db)
    last = audit_events(runtime)[-1]["seq"]
    target = checkpoint + 2  # after the checkpoint: incremental verification must see it
    with runtime.db.engine.begin() as conn:
        if tamper == "column":
            conn.execute(update(events).where(events.c.seq == target).values(reason="nothing"))
        elif tamper == "delete":
            conn.execute(events.delete().where(events.c.seq == target))
        elif tamper == "reorder":
            conn.execute(update(events).where(events.c.seq == target).values(seq=-1))
            conn.execute(update(events).where(events.c.seq == target + 1).values(seq=target))
            conn.execute(update(events).where(events.c.seq == -1).values(seq=target + 1))
        elif tamper == "truncate":
            target = checkpoint
            conn.execute(events.delete().where(events.c.seq >= checkpoint))
        else:
            target = checkpoint
            conn.execute(update(events).where(events.c.seq == checkpoint).values(ip="10.0.0.1"))
    for params in ({}, {"from": "checkpoint"}, {"from": "start"}):
        answer = client.get("/v1/audit/verify", params=params, headers=auditor).json()
        assert answer["valid"] is False and answer["firstInvalidSeq"] == target, (params, answer)
    assert last > target


def test_subject_report_answers_a_parent(
    client: TestClient, tokens: Tokens, auditor: dict[str, str], runtime: Runtime
) -> None:
    story(client, tokens)
    send(client, tokens.kinderwerk, subject={"bsn": "123456782"})  # another child
    response = client.post("/v1/audit/subject-report", json={"bsn": BSN}, headers=auditor)
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["subjectRef"] == audit_ref(runtime, BSN) and report["nextCursor"] is None
    stored = audit_events(runtime, subject_ref=audit_ref(runtime, BSN))
    items = report["items"]
    assert [e["id"] for e in items] == [e["id"] for e in stored[: len(items)]]
    assert [e["seq"] for e in items] == sorted(e["seq"] for e in items)
    assert {e["subjectRef"] for e in items} == {audit_ref(runtime, BSN)}
    kinds = {(e["action"], e["outcome"]) for e in items}
    assert kinds >= {
        ("signal.create", "allow"),
        ("signal.create", "deny"),  # consent_required: refused, and still the child's event
        ("signal.share", "allow"),
        ("signal.read", "allow"),
        ("signal.read", "deny"),  # the school that was never a recipient, and after withdrawal
        ("signal.list", "allow"),
        ("consent.create", "allow"),
        ("consent.withdraw", "allow"),
        ("signal.erase", "allow"),
    }
    shares = [e for e in items if e["action"] == "signal.share"]
    assert {(e["reason"], e["legalBasis"], e["agreementVersion"]) for e in shares} == {
        ("recipient:wijkteam-noord", "public_task", 1),
        ("recipient:obs-de-linde", "consent", 1),
    }
    school_reads = [
        e for e in items if e["action"] == "signal.read" and e["partner"] == "obs-de-linde"
    ]
    assert [e["outcome"] for e in school_reads] == ["deny", "allow", "deny"]
    assert school_reads[-1]["reason"] == "consent_withdrawn"
    assert all(e["purpose"] and e["clientId"] and e["at"] for e in items)

    again = client.post("/v1/audit/subject-report", json={"bsn": BSN}, headers=auditor).json()
    own = [e for e in again["items"] if e["action"] == "audit.subject_report"]
    assert len(own) == 1 and own[0]["role"] == "auditor" and own[0]["reason"] == "json"
    as_csv = client.post(
        "/v1/audit/subject-report", json={"bsn": BSN}, headers={**auditor, "accept": CSV_TYPE}
    )
    assert as_csv.headers["content-disposition"] == 'attachment; filename="subject-report.csv"'
    assert parse(CSV_TYPE, as_csv.text)[: len(again["items"])] == again["items"]
    paged = client.post(
        "/v1/audit/subject-report", params={"limit": 4}, json={"bsn": BSN}, headers=auditor
    ).json()
    assert paged["items"] == again["items"][:4] and paged["nextCursor"]


def test_subject_report_refuses_bad_input_without_echo(
    client: TestClient, auditor: dict[str, str], runtime: Runtime
) -> None:
    for body, status in (
        ({"bsn": "111222334"}, 422),
        ({"bsn": "12345"}, 422),
        ({"bsn": BSN, "name": NAME}, 422),
        ({}, 422),
    ):
        response = client.post("/v1/audit/subject-report", json=body, headers=auditor)
        assert response.status_code == status, body
        assert "111222334" not in response.text and NAME not in response.text
    assert audit_events(runtime, action="audit.subject_report")[-1]["outcome"] == "deny"


def test_no_personal_data_leaves_through_the_audit_log(
    client: TestClient, tokens: Tokens, auditor: dict[str, str], runtime: Runtime
) -> None:
    story(client, tokens)
    answers = [
        client.get("/v1/audit/events", params={"limit": 1000}, headers=auditor).text,
        client.get("/v1/audit/events", headers={**auditor, "accept": CSV_TYPE}).text,
        client.get("/v1/audit/events", headers={**auditor, "accept": NDJSON_TYPE}).text,
        client.get("/v1/audit/verify", headers=auditor).text,
        client.post("/v1/audit/subject-report", json={"bsn": BSN}, headers=auditor).text,
        client.post(
            "/v1/audit/subject-report", json={"bsn": BSN}, headers={**auditor, "accept": CSV_TYPE}
        ).text,
    ]
    stored = repr(audit_events(runtime))
    for text in [*answers, stored]:
        for value in PERSONAL:
            assert value not in text, value
    assert len(answers[0]) > 1000


def test_the_openapi_document_describes_the_exports(client: TestClient) -> None:
    paths = client.get("/v1/openapi.json").json()["paths"]
    for path, method in (("/audit/events", "get"), ("/audit/subject-report", "post")):
        content = paths[path][method]["responses"]["200"]["content"]
        assert {"application/json", CSV_TYPE, NDJSON_TYPE} <= set(content)
        assert content[CSV_TYPE]["example"].startswith("seq,id,at,")
        line = json.loads(content[NDJSON_TYPE]["example"])
        assert rehash(line) == line["hash"]
    assert paths["/audit/verify"]["get"]["x-audit-action"] == "audit.verify"
