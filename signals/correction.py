"""Correction (AVG art. 16, with art. 19): the sender puts right what its signal says.

A correction makes a new revision of the content: every field is opened under the old data key,
the corrected ones are replaced, and all are sealed again under a new data key; the old data key
is destroyed, so the old cipher texts are gone and nothing could open them (crypto-shredding,
as erasure does for the whole signal). Every recipient is told (`signal.corrected`, ids only)
and that it was told is recorded per recipient. A corrected birth date gives the signal a new
subject tag, so consents recorded for another birth date stop counting from this moment on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, Final

from sqlalchemy import LargeBinary, delete, select
from sqlmodel import col

from auth.caller import Caller
from core.errors import Conflict, Invalid
from policies.dates import local_date
from records.fields import load_data_key, new_data_key
from records.models import DataKey, Signal, SignalNotice, SignalRevision
from signals.access import CONTENT_FIELDS
from signals.content import Content, open_fields
from signals.custody import held_for
from signals.notices import notices_of, tell_recipients
from wijkdeel.unit import Tx

CORRECTION_REASONS: Final = (
    "requested_by_parent",  # the parent (or guardian) asked for it (art. 16)
    "requested_by_child",  # the child asked for it
    "sender_error",  # the sender found its own mistake
    "outdated",  # it was right once, and is no longer
)
"""Why a signal was corrected: fixed words, so the audit log never holds free text."""

# The fields a correction may touch, by their names on the wire.
CORRECTABLE: Final = ("summary", "details", "contact", "subject.name", "subject.birthDate")
MAX_REVISIONS: Final = 50
"""A signal corrected this often needs a new signal, not another revision (and the list of
revisions shown to the sender stays bounded)."""


@dataclass(frozen=True)
class Correction:
    reason: str
    changes: Mapping[str, Any]
    """Wire name (one of CORRECTABLE) → the new value; None removes an optional field."""


def _invalid(name: str, code: str, reason: str) -> Invalid:
    return Invalid(
        f"the correction is invalid: {reason}",
        code="invalid_correction",
        invalid_params=[{"in": "body", "name": name, "code": code, "reason": reason}],
    )


def validate(correction: Correction, now: datetime) -> None:
    if not correction.changes:
        raise _invalid("body", "missing", "name at least one field to correct")
    unknown = sorted(set(correction.changes) - set(CORRECTABLE))
    if unknown:
        raise _invalid(unknown[0], "not_correctable", "this field cannot be corrected")
    if correction.reason not in CORRECTION_REASONS:
        raise _invalid("correctionReason", "enum", "not a correction reason word")
    if "summary" in correction.changes and not correction.changes["summary"]:
        raise _invalid("summary", "missing", "a signal keeps a summary")
    born = correction.changes.get("subject.birthDate")
    if isinstance(born, date) and born > local_date(now):
        raise _invalid("subject.birthDate", "future", "lies in the future")


def _apply(content: Content, changes: Mapping[str, Any]) -> Content:
    subject = dict(content.subject)
    for name, key in (("subject.name", "name"), ("subject.birthDate", "birthDate")):
        if name in changes:
            value = changes[name]
            if value is None:
                subject.pop(key, None)
            else:
                subject[key] = value.isoformat() if isinstance(value, date) else value
    updated = replace(content, subject=subject)
    if "summary" in changes:
        updated = replace(updated, summary=changes["summary"])
    if "details" in changes:
        updated = replace(updated, details=changes["details"] or None)
    if "contact" in changes:
        updated = replace(updated, contact=changes["contact"] or None)
    return updated


def correct(tx: Tx, caller: Caller, signal_id: str, correction: Correction) -> Signal:
    """A new revision of the signal's content, by its sender; every recipient is told."""
    validate(correction, tx.now)
    tx.audit.action = "signal.correct"
    signal = held_for(tx, caller, signal_id, administrators=False)
    if signal.revision >= MAX_REVISIONS:
        raise Conflict(
            f"a signal is corrected at most {MAX_REVISIONS - 1} times; send a new one",
            code="too_many_revisions",
        )
    old_key_id = signal.data_key_id
    old_key = load_data_key(tx.session, tx.runtime.keyrings, old_key_id) if old_key_id else None
    if old_key is None:
        raise Conflict("this signal has no content left to correct", code="no_content")
    opened = open_fields(signal, old_key, CONTENT_FIELDS)
    before = Content(
        subject=opened.get("subject") or {},
        summary=opened.get("summary") or "",
        details=opened.get("details"),
        contact=opened.get("contact"),
    )
    after = _apply(before, correction.changes)
    if after == before:
        raise Conflict("the signal already says this; nothing to correct", code="no_change")
    changed = [
        name
        for name in CORRECTABLE
        if name in correction.changes and _read(after, name) != _read(before, name)
    ]

    signal.revision += 1
    signal.updated_at = tx.now
    if "subject.birthDate" in changed:
        born = after.subject.get("birthDate")
        signal.subject_tag = tx.runtime.subjects.birth_tag(
            signal.subject_index, date.fromisoformat(born) if born else None
        )
    new_key = new_data_key(tx.session, tx.runtime.keyrings.get(), tx.now)
    # Whatever else is sealed under the signal's key (all but the corrected content) moves to
    # the new key unchanged, so destroying the old key loses nothing that is still meant.
    kept = {
        name: old_key.open(signal.id, name, blob)
        for name in sealed_columns()
        if name not in CONTENT_FIELDS and (blob := getattr(signal, name)) is not None
    }
    after.seal_into(signal, new_key)
    for name, plain in kept.items():
        setattr(signal, name, new_key.seal(signal.id, name, plain))
    tx.session.add(signal)
    tx.session.flush()
    # The old data key goes: no cipher text of an earlier revision could ever be opened again.
    tx.session.execute(delete(DataKey).where(col(DataKey.id) == old_key_id))
    tx.session.add(
        SignalRevision(
            signal_id=signal.id,
            revision=signal.revision,
            fields=changed,
            reason=correction.reason,
            corrected_by=caller.partner,
            corrected_at=tx.now,
        )
    )
    tx.session.flush()
    notices = tell_recipients(tx, signal, "signal.corrected")
    # Field names and a reason word: what changed is in the audit log, never what it says.
    tx.audit.reason = (
        f"revision:{signal.revision};reason:{correction.reason};fields:{','.join(changed)}"
        f";notified:{len(notices)}"
    )
    return signal


def sealed_columns() -> tuple[str, ...]:
    """Every column of a signal sealed under its data key: the binary ones."""
    table = Signal.__table__  # type: ignore[attr-defined]
    return tuple(c.name for c in table.columns if isinstance(c.type, LargeBinary))


def _read(content: Content, name: str) -> Any:
    if name.startswith("subject."):
        return content.subject.get(name.removeprefix("subject."))
    return getattr(content, name)


def history(tx: Tx, signal_id: str) -> list[tuple[SignalRevision, list[SignalNotice]]]:
    """Every correction of the signal, oldest first, with the recipients told of each."""
    revisions = list(
        tx.session.scalars(
            select(SignalRevision)
            .where(col(SignalRevision.signal_id) == signal_id)
            .order_by(col(SignalRevision.revision))
        )
    )
    if not revisions:
        return []
    told: dict[int, list[SignalNotice]] = {}
    for notice in notices_of(tx, signal_id, "signal.corrected"):
        told.setdefault(notice.revision, []).append(notice)
    return [(revision, told.get(revision.revision, [])) for revision in revisions]
