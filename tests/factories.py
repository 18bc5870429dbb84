"""Keyword-only helpers that set up the world through the public surface (HTTP) where they can."""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

import httpx2
from authlib.integrations.httpx_client import OAuth2Client
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient
from jose import jwt as jose_jwt
from joserfc.jwk import ECKey

from audit.events import AuditDraft, record
from auth.secrets import new_secret
from records import partners
from records.models import Partner
from wijkdeel.runtime import Runtime

T = TypeVar("T")
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@dataclass
class Credentials:
    client_id: str
    partner: str
    role: str
    secret: str | None = None
    private_pem: str | None = None
    kid: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def basic(self) -> tuple[str, str]:
        assert self.secret is not None
        return (self.client_id, self.secret)


def ec_key() -> tuple[str, dict[str, Any]]:
    """A fresh P-256 key: (private PEM, public JWK without kid)."""
    private = ec.generate_private_key(ec.SECP256R1())
    numbers = private.public_key().public_numbers()

    def b64(value: int) -> str:
        return base64.urlsafe_b64encode(value.to_bytes(32, "big")).rstrip(b"=").decode()

    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return pem, {"kty": "EC", "crv": "P-256", "x": b64(numbers.x), "y": b64(numbers.y)}


def bootstrap_admin(runtime: Runtime, *, partner: str = "gemeente") -> Credentials:
    """What `wijkdeel bootstrap` does: the one credential that cannot come from the API."""
    secret = new_secret()
    with runtime.db.session() as session:
        now = runtime.now()
        if session.get(Partner, partner) is None:
            partners.create_partner(session, id=partner, name="Gemeente", kind="gemeente", now=now)
        client = partners.create_client(
            session,
            partner_id=partner,
            role="admin",
            auth_method="client_secret_basic",
            secret_hash=runtime.hasher.hash(secret),
            jwks=None,
            now=now,
        )
        record(session, AuditDraft(action="client.create", at=now, role="operator"), "allow")
        return Credentials(client.id, partner, "admin", secret=secret)


class InProcess(httpx2.BaseTransport):
    """Carries an integrator's HTTP client's requests to the in-process app of a TestClient."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        answer = self.client.request(
            request.method,
            str(request.url),
            headers=list(request.headers.multi_items()),
            content=request.read(),
        )
        return httpx2.Response(
            answer.status_code, headers=answer.headers.multi_items(), content=answer.content
        )


def oauth_client(
    creds: Credentials, *, transport: httpx2.BaseTransport | None = None, scope: str | None = None
) -> OAuth2Client:
    """Authlib's OAuth 2 client for these credentials, set up as an integrator would: a client
    secret for client_secret_basic, or the private key for private_key_jwt (ES256; everything
    else, such as the assertion's lifetime and audience, left at Authlib's defaults)."""
    if creds.private_pem:
        parameters = {"kid": creds.kid} if creds.kid else None
        key = ECKey.import_key(creds.private_pem, parameters)
        return OAuth2Client(
            creds.client_id,
            key,
            token_endpoint_auth_method=PrivateKeyJWT(alg="ES256"),
            scope=scope,
            transport=transport,
        )
    return OAuth2Client(
        creds.client_id,
        creds.secret,
        token_endpoint_auth_method="client_secret_basic",
        scope=scope,
        transport=transport,
    )


def token(
    client: TestClient, creds: Credentials, *, purpose: str | None = None, scope: str | None = None
) -> str:
    """An access token obtained with Authlib, by the credentials' authentication method."""
    extra = {"purpose": purpose} if purpose else {}
    with oauth_client(creds, transport=InProcess(client), scope=scope) as oauth:
        answer = oauth.fetch_token(
            f"{client.base_url}/v1/oauth/token", grant_type="client_credentials", **extra
        )
    return str(answer["access_token"])


def assertion(
    creds: Credentials,
    *,
    audience: str = "http://testserver/v1/oauth/token",
    lifetime: int = 60,
    jti: str | None = None,
    now: float | None = None,
    **overrides: Any,
) -> str:
    moment = int(now if now is not None else time.time())
    claims = {
        "iss": creds.client_id,
        "sub": creds.client_id,
        "aud": audience,
        "iat": moment,
        "exp": moment + lifetime,
        "jti": jti if jti is not None else secrets.token_urlsafe(16),
    }
    claims.update(overrides)
    headers = {"kid": creds.kid} if creds.kid else None
    assert creds.private_pem is not None
    return jose_jwt.encode(claims, creds.private_pem, algorithm="ES256", headers=headers)


def bearer(access_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {access_token}"}


def make_partner(
    client: TestClient,
    admin_token: str,
    *,
    id: str | None = None,
    kind: str = "kinderwerk",
    name: str | None = None,
) -> dict[str, Any]:
    partner_id = id or f"p-{uuid.uuid4().hex[:8]}"
    response = client.post(
        "/v1/partners",
        json={"id": partner_id, "name": name or partner_id.title(), "kind": kind},
        headers=bearer(admin_token),
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def make_client(
    client: TestClient,
    admin_token: str,
    *,
    partner: str,
    role: str = "partner",
    method: str = "client_secret_basic",
) -> Credentials:
    if method == "client_secret_basic":
        body: dict[str, Any] = {"role": role, "authMethod": "client_secret_basic"}
        pem, kid = None, None
    else:
        pem, public = ec_key()
        kid = f"k-{uuid.uuid4().hex[:6]}"
        body = {"role": role, "jwks": {"keys": [{**public, "kid": kid}]}}
    response = client.post(
        f"/v1/partners/{partner}/clients", json=body, headers=bearer(admin_token)
    )
    assert response.status_code == 201, response.text
    answer = response.json()
    return Credentials(
        answer["clientId"],
        partner,
        role,
        secret=answer.get("clientSecret"),
        private_pem=pem,
        kid=kid,
    )


def audit_events(runtime: Runtime, **where: Any) -> list[dict[str, Any]]:
    """Every audit event (sealed first), optionally filtered by column values, in chain order."""
    from sqlalchemy import select

    from audit.chain import events, seal_all

    seal_all(runtime.db)
    query = select(events).order_by(events.c.seq)
    for name, value in where.items():
        query = query.where(events.c[name] == value)
    with runtime.db.engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


def audit_ref(runtime: Runtime, bsn: str) -> str:
    """The child's audit pseudonym: what records and audit events hold (partners each see a
    pseudonym of their own)."""
    return runtime.subjects.identify(bsn)[1]


def partner_ref(runtime: Runtime, partner: str, bsn: str) -> str:
    """The child's subjectRef as `partner` sees it."""
    return runtime.subjects.partner_ref(partner, runtime.subjects.blind_index(bsn))


def run_async(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to its end on an event loop of its own, in a thread of its own (the
    test's thread may already run one, as Playwright's does)."""
    result: list[T] = []
    errors: list[BaseException] = []

    def main() -> None:
        try:
            result.append(asyncio.run(make()))
        except BaseException as error:
            errors.append(error)

    thread = threading.Thread(target=main)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return result[0]


def counted_refusals(client: Any, runtime: Runtime, **where: Any) -> list[dict[str, Any]]:
    """The events of refusals nobody could be named for: they are counted per source, action,
    reason and minute, and written once the minute is over - here at once."""
    run_async(partial(runtime.units.flush_refusals, everything=True))
    return [e for e in audit_events(runtime, **where) if e["count"] is not None]


def example_agreement(**changes: Any) -> dict[str, Any]:
    """API.md's example agreement (a fresh copy), with top-level changes applied."""
    from api.schemas.agreements import EXAMPLE

    return json.loads(json.dumps({**EXAMPLE, **changes}))


def make_agreement(
    client: TestClient, admin_token: str, *, accepted: bool = True, **changes: Any
) -> dict[str, Any]:
    """An agreement written by the admin and, unless `accepted=False`, accepted by every party
    (each with a signing client of its own), so it is active as API.md's example is."""
    response = client.post(
        "/v1/agreements", json=example_agreement(**changes), headers=bearer(admin_token)
    )
    assert response.status_code == 201, response.text
    written = dict(response.json())
    if accepted and written["status"] == "proposed":
        return accept_all(client, admin_token, written["id"], written["version"])
    return written


def acceptor(client: TestClient, admin_token: str, partner: str) -> Credentials:
    """The partner's client that signs acceptances (a registered key), made once per test."""
    made: dict[str, Credentials] = client.__dict__.setdefault("_acceptors", {})
    if partner not in made:
        made[partner] = make_client(client, admin_token, partner=partner, method="private_key_jwt")
    return made[partner]


def accept_token(client: TestClient, creds: Credentials) -> dict[str, str]:
    """A token for deciding on agreements only: no purpose needed. Asserted at the server's
    own time and to its own issuer, so that a test whose clock stands elsewhere, or that serves
    on a port of its own, can still make its agreements."""
    runtime = client.app.state.runtime  # type: ignore[attr-defined]
    form = {
        "grant_type": "client_credentials",
        "scope": "agreements:accept",
        "client_assertion_type": ASSERTION_TYPE,
        # The issuer is an audience the server accepts wherever the test serves it.
        "client_assertion": assertion(
            creds, now=runtime.now().timestamp(), audience=runtime.settings.issuer
        ),
    }
    answer = client.post("/v1/oauth/token", data=form)
    assert answer.status_code == 200, answer.text
    return bearer(str(answer.json()["access_token"]))


def acceptance_signature(
    creds: Credentials,
    agreement_id: str,
    version: int,
    content_hash: str,
    decision: str = "accept",
    **overrides: Any,
) -> str:
    """The statement a party signs: a compact JWS by its client's key."""
    from jose import jws

    payload = {
        "agreement": agreement_id,
        "version": version,
        "contentHash": content_hash,
        "decision": decision,
        **overrides,
    }
    assert creds.private_pem is not None
    headers = {"typ": "wijkdeel-acceptance+jws", **({"kid": creds.kid} if creds.kid else {})}
    return str(jws.sign(payload, creds.private_pem, headers=headers, algorithm="ES256"))


def decide(
    client: TestClient,
    creds: Credentials,
    agreement_id: str,
    version: int,
    decision: str = "accept",
) -> httpx2.Response | Any:
    """One party's decision through HTTP, signed over the version's contentHash."""
    headers = accept_token(client, creds)
    shown = client.get(f"/v1/agreements/{agreement_id}/versions/{version}", headers=headers)
    assert shown.status_code == 200, shown.text
    signature = acceptance_signature(
        creds, agreement_id, version, shown.json()["contentHash"], decision
    )
    return client.post(
        f"/v1/agreements/{agreement_id}/versions/{version}/acceptance",
        json={"decision": decision, "signature": signature},
        headers=headers,
    )


def accept_all(
    client: TestClient, admin_token: str, agreement_id: str, version: int
) -> dict[str, Any]:
    """Every party accepts the version; returns it as it then stands."""
    admin = bearer(admin_token)
    path = f"/v1/agreements/{agreement_id}/versions/{version}"
    for party in client.get(path, headers=admin).json()["parties"]:
        answer = decide(client, acceptor(client, admin_token, party), agreement_id, version)
        assert answer.status_code == 201, answer.text
    return dict(client.get(path, headers=admin).json())


@dataclass
class Neighbourhood:
    """API.md's story: kinderwerk, a school and a wijkteam under one agreement."""

    kinderwerk: Credentials
    school: Credentials
    wijkteam: Credentials
    admin_token: str


def make_neighbourhood(
    client: TestClient,
    admin_token: str,
    *,
    method: str = "client_secret_basic",
    agreement: bool = True,
) -> Neighbourhood:
    for partner_id, kind in [
        ("kinderwerk-noord", "kinderwerk"),
        ("obs-de-linde", "school"),
        ("wijkteam-noord", "wijkteam"),
    ]:
        make_partner(client, admin_token, id=partner_id, kind=kind)
    if agreement:
        make_agreement(client, admin_token)
    return Neighbourhood(
        kinderwerk=make_client(client, admin_token, partner="kinderwerk-noord", method=method),
        school=make_client(client, admin_token, partner="obs-de-linde", method=method),
        wijkteam=make_client(client, admin_token, partner="wijkteam-noord", method=method),
        admin_token=admin_token,
    )


ACTOR_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:jwt"
PETRA = {"sub": "mw-0042", "name": "Petra Jansen", "function": "jongerenwerker"}


def actor_token(
    creds: Credentials,
    *,
    lifetime: int = 60,
    jti: str | None = None,
    now: float | None = None,
    pem: str | None = None,
    **claims: Any,
) -> str:
    """An actor token for a professional of the client's partner (Petra by default), signed
    with the client's key (or `pem`); a claim given as None is left out."""
    moment = int(now if now is not None else time.time())
    body: dict[str, Any] = {
        "iss": creds.client_id,
        **PETRA,
        "email": "petra@kinderwerk.example",
        "iat": moment,
        "exp": moment + lifetime,
        "jti": jti if jti is not None else secrets.token_urlsafe(16),
    }
    body.update(claims)
    body = {name: value for name, value in body.items() if value is not None}
    headers = {"kid": creds.kid} if creds.kid and pem is None else None
    key = pem if pem is not None else creds.private_pem
    assert key is not None
    return jose_jwt.encode(body, key, algorithm="ES256", headers=headers)


def actor_form(
    creds: Credentials, *, purpose: str = "signalering", actor: str | None = None, **claims: Any
) -> dict[str, str]:
    """A token request by private_key_jwt that acts for a professional."""
    return {
        "grant_type": "client_credentials",
        "purpose": purpose,
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": assertion(creds),
        "actor_token": actor if actor is not None else actor_token(creds, **claims),
        "actor_token_type": ACTOR_TOKEN_TYPE,
    }


def professional_token(
    client: TestClient, creds: Credentials, *, purpose: str = "signalering", **claims: Any
) -> str:
    """An access token of a private_key_jwt client acting for a professional."""
    response = client.post("/v1/oauth/token", data=actor_form(creds, purpose=purpose, **claims))
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])
