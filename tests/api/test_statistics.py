"""Figures for the policymaker through HTTP: counts equal a plain recount, small numbers stay
hidden, no child is named, CSV, and only policymakers and auditors may read them."""

from __future__ import annotations

import csv
import io
import json
import statistics as stats
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from core.clock import FrozenClock
from figures.suppression import TOTAL, suppress, with_totals
from tests.api.test_consents import consent_body
from tests.api.test_signals import signal_body
from tests.factories import (
    Credentials,
    Neighbourhood,
    bearer,
    make_client,
    make_neighbourhood,
    token,
)
from wijkdeel.runtime import Runtime


def bsn(number: int) -> str:
    """A BSN that passes the elfproef, made from `number`."""
    digits = [int(d) for d in f"{number:08d}"]
    total = sum(d * w for d, w in zip(digits, range(9, 1, -1), strict=True))
    for last in range(10):
        if (total - last) % 11 == 0:
            return "".join(map(str, digits)) + str(last)
    return bsn(number + 1)


def _send(client: TestClient, headers: dict[str, str], child: int, **changes: Any) -> Any:
    body = signal_body(**changes)
    body["subject"] = {**body["subject"], "bsn": bsn(child)}
    return client.post("/v1/signals", json=body, headers=headers)


@pytest.fixture
def march(client: TestClient, admin: Credentials, clock: FrozenClock) -> Neighbourhood:
    """A month of work in March 2026, read in April."""
    clock.now = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
    world = make_neighbourhood(client, token(client, admin))
    kinderwerk = bearer(token(client, world.kinderwerk, purpose="signalering"))
    afstemming = bearer(token(client, world.kinderwerk, purpose="afstemming"))
    wijkteam = bearer(token(client, world.wijkteam, purpose="signalering"))
    sent = []
    for child in range(7):
        answer = _send(client, kinderwerk, child % 4 + 10)
        assert answer.status_code == 201, answer.text
        sent.append(answer.json()["id"])
    for child in range(2):
        answer = _send(client, kinderwerk, 50 + child, category="veiligheid")
        assert answer.status_code == 201, answer.text
    for _ in range(3):  # a category no rule shares: refused
        assert _send(client, kinderwerk, 60, category="huisvesting").status_code == 403
    assert _send(client, afstemming, 61, category="school").status_code == 403  # no consent
    clock.advance(hours=2)
    wijkteam = bearer(token(client, world.wijkteam, purpose="signalering"))
    for signal in sent[:6]:
        moved = client.patch(
            f"/v1/signals/{signal}", json={"status": "acknowledged"}, headers=wijkteam
        )
        assert moved.status_code == 200, moved.text
    clock.advance(hours=24)
    wijkteam = bearer(token(client, world.wijkteam, purpose="signalering"))
    for signal in sent[:5]:
        moved = client.patch(f"/v1/signals/{signal}", json={"status": "closed"}, headers=wijkteam)
        assert moved.status_code == 200, moved.text
    afstemming = bearer(token(client, world.kinderwerk, purpose="afstemming"))
    given = client.post("/v1/consents", json=consent_body(), headers=afstemming)
    assert given.status_code == 201, given.text
    withdrawn = client.post(
        f"/v1/consents/{given.json()['id']}/withdraw", json={}, headers=afstemming
    )
    assert withdrawn.status_code == 200, withdrawn.text
    clock.now = datetime(2026, 4, 2, 8, 0, tzinfo=UTC)
    world.admin_token = token(client, admin)
    return world


def _policymaker(client: TestClient, world: Neighbourhood) -> dict[str, str]:
    made = make_client(client, world.admin_token, partner="wijkteam-noord", role="policymaker")
    return bearer(token(client, made))


def _each(categories: Any) -> list[str | None]:
    found = json.loads(categories) if isinstance(categories, str) else categories
    return list(found) if found else [None]


def _recount(runtime: Runtime) -> dict[str, Counter[tuple[str, str]]]:
    """March's figures by (senderKind, category), counted in Python from the rows."""
    with runtime.db.engine.connect() as conn:
        kinds = dict(conn.execute(text("SELECT id, kind FROM partners")).all())
        signals = conn.execute(
            text("SELECT id, sender, category, informing_status FROM signals")
        ).all()
        recipients = conn.execute(text("SELECT signal_id FROM signal_recipients")).all()
        consents = conn.execute(text("SELECT recorded_by, categories FROM consents")).all()
        withdrawn = conn.execute(
            text(
                "SELECT c.recorded_by, c.categories FROM consent_withdrawals w"
                " JOIN consents c ON c.id = w.consent_id"
            )
        ).all()
        matches = conn.execute(
            text(
                "SELECT m.id, mp.partner_id, m.coordinator FROM matches m"
                " JOIN match_partners mp ON mp.match_id = m.id"
            )
        ).all()
    group = {s.id: (kinds[s.sender], s.category) for s in signals}
    informing = {s.id: s.informing_status for s in signals}
    return {
        "signals": Counter(group.values()),
        "recipients": Counter(group[r.signal_id] for r in recipients),
        # A consent counts under each category it names (none: every category).
        "consentsGiven": Counter(
            (kinds[c.recorded_by], category) for c in consents for category in _each(c.categories)
        ),
        "consentsWithdrawn": Counter(
            (kinds[c.recorded_by], category) for c in withdrawn for category in _each(c.categories)
        ),
        # A match counts once under each kind of partner involved in it.
        "matches": Counter((k, None) for _, k in {(m.id, kinds[m.partner_id]) for m in matches}),
        "matchesWithCoordinator": Counter(
            (k, None) for _, k in {(m.id, kinds[m.partner_id]) for m in matches if m.coordinator}
        ),
        "informed": Counter(g for i, g in group.items() if informing[i] == "informed"),
        "informingPostponed": Counter(g for i, g in group.items() if informing[i] == "postponed"),
    }


def test_counts_equal_a_plain_recount(
    client: TestClient, march: Neighbourhood, runtime: Runtime
) -> None:
    headers = _policymaker(client, march)
    answer = client.get(
        "/v1/statistics",
        params={"from": "2026-03-01", "to": "2026-04-30", "groupBy": "category,senderKind"},
        headers=headers,
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    # April is still running: only March is counted.
    assert (body["from"], body["to"], body["period"]) == ("2026-03-01", "2026-03-31", "month")
    assert body["groupBy"] == ["senderKind", "category"]
    assert {c["period"] for c in body["cells"]} == {"2026-03"}
    recount = _recount(runtime)
    groups = {g for counter in recount.values() for g in counter} | {
        ("kinderwerk", None)
    }  # the refusals' group
    for name, counter in recount.items():
        expected = suppress(with_totals({g: counter.get(g, 0) for g in groups}))
        published = {
            (c["group"]["senderKind"], c["group"]["category"]): c[name] for c in body["cells"]
        }
        assert published == {g: expected[g] for g in groups}, name
        totals = {
            tuple(t["group"].get(d, TOTAL) for d in ("senderKind", "category")): t[name]
            for t in body["totals"]
        }
        assert totals == {k: v for k, v in expected.items() if TOTAL in k}, name
    cells = {(c["group"]["senderKind"], c["group"]["category"]): c for c in body["cells"]}
    opvoeding = cells[("kinderwerk", "opvoeding")]
    # 7 and 2 signals by kinderwerk: the 2 is under 5, and the total 9 would give it away but
    # for a zero beside it, which is hidden as cover.
    assert opvoeding["signals"] == 7 and cells[("kinderwerk", "veiligheid")]["signals"] == "<5"
    assert "<5" in {
        cells[("kinderwerk", "school")]["signals"],
        cells[("kinderwerk", None)]["signals"],
    }
    kinderwerk = next(t for t in body["totals"] if t["group"] == {"senderKind": "kinderwerk"})
    assert kinderwerk["signals"] == 9 and kinderwerk["recipients"] == 9
    assert opvoeding["medianHoursToAcknowledge"] == 2.0
    assert opvoeding["medianHoursToClose"] == 26.0
    assert cells[("kinderwerk", "veiligheid")]["medianHoursToAcknowledge"] is None
    # Three refusals for a category no rule shares, one for want of consent: no category.
    refused = cells[("kinderwerk", None)]["refusals"]
    assert refused == {"category_not_shared": "<5", "consent_required": "<5"}
    assert opvoeding["refusals"] == {"category_not_shared": 0, "consent_required": 0}

    # The plain median over the database, for the cell that has one.
    with runtime.db.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT s.created_at, r.acknowledged_at FROM signals s JOIN signal_recipients r"
                " ON r.signal_id = s.id WHERE s.category = 'opvoeding'"
                " AND r.acknowledged_at IS NOT NULL"
            )
        ).all()
    hours = [
        (datetime.fromisoformat(str(a)) - datetime.fromisoformat(str(c))).total_seconds() / 3600
        for c, a in rows
    ]
    assert stats.median(hours) == opvoeding["medianHoursToAcknowledge"]


def test_no_child_in_any_output(client: TestClient, march: Neighbourhood, runtime: Runtime) -> None:
    headers = _policymaker(client, march)
    with runtime.db.engine.connect() as conn:
        refs = [r for (r,) in conn.execute(text("SELECT subject_ref FROM signals"))]
        refs += [r for (r,) in conn.execute(text("SELECT subject_index FROM signals"))]
    for group_by in ("", "partner,category,purpose", "senderKind,purpose"):
        for accept in ("application/json", "text/csv"):
            answer = client.get(
                "/v1/statistics",
                params={"from": "2026-01-01", "to": "2026-03-31", "groupBy": group_by},
                headers={**headers, "Accept": accept},
            )
            assert answer.status_code == 200, answer.text
            assert not any(ref in answer.text for ref in refs)
            assert bsn(10) not in answer.text and "Sam" not in answer.text


def test_quarters_and_csv(client: TestClient, march: Neighbourhood) -> None:
    headers = _policymaker(client, march)
    quarter = client.get(
        "/v1/statistics",
        params={"from": "2026-01-01", "to": "2026-03-31", "period": "quarter"},
        headers=headers,
    ).json()
    assert [c["period"] for c in quarter["cells"]] == ["2026-Q1"]
    (cell,) = quarter["cells"]
    assert cell["group"] == {} and cell["signals"] == 9 and cell["recipients"] == 9
    answer = client.get(
        "/v1/statistics",
        params={"from": "2026-03-01", "to": "2026-03-31", "groupBy": "purpose"},
        headers={**headers, "Accept": "text/csv"},
    )
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    by_purpose = {(r["row"], r["purpose"]): r for r in rows}
    assert by_purpose[("cell", "signalering")]["signals"] == "9"
    assert by_purpose[("total", "*")]["signals"] == "9"
    assert by_purpose[("cell", "afstemming")]["consentsGiven"] == "<5"


def test_only_policymakers_and_auditors(client: TestClient, march: Neighbourhood) -> None:
    auditor = make_client(client, march.admin_token, partner="wijkteam-noord", role="auditor")
    ok = client.get("/v1/statistics", headers=bearer(token(client, auditor)))
    assert ok.status_code == 200
    for headers in (
        bearer(march.admin_token),
        bearer(token(client, march.kinderwerk, purpose="signalering")),
    ):
        refused = client.get("/v1/statistics", headers=headers)
        assert refused.status_code == 403
        assert refused.json()["code"] == "insufficient_scope"
    assert client.get("/v1/statistics").status_code == 401


@pytest.mark.parametrize(
    "params",
    [
        {"groupBy": "child"},
        {"period": "week"},
        {"from": "2026-03-01", "to": "2026-01-01"},
        {"from": "2010-01-01", "to": "2026-03-01"},
        {"from": "yesterday"},
    ],
)
def test_bad_questions_are_refused(
    client: TestClient, march: Neighbourhood, params: dict[str, str]
) -> None:
    refused = client.get("/v1/statistics", params=params, headers=_policymaker(client, march))
    assert refused.status_code == 400, refused.text
    assert refused.json()["code"] == "invalid_parameter"
