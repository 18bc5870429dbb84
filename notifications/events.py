"""The events, each built here so that nothing personal can slip into a payload."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session

from core.clock import rfc3339
from notifications.outbox import emit, emit_each
from records.models import AgreementVersion, ConsentRecord, OutboxEvent, Signal

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


def match_coordinator_assigned(
    session: Session,
    partners: Sequence[str],
    match_id: str,
    coordinator: str,
    *,
    now: datetime,
    max_attempts: int,
) -> None:
    payload = {"matchId": match_id, "coordinator": coordinator}
    emit_each(
        session,
        type="match.coordinator_assigned",
        data=dict.fromkeys(partners, payload),
        now=now,
        max_attempts=max_attempts,
    )


def match_handover_requested(
    session: Session,
    partners: Sequence[str],
    match_id: str,
    coordinator: str,
    to: str,
    *,
    now: datetime,
    max_attempts: int,
) -> None:
    payload = {"matchId": match_id, "coordinator": coordinator, "to": to}
    emit_each(
        session,
        type="match.handover_requested",
        data=dict.fromkeys(partners, payload),
        now=now,
        max_attempts=max_attempts,
    )


def match_unassigned(
    session: Session,
    municipality: Sequence[str],
    match_id: str,
    partners: Sequence[str],
    opened_at: datetime,
    *,
    now: datetime,
    max_attempts: int,
) -> None:
    """To the municipality: a match nobody coordinates, and the partners involved (ids)."""
    payload = {"matchId": match_id, "partners": list(partners), "openedAt": rfc3339(opened_at)}
    emit_each(
        session,
        type="match.unassigned",
        data=dict.fromkeys(municipality, payload),
        now=now,
        max_attempts=max_attempts,
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


def informing_due(session: Session, signal: Signal, *, now: datetime, max_attempts: int) -> None:
    """To the sender: a postponement of informing the family has ended (ids only)."""
    emit(
        session,
        type="signal.informing_due",
        partner=signal.sender,
        now=now,
        max_attempts=max_attempts,
        data={"signalId": signal.id, "purpose": signal.purpose},
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


def signal_changed(
    session: Session,
    type: str,
    signal: Signal,
    partners: Sequence[str],
    *,
    now: datetime,
    max_attempts: int,
) -> list[OutboxEvent]:
    """A correction, restriction, lifting or erasure, told to `partners` (AVG art. 19): ids
    and the revision only; the receiver reads the signal again with its own token."""
    payload = {
        "signalId": signal.id,
        "revision": signal.revision,
        "category": signal.category,
        "urgency": signal.urgency,
        "sender": signal.sender,
        "purpose": signal.purpose,
    }
    return emit_each(
        session,
        type=type,
        data=dict.fromkeys(partners, payload),
        now=now,
        max_attempts=max_attempts,
    )
