"""Between the wire and signals' rights: what a PATCH body asks for, and what the sender of a
signal is shown of its corrections and objection (the routes in api/routes stay thin)."""

from __future__ import annotations

from typing import Any

from api.schemas.signals import SignalUpdate
from core.errors import Invalid
from records.models import SignalObjection
from signals.correction import Correction, history
from signals.objection import latest_objection
from wijkdeel.unit import Tx


def _refuse(name: str, code: str, reason: str) -> Invalid:
    return Invalid(
        f"the request body is invalid: {reason}",
        code="validation_failed",
        invalid_params=[{"in": "body", "name": name, "code": code, "reason": reason}],
    )


def asks_correction(body: SignalUpdate) -> bool:
    return bool(body.corrections()) or body.correction_reason is not None


def correction_of(body: SignalUpdate) -> Correction | None:
    """The correction a PATCH body asks for (None: it sets a status); refused when it mixes a
    status with a correction, or a correction lacks its reason."""
    if not asks_correction(body):
        return None
    changes = body.corrections()
    if body.status is not None:
        raise _refuse("status", "exclusive", "a status and a correction are separate requests")
    if body.informing is not None:
        raise _refuse("informing", "exclusive", "informing and a correction are separate requests")
    if not changes:
        raise _refuse("body", "missing", "name at least one field to correct")
    if body.correction_reason is None:
        raise _refuse("correctionReason", "missing", "a correction needs a reason word")
    if "subject" in changes:
        raise _refuse("subject", "null", "the subject stays; correct its name or birth date")
    return Correction(reason=body.correction_reason, changes=changes)


def status_of(body: SignalUpdate) -> str:
    if body.status is None:
        raise _refuse("status", "missing", "set a status or informing, or correct the content")
    return body.status


def objection_view(objection: SignalObjection) -> dict[str, Any]:
    return {
        "id": objection.id,
        "signalId": objection.signal_id,
        "status": objection.decision or "pending",
        "reason": objection.reason,
        "recordedBy": objection.recorded_by,
        "recordedAt": objection.recorded_at,
        "decisionReason": objection.decision_reason,
        "decidedBy": objection.decided_by,
        "decidedAt": objection.decided_at,
    }


def sender_view(tx: Tx, signal_id: str, revision: int) -> dict[str, Any]:
    """What only the sender sees: each correction with the recipients told of it (AVG art.
    19), and the newest objection."""
    answer: dict[str, Any] = {}
    corrections = history(tx, signal_id) if revision > 1 else []
    if corrections:
        answer["corrections"] = [
            {
                "revision": revision.revision,
                "reason": revision.reason,
                "fields": revision.fields,
                "correctedBy": revision.corrected_by,
                "correctedAt": revision.corrected_at,
                "notified": [
                    {"partner": n.partner_id, "eventId": n.event_id, "at": n.created_at}
                    for n in notices
                ],
            }
            for revision, notices in corrections
        ]
    objection = latest_objection(tx, signal_id)
    if objection is not None:
        answer["objection"] = {k: v for k, v in objection_view(objection).items() if v is not None}
    return answer
