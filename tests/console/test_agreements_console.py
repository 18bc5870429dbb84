"""The gemeente's administrator accepts a proposed agreement for the gemeente in the console:
signed by the service on the person's behalf, audited under the person, verifiable offline."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from core.clock import FrozenClock
from records.acceptances import verify_all
from tests.console.conftest import form_token, sign_in
from tests.factories import (
    acceptor,
    audit_events,
    bearer,
    bootstrap_admin,
    decide,
    make_agreement,
    make_neighbourhood,
    token,
)
from tests.people.factories import make_person
from wijkdeel.runtime import Runtime

PARTIES = ["gemeente", "kinderwerk-noord", "obs-de-linde", "wijkteam-noord"]
PATH = "/console/agreements/convenant-noord/versions/1/acceptance"


@pytest.fixture
def admin_token(client: TestClient, runtime: Runtime) -> str:
    admin = token(client, bootstrap_admin(runtime))
    make_neighbourhood(client, admin, agreement=False)
    make_agreement(client, admin, accepted=False, parties=PARTIES)
    for partner in PARTIES[1:]:
        answer = decide(client, acceptor(client, admin, partner), "convenant-noord", 1)
        assert answer.status_code == 201, answer.text
    return admin


def status(client: TestClient, admin_token: str) -> str:
    shown = client.get("/v1/agreements/convenant-noord", headers=bearer(admin_token))
    return str(shown.json()["status"])


def test_an_administrator_accepts_for_the_gemeente(
    client: TestClient, admin_token: str, runtime: Runtime, clock: FrozenClock
) -> None:
    person = make_person(runtime, username="anna", role="admin")
    sign_in(client, person, clock)
    page = client.get("/console/acceptance")
    assert page.status_code == 200 and "voorgesteld" in page.text and "Aanvaarden" in page.text
    assert status(client, admin_token) == "proposed"

    # Without the page's CSRF token nothing happens.
    forged = client.post(
        PATH, data={"partner": "gemeente", "decision": "accept"}, follow_redirects=False
    )
    assert forged.status_code == 403 and status(client, admin_token) == "proposed"
    # Not for a partner that is not the gemeente.
    school = client.post(
        PATH,
        data={"csrf": form_token(page), "partner": "obs-de-linde", "decision": "reject"},
        follow_redirects=False,
    )
    assert school.status_code == 409 and status(client, admin_token) == "proposed"

    done = client.post(
        PATH,
        data={"csrf": form_token(page), "partner": "gemeente", "decision": "accept"},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == "/console/acceptance?m=accept"
    assert status(client, admin_token) == "active"
    listed = client.get(
        "/v1/agreements/convenant-noord/versions/1/acceptances", headers=bearer(admin_token)
    ).json()["items"]
    mine = [a for a in listed if a["partner"] == "gemeente"]
    assert len(mine) == 1 and mine[0]["method"] == "console" and mine[0]["person"] == person.id
    event = audit_events(runtime, action="agreement.accept", actor_person=person.id)
    assert len(event) == 1 and event[0]["partner"] == "gemeente" and event[0]["outcome"] == "allow"
    refused = audit_events(runtime, action="agreement.reject", actor_person=person.id)
    assert [e["outcome"] for e in refused] == ["deny"]
    with runtime.db.session() as session:
        assert verify_all(session).findings == []
    again = client.post(
        PATH,
        data={"csrf": form_token(page), "partner": "gemeente", "decision": "accept"},
        follow_redirects=False,
    )
    assert again.status_code == 409


def test_only_administrators_see_the_page(
    client: TestClient, admin_token: str, runtime: Runtime, clock: FrozenClock
) -> None:
    person = make_person(runtime, username="bram", role="auditor")
    sign_in(client, person, clock)
    assert client.get("/console/acceptance").status_code == 403
    page = client.get("/console")
    refused = client.post(
        PATH,
        data={"csrf": form_token(page), "partner": "gemeente", "decision": "accept"},
        follow_redirects=False,
    )
    assert refused.status_code == 403 and status(client, admin_token) == "proposed"
