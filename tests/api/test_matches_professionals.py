"""A match shows another partner's professional exactly where the agreement lets the two
exchange contact; the professionals act through actor tokens (branch pro: until it is merged
there are none, and this is skipped)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests import factories
from tests.api.test_matches import SCHOOL, WIJKTEAM, zorgoverleg
from tests.api.test_signals import signal_body
from tests.factories import bearer, make_agreement, make_neighbourhood

professional_token = getattr(factories, "professional_token", None)
pytestmark = pytest.mark.skipif(
    professional_token is None, reason="signals record no professional before branch pro"
)

ANOUK = {
    "sub": "anouk",
    "name": "Anouk Bakker",
    "function": "jeugdprofessional",
    "email": "a.bakker@wijkteam.example",
}
JOOST = {
    "sub": "joost",
    "name": "Joost Visser",
    "function": "intern begeleider",
    "email": "j.visser@school.example",
}


def contact(details: dict[str, str]) -> dict[str, str]:
    return {key: details[key] for key in ("name", "function", "email")}


def professionals(client: TestClient, match: str, headers: dict[str, str]) -> dict[str, Any]:
    answer = client.get(f"/v1/matches/{match}", headers=headers)
    assert answer.status_code == 200, answer.text
    return {p["partner"]: p.get("professional") for p in answer.json()["partners"]}


@pytest.mark.parametrize("exchange", [True, False])
def test_professionals_are_shown_only_where_contact_is_exchanged(
    client: TestClient, admin_token: str, exchange: bool
) -> None:
    assert professional_token is not None
    world = make_neighbourhood(client, admin_token, method="private_key_jwt")
    make_agreement(client, admin_token, **zorgoverleg(exchange=exchange))
    wijkteam = bearer(professional_token(client, world.wijkteam, purpose="zorgoverleg", **ANOUK))
    school = bearer(professional_token(client, world.school, purpose="zorgoverleg", **JOOST))
    for headers in (wijkteam, school):
        sent = client.post("/v1/signals", json=signal_body(), headers=headers)
        assert sent.status_code == 201, sent.text
    match = client.get("/v1/matches", headers=school).json()["items"][0]["id"]

    # Its own professional a partner always sees; the other's only by an exchangeContact rule.
    by_school = professionals(client, match, school)
    assert by_school[SCHOOL] == contact(JOOST)
    assert by_school[WIJKTEAM] == (contact(ANOUK) if exchange else None)
    by_wijkteam = professionals(client, match, wijkteam)
    assert by_wijkteam[WIJKTEAM] == contact(ANOUK)
    assert by_wijkteam[SCHOOL] == (contact(JOOST) if exchange else None)
