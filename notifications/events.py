"""The events, each built here so that nothing personal can slip into a payload."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session

from notifications.outbox import emit, emit_each
from records.models import AgreementVersion, ConsentRecord, Signal

AGREEMENT_EVENTS = {
    "proposed": "agreement.proposed",
    "active": "agreement.active",
    "rejected": "agreement.rejected",
}


def signal_created(
    session: Session, signal: Signal, recipients: Sequence[str], *, now: datetime, max_attempts: int
) -> None:
    payload = {
        "signalId": signal.id,
        "category": signal.category,
        "urgency": signal.urgency,
        "sender": signal.sender,
        "purpose": signal.purpose,
    }
    emit_each(
        session,
        type="signal.created",
        data=dict.fromkeys(recipients, payload),
        now=now,
        max_attempts=max_attempts,
    )


def signal_updated(
    session: Session,
    signal: Signal,
    recipient: str,
    status: str,
    *,
    now: datetime,
    max_attempts: int,
) -> None:
    emit(
        session,
        type="signal.updated",
        partner=signal.sender,
        now=now,
        max_attempts=max_attempts,
        data={
            "signalId": signal.id,
            "recipient": recipient,
            "status": status,
            "category": signal.category,
            "urgency": signal.urgency,
            "purpose": signal.purpose,
        },
    )


def match_created(
    session: Session,
    partner: str,
    match_id: str,
    signal_ids: Sequence[str],
    *,
    now: datetime,
    max_attempts: int,
) -> None:
    emit(
        session,
        type="match.created",
        partner=partner,
        now=now,
        max_attempts=max_attempts,
        data={"matchId": match_id, "signalIds": list(signal_ids)},
    )


def consent_withdrawn(
    session: Session, consent: ConsentRecord, *, now: datetime, max_attempts: int
) -> None:
    payload = {
        "consentId": consent.id,
        "recordedBy": consent.recorded_by,
        "purposes": consent.purposes,
        "categories": consent.categories,
    }
    emit_each(
        session,
        type="consent.withdrawn",
        data=dict.fromkeys(consent.recipients, payload),
        now=now,
        max_attempts=max_attempts,
    )


def agreement_status(
    session: Session, row: AgreementVersion, *, now: datetime, max_attempts: int
) -> None:
    """Tell every party that a version is proposed, active or rejected (other statuses have
    no event); the party reads the version with its own token."""
    type = AGREEMENT_EVENTS.get(row.status)
    if type is None:
        return
    payload = {"agreementId": row.agreement_id, "version": row.version, "status": row.status}
    emit_each(
        session,
        type=type,
        data=dict.fromkeys((str(party) for party in row.document["parties"]), payload),
        now=now,
        max_attempts=max_attempts,
    )
