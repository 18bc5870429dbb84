"""Tokens: issuing with both client authentication methods, and every attack RFC 8725 names."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from jose import jwt as jose_jwt

from api.app import create_app
from core.clock import FrozenClock
from tests.factories import (
    ASSERTION_TYPE,
    Credentials,
    InProcess,
    assertion,
    audit_events,
    bearer,
    counted_refusals,
    ec_key,
    make_client,
    make_neighbourhood,
    oauth_client,
    token,
)
from wijkdeel.runtime import Runtime, build_runtime

TOKEN_URL = "/v1/oauth/token"


@pytest.fixture
def partner(client: TestClient, admin_token: str) -> str:
    make_neighbourhood(client, admin_token)
    return "kinderwerk-noord"


@pytest.fixture
def secret_client(client: TestClient, admin_token: str, partner: str) -> Credentials:
    return make_client(client, admin_token, partner=partner)


@pytest.fixture
def key_client(client: TestClient, admin_token: str, partner: str) -> Credentials:
    return make_client(client, admin_token, partner=partner, method="private_key_jwt")


def _assertion_form(creds: Credentials, **claims: Any) -> dict[str, str]:
    return {
        "grant_type": "client_credentials",
        "purpose": "signalering",
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": assertion(creds, **claims),
    }


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_token_claims_follow_rfc_9068(client: TestClient, secret_client: Credentials) -> None:
    response = client.post(
        TOKEN_URL,
        data={"grant_type": "client_credentials", "purpose": "signalering"},
        auth=secret_client.basic(),
    )
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    answer = response.json()
    assert answer["token_type"] == "Bearer" and answer["expires_in"] == 300
    assert answer["purpose"] == "signalering"
    assert answer["scope"] == (
        "signals:read signals:write consents:read consents:write subscriptions subjects:access"
    )
    header = jose_jwt.get_unverified_header(answer["access_token"])
    assert header["alg"] == "ES256" and header["typ"] == "at+jwt" and header["kid"]
    jwks = client.get("/.well-known/jwks.json").json()
    claims = jose_jwt.decode(
        answer["access_token"],
        jwks,
        algorithms=["ES256"],
        audience="http://testserver/v1",
        issuer="http://testserver",
    )
    assert claims["sub"] == claims["client_id"] == secret_client.client_id
    assert claims["partner"] == "kinderwerk-noord" and claims["role"] == "partner"
    assert claims["exp"] - claims["iat"] == 300 and claims["purpose"] == "signalering"
    assert len(base64.urlsafe_b64decode(claims["jti"] + "==")) * 8 >= 128
    me = client.get("/v1/me", headers=bearer(answer["access_token"])).json()
    assert me == {
        "clientId": secret_client.client_id,
        "partner": "kinderwerk-noord",
        "role": "partner",
        "scope": "consents:read consents:write signals:read signals:write subjects:access "
        "subscriptions",
        "purpose": "signalering",
        "expiresAt": me["expiresAt"],
    }


def test_private_key_jwt_issues_a_token_and_refuses_a_replay(
    client: TestClient, key_client: Credentials, runtime: Runtime
) -> None:
    form = _assertion_form(key_client)
    assert client.post(TOKEN_URL, data=form).status_code == 200
    replay = client.post(TOKEN_URL, data=form)
    assert replay.status_code == 401 and replay.json()["error"] == "invalid_client"
    assert "already used" in replay.json()["error_description"]
    # The replayed assertion's signature holds, so the refusal names the client it was for.
    events = audit_events(runtime, action="token.issue")
    mine = [e for e in events if e["client_id"] == key_client.client_id]
    assert [(e["outcome"], e["reason"]) for e in mine] == [
        ("allow", None),
        ("deny", "invalid_client"),
    ]


def test_assertion_replay_is_refused_by_another_process(
    client: TestClient, key_client: Credentials, runtime: Runtime, settings: Any, clock: FrozenClock
) -> None:
    """Two processes share only the database: a second runtime and app stand in for the other."""
    form = _assertion_form(key_client)
    assert client.post(TOKEN_URL, data=form).status_code == 200
    other: FastAPI = create_app(build_runtime(settings, db=runtime.db, clock=clock))
    with TestClient(other) as other_client:
        replay = other_client.post(TOKEN_URL, data=form)
    assert replay.status_code == 401 and replay.json()["error"] == "invalid_client"


@pytest.mark.parametrize(
    "claims",
    [
        {"audience": "https://elsewhere.example/token"},
        {"lifetime": 3600 + 31},
        {"lifetime": -120},
        {"iss": "cl_someoneelse"},
        {"sub": "cl_someoneelse"},
        {"jti": ""},
        {"nbf": "+600"},  # seconds from when the test runs, not from when it was collected
    ],
    ids=["wrong-aud", "exp-too-far", "expired", "wrong-iss", "wrong-sub", "no-jti", "nbf-future"],
)
def test_bad_assertions_are_invalid_client(
    client: TestClient, key_client: Credentials, claims: dict[str, Any], runtime: Runtime
) -> None:
    ahead = [name for name, value in claims.items() if str(value).startswith("+")]
    claims = {**claims, **{name: int(time.time()) + int(claims[name]) for name in ahead}}
    response = client.post(TOKEN_URL, data=_assertion_form(key_client, **claims))
    assert response.status_code == 401, response.text
    assert response.json()["error"] == "invalid_client"
    # An assertion that does not verify names nobody: the refusal is counted.
    [counted] = counted_refusals(client, runtime, action="token.issue", outcome="deny")
    assert counted["count"] == 1 and counted["reason"] == "invalid_client"
    assert counted["client_id"] is None


def test_authlib_gets_tokens_with_its_defaults_by_both_methods(
    client: TestClient, key_client: Credentials, secret_client: Credentials
) -> None:
    """Authlib signs assertions valid for an hour, addressed to the URL it calls."""
    for creds in (key_client, secret_client):
        with oauth_client(creds, transport=InProcess(client)) as oauth:
            answer = oauth.fetch_token(
                "http://testserver/v1/oauth/token",
                grant_type="client_credentials",
                purpose="signalering",
            )
            me = oauth.get("http://testserver/v1/me")
        assert answer["token_type"] == "Bearer" and answer["purpose"] == "signalering"
        assert me.status_code == 200 and me.json()["clientId"] == creds.client_id


def test_an_assertion_is_remembered_until_it_expires(
    client: TestClient, key_client: Credentials, runtime: Runtime, clock: FrozenClock
) -> None:
    from wijkdeel.worker import purge_expired_token_records

    form = _assertion_form(key_client, lifetime=3600, now=clock().timestamp())
    assert client.post(TOKEN_URL, data=form).status_code == 200
    clock.advance(seconds=3500)
    purge_expired_token_records(runtime)
    replay = client.post(TOKEN_URL, data=form)
    assert replay.status_code == 401 and "already used" in replay.json()["error_description"]


def test_the_assertion_lifetime_is_a_setting(
    key_client: Credentials, runtime: Runtime, settings: Any, clock: FrozenClock
) -> None:
    strict = settings.model_copy(update={"assertion_max_lifetime": 300})
    with TestClient(create_app(build_runtime(strict, db=runtime.db, clock=clock))) as other:
        now = clock().timestamp()
        refused = other.post(TOKEN_URL, data=_assertion_form(key_client, lifetime=600, now=now))
        accepted = other.post(TOKEN_URL, data=_assertion_form(key_client, lifetime=300, now=now))
    assert refused.status_code == 401 and "exp too far" in refused.json()["error_description"]
    assert accepted.status_code == 200


def test_assertion_signed_with_another_key_none_or_hs256_is_refused(
    client: TestClient, key_client: Credentials
) -> None:
    other_pem, _ = ec_key()
    forged = Credentials(
        key_client.client_id,
        key_client.partner,
        "partner",
        private_pem=other_pem,
        kid=key_client.kid,
    )
    header_claims = {
        "iss": key_client.client_id,
        "sub": key_client.client_id,
        "aud": "http://testserver/v1/oauth/token",
        "exp": int(time.time()) + 60,
        "jti": "x1",
    }
    unsigned = _b64({"alg": "none", "typ": "JWT"}) + "." + _b64(header_claims) + "."
    hs256 = jose_jwt.encode(header_claims, "secret", algorithm="HS256")
    for bad in [assertion(forged), unsigned, hs256]:
        form = {
            "grant_type": "client_credentials",
            "purpose": "signalering",
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": bad,
        }
        response = client.post(TOKEN_URL, data=form)
        assert response.status_code == 401 and response.json()["error"] == "invalid_client"


def test_wrong_secret_and_unknown_client_get_the_same_answer(
    client: TestClient, secret_client: Credentials
) -> None:
    form = {"grant_type": "client_credentials", "purpose": "signalering"}
    wrong = client.post(TOKEN_URL, data=form, auth=(secret_client.client_id, "wds_wrong"))
    unknown = client.post(TOKEN_URL, data=form, auth=("cl_unknown", "wds_wrong"))
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.headers["www-authenticate"].startswith("Basic")
    none = client.post(TOKEN_URL, data=form)
    assert none.status_code == 401 and none.json()["error"] == "invalid_client"


@pytest.mark.parametrize(
    ("form", "error"),
    [
        ({"grant_type": "password", "purpose": "signalering"}, "unsupported_grant_type"),
        ({"purpose": "signalering"}, "invalid_request"),
        ({"grant_type": "client_credentials"}, "invalid_request"),
        (
            {"grant_type": "client_credentials", "purpose": "signalering", "scope": "admin"},
            "invalid_scope",
        ),
        ({"grant_type": "client_credentials", "purpose": "Signalering!"}, "invalid_scope"),
    ],
)
def test_token_request_errors(
    client: TestClient,
    secret_client: Credentials,
    form: dict[str, str],
    error: str,
    runtime: Runtime,
) -> None:
    response = client.post(TOKEN_URL, data=form, auth=secret_client.basic())
    assert response.status_code == 400, response.text
    assert response.json()["error"] == error
    assert response.headers["content-type"] == "application/json"
    denied = audit_events(runtime, action="token.issue", outcome="deny")
    assert (
        denied
        and denied[-1]["reason"] == error
        and denied[-1]["client_id"] == secret_client.client_id
    )


def test_malformed_token_requests(client: TestClient, secret_client: Credentials) -> None:
    as_json = client.post(
        TOKEN_URL, json={"grant_type": "client_credentials"}, auth=secret_client.basic()
    )
    assert as_json.status_code == 400 and as_json.json()["error"] == "invalid_request"
    twice = client.post(
        TOKEN_URL,
        content=b"grant_type=client_credentials&grant_type=client_credentials&purpose=x1",
        headers={"content-type": "application/x-www-form-urlencoded"},
        auth=secret_client.basic(),
    )
    assert twice.status_code == 400 and "more than once" in twice.json()["error_description"]
    both = client.post(
        TOKEN_URL,
        data={
            "grant_type": "client_credentials",
            "client_assertion": "a.b.c",
            "client_assertion_type": ASSERTION_TYPE,
        },
        auth=secret_client.basic(),
    )
    assert both.status_code == 400 and both.json()["error"] == "invalid_request"


def test_problem_json_is_negotiable_at_the_token_endpoint(client: TestClient) -> None:
    response = client.post(
        TOKEN_URL,
        data={"grant_type": "client_credentials"},
        headers={"accept": "application/problem+json"},
    )
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert (
        body["error"] == body["code"] == "invalid_client"
        and body["status"] == 401
        and body["title"]
    )


def test_scope_can_be_narrowed_and_admin_takes_no_purpose(
    client: TestClient, secret_client: Credentials, admin: Credentials
) -> None:
    narrow = token(client, secret_client, purpose="signalering", scope="signals:read")
    assert client.get("/v1/me", headers=bearer(narrow)).json()["scope"] == "signals:read"
    with_purpose = client.post(
        TOKEN_URL,
        data={"grant_type": "client_credentials", "purpose": "signalering"},
        auth=admin.basic(),
    )
    assert with_purpose.status_code == 400 and with_purpose.json()["error"] == "invalid_request"


def _sign(claims: dict[str, Any], runtime: Runtime, **header: Any) -> str:
    keyset = runtime.signing_keys.current()
    return jose_jwt.encode(
        claims,
        keyset.signer,
        algorithm="ES256",
        headers={"kid": keyset.signer_kid, "typ": "at+jwt", **header},
    )


def _claims(creds: Credentials, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "iss": "http://testserver",
        "sub": creds.client_id,
        "aud": "http://testserver/v1",
        "iat": now,
        "nbf": now,
        "exp": now + 300,
        "jti": "j" * 24,
        "client_id": creds.client_id,
        "partner": creds.partner,
        "role": creds.role,
        "scope": "signals:read",
        "purpose": "signalering",
    }
    claims.update(overrides)
    return {name: value for name, value in claims.items() if value is not None}


def test_forged_and_malformed_access_tokens_are_refused(
    client: TestClient, secret_client: Credentials, runtime: Runtime
) -> None:
    good = _sign(_claims(secret_client), runtime)
    assert client.get("/v1/me", headers=bearer(good)).status_code == 200
    public_jwk = client.get("/.well-known/jwks.json").json()["keys"][0]
    other_pem, _ = ec_key()
    attacks = {
        "alg-none": _b64({"alg": "none", "typ": "at+jwt"})
        + "."
        + _b64(_claims(secret_client))
        + ".",
        "hs256-with-public-key": jose_jwt.encode(
            _claims(secret_client),
            json.dumps(public_jwk),
            algorithm="HS256",
            headers={"typ": "at+jwt"},
        ),
        "plain-jwt-typ": _sign(_claims(secret_client), runtime, typ="JWT"),
        "jku-header": _sign(_claims(secret_client), runtime, jku="https://attacker.example/jwks"),
        "jwk-header": _sign(_claims(secret_client), runtime, jwk=public_jwk),
        "x5u-header": _sign(_claims(secret_client), runtime, x5u="https://attacker.example/cert"),
        "crit-header": _sign(_claims(secret_client), runtime, crit=["exp"]),
        "too-large": _sign(_claims(secret_client, padding="x" * 9000), runtime),
        "wrong-aud": _sign(_claims(secret_client, aud="https://elsewhere.example"), runtime),
        "wrong-iss": _sign(_claims(secret_client, iss="https://elsewhere.example"), runtime),
        "expired": _sign(_claims(secret_client, exp=int(time.time()) - 120), runtime),
        "not-yet": _sign(_claims(secret_client, nbf=int(time.time()) + 600), runtime),
        "no-jti": _sign(_claims(secret_client, jti=None), runtime),
        "no-client-id": _sign(_claims(secret_client, client_id=None), runtime),
        "unknown-key": jose_jwt.encode(
            _claims(secret_client),
            other_pem,
            algorithm="ES256",
            headers={"kid": "nope", "typ": "at+jwt"},
        ),
        "garbage": "not.a.token",
    }
    for name, forged in attacks.items():
        response = client.get("/v1/me", headers=bearer(forged))
        assert response.status_code == 401, name
        assert response.json()["code"] == "invalid_token", name
    denials = counted_refusals(client, runtime, action="me.read", outcome="deny")
    assert sum(d["count"] for d in denials) == len(attacks)
    assert {d["reason"] for d in denials} == {"invalid_token"}


def test_expiry_follows_the_injected_clock(
    client: TestClient, secret_client: Credentials, clock: FrozenClock
) -> None:
    access = token(client, secret_client, purpose="signalering")
    assert client.get("/v1/me", headers=bearer(access)).status_code == 200
    clock.advance(seconds=300 + 31)
    expired = client.get("/v1/me", headers=bearer(access))
    assert expired.status_code == 401 and "expired" in expired.json()["detail"]


def test_revocation_ends_a_token_at_once(
    client: TestClient, secret_client: Credentials, admin: Credentials
) -> None:
    access = token(client, secret_client, purpose="signalering")
    by_other = client.post("/v1/oauth/revoke", data={"token": access}, auth=admin.basic())
    assert by_other.status_code == 400 and by_other.json()["error"] == "unauthorized_client"
    assert client.get("/v1/me", headers=bearer(access)).status_code == 200
    revoked = client.post("/v1/oauth/revoke", data={"token": access}, auth=secret_client.basic())
    assert revoked.status_code == 200
    refused = client.get("/v1/me", headers=bearer(access))
    assert refused.status_code == 401 and refused.json()["code"] == "invalid_token"
    unknown = client.post("/v1/oauth/revoke", data={"token": "garbage"}, auth=secret_client.basic())
    assert unknown.status_code == 200
    missing = client.post("/v1/oauth/revoke", data={}, auth=secret_client.basic())
    assert missing.status_code == 400


def test_introspection(
    client: TestClient, secret_client: Credentials, admin: Credentials, admin_token: str
) -> None:
    access = token(client, secret_client, purpose="signalering")
    own = client.post(
        "/v1/oauth/introspect", data={"token": access}, auth=secret_client.basic()
    ).json()
    assert own["active"] is True and own["client_id"] == secret_client.client_id
    assert own["purpose"] == "signalering" and own["token_type"] == "Bearer"
    by_admin = client.post(
        "/v1/oauth/introspect", data={"token": access}, auth=admin.basic()
    ).json()
    assert by_admin["active"] is True
    stranger = make_client(client, admin_token, partner="obs-de-linde")
    hidden = client.post(
        "/v1/oauth/introspect", data={"token": access}, auth=stranger.basic()
    ).json()
    assert hidden == {"active": False}
    client.post("/v1/oauth/revoke", data={"token": access}, auth=secret_client.basic())
    after = client.post(
        "/v1/oauth/introspect", data={"token": access}, auth=secret_client.basic()
    ).json()
    assert after == {"active": False}
    anonymous = client.post("/v1/oauth/introspect", data={"token": access})
    assert anonymous.status_code == 401


def test_signing_key_rotation_keeps_old_tokens_valid_until_they_expire(
    client: TestClient, secret_client: Credentials, runtime: Runtime, clock: FrozenClock
) -> None:
    from auth.keys import create_signing_key

    old_token = token(client, secret_client, purpose="signalering")
    old_kid = jose_jwt.get_unverified_header(old_token)["kid"]
    with runtime.db.session() as session:
        new_kid = create_signing_key(session, runtime.keyrings.get(), clock())
    runtime.signing_keys.reload()
    kids = {key["kid"] for key in client.get("/.well-known/jwks.json").json()["keys"]}
    assert kids == {old_kid, new_kid}
    new_token = token(client, secret_client, purpose="signalering")
    assert jose_jwt.get_unverified_header(new_token)["kid"] == new_kid
    assert client.get("/v1/me", headers=bearer(old_token)).status_code == 200
    clock.advance(seconds=300 + 91)
    runtime.signing_keys.reload()
    kids = {key["kid"] for key in client.get("/.well-known/jwks.json").json()["keys"]}
    assert kids == {new_kid}
    assert all("d" not in key for key in client.get("/.well-known/jwks.json").json()["keys"])


def test_first_keys_are_audited(client: TestClient, runtime: Runtime) -> None:
    actions = {e["action"] for e in audit_events(runtime, role="system")}
    assert {"key.create_master", "key.create_signing"} <= actions


def test_discovery_metadata(client: TestClient) -> None:
    metadata = client.get("/.well-known/oauth-authorization-server").json()
    assert metadata["issuer"] == "http://testserver"
    assert metadata["token_endpoint"] == "http://testserver/v1/oauth/token"
    assert metadata["token_endpoint_auth_signing_alg_values_supported"] == ["ES256"]
    assert set(metadata["token_endpoint_auth_methods_supported"]) == {
        "private_key_jwt",
        "client_secret_basic",
    }
