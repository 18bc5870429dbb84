"""Consent records: recorded once, never edited, withdrawn by an event; personal data sealed."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import orjson
from sqlalchemy import select
from sqlmodel import Session, col

from core.errors import Conflict, Invalid, NotFound
from policies import may_self_consent
from policies.dates import local_date
from records.fields import DataKeyHandle, load_data_key, new_data_key
from records.keyring import Keyring, KeyringStore
from records.models import ConsentRecord, ConsentWithdrawal, Partner
from records.subjects import SubjectKeys, elfproef


@dataclass(frozen=True)
class NewConsent:
    bsn: str
    birth_date: date | None
    granted_by: str
    grantor_name: str | None
    purposes: list[str]
    recipients: list[str]
    categories: list[str] | None
    valid_from: date
    valid_until: date | None
    evidence_method: str
    evidence_reference: str | None


@dataclass(frozen=True)
class ConsentView:
    """A consent as one caller may see it; personal fields only for the partner that recorded it."""

    record: ConsentRecord
    withdrawal: ConsentWithdrawal | None
    status: str
    subject_ref: str | None = None  # the caller's own pseudonym of the child, where it may know
    grantor_name: str | None = None
    evidence_reference: str | None = None
    withdrawal_reason: str | None = None


def invalid_bsn(name: str = "subject.bsn") -> Invalid:
    return Invalid(
        "the BSN does not pass the elfproef",
        code="invalid_bsn",
        invalid_params=[
            {"in": "body", "name": name, "code": "elfproef", "reason": "not a valid BSN"}
        ],
    )


def status_of(record: ConsentRecord, withdrawal: ConsentWithdrawal | None, now: datetime) -> str:
    if withdrawal is not None and withdrawal.withdrawn_at <= now:
        return "withdrawn"
    today = local_date(now)
    if today < record.valid_from:
        return "pending"
    if record.valid_until is not None and today > record.valid_until:
        return "expired"
    return "active"


def record_consent(
    session: Session,
    data: NewConsent,
    *,
    keyring: Keyring,
    subjects: SubjectKeys,
    partner: str,
    client_id: str,
    now: datetime,
) -> ConsentRecord:
    if not elfproef(data.bsn):
        raise invalid_bsn()
    if data.granted_by == "subject" and data.birth_date is None:
        raise Invalid(
            "a subject may consent themselves only with a birthDate that shows them 16 or older",
            code="birth_date_required",
            invalid_params=[
                {
                    "in": "body",
                    "name": "subject.birthDate",
                    "code": "missing",
                    "reason": "required when grantedBy is subject",
                }
            ],
        )
    if data.granted_by == "subject" and not may_self_consent(data.birth_date, now):
        raise Invalid(
            "a child under 16 cannot consent; a parent or guardian must (UAVG art. 5)",
            code="self_consent_under_16",
            invalid_params=[
                {
                    "in": "body",
                    "name": "grantedBy",
                    "code": "under_16",
                    "reason": "the subject is younger than 16",
                }
            ],
        )
    if data.birth_date is not None and data.birth_date > local_date(now):
        raise Invalid(
            "birthDate lies in the future",
            code="invalid_birth_date",
            invalid_params=[
                {
                    "in": "body",
                    "name": "subject.birthDate",
                    "code": "future",
                    "reason": "lies in the future",
                }
            ],
        )
    if data.valid_until is not None and data.valid_until < data.valid_from:
        raise Invalid(
            "validUntil is before validFrom",
            code="invalid_window",
            invalid_params=[
                {
                    "in": "body",
                    "name": "validUntil",
                    "code": "before_valid_from",
                    "reason": "must not be before validFrom",
                }
            ],
        )
    known = set(
        session.scalars(select(col(Partner.id)).where(col(Partner.id).in_(data.recipients)))
    )
    unknown = [index for index, recipient in enumerate(data.recipients) if recipient not in known]
    if unknown:
        raise Invalid(
            "a recipient is not a registered partner",
            code="unknown_recipient",
            invalid_params=[
                {
                    "in": "body",
                    "name": f"recipients[{i}]",
                    "code": "unknown_partner",
                    "reason": "not a registered partner",
                }
                for i in unknown
            ],
        )
    consent_id = str(uuid.uuid4())
    index, ref = subjects.identify(data.bsn)
    key = new_data_key(session, keyring, now)
    subject = {
        "bsn": data.bsn,
        "birthDate": data.birth_date.isoformat() if data.birth_date else None,
    }
    record = ConsentRecord(
        id=consent_id,
        subject_index=index,
        subject_ref=ref,
        subject_tag=subjects.birth_tag(index, data.birth_date),
        data_key_id=key.id,
        data_key_version=key.version,
        subject=key.seal(consent_id, "subject", orjson.dumps(subject)),
        grantor_name=_seal(key, consent_id, "grantorName", data.grantor_name),
        evidence_reference=_seal(key, consent_id, "evidenceReference", data.evidence_reference),
        granted_by=data.granted_by,
        evidence_method=data.evidence_method,
        purposes=list(dict.fromkeys(data.purposes)),
        recipients=list(dict.fromkeys(data.recipients)),
        categories=list(dict.fromkeys(data.categories)) if data.categories is not None else None,
        valid_from=data.valid_from,
        valid_until=data.valid_until,
        recorded_by=partner,
        recorded_by_client=client_id,
        created_at=now,
    )
    session.add(record)
    session.flush()
    return record


def _seal(key: DataKeyHandle, record_id: str, field: str, value: str | None) -> bytes | None:
    return None if value is None else key.seal(record_id, field, value.encode())


def _open(key: DataKeyHandle | None, record_id: str, field: str, blob: bytes | None) -> str | None:
    if key is None or blob is None:
        return None
    return key.open(record_id, field, blob).decode()


def may_see(record: ConsentRecord, partner: str) -> bool:
    return record.recorded_by == partner or partner in record.recipients


def load(
    session: Session, consent_id: str, partner: str
) -> tuple[ConsentRecord, ConsentWithdrawal | None]:
    """A consent the partner recorded or is named in; anything else does not exist for it."""
    record = session.get(ConsentRecord, consent_id) if len(consent_id) <= 36 else None
    if record is None or not may_see(record, partner):
        raise NotFound("no consent with this id", code="consent_not_found")
    return record, session.get(ConsentWithdrawal, consent_id)


def view(
    session: Session,
    record: ConsentRecord,
    withdrawal: ConsentWithdrawal | None,
    *,
    partner: str,
    keyrings: KeyringStore,
    subjects: SubjectKeys,
    knows_subject: bool,
    now: datetime,
) -> ConsentView:
    """The consent as `partner` may see it: the partner that recorded it sees everything; a
    recipient it names sees what it was given, and a pseudonym of the child only when it gave
    the BSN itself (`knows_subject`, a search) - never a reference it could link elsewhere."""
    status = status_of(record, withdrawal, now)
    recorder = record.recorded_by == partner
    ref = subjects.partner_ref(partner, record.subject_index) if recorder or knows_subject else None
    if not recorder:
        return ConsentView(record, withdrawal, status, ref)
    key = load_data_key(session, keyrings, record.data_key_id) if record.data_key_id else None
    return ConsentView(
        record,
        withdrawal,
        status,
        ref,
        grantor_name=_open(key, record.id, "grantorName", record.grantor_name),
        evidence_reference=_open(key, record.id, "evidenceReference", record.evidence_reference),
        withdrawal_reason=_open(
            key, record.id, "withdrawalReason", withdrawal.reason if withdrawal else None
        ),
    )


def withdraw(
    session: Session,
    consent_id: str,
    *,
    partner: str,
    client_id: str,
    reason: str | None,
    keyrings: KeyringStore,
    now: datetime,
) -> tuple[ConsentRecord, ConsentWithdrawal]:
    record, withdrawal = load(session, consent_id, partner)
    if record.recorded_by != partner:
        raise NotFound(
            "no consent with this id that this partner recorded", code="consent_not_found"
        )
    if withdrawal is not None:
        raise Conflict("this consent was already withdrawn", code="consent_already_withdrawn")
    key = load_data_key(session, keyrings, record.data_key_id) if record.data_key_id else None
    sealed_reason = _seal(key, record.id, "withdrawalReason", reason) if key else None
    withdrawal = ConsentWithdrawal(
        consent_id=record.id, withdrawn_at=now, withdrawn_by_client=client_id, reason=sealed_reason
    )
    session.add(withdrawal)
    session.flush()
    return record, withdrawal


def search(
    session: Session, subject_index: str, partner: str
) -> list[tuple[ConsentRecord, ConsentWithdrawal | None]]:
    rows = session.execute(
        select(ConsentRecord, ConsentWithdrawal)
        .outerjoin(ConsentWithdrawal, col(ConsentWithdrawal.consent_id) == ConsentRecord.id)
        .where(col(ConsentRecord.subject_index) == subject_index)
        .order_by(col(ConsentRecord.created_at), col(ConsentRecord.id))
    ).all()
    return [(record, withdrawal) for record, withdrawal in rows if may_see(record, partner)]


def public(view: ConsentView) -> dict[str, Any]:
    record, withdrawal = view.record, view.withdrawal
    evidence: dict[str, Any] = {"method": record.evidence_method}
    if view.evidence_reference is not None:
        evidence["reference"] = view.evidence_reference
    answer: dict[str, Any] = {
        "id": record.id,
        "subjectRef": view.subject_ref,
        "status": view.status,
        "recordedBy": record.recorded_by,
        "grantedBy": record.granted_by,
        "purposes": record.purposes,
        "recipients": record.recipients,
        "categories": record.categories,
        "validFrom": record.valid_from,
        "validUntil": record.valid_until,
        "evidence": evidence,
        "createdAt": record.created_at,
    }
    if view.grantor_name is not None:
        answer["grantorName"] = view.grantor_name
    if withdrawal is not None:
        answer["withdrawnAt"] = withdrawal.withdrawn_at
        if view.withdrawal_reason is not None:
            answer["withdrawalReason"] = view.withdrawal_reason
    return answer
