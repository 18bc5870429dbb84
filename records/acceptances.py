"""Acceptances as stored: each party's signed decision on a version, and what it does to the
version's status (policies.acceptance says which status; this module keeps it)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from auth import jwt, statements
from core.errors import Conflict, Invalid, NotFound
from policies.acceptance import (
    ACCEPTANCE_REVOKED,
    ACTIVE,
    PROPOSED,
    SUSPENDED,
    Decision,
    content_hash,
    in_force,
    settled_status,
)
from records import epochs
from records.agreements import get_version, is_party, parties
from records.ids import time_ordered_id
from records.models import (
    AgreementAcceptance,
    AgreementRecord,
    AgreementVersion,
    AuditEvent,
    AuditKey,
    Client,
)
from records.pages import Page, keyset_page


@dataclass(frozen=True)
class Signer:
    """Who makes a decision and how it is signed: a partner's client with its own key, or a
    person in the console for whom the service signs."""

    partner: str
    method: str  # client | console
    client_id: str | None = None
    person_id: str | None = None


@dataclass(frozen=True)
class Outcome:
    acceptance: AgreementAcceptance
    version: AgreementVersion
    changed_to: str | None  # the version's new status, when this decision moved it


def locked_version(session: Session, agreement_id: str, version: int) -> AgreementVersion:
    """The version, with its agreement locked: decisions on one agreement are made one at a
    time, so the last party's acceptance always sees every earlier one."""
    if session.get(AgreementRecord, agreement_id, with_for_update=True) is None:
        raise NotFound("no agreement with this id", code="agreement_not_found")
    return get_version(session, agreement_id, version)


def party_version(
    session: Session, agreement_id: str, version: int, partner: str, *, lock: bool = False
) -> AgreementVersion:
    """The version if `partner` is one of its parties; a stranger learns nothing (404)."""
    row = (
        locked_version(session, agreement_id, version)
        if lock
        else get_version(session, agreement_id, version)
    )
    if not is_party(row, partner):
        raise stranger()
    return row


def stranger() -> NotFound:
    return NotFound("no agreement with this id", code="agreement_not_found")


def version_hash(row: AgreementVersion) -> str:
    return content_hash(row.document, row.version)


def standing(session: Session, row: AgreementVersion) -> list[AgreementAcceptance]:
    """The decisions on a version that still stand (not revoked), oldest first."""
    return list(
        session.scalars(
            select(AgreementAcceptance)
            .where(
                col(AgreementAcceptance.agreement_id) == row.agreement_id,
                col(AgreementAcceptance.version) == row.version,
                col(AgreementAcceptance.revoked_at).is_(None),
            )
            .order_by(col(AgreementAcceptance.id))
        )
    )


def decide(
    session: Session,
    row: AgreementVersion,
    signer: Signer,
    decision: Decision,
    *,
    signature: str,
    kid: str | None,
    now: datetime,
) -> Outcome:
    """Store a verified decision of a party on a proposed version (locked by the caller) and
    settle the version: active when every party accepted, rejected on one rejection."""
    if row.status != PROPOSED:
        raise Conflict(
            f"this version is {row.status}; only a proposed version is decided on",
            code="version_not_proposed",
        )
    earlier = standing(session, row)
    if any(found.partner_id == signer.partner for found in earlier):
        raise Conflict(
            "this party has decided on this version already; revoke it first to change it",
            code="already_decided",
        )
    acceptance = AgreementAcceptance(
        id=time_ordered_id(now),
        agreement_id=row.agreement_id,
        version=row.version,
        partner_id=signer.partner,
        decision=decision,
        method=signer.method,
        client_id=signer.client_id,
        person_id=signer.person_id,
        kid=kid,
        content_hash=version_hash(row),
        signature=signature,
        created_at=now,
    )
    session.add(acceptance)
    decisions: dict[str, Decision] = {
        found.partner_id: "reject" if found.decision == "reject" else "accept" for found in earlier
    }
    decisions[signer.partner] = decision
    status = settled_status(parties(row), decisions)
    changed = status if status != row.status else None
    if changed is not None:
        row.status = status
        session.add(row)
        epochs.bump(session)
    session.flush()
    return Outcome(acceptance, row, changed)


def decide_as_client(
    session: Session,
    agreement_id: str,
    version: int,
    *,
    client_id: str,
    partner: str,
    decision: Decision,
    signature: str,
    now: datetime,
) -> Outcome:
    """A partner's client decides: its statement must verify under the client's registered key
    and name this version, its content hash and this decision."""
    row = party_version(session, agreement_id, version, partner, lock=True)
    client = session.get(Client, client_id)
    keys = statements.client_keys(client.jwks if client is not None else None)
    if not keys:
        raise _refused(
            "no_registered_key",
            "this client has no registered public key to sign with (private_key_jwt clients do)",
        )
    expected = statements.Expected(agreement_id, version, version_hash(row), decision)
    try:
        kid = statements.verify(signature, keys, expected)
    except statements.StatementRefused as refused:
        raise _refused(refused.reason, _WHY[refused.reason]) from None
    signer = Signer(partner, "client", client_id=client_id)
    return decide(session, row, signer, decision, signature=signature, kid=kid, now=now)


_WHY = {
    "malformed": "the signature is not a compact JWS this service reads",
    "malformed_signature": f"the signature is not a compact ES256 JWS of type {statements.TYP}",
    "invalid_signature": "the signature does not verify under this client's registered keys",
    "wrong_version": "the signed statement names another agreement or version",
    "content_hash_mismatch": "the signed contentHash is not this version's contentHash",
    "wrong_decision": "the signed decision differs from the decision in the body",
}


def _refused(code: str, reason: str) -> Invalid:
    return Invalid(
        reason,
        code=code,
        invalid_params=[{"in": "body", "name": "signature", "code": code, "reason": reason}],
    )


def revoke(
    session: Session, row: AgreementVersion, partner: str, *, by: str, now: datetime
) -> Outcome:
    """Revoke a party's acceptance (the version is locked by the caller). Of the version in
    force this suspends the agreement for every party, at their next request; of a proposal it
    only takes the acceptance back."""
    mine = [
        found
        for found in standing(session, row)
        if found.partner_id == partner and found.decision == "accept"
    ]
    if not mine:
        raise NotFound(
            "this party has no standing acceptance of this version", code="no_acceptance"
        )
    if row.status not in (ACTIVE, PROPOSED) or (
        row.status == ACTIVE and not _in_force(session, row)
    ):
        raise Conflict(
            "only an acceptance of a proposed version or of the version in force can be revoked",
            code="version_not_in_force",
        )
    acceptance = mine[0]
    acceptance.revoked_at, acceptance.revoked_by = now, by
    session.add(acceptance)
    changed = None
    if row.status == ACTIVE:
        row.status, row.status_reason = SUSPENDED, ACCEPTANCE_REVOKED
        session.add(row)
        changed = SUSPENDED
        epochs.bump(session)
    session.flush()
    return Outcome(acceptance, row, changed)


def _in_force(session: Session, row: AgreementVersion) -> bool:
    versions = [
        (version, status)
        for version, status in session.execute(
            select(col(AgreementVersion.version), col(AgreementVersion.status)).where(
                col(AgreementVersion.agreement_id) == row.agreement_id
            )
        )
    ]
    return in_force(versions) == row.version


def page(
    session: Session, row: AgreementVersion, *, cursor: str | None, limit: int
) -> Page[AgreementAcceptance]:
    """Every decision on a version, revoked ones too, oldest first."""
    query = select(AgreementAcceptance).where(
        col(AgreementAcceptance.agreement_id) == row.agreement_id,
        col(AgreementAcceptance.version) == row.version,
    )
    return keyset_page(session, query, col(AgreementAcceptance.id), cursor=cursor, limit=limit)  # type: ignore[arg-type]


def every(session: Session) -> Sequence[AgreementAcceptance]:
    return list(session.scalars(select(AgreementAcceptance).order_by(col(AgreementAcceptance.id))))


@dataclass(frozen=True)
class Finding:
    """A stored decision that does not hold, or an active version not accepted by all."""

    agreement_id: str
    version: int
    partner: str | None
    acceptance_id: str | None
    problem: str


@dataclass(frozen=True)
class Verification:
    checked: int
    by_method: dict[str, int]
    findings: list[Finding]


def verify_all(session: Session) -> Verification:
    """Check every stored decision offline: its statement's signature against the signer's
    registered public key (a client's, or the service's statement keys for the console), what
    the statement says against the stored row, and the signed content hash against one
    recomputed from the stored version. Also: each active version is accepted by every party."""
    versions = {
        (row.agreement_id, row.version): row for row in session.scalars(select(AgreementVersion))
    }
    clients = {row.id: row for row in session.scalars(select(Client))}
    service_keys = statements.client_keys(
        {"keys": [row.public_jwk for row in session.scalars(select(AuditKey))]}
    )
    migrated = {
        (agreement_id, version)
        for agreement_id, version in session.execute(
            select(col(AuditEvent.agreement_id), col(AuditEvent.agreement_version)).where(
                col(AuditEvent.action) == MIGRATION_ACTION
            )
        )
    }
    findings: list[Finding] = []
    counts: dict[str, int] = {}
    rows = every(session)
    for acceptance in rows:
        counts[acceptance.method] = counts.get(acceptance.method, 0) + 1
        problem = _problem(acceptance, versions, clients, service_keys, migrated)
        if problem is not None:
            findings.append(
                Finding(
                    acceptance.agreement_id,
                    acceptance.version,
                    acceptance.partner_id,
                    acceptance.id,
                    problem,
                )
            )
    accepted: dict[tuple[str, int], set[str]] = {}
    for acceptance in rows:
        if acceptance.revoked_at is None and acceptance.decision == "accept":
            accepted.setdefault((acceptance.agreement_id, acceptance.version), set()).add(
                acceptance.partner_id
            )
    for key, row in sorted(versions.items()):
        if row.status == ACTIVE and not set(parties(row)) <= accepted.get(key, set()):
            findings.append(Finding(key[0], key[1], None, None, "active_without_every_acceptance"))
    return Verification(len(rows), counts, findings)


MIGRATION_ACTION = "agreement.acceptance_migrate"


def _problem(
    acceptance: AgreementAcceptance,
    versions: dict[tuple[str, int], AgreementVersion],
    clients: dict[str, Client],
    service_keys: dict[str, jwt.Key],
    migrated: set[tuple[str, int]],
) -> str | None:
    row = versions.get((acceptance.agreement_id, acceptance.version))
    if row is None:
        return "unknown_version"
    if version_hash(row) != acceptance.content_hash:
        return "agreement_edited_after_signing"
    if acceptance.method == "migration":
        known = (acceptance.agreement_id, acceptance.version) in migrated
        return None if known and acceptance.signature is None else "unrecorded_migration"
    if acceptance.signature is None:
        return "unsigned"
    if acceptance.method == "client":
        client = clients.get(acceptance.client_id or "")
        if client is None or client.partner_id != acceptance.partner_id:
            return "unknown_signer"
        keys = statements.client_keys(client.jwks)
    elif acceptance.method == "console":
        keys = service_keys
    else:
        return "unknown_method"
    try:
        _, payload = statements.read(acceptance.signature, keys)
    except statements.StatementRefused:
        return "forged_signature"
    expected = statements.Expected(
        acceptance.agreement_id, acceptance.version, acceptance.content_hash, acceptance.decision
    )
    try:
        statements.check(payload, expected)
    except statements.StatementRefused:
        return "acceptance_edited"
    if acceptance.method == "console" and (
        payload.get("partner") != acceptance.partner_id
        or payload.get("person") != acceptance.person_id
    ):
        return "acceptance_edited"
    return None
