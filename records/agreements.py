"""Agreements as stored: versioned documents, converted to and from the policy engine's form."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from core.errors import Conflict, Invalid, NotFound
from policies import Agreement, Coordination, Rule, validate_agreement
from policies.acceptance import PROPOSED, REJECTED, in_force, initial_status
from records import epochs
from records.models import AgreementRecord, AgreementVersion, Partner


def to_policy(document: dict[str, Any], version: int, status: str | None = None) -> Agreement:
    """The engine's view of a stored (camelCase) agreement document; `status` is the version's
    own (where the parties' decisions have moved it), else the document's as written."""
    return Agreement(
        id=document["id"],
        version=version,
        title=document["title"],
        parties=tuple(document["parties"]),
        valid_from=date.fromisoformat(document["validFrom"]),
        valid_until=date.fromisoformat(document["validUntil"])
        if document.get("validUntil")
        else None,
        status=status if status is not None else document["status"],
        purposes=dict(document["purposes"]),
        rules=tuple(
            Rule(
                sender=rule["sender"],
                recipient=rule["recipient"],
                purposes=tuple(rule["purposes"]),
                categories=tuple(rule["categories"]),
                fields=tuple(rule["fields"]),
                legal_basis=rule["legalBasis"],
                requires_consent=bool(rule["requiresConsent"]),
                retention_days=int(rule["retentionDays"]),
                # Documents stored before the rule existed do not hold it: no professional asked.
                requires_professional=bool(rule.get("requiresProfessional", False)),
                exchange_contact=rule.get("exchangeContact") is True,
            )
            for rule in document["rules"]
        ),
        # Versions written before matches had regie hold no coordination: nobody is named.
        coordination=tuple(
            Coordination(purposes=tuple(entry["purposes"]), coordinator=entry["coordinator"])
            for entry in document.get("coordination") or ()
        ),
    )


def partner_kinds(session: Session) -> dict[str, str]:
    return {row.id: row.kind for row in session.execute(select(col(Partner.id), col(Partner.kind)))}


def _validated(session: Session, document: dict[str, Any], version: int) -> Agreement:
    agreement = to_policy(document, version)
    problems = validate_agreement(agreement, partner_kinds(session))
    if problems:
        first = problems[0]
        raise Invalid(
            f"{first.path} {first.message}",
            code="invalid_agreement",
            invalid_params=[
                {"in": "body", "name": p.path, "code": "agreement_rule", "reason": p.message}
                for p in problems
            ],
        )
    return agreement


def create(
    session: Session, document: dict[str, Any], *, author: str, now: datetime
) -> AgreementVersion:
    _validated(session, document, 1)
    if session.get(AgreementRecord, document["id"]) is not None:
        raise Conflict(
            "an agreement with this id already exists; PUT makes a new version",
            code="agreement_exists",
        )
    session.add(
        AgreementRecord(id=document["id"], current_version=1, created_at=now, updated_at=now)
    )
    return _add_version(session, document, 1, author=author, now=now)


def update(
    session: Session, agreement_id: str, document: dict[str, Any], *, author: str, now: datetime
) -> AgreementVersion:
    record = session.get(AgreementRecord, agreement_id, with_for_update=True)
    if record is None:
        raise NotFound("no agreement with this id", code="agreement_not_found")
    version = record.current_version + 1
    _validated(session, document, version)
    record.current_version, record.updated_at = version, now
    session.add(record)
    _withdraw_proposals(session, agreement_id)
    return _add_version(session, document, version, author=author, now=now)


def _withdraw_proposals(session: Session, agreement_id: str) -> None:
    """A new version replaces a proposal still waiting for the parties: it can no longer
    become active (and the parties decide on the new one)."""
    for row in session.scalars(
        select(AgreementVersion).where(
            col(AgreementVersion.agreement_id) == agreement_id,
            col(AgreementVersion.status) == PROPOSED,
        )
    ):
        row.status, row.status_reason = REJECTED, "superseded"
        session.add(row)


def _add_version(
    session: Session, document: dict[str, Any], version: int, *, author: str, now: datetime
) -> AgreementVersion:
    row = AgreementVersion(
        agreement_id=document["id"],
        version=version,
        status=initial_status(document["status"]),
        valid_from=date.fromisoformat(document["validFrom"]),
        valid_until=date.fromisoformat(document["validUntil"])
        if document.get("validUntil")
        else None,
        document=document,
        created_at=now,
        created_by=author,
    )
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(
            "another change to this agreement came first; retry", code="agreement_changed"
        ) from None
    epochs.bump(session)
    return row


def in_force_versions(session: Session) -> list[AgreementVersion]:
    """Per agreement the version decisions are made with (policies.acceptance.in_force): the
    newest that took effect, so a proposal never displaces an accepted version."""
    statuses: dict[str, list[tuple[int, str]]] = {}
    for agreement_id, version, status in session.execute(
        select(
            col(AgreementVersion.agreement_id),
            col(AgreementVersion.version),
            col(AgreementVersion.status),
        )
    ):
        statuses.setdefault(agreement_id, []).append((version, status))
    wanted = {
        (agreement_id, chosen)
        for agreement_id, found in statuses.items()
        if (chosen := in_force(found)) is not None
    }
    if not wanted:
        return []
    rows = session.scalars(
        select(AgreementVersion).where(
            col(AgreementVersion.agreement_id).in_({agreement_id for agreement_id, _ in wanted})
        )
    )
    return [row for row in rows if (row.agreement_id, row.version) in wanted]


def current_versions(session: Session) -> list[AgreementVersion]:
    """Per agreement its newest version (which may still be proposed)."""
    query = select(AgreementVersion).join(
        AgreementRecord,
        (AgreementRecord.id == AgreementVersion.agreement_id)  # type: ignore[arg-type]
        & (AgreementRecord.current_version == AgreementVersion.version),
    )
    return list(session.scalars(query))


def get_version(
    session: Session, agreement_id: str, version: int | None = None
) -> AgreementVersion:
    record = session.get(AgreementRecord, agreement_id)
    if record is None:
        raise NotFound("no agreement with this id", code="agreement_not_found")
    wanted = version if version is not None else record.current_version
    row = session.scalars(
        select(AgreementVersion).where(
            col(AgreementVersion.agreement_id) == agreement_id,
            col(AgreementVersion.version) == wanted,
        )
    ).first()
    if row is None:
        raise NotFound("this agreement has no such version", code="version_not_found")
    return row


def versions(session: Session, agreement_id: str) -> Sequence[AgreementVersion]:
    get_version(session, agreement_id)
    return list(
        session.scalars(
            select(AgreementVersion)
            .where(col(AgreementVersion.agreement_id) == agreement_id)
            .order_by(col(AgreementVersion.version))
        )
    )


def is_party(row: AgreementVersion, partner_id: str) -> bool:
    return partner_id in row.document["parties"]


def parties(row: AgreementVersion) -> list[str]:
    return [str(party) for party in row.document["parties"]]
