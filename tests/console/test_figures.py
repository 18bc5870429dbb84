"""The policymaker's start page: the figures as SVG bar charts and a table, audited under the
person, small numbers shown as "<5"."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient

from core.clock import FrozenClock
from tests.api.test_statistics import _send
from tests.console.conftest import sign_in
from tests.factories import audit_events, bearer, bootstrap_admin, make_neighbourhood, token
from tests.people.factories import make_person
from wijkdeel.runtime import Runtime


def test_the_policymaker_sees_charts_and_a_table(
    client: TestClient, runtime: Runtime, clock: FrozenClock
) -> None:
    clock.now = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
    world = make_neighbourhood(client, token(client, bootstrap_admin(runtime)))
    kinderwerk = bearer(token(client, world.kinderwerk, purpose="signalering"))
    for child in range(6):
        assert _send(client, kinderwerk, 10 + child).status_code == 201
    for child in range(2):
        assert _send(client, kinderwerk, 30 + child, category="veiligheid").status_code == 201
    clock.now = datetime(2026, 4, 2, 8, 0, tzinfo=UTC)
    carla = make_person(runtime, username="carla", role="policymaker")
    sign_in(client, carla, clock)

    page = client.get("/console")
    assert page.status_code == 200
    assert "<svg" in page.text and "Signalen per maand" in page.text
    assert "<script" not in page.text
    assert "2026-03" in page.text and ">8<" in page.text  # March: 8 signals

    by_category = client.get("/console", params={"groepering": "category"})
    assert by_category.status_code == 200
    assert "Signalen in 2026-03 per categorie" in by_category.text
    assert "&lt;5" in by_category.text  # the 2 signals about safety
    assert ">veiligheid<" in by_category.text
    assert "script-src" not in by_category.headers["content-security-policy"]

    events = [e for e in audit_events(runtime, action="statistics.read")]
    assert len(events) == 2
    assert {e["actor_person"] for e in events} == {carla.id}
    assert {e["role"] for e in events} == {"policymaker"}

    # Junk in the query falls back to the defaults; it is not an error.
    assert client.get("/console", params={"periode": "<b>", "groepering": "bsn"}).status_code == 200


def test_other_roles_see_no_figures(
    client: TestClient, runtime: Runtime, clock: FrozenClock
) -> None:
    anna = make_person(runtime, username="anna", role="admin")
    sign_in(client, anna, clock)
    page = client.get("/console")
    assert page.status_code == 200 and "<svg" not in page.text
    assert audit_events(runtime, action="statistics.read") == []
