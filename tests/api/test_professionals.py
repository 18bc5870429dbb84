"""Professionals through HTTP: actor tokens at the token endpoint, `act` in the access token,
the professional in every audit event, on the signal, and `requiresProfessional`."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from jose import jwt as jose_jwt
from sqlalchemy import text

from tests.api.test_signals import send, signal_body
from tests.factories import (
    ACTOR_TOKEN_TYPE,
    ASSERTION_TYPE,
    InProcess,
    Neighbourhood,
    accept_all,
    actor_form,
    actor_token,
    assertion,
    audit_events,
    bearer,
    ec_key,
    example_agreement,
    make_client,
    make_neighbourhood,
    professional_token,
    token,
)
from wijkdeel.runtime import Runtime

TOKEN_URL = "/v1/oauth/token"


@pytest.fixture
def world(client: TestClient, admin_token: str) -> Neighbourhood:
    return make_neighbourhood(client, admin_token, method="private_key_jwt")


def _claims(access_token: str) -> dict[str, Any]:
    return dict(jose_jwt.get_unverified_claims(access_token))


def test_a_token_acts_for_a_professional(
    client: TestClient, world: Neighbourhood, runtime: Runtime
) -> None:
    kinderwerk = world.kinderwerk
    access = professional_token(client, kinderwerk)

    claims = _claims(access)
    assert claims["act"] == {"sub": "mw-0042"}
    # Name, function and contact stay out of the bearer token, and are kept sealed.
    assert "Petra" not in repr(claims) and "jongerenwerker" not in repr(claims)
    with runtime.db.engine.connect() as conn:
        stored = repr(list(conn.execute(text("SELECT * FROM professionals")).mappings()))
    assert "mw-0042" in stored and "Petra" not in stored and "petra@" not in stored

    [issued] = [e for e in audit_events(runtime, action="token.issue") if e["outcome"] == "allow"][
        -1:
    ]
    assert issued["actor_professional"] == "mw-0042"
    me = client.get("/v1/signals", headers=bearer(access))
    assert me.status_code == 200
    [listed] = audit_events(runtime, action="signal.list")
    assert listed["actor_professional"] == "mw-0042" and listed["partner"] == "kinderwerk-noord"
    # A refusal names the professional too.
    assert client.get("/v1/signals/nothing-here", headers=bearer(access)).status_code == 404
    assert client.get("/v1/audit/events", headers=bearer(access)).status_code == 403
    refused = audit_events(runtime, outcome="deny")
    assert len(refused) == 2 and {e["actor_professional"] for e in refused} == {"mw-0042"}


def test_the_signal_names_its_professional_to_whom_may_know(
    client: TestClient, world: Neighbourhood, runtime: Runtime
) -> None:
    kinderwerk = bearer(professional_token(client, world.kinderwerk, phone="06-11112222"))
    created = send(client, kinderwerk)
    petra = {
        "name": "Petra Jansen",
        "function": "jongerenwerker",
        "email": "petra@kinderwerk.example",
        "phone": "06-11112222",
    }

    own = client.get(f"/v1/signals/{created['id']}", headers=kinderwerk).json()
    assert own["senderProfessional"] == petra and own["sender"] == "kinderwerk-noord"
    # The wijkteam's rule grants contact: it learns who to call.
    wijkteam = bearer(token(client, world.wijkteam, purpose="signalering"))
    seen = client.get(f"/v1/signals/{created['id']}", headers=wijkteam).json()
    assert seen["senderProfessional"] == petra

    with runtime.db.engine.connect() as conn:
        row = conn.execute(
            text("SELECT sender_professional_id, sender_professional FROM signals")
        ).one()
    assert row[0] == "mw-0042" and b"Petra" not in bytes(row[1])
    events = audit_events(runtime, action="signal.create") + audit_events(
        runtime, action="signal.share"
    )
    assert events and {e["actor_professional"] for e in events} == {"mw-0042"}
    # The wijkteam's own reads name no professional of the kinderwerk.
    assert {e["actor_professional"] for e in audit_events(runtime, action="signal.read")} == {
        "mw-0042",
        None,
    }


def test_a_recipient_without_contact_does_not_learn_the_professional(
    client: TestClient, admin_token: str, world: Neighbourhood
) -> None:
    agreement = example_agreement()
    agreement["rules"][0]["fields"] = ["subject", "summary"]
    response = client.put(
        "/v1/agreements/convenant-noord", json=agreement, headers=bearer(admin_token)
    )
    assert response.status_code == 200, response.text
    accept_all(client, admin_token, "convenant-noord", response.json()["version"])
    created = send(client, bearer(professional_token(client, world.kinderwerk)))

    wijkteam = bearer(token(client, world.wijkteam, purpose="signalering"))
    seen = client.get(f"/v1/signals/{created['id']}", headers=wijkteam).json()
    assert "summary" in seen and "contact" not in seen
    assert "senderProfessional" not in seen


def test_a_signal_without_professional_has_none(client: TestClient, world: Neighbourhood) -> None:
    kinderwerk = bearer(token(client, world.kinderwerk, purpose="signalering"))
    created = send(client, kinderwerk)
    own = client.get(f"/v1/signals/{created['id']}", headers=kinderwerk).json()
    assert "senderProfessional" not in own


def _refused(client: TestClient, form: dict[str, str]) -> dict[str, Any]:
    response = client.post(TOKEN_URL, data=form)
    assert response.status_code == 400, response.text
    return dict(response.json())


def test_an_actor_token_by_another_key_is_refused(
    client: TestClient, world: Neighbourhood, runtime: Runtime
) -> None:
    stranger, _ = ec_key()
    answer = _refused(
        client, actor_form(world.kinderwerk, actor=actor_token(world.kinderwerk, pem=stranger))
    )
    assert answer["error"] == "invalid_grant"
    [denied] = [e for e in audit_events(runtime, action="token.issue") if e["outcome"] == "deny"]
    assert denied["client_id"] == world.kinderwerk.client_id
    assert denied["reason"] == "invalid_grant" and denied["actor_professional"] is None


def test_an_actor_token_of_another_client_is_refused(
    client: TestClient, world: Neighbourhood
) -> None:
    # The school's own, valid actor token, presented by the kinderwerk.
    foreign = actor_token(world.school)
    assert _refused(client, actor_form(world.kinderwerk, actor=foreign))["error"] == "invalid_grant"
    # Signed by the school's key but claiming to be the kinderwerk's.
    forged = actor_token(world.school, iss=world.kinderwerk.client_id)
    assert _refused(client, actor_form(world.kinderwerk, actor=forged))["error"] == "invalid_grant"


def test_a_replayed_actor_token_is_refused(
    client: TestClient, world: Neighbourhood, runtime: Runtime
) -> None:
    actor = actor_token(world.kinderwerk)
    assert client.post(TOKEN_URL, data=actor_form(world.kinderwerk, actor=actor)).status_code == 200
    answer = _refused(client, actor_form(world.kinderwerk, actor=actor))
    assert answer["error"] == "invalid_grant" and "already used" in answer["error_description"]
    outcomes = [(e["outcome"], e["reason"]) for e in audit_events(runtime, action="token.issue")]
    assert outcomes[-2:] == [("allow", None), ("deny", "invalid_grant")]


@pytest.mark.parametrize(
    "claims",
    [
        {"lifetime": -120},
        {"lifetime": 3600 + 31},
        {"sub": None},
        {"name": None},
        {"function": None},
        {"jti": ""},
        {"sub": "111222333"},  # a BSN is never a professional's id
        {"sub": "Petra Jansen"},
        {"sub": "x" * 65},
        {"name": "a" * 201},
        {"name": "Petra\nJansen"},
        {"email": "not-an-address"},
        {"phone": "call me"},
        {"aud": "https://elsewhere.example/token"},
        {"iat": "-7200"},
    ],
    ids=[
        "expired",
        "exp-too-far",
        "no-sub",
        "no-name",
        "no-function",
        "no-jti",
        "bsn-sub",
        "name-sub",
        "long-sub",
        "long-name",
        "control-char",
        "bad-email",
        "bad-phone",
        "wrong-aud",
        "iat-long-ago",
    ],
)
def test_bad_actor_tokens_are_invalid_grant(
    client: TestClient, world: Neighbourhood, runtime: Runtime, claims: dict[str, Any]
) -> None:
    claims = {
        name: int(time.time()) + int(value) if name == "iat" else value
        for name, value in claims.items()
    }
    answer = _refused(client, actor_form(world.kinderwerk, **claims))
    assert answer["error"] == "invalid_grant"
    assert "Petra" not in repr(answer) and "111222333" not in repr(answer)
    assert audit_events(runtime, action="token.issue")[-1]["outcome"] == "deny"


def test_actor_token_request_errors(
    client: TestClient, admin_token: str, world: Neighbourhood
) -> None:
    form = actor_form(world.kinderwerk)
    wrong_type = {**form, "actor_token_type": "urn:ietf:params:oauth:token-type:access_token"}
    assert _refused(client, wrong_type)["error"] == "invalid_request"
    # A client authenticated by a secret has no key to sign an actor token with.
    secret = make_client(client, admin_token, partner="kinderwerk-noord")
    response = client.post(
        TOKEN_URL,
        data={
            "grant_type": "client_credentials",
            "purpose": "signalering",
            "actor_token": actor_token(world.kinderwerk),
            "actor_token_type": ACTOR_TOKEN_TYPE,
        },
        auth=secret.basic(),
    )
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


def test_a_bad_client_assertion_with_an_actor_token_is_still_invalid_client(
    client: TestClient, world: Neighbourhood
) -> None:
    form = actor_form(world.kinderwerk)
    form["client_assertion"] = assertion(world.kinderwerk, lifetime=-120)
    response = client.post(TOKEN_URL, data=form)
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"
    assert form["client_assertion_type"] == ASSERTION_TYPE


def _require_professional(client: TestClient, admin_token: str) -> None:
    agreement = example_agreement()
    agreement["rules"][0]["requiresProfessional"] = True
    response = client.put(
        "/v1/agreements/convenant-noord", json=agreement, headers=bearer(admin_token)
    )
    assert response.status_code == 200, response.text
    assert response.json()["rules"][0]["requiresProfessional"] is True
    accept_all(client, admin_token, "convenant-noord", response.json()["version"])


def test_a_rule_may_require_a_professional(
    client: TestClient, admin_token: str, world: Neighbourhood, runtime: Runtime
) -> None:
    _require_professional(client, admin_token)
    system = bearer(token(client, world.kinderwerk, purpose="signalering"))

    refused = client.post("/v1/signals", json=signal_body(), headers=system)
    assert refused.status_code == 403
    assert refused.json()["reasons"] == ["professional_required"]
    named = client.post(
        "/v1/signals", json=signal_body(recipients=["wijkteam-noord"]), headers=system
    )
    assert named.status_code == 403 and named.json()["reasons"] == ["professional_required"]
    with runtime.db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM signals")).scalar() == 0
    denied = audit_events(runtime, action="signal.create")
    assert [(e["outcome"], e["reason"]) for e in denied] == [
        ("deny", "professional_required"),
        ("deny", "professional_required"),
    ]

    created = send(client, bearer(professional_token(client, world.kinderwerk)))
    assert created["recipients"] == ["wijkteam-noord"]
    # Reading is not bound by the rule: the wijkteam's system reads it without a professional.
    wijkteam = bearer(token(client, world.wijkteam, purpose="signalering"))
    assert client.get(f"/v1/signals/{created['id']}", headers=wijkteam).status_code == 200


def test_the_decision_explains_the_professional_rule(
    client: TestClient, admin_token: str, world: Neighbourhood
) -> None:
    _require_professional(client, admin_token)
    question = {
        "sender": "kinderwerk-noord",
        "recipient": "wijkteam-noord",
        "purpose": "signalering",
        "category": "opvoeding",
    }
    answers = [
        client.post("/v1/decisions", json={**question, **extra}, headers=bearer(admin_token)).json()
        for extra in ({"professional": False}, {"professional": True}, {})
    ]
    assert answers[0]["allow"] is False and answers[0]["reasons"] == ["professional_required"]
    assert answers[1]["allow"] is True and answers[2]["allow"] is True


def test_a_revoked_professional_record_stops_sending(
    client: TestClient, world: Neighbourhood, runtime: Runtime
) -> None:
    kinderwerk = bearer(professional_token(client, world.kinderwerk))
    with runtime.db.engine.begin() as conn:
        conn.execute(text("DELETE FROM professionals"))
    refused = client.post("/v1/signals", json=signal_body(), headers=kinderwerk)
    assert refused.status_code == 403 and refused.json()["code"] == "professional_unknown"


def test_a_second_token_describes_the_professional_anew(
    client: TestClient, world: Neighbourhood
) -> None:
    professional_token(client, world.kinderwerk)
    kinderwerk = bearer(professional_token(client, world.kinderwerk, function="teamleider"))
    created = send(client, kinderwerk)
    own = client.get(f"/v1/signals/{created['id']}", headers=kinderwerk).json()
    assert own["senderProfessional"]["function"] == "teamleider"


def test_an_access_token_with_a_forged_act_is_refused(
    client: TestClient, world: Neighbourhood, runtime: Runtime
) -> None:
    claims = _claims(professional_token(client, world.kinderwerk))
    # Re-signed by someone else: the signature no longer holds, whatever `act` says.
    pem, _ = ec_key()
    forged = jose_jwt.encode(
        {**claims, "act": {"sub": "someone-else"}},
        pem,
        algorithm="ES256",
        headers={"typ": "at+jwt"},
    )
    assert client.get("/v1/signals", headers=bearer(forged)).status_code == 401


def test_admin_clients_act_for_nobody(
    client: TestClient, world: Neighbourhood, admin_token: str
) -> None:
    admin_with_key = make_client(
        client, admin_token, partner="gemeente", role="admin", method="private_key_jwt"
    )
    form = actor_form(admin_with_key)
    form.pop("purpose")
    assert _refused(client, form)["error"] == "invalid_request"


def test_the_readme_recipe_acts_for_petra(
    client: TestClient, world: Neighbourhood, runtime: Runtime, tmp_path: Any
) -> None:
    """The README's Python recipe, run as written against the in-process app: only the client
    id, the key file, the transport and the signal body are filled in."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    [recipe] = [
        block
        for block in re.findall(r"^```python\n(.*?)^```", readme, re.S | re.M)
        if "actor_token=actor" in block
    ]
    creds = world.kinderwerk
    assert creds.private_pem is not None and creds.kid is not None
    pem = tmp_path / "kinderwerk-noord.pem"
    pem.write_text(creds.private_pem)
    code = (
        recipe.replace('"cl_…"', repr(creds.client_id))
        .replace('"kinderwerk-noord.pem"', repr(str(pem)))
        .replace('"k1"', repr(creds.kid))
        .replace('PrivateKeyJWT(alg="ES256"))', 'PrivateKeyJWT(alg="ES256"), transport=transport)')
        .replace('"http://127.0.0.1:8000"', '"http://testserver"')
        .replace("json={...}", "json=body")
    )
    scope: dict[str, Any] = {"transport": InProcess(client), "body": signal_body()}
    exec(compile(code, "README.md", "exec"), scope)  # noqa: S102  (our own README)

    assert scope["signal"]["sender"] == "kinderwerk-noord"
    [created] = audit_events(runtime, action="signal.create")
    assert created["actor_professional"] == "mw-0042"


def test_introspection_names_the_professional(client: TestClient, world: Neighbourhood) -> None:
    access = professional_token(client, world.kinderwerk)
    described = client.post(
        "/v1/oauth/introspect",
        data={
            "token": access,
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": assertion(world.kinderwerk),
        },
    ).json()
    assert described["active"] is True and described["act"] == {"sub": "mw-0042"}
    assert "name" not in described
