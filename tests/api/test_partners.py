"""Partners and clients through HTTP: happy paths, anonymous, wrong scope, bad input, audit."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import select

from records.models import Client
from tests.factories import (
    audit_events,
    bearer,
    ec_key,
    make_client,
    make_neighbourhood,
    make_partner,
    token,
)
from wijkdeel.runtime import Runtime


def test_create_read_list_update_partner(client: TestClient, admin_token: str) -> None:
    created = make_partner(
        client, admin_token, id="wijkteam-noord", kind="wijkteam", name="Wijkteam Noord"
    )
    assert created["status"] == "active" and created["kind"] == "wijkteam"
    assert (
        client.get("/v1/partners/wijkteam-noord", headers=bearer(admin_token)).json()["name"]
        == "Wijkteam Noord"
    )
    renamed = client.patch(
        "/v1/partners/wijkteam-noord",
        json={"name": "Wijkteam Noord-Oost"},
        headers=bearer(admin_token),
    )
    assert renamed.status_code == 200 and renamed.json()["name"] == "Wijkteam Noord-Oost"
    listed = client.get("/v1/partners", headers=bearer(admin_token)).json()
    assert {p["id"] for p in listed["items"]} == {"gemeente", "wijkteam-noord"}
    assert listed["nextCursor"] is None


def test_list_pages_with_a_cursor(client: TestClient, admin_token: str) -> None:
    for index in range(5):
        make_partner(client, admin_token, id=f"partner-{index}")
    seen, cursor = [], None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = client.get("/v1/partners", params=params, headers=bearer(admin_token)).json()
        seen += [p["id"] for p in page["items"]]
        cursor = page["nextCursor"]
        if cursor is None:
            break
    assert seen == sorted(seen) and len(seen) == len(set(seen)) == 6
    bad = client.get("/v1/partners", params={"cursor": "not-a-cursor"}, headers=bearer(admin_token))
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_cursor"
    too_many = client.get("/v1/partners", params={"limit": 1001}, headers=bearer(admin_token))
    assert too_many.status_code == 400


def test_anonymous_and_wrong_scope_are_refused(client: TestClient, admin_token: str) -> None:
    make_neighbourhood(client, admin_token)
    partner = make_client(client, admin_token, partner="kinderwerk-noord")
    partner_token = token(client, partner, purpose="signalering")
    anonymous = client.get("/v1/partners")
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"] == "application/problem+json"
    assert anonymous.headers["www-authenticate"].startswith("Bearer")
    for method, path in [
        ("GET", "/v1/partners"),
        ("POST", "/v1/partners"),
        ("GET", "/v1/partners/kinderwerk-noord"),
        ("PATCH", "/v1/partners/kinderwerk-noord"),
        ("POST", "/v1/partners/kinderwerk-noord/clients"),
        ("GET", "/v1/partners/kinderwerk-noord/clients"),
        ("DELETE", f"/v1/partners/kinderwerk-noord/clients/{partner.client_id}"),
    ]:
        body = {"name": "x"} if method in {"POST", "PATCH"} else None
        response = client.request(method, path, json=body, headers=bearer(partner_token))
        assert response.status_code == 403, (method, path, response.text)
        assert response.json()["code"] == "insufficient_scope"


def test_bad_partner_input_is_refused_without_echo_and_changes_nothing(
    client: TestClient, admin_token: str, runtime: Runtime
) -> None:
    before = audit_events(runtime)
    for body, field in [
        ({"id": "X Y", "name": "n", "kind": "school"}, "id"),
        ({"id": "a", "name": "n", "kind": "school"}, "id"),
        ({"id": "ok-id", "name": "n", "kind": "ziekenhuis"}, "kind"),
        ({"id": "ok-id", "name": "", "kind": "school"}, "name"),
        ({"id": "ok-id", "name": "n", "kind": "school", "bsn": "111222333"}, "bsn"),
        ({"id": "ok-id", "kind": "school"}, "name"),
    ]:
        response = client.post("/v1/partners", json=body, headers=bearer(admin_token))
        assert response.status_code == 422, body
        problem = response.json()
        assert problem["code"] == "validation_failed" and problem["status"] == 422
        assert field in [param["name"] for param in problem["invalidParams"]]
        assert "111222333" not in response.text and "ziekenhuis" not in response.text
    malformed = client.post(
        "/v1/partners",
        content=b'{"id": ',
        headers={**bearer(admin_token), "content-type": "application/json"},
    )
    assert malformed.status_code == 400 and malformed.json()["code"] == "malformed_json"
    listed = client.get("/v1/partners", headers=bearer(admin_token)).json()["items"]
    assert [p["id"] for p in listed] == ["gemeente"]
    denied = [e for e in audit_events(runtime) if e["outcome"] == "deny"]
    assert len(denied) == 7 and {e["action"] for e in denied} == {"partner.create"}
    assert len(audit_events(runtime)) == len(before) + 8  # 7 denials + the list


def test_duplicate_partner_is_a_conflict(client: TestClient, admin_token: str) -> None:
    make_partner(client, admin_token, id="obs-de-linde", kind="school")
    again = client.post(
        "/v1/partners",
        json={"id": "obs-de-linde", "name": "x", "kind": "school"},
        headers=bearer(admin_token),
    )
    assert again.status_code == 409 and again.json()["code"] == "partner_exists"


def test_unknown_partner_is_404(client: TestClient, admin_token: str) -> None:
    for method, path in [
        ("GET", "/v1/partners/nobody"),
        ("PATCH", "/v1/partners/nobody"),
        ("GET", "/v1/partners/nobody/clients"),
    ]:
        response = client.request(
            method,
            path,
            json={"name": "x"} if method == "PATCH" else None,
            headers=bearer(admin_token),
        )
        assert response.status_code == 404 and response.json()["code"] == "partner_not_found"


def test_patch_needs_something_to_change(client: TestClient, admin_token: str) -> None:
    make_partner(client, admin_token, id="jw-noord", kind="jongerenwerk")
    for body in [{}, {"status": "gone"}, {"kind": "school"}]:
        response = client.patch("/v1/partners/jw-noord", json=body, headers=bearer(admin_token))
        assert response.status_code == 422, body


def test_suspended_partner_is_refused_from_the_next_request(
    client: TestClient, admin_token: str, runtime: Runtime
) -> None:
    make_neighbourhood(client, admin_token)
    creds = make_client(client, admin_token, partner="kinderwerk-noord")
    partner_token = token(client, creds, purpose="signalering")
    assert client.get("/v1/me", headers=bearer(partner_token)).status_code == 200
    suspended = client.patch(
        "/v1/partners/kinderwerk-noord", json={"status": "suspended"}, headers=bearer(admin_token)
    )
    assert suspended.json()["status"] == "suspended"
    refused = client.get("/v1/me", headers=bearer(partner_token))
    assert refused.status_code == 403 and refused.json()["reasons"] == ["partner_suspended"]
    new_token = client.post(
        "/v1/oauth/token",
        data={"grant_type": "client_credentials", "purpose": "signalering"},
        auth=creds.basic(),
    )
    assert new_token.status_code == 400 and new_token.json()["error"] == "unauthorized_client"
    client.patch(
        "/v1/partners/kinderwerk-noord", json={"status": "active"}, headers=bearer(admin_token)
    )
    assert client.get("/v1/me", headers=bearer(partner_token)).status_code == 200
    denial = audit_events(runtime, action="me.read", outcome="deny")
    assert (
        denial
        and denial[0]["client_id"] == creds.client_id
        and denial[0]["reason"] == "partner_suspended"
    )


def test_secret_client_is_shown_once_and_stored_hashed(
    client: TestClient, admin_token: str, runtime: Runtime
) -> None:
    make_partner(client, admin_token, id="obs-de-linde", kind="school")
    creds = make_client(client, admin_token, partner="obs-de-linde")
    assert creds.secret and creds.secret.startswith("wds_")
    listed = client.get("/v1/partners/obs-de-linde/clients", headers=bearer(admin_token))
    assert listed.status_code == 200
    assert creds.secret not in listed.text and "clientSecret" not in listed.text
    assert listed.json()["items"][0]["authMethod"] == "client_secret_basic"
    with runtime.db.read_session() as session:
        stored = session.exec(select(Client).where(Client.id == creds.client_id)).one()
    assert stored.secret_hash and stored.secret_hash.startswith("$argon2id$")
    assert creds.secret not in stored.secret_hash


def test_jwks_client_accepts_only_public_p256_keys(client: TestClient, admin_token: str) -> None:
    make_partner(client, admin_token, id="wijkteam-noord", kind="wijkteam")
    _pem, public = ec_key()
    ok = client.post(
        "/v1/partners/wijkteam-noord/clients",
        json={
            "role": "partner",
            "jwks": {"keys": [{**public, "kid": "k1", "use": "sig", "alg": "ES256"}]},
        },
        headers=bearer(admin_token),
    )
    assert ok.status_code == 201 and ok.json()["authMethod"] == "private_key_jwt"
    assert "clientSecret" not in ok.json() or ok.json()["clientSecret"] is None
    bad_keys = [
        {**public, "d": "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTI"},
        {"kty": "RSA", "n": "AQAB", "e": "AQAB"},
        {**public, "crv": "P-384"},
        {**public, "alg": "HS256"},
        {**public, "x": public["y"]},
        {**public, "x": "short"},
    ]
    for key in bad_keys:
        refused = client.post(
            "/v1/partners/wijkteam-noord/clients",
            json={"role": "partner", "jwks": {"keys": [key]}},
            headers=bearer(admin_token),
        )
        assert refused.status_code == 422, key
        assert refused.json()["code"] == "invalid_jwks"
        assert "c2VjcmV0" not in refused.text
    for body in [
        {"role": "partner"},
        {"role": "partner", "authMethod": "private_key_jwt"},
        {"role": "partner", "authMethod": "client_secret_basic", "jwks": {"keys": [public]}},
        {"role": "superuser", "authMethod": "client_secret_basic"},
    ]:
        refused = client.post(
            "/v1/partners/wijkteam-noord/clients", json=body, headers=bearer(admin_token)
        )
        assert refused.status_code == 422, body
    listed = client.get("/v1/partners/wijkteam-noord/clients", headers=bearer(admin_token)).json()
    assert len(listed["items"]) == 1


def test_revoked_client_tokens_stop_working(
    client: TestClient, admin_token: str, runtime: Runtime
) -> None:
    make_neighbourhood(client, admin_token)
    creds = make_client(client, admin_token, partner="kinderwerk-noord")
    partner_token = token(client, creds, purpose="signalering")
    assert client.get("/v1/me", headers=bearer(partner_token)).status_code == 200
    revoked = client.delete(
        f"/v1/partners/kinderwerk-noord/clients/{creds.client_id}", headers=bearer(admin_token)
    )
    assert revoked.status_code == 204 and revoked.content == b""
    refused = client.get("/v1/me", headers=bearer(partner_token))
    assert refused.status_code == 401 and refused.json()["code"] == "invalid_token"
    again = client.post(
        "/v1/oauth/token",
        data={"grant_type": "client_credentials", "purpose": "signalering"},
        auth=creds.basic(),
    )
    assert again.status_code == 401 and again.json()["error"] == "invalid_client"
    listed = client.get("/v1/partners/kinderwerk-noord/clients", headers=bearer(admin_token)).json()
    mine = next(c for c in listed["items"] if c["clientId"] == creds.client_id)
    assert mine["status"] == "revoked" and mine["revokedAt"]
    assert audit_events(runtime, action="client.revoke", outcome="allow")


def test_revoking_a_client_of_another_partner_is_404(client: TestClient, admin_token: str) -> None:
    make_partner(client, admin_token, id="kinderwerk-noord")
    make_partner(client, admin_token, id="obs-de-linde", kind="school")
    creds = make_client(client, admin_token, partner="kinderwerk-noord")
    response = client.delete(
        f"/v1/partners/obs-de-linde/clients/{creds.client_id}", headers=bearer(admin_token)
    )
    assert response.status_code == 404 and response.json()["code"] == "client_not_found"
    assert (
        client.delete(
            "/v1/partners/obs-de-linde/clients/cl_nope", headers=bearer(admin_token)
        ).status_code
        == 404
    )
