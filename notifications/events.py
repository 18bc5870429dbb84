"""The events, each built here so that nothing personal can slip into a payload."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session

from notifications.outbox import emit, emit_each
from records.models import ConsentRecord, OutboxEvent, Signal


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
