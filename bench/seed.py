"""Seeding a running wijkdeel through its public surface, as API.md's story does.

`wijkdeel bootstrap --json` gives the one admin credential; everything else goes over HTTP: the
three partners, the agreement (API.md's example, valid around today), a `private_key_jwt` client
for each party, with which each accepts the agreement; the tokens of kinderwerk (the sender) and
the wijkteam (the recipient) with purpose
`signalering`, and signals about a set of children (some children have two or three, so reads
find related signals as in real life).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import random
import secrets
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jose import jws as jose_jws
from jose import jwt as jose_jwt

from bench.load import ASSERTION_TYPE, elfproef_bsn, signal_body
from bench.server import ServiceError, Wijkdeel

PURPOSE = "signalering"
PARTNERS = [
    ("kinderwerk-noord", "kinderwerk"),
    ("obs-de-linde", "school"),
    ("wijkteam-noord", "wijkteam"),
]


@dataclass
class Client:
    client_id: str
    partner: str
    private_pem: str
    kid: str

    def assertion(self, issuer: str) -> str:
        now = int(time.time())
        claims = {
            "iss": self.client_id,
            "sub": self.client_id,
            "aud": f"{issuer}/v1/oauth/token",
            "iat": now,
            "exp": now + 60,
            "jti": secrets.token_urlsafe(16),
        }
        return jose_jwt.encode(
            claims, self.private_pem, algorithm="ES256", headers={"kid": self.kid}
        )


@dataclass
class World:
    base: str
    admin_token: str
    kinderwerk: Client
    wijkteam: Client
    writer_token: str  # kinderwerk, purpose signalering
    reader_token: str  # wijkteam, purpose signalering
    signal_ids: list[str] = field(default_factory=list)

    def reader_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.reader_token}"}

    def writer_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.writer_token}"}


def ec_key() -> tuple[str, dict[str, Any]]:
    """A fresh P-256 key: (private PEM, public JWK)."""
    private = ec.generate_private_key(ec.SECP256R1())
    numbers = private.public_key().public_numbers()

    def b64(value: int) -> str:
        return base64.urlsafe_b64encode(value.to_bytes(32, "big")).rstrip(b"=").decode()

    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return pem, {"kty": "EC", "crv": "P-256", "x": b64(numbers.x), "y": b64(numbers.y)}


def agreement() -> dict[str, Any]:
    """API.md's example agreement, valid from a month ago for three years."""
    from api.schemas.agreements import EXAMPLE

    document: dict[str, Any] = json.loads(json.dumps(EXAMPLE))
    today = date.today()
    document["validFrom"] = (today - timedelta(days=30)).isoformat()
    document["validUntil"] = (today + timedelta(days=3 * 365)).isoformat()
    return document


def _check(response: httpx.Response, expected: int = 200) -> dict[str, Any]:
    if response.status_code != expected:
        raise ServiceError(
            f"{response.request.method} {response.request.url.path} answered "
            f"{response.status_code}: {response.text[:500]}"
        )
    return dict(response.json())


def token_for(http: httpx.Client, base: str, client: Client, purpose: str = PURPOSE) -> str:
    form = {
        "grant_type": "client_credentials",
        "purpose": purpose,
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": client.assertion(base),
    }
    return str(_check(http.post(f"{base}/v1/oauth/token", data=form))["access_token"])


def world(installation: Wijkdeel, *, signals: int, http: httpx.Client | None = None) -> World:
    """Partners, agreement, clients, tokens and `signals` signals on a served installation (or
    through `http`, e.g. a TestClient of an in-process app on the same database)."""
    base = installation.base
    admin = json.loads(installation.cli("bootstrap", "--json").stdout)
    in_process = http is not None
    owned = contextlib.nullcontext(http) if http is not None else httpx.Client(timeout=60)
    with owned as http:
        form = {"grant_type": "client_credentials"}
        answer = http.post(
            f"{base}/v1/oauth/token", data=form, auth=(admin["clientId"], admin["clientSecret"])
        )
        admin_token = str(_check(answer)["access_token"])
        headers = {"Authorization": f"Bearer {admin_token}"}
        for partner_id, kind in PARTNERS:
            body = {"id": partner_id, "name": partner_id.replace("-", " ").title(), "kind": kind}
            _check(http.post(f"{base}/v1/partners", json=body, headers=headers), 201)
        written = _check(http.post(f"{base}/v1/agreements", json=agreement(), headers=headers), 201)
        clients = {}
        for partner_id in written["parties"]:
            pem, public = ec_key()
            kid = f"bench-{secrets.token_hex(3)}"
            body = {"role": "partner", "jwks": {"keys": [{**public, "kid": kid}]}}
            answer = http.post(
                f"{base}/v1/partners/{partner_id}/clients", json=body, headers=headers
            )
            clients[partner_id] = Client(_check(answer, 201)["clientId"], partner_id, pem, kid)
        for signer in clients.values():
            accept(http, base, signer, written["id"], written["version"])
        kinderwerk, wijkteam = clients["kinderwerk-noord"], clients["wijkteam-noord"]
        result = World(
            base=base,
            admin_token=admin_token,
            kinderwerk=kinderwerk,
            wijkteam=wijkteam,
            writer_token=token_for(http, base, kinderwerk),
            reader_token=token_for(http, base, wijkteam),
        )
        if in_process:
            result.signal_ids = [send_one(http, result, bsn) for bsn in _bsns(signals, 11)]
    if not in_process:
        result.signal_ids = send_signals(result, signals)
    return result


def accept(http: httpx.Client, base: str, signer: Client, agreement_id: str, version: int) -> None:
    """The party accepts the version: a statement signed with its client's key over the
    version's contentHash (a proposed version is active once every party has)."""
    form = {
        "grant_type": "client_credentials",
        "scope": "agreements:accept",
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": signer.assertion(base),
    }
    headers = {
        "Authorization": "Bearer "
        + str(_check(http.post(f"{base}/v1/oauth/token", data=form))["access_token"])
    }
    path = f"{base}/v1/agreements/{agreement_id}/versions/{version}"
    statement = {
        "agreement": agreement_id,
        "version": version,
        "contentHash": _check(http.get(path, headers=headers))["contentHash"],
        "decision": "accept",
    }
    signature = jose_jws.sign(
        statement,
        signer.private_pem,
        algorithm="ES256",
        headers={"kid": signer.kid, "typ": "wijkdeel-acceptance+jws"},
    )
    body = {"decision": "accept", "signature": signature}
    _check(http.post(f"{path}/acceptance", json=body, headers=headers), 201)


def _bsns(count: int, seed: int) -> list[str]:
    """`count` BSNs over count·¾ children."""
    rng = random.Random(seed)
    children = [elfproef_bsn(rng, first=1) for _ in range(max(1, count * 3 // 4))]
    bsns = children + [rng.choice(children) for _ in range(count - len(children))]
    rng.shuffle(bsns)
    return bsns


def send_signals(world: World, count: int, *, concurrency: int = 16, seed: int = 11) -> list[str]:
    """`count` signals from kinderwerk to the wijkteam, about count·¾ children."""
    return asyncio.run(_send(world, _bsns(count, seed), concurrency))


def send_one(http: httpx.Client, world: World, bsn: str) -> str:
    headers = {**world.writer_headers(), "Content-Type": "application/json"}
    response = http.post(f"{world.base}/v1/signals", content=signal_body(bsn), headers=headers)
    return str(_check(response, 201)["id"])


async def _send(world: World, bsns: list[str], concurrency: int) -> list[str]:
    headers = {**world.writer_headers(), "Content-Type": "application/json"}
    ids: list[str] = []
    queue = list(reversed(bsns))
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=world.base, timeout=60, limits=limits) as http:

        async def sender() -> None:
            while queue:
                bsn = queue.pop()
                response = await http.post("/v1/signals", content=signal_body(bsn), headers=headers)
                ids.append(_check(response, 201)["id"])

        await asyncio.gather(*(sender() for _ in range(concurrency)))
    return ids


def check_read(world: World) -> dict[str, Any]:
    """One authorized read: 200 with all four content fields, or a clear error."""
    with httpx.Client(timeout=30) as http:
        answer = _check(
            http.get(
                f"{world.base}/v1/signals/{world.signal_ids[0]}", headers=world.reader_headers()
            )
        )
    missing = [f for f in ("subject", "summary", "details", "contact") if f not in answer]
    if missing:
        raise ServiceError(f"the authorized read lacks {missing}: the bench would measure less")
    return answer
