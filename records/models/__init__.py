"""Every table, imported so that the metadata (and Alembic) sees them all."""

from records.models.agreements import AgreementAcceptance, AgreementRecord, AgreementVersion
from records.models.audit import AuditCheckpoint, AuditEvent
from records.models.base import metadata
from records.models.census import ApiProcess
from records.models.consents import ConsentRecord, ConsentWithdrawal, DataKey
from records.models.epochs import Epoch
from records.models.keys import AuditKey, MasterKey, SigningKey
from records.models.matches import Match, MatchCoordination, MatchPartner
from records.models.notifications import Delivery, DeliveryAttempt, OutboxEvent, Subscription
from records.models.partners import Client, Partner
from records.models.people import Person, PersonSession, SignInThrottle
from records.models.professionals import Professional
from records.models.rights import SignalNotice, SignalObjection, SignalRevision
from records.models.signals import Signal, SignalRecipient
from records.models.tokens import RevokedToken, UsedAssertion

__all__ = [
    "AgreementAcceptance",
    "AgreementRecord",
    "AgreementVersion",
    "ApiProcess",
    "AuditCheckpoint",
    "AuditEvent",
    "AuditKey",
    "Client",
    "ConsentRecord",
    "ConsentWithdrawal",
    "DataKey",
    "Delivery",
    "DeliveryAttempt",
    "Epoch",
    "MasterKey",
    "Match",
    "MatchCoordination",
    "MatchPartner",
    "OutboxEvent",
    "Partner",
    "Person",
    "PersonSession",
    "Professional",
    "RevokedToken",
    "SignInThrottle",
    "Signal",
    "SignalNotice",
    "SignalObjection",
    "SignalRecipient",
    "SignalRevision",
    "SigningKey",
    "Subscription",
    "UsedAssertion",
    "metadata",
]
