"""Which purposes a partner may ask a token for."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from policies.vocabulary import SLUG_RE


def allowed_purposes(session: Session, partner_id: str, now: datetime) -> frozenset[str]:
    """Until agreements exist, any purpose word is allowed; agreements narrow this down."""
    del session, partner_id, now
    return _AnyWord()


class _AnyWord(frozenset[str]):
    def __contains__(self, item: object) -> bool:
        return isinstance(item, str) and bool(SLUG_RE.match(item))
