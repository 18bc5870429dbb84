"""A demo neighbourhood, and API.md's story walked through the real API, step by step.

The seed is idempotent: partners and the agreement are created when missing, and the demo
clients' credentials are kept in var/demo-credentials.json (mode 0600) so `make run` can be
run again. The walk-through talks HTTP to the application in-process.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from audit.events import AuditDraft, record
from auth import jwt, statements
from auth.keys import public_jwk, thumbprint
from auth.secrets import new_secret
from notifications import events
from people import accounts
from policies.acceptance import PROPOSED
from records import acceptances, agreements, partners
from records.models import AgreementRecord, Partner
from wijkdeel.cli.agreements import read_agreement
from wijkdeel.cli.common import operator_event
from wijkdeel.runtime import Runtime

PARTNERS = [
    ("gemeente", "Gemeente (regierol)", "gemeente"),
    ("kinderwerk-noord", "Kinderwerk Noord", "kinderwerk"),
    ("obs-de-linde", "OBS De Linde", "school"),
    ("wijkteam-noord", "Wijkteam Noord", "wijkteam"),
]
CLIENTS = [
    ("admin", "gemeente", "admin"),
    ("auditor", "gemeente", "auditor"),
    ("kinderwerk", "kinderwerk-noord", "partner"),
    ("school", "obs-de-linde", "partner"),
    ("wijkteam", "wijkteam-noord", "partner"),
]
# Each party's signing system: a client with a registered key that accepts agreements for it.
SIGNERS = [
    ("kinderwerk-signer", "kinderwerk-noord"),
    ("school-signer", "obs-de-linde"),
    ("wijkteam-signer", "wijkteam-noord"),
]
# One person per role for the console (development only), with the password they sign in with.
PEOPLE = [
    ("beheerder", "Anna Beheer", "admin"),
    ("auditor", "Bram Controle", "auditor"),
    ("beleid", "Carla Cijfers", "policymaker"),
]
# The agreement the demo seeds (`wijkdeel agreements import` reads the same file).
COVENANT = Path(__file__).resolve().parents[1] / "examples" / "convenant-noord.yaml"
# The wijkteam and the school coordinate around a child: a match, and who has regie.
ZORGOVERLEG = COVENANT.with_name("convenant-zorgoverleg.yaml")
# A made-up child; the BSN passes the elfproef but belongs to no one.
CHILD = {"bsn": "111222333", "name": "Sam de Vries", "birthDate": "2017-03-02"}


def credentials_path(runtime: Runtime) -> Path:
    return runtime.settings.var_dir / "demo-credentials.json"


def seed(runtime: Runtime, agreement: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Create what is missing; return every demo client's id and secret."""
    path = credentials_path(runtime)
    known: dict[str, dict[str, str]] = json.loads(path.read_text()) if path.exists() else {}
    with runtime.db.session() as session:
        now = runtime.now()
        for partner_id, name, kind in PARTNERS:
            if session.get(Partner, partner_id) is None:
                partners.create_partner(session, id=partner_id, name=name, kind=kind, now=now)
                record(
                    session,
                    operator_event(runtime, "partner.create", "partner", partner_id),
                    "allow",
                )
        documents = (agreement, read_agreement(ZORGOVERLEG))
        for document in documents:
            if session.get(AgreementRecord, document["id"]) is None:
                row = agreements.create(session, dict(document), author="operator", now=now)
                event = operator_event(runtime, "agreement.create", "agreement", row.agreement_id)
                event.agreement_id, event.agreement_version = row.agreement_id, row.version
                record(session, event, "allow")
        existing = {c.id for p, *_ in PARTNERS for c in _clients(session, p)}
        for name, partner_id, role in CLIENTS:
            if name in known and known[name]["clientId"] in existing:
                continue
            secret = new_secret()
            client = partners.create_client(
                session,
                partner_id=partner_id,
                role=role,
                auth_method="client_secret_basic",
                secret_hash=runtime.hasher.hash(secret),
                jwks=None,
                now=now,
            )
            record(session, operator_event(runtime, "client.create", "client", client.id), "allow")
            known[name] = {
                "partner": partner_id,
                "role": role,
                "clientId": client.id,
                "clientSecret": secret,
            }
        for name, partner_id in SIGNERS:
            if name in known and known[name]["clientId"] in existing:
                continue
            known[name] = _signer(runtime, session, name, partner_id)
        for document in documents:
            _accept(runtime, session, str(document["id"]), known)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        json.dump(known, handle, indent=2)
    return known


def _signer(runtime: Runtime, session: Any, name: str, partner_id: str) -> dict[str, str]:
    """A party's signing client: its private key stays in the credentials file (0600)."""
    private = ec.generate_private_key(ec.SECP256R1())
    public = public_jwk(private.public_key())
    kid = thumbprint(public)
    client = partners.create_client(
        session,
        partner_id=partner_id,
        role="partner",
        auth_method="private_key_jwt",
        secret_hash=None,
        jwks={"keys": [{**public, "kid": kid}]},
        now=runtime.now(),
    )
    record(session, operator_event(runtime, "client.create", "client", client.id), "allow")
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return {
        "partner": partner_id,
        "role": "partner",
        "clientId": client.id,
        "kid": kid,
        "privateKey": pem,
    }


def _accept(
    runtime: Runtime, session: Any, agreement_id: str, known: dict[str, dict[str, str]]
) -> None:
    """Every party accepts the demo agreement while it is proposed, each signing with the key
    of its own signing client, as a partner system does through the API."""
    row = agreements.get_version(session, agreement_id)
    if row.status != PROPOSED:
        return
    digest = acceptances.version_hash(row)
    for name, partner_id in SIGNERS:
        if partner_id not in agreements.parties(row):
            continue
        signer = known[name]
        expected = statements.Expected(agreement_id, row.version, digest, "accept")
        signature = statements.sign(
            statements.payload_for(expected),
            jwt.private_key(signer["privateKey"].encode()),
            kid=signer["kid"],
        )
        now = runtime.now()
        outcome = acceptances.decide_as_client(
            session,
            agreement_id,
            row.version,
            client_id=signer["clientId"],
            partner=partner_id,
            decision="accept",
            signature=signature,
            now=now,
        )
        event = AuditDraft(
            action="agreement.accept",
            at=now,
            client_id=signer["clientId"],
            partner=partner_id,
            role="partner",
            resource_type="agreement",
            resource_id=agreement_id,
            agreement_id=agreement_id,
            agreement_version=row.version,
        )
        record(session, event, "allow")
        if outcome.changed_to is not None:
            events.agreement_status(
                session, outcome.version, now=now, max_attempts=runtime.max_attempts
            )


def people_path(runtime: Runtime) -> Path:
    return runtime.settings.var_dir / "demo-people.json"


def seed_people(runtime: Runtime) -> dict[str, dict[str, str]]:
    """One person per role with a password and TOTP secret, kept in var/demo-people.json
    (mode 0600); development only: these credentials are printed for anyone to read."""
    if runtime.settings.env != "development":
        return {}
    path = people_path(runtime)
    known: dict[str, dict[str, str]] = json.loads(path.read_text()) if path.exists() else {}
    wanted = [p for p in PEOPLE if p[0] not in known]
    hashes = {}
    passwords = {}
    for username, _, _ in wanted:
        passwords[username] = accounts.one_time_password()
        hashes[username] = runtime.hasher.hash(passwords[username])
    keyring = runtime.keyrings.get()  # before the transaction: a first start creates it
    with runtime.db.session() as session:
        existing = {p.username: p for p in accounts.list_people(session)}
        for username, name, role in PEOPLE:
            if username in known and username in existing:
                continue
            person = existing.get(username) or accounts.add_person(
                session, username=username, display_name=name, role=role, now=runtime.now()
            )
            if username not in passwords:  # in the database, but its password file is gone
                passwords[username] = accounts.one_time_password()
                hashes[username] = runtime.hasher.hash(passwords[username])
            credentials = accounts.set_local_credentials(
                session,
                person,
                password=passwords[username],
                password_hash=hashes[username],
                must_change=False,
                keyring=keyring,
                now=runtime.now(),
            )
            record(
                session,
                operator_event(runtime, "person.create", "person", person.id),
                "allow",
            )
            known[username] = {
                "role": role,
                "name": name,
                "password": credentials.password,
                "totpSecret": credentials.totp_secret,
                "totpUri": credentials.totp_uri,
            }
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        json.dump(known, handle, indent=2)
    return known


def sign_in_help(runtime: Runtime, people: dict[str, dict[str, str]]) -> str:
    """How to sign in to the console as each demo person."""
    if not people:
        return ""
    lines = [
        f"Console: {runtime.settings.issuer}/console — sign in with a username, its password and",
        "the 6-digit code of an authenticator app holding the TOTP secret (or the otpauth URI),",
        "or print the current code with `wijkdeel people code USERNAME` (development only).",
    ]
    for username, entry in people.items():
        lines.append(
            f"  {username:<10} {entry['role']:<12} password {entry['password']}  "
            f"TOTP secret {entry['totpSecret']}"
        )
        lines.append(f"  {'':<10} {entry['totpUri']}")
    return "\n".join(lines)


def _clients(session: Any, partner_id: str) -> list[Any]:
    return list(partners.list_clients(session, partner_id, cursor=None, limit=1000).items)


class Story:
    """Each step prints what a partner did and what the service answered."""

    def __init__(
        self, http: httpx.AsyncClient, creds: dict[str, dict[str, str]], say: Callable[[str], None]
    ) -> None:
        self.http, self.creds, self.say = http, creds, say
        self.step = 0

    async def token(self, who: str, purpose: str | None = None) -> dict[str, str]:
        form = {"grant_type": "client_credentials"} | ({"purpose": purpose} if purpose else {})
        answer = await self.http.post(
            "/v1/oauth/token",
            data=form,
            auth=(self.creds[who]["clientId"], self.creds[who]["clientSecret"]),
        )
        answer.raise_for_status()
        return {"Authorization": f"Bearer {answer.json()['access_token']}"}

    def show(self, title: str, response: httpx.Response, keys: tuple[str, ...] = ()) -> Any:
        self.step += 1
        body = response.json() if response.content else None
        shown = {k: body[k] for k in keys if isinstance(body, dict) and k in body} if keys else body
        answer = json.dumps(shown, ensure_ascii=False)
        self.say(f"\n{self.step}. {title}\n   → {response.status_code} {answer}")
        return body

    async def run(self) -> None:
        admin = await self.token("admin")
        self.show(
            "The convenant is active: every party accepted it with a statement signed by its "
            "own key over the version's contentHash",
            await self.http.get("/v1/agreements/convenant-noord", headers=admin),
            ("version", "status", "contentHash"),
        )
        kw = await self.token("kinderwerk", "signalering")
        created = self.show(
            "Kinderwerk Noord sends a signal about Sam (category opvoeding, purpose signalering)",
            await self.http.post(
                "/v1/signals",
                headers=kw,
                json={
                    "subject": CHILD,
                    "category": "opvoeding",
                    "urgency": "normal",
                    "summary": "Vaak zonder ontbijt naar de club, oogt moe",
                    "details": "Sinds september komt Sam vaak zonder eten.",
                    "contact": {"name": "Petra Jansen", "phone": "06-12345678"},
                },
            ),
            ("id", "recipients", "agreement", "expiresAt"),
        )
        wt = await self.token("wijkteam", "signalering")
        self.show(
            "Wijkteam Noord reads it: every field the rule shares",
            await self.http.get(f"/v1/signals/{created['id']}", headers=wt),
            ("summary", "details", "legalBasis"),
        )
        school = await self.token("school", "afstemming")
        self.show(
            "OBS De Linde was never a recipient: the signal does not exist for it",
            await self.http.get(f"/v1/signals/{created['id']}", headers=school),
            ("code",),
        )
        kw2 = await self.token("kinderwerk", "afstemming")
        school_signal = {
            "subject": CHILD,
            "category": "school",
            "urgency": "low",
            "summary": "Wil graag afstemmen over huiswerkbegeleiding",
            "details": "Alleen voor het wijkteam bedoeld.",
        }
        self.show(
            "Kinderwerk wants to share with the school, but the rule needs consent",
            await self.http.post("/v1/signals", headers=kw2, json=school_signal),
            ("code", "reasons"),
        )
        consent = self.show(
            "A parent consents (written form); kinderwerk records it",
            await self.http.post(
                "/v1/consents",
                headers=kw2,
                json={
                    "subject": {"bsn": CHILD["bsn"], "birthDate": CHILD["birthDate"]},
                    "grantedBy": "guardian",
                    "grantorName": "J. de Vries",
                    "purposes": ["afstemming"],
                    "recipients": ["obs-de-linde"],
                    "categories": ["school"],
                    "validFrom": "2026-01-01",
                    "evidence": {"method": "written", "reference": "formulier 2026-11"},
                },
            ),
            ("id", "status", "subjectRef"),
        )
        shared = self.show(
            "Now the signal reaches the school",
            await self.http.post("/v1/signals", headers=kw2, json=school_signal),
            ("id", "recipients"),
        )
        self.show(
            "The school reads it: subject, summary and contact — no details",
            await self.http.get(f"/v1/signals/{shared['id']}", headers=school),
            ("summary", "details", "legalBasis"),
        )
        self.show(
            "The parent withdraws consent",
            await self.http.post(
                f"/v1/consents/{consent['id']}/withdraw",
                headers=kw2,
                json={"reason": "ouder trekt toestemming in"},
            ),
            ("status",),
        )
        self.show(
            "From the very next request the school's access has ended",
            await self.http.get(f"/v1/signals/{shared['id']}", headers=school),
            ("code", "reasons"),
        )
        self.show(
            "Kinderwerk erases its first signal: the data key is destroyed",
            await self.http.delete(f"/v1/signals/{created['id']}", headers=kw),
        )
        self.show(
            "Reading it now is 410 Gone",
            await self.http.get(f"/v1/signals/{created['id']}", headers=wt),
            ("code",),
        )
        await self.regie()
        auditor = await self.token("auditor")
        self.show(
            "The privacy officer's decision check, without acting",
            await self.http.post(
                "/v1/decisions",
                headers=auditor,
                json={
                    "sender": "kinderwerk-noord",
                    "recipient": "obs-de-linde",
                    "purpose": "afstemming",
                    "category": "school",
                    "subject": {"bsn": CHILD["bsn"]},
                },
            ),
            ("allow", "reasons", "agreement"),
        )
        report = self.show(
            "A parent asks who looked at Sam's data: the privacy officer's subject report",
            await self.http.post(
                "/v1/audit/subject-report", headers=auditor, json={"bsn": CHILD["bsn"]}
            ),
            ("subjectRef",),
        )
        for event in report["items"]:
            self.say(
                f"     {event['at'][11:19]}  {event['partner'] or '-':<17}"
                f" {event['action']:<17} {event['outcome']:<5}"
                f" {event['purpose'] or '':<11} {event['legalBasis'] or ''}"
            )

    async def regie(self) -> None:
        """Issue 14's story: a wijkteam and a school both signal about Sam - a match, which the
        agreement gives the wijkteam to coordinate, and which it hands over to the school."""
        wt = await self.token("wijkteam", "zorgoverleg")
        school = await self.token("school", "zorgoverleg")
        for who, headers, summary in (
            ("Wijkteam Noord", wt, "Gezin vraagt ondersteuning bij de opvoeding"),
            ("OBS De Linde", school, "Sam mist vaak de eerste les"),
        ):
            self.show(
                f"{who} signals about Sam for zorgoverleg",
                await self.http.post(
                    "/v1/signals",
                    headers=headers,
                    json={
                        "subject": CHILD,
                        "category": "opvoeding",
                        "urgency": "normal",
                        "summary": summary,
                    },
                ),
                ("id", "recipients"),
            )
        listed = self.show(
            "A match: the school sees two signals about Sam",
            await self.http.get("/v1/matches", headers=school),
        )
        match = listed["items"][0]["id"]
        self.show(
            "The agreement makes the wijkteam coordinator; the school sees who coordinates",
            await self.http.get(f"/v1/matches/{match}", headers=school),
            ("partners", "coordinator", "status"),
        )
        self.show(
            "The wijkteam proposes to hand regie over to the school",
            await self.http.post(
                f"/v1/matches/{match}/coordination",
                headers=wt,
                json={"action": "handover", "to": "obs-de-linde"},
            ),
            ("coordinator",),
        )
        self.show(
            "The school accepts: it coordinates now",
            await self.http.post(
                f"/v1/matches/{match}/coordination", headers=school, json={"action": "accept"}
            ),
            ("coordinator",),
        )


def walk(runtime: Runtime, agreement: dict[str, Any], say: Callable[[str], None]) -> None:
    from api.app import create_app

    creds = seed(runtime, agreement)
    app = create_app(runtime)

    async def main() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=runtime.settings.issuer) as http:
            await Story(http, creds, say).run()

    asyncio.run(main())
