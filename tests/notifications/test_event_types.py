"""The event types a subscription may ask for are exactly those the outbox writes."""

from typing import get_args

from api.schemas.notifications import EventType
from notifications.outbox import EVENT_TYPES


def test_the_contract_names_every_event_the_outbox_writes() -> None:
    assert sorted(get_args(EventType)) == sorted(EVENT_TYPES)
