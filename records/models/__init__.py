"""Every table, imported so that the metadata (and Alembic) sees them all."""

from records.models.agreements import AgreementRecord, AgreementVersion
from records.models.audit import AuditEvent
from records.models.base import metadata
from records.models.consents import ConsentRecord, ConsentWithdrawal, DataKey
from records.models.epochs import Epoch
from records.models.keys import MasterKey, SigningKey
from records.models.partners import Client, Partner
from records.models.signals import Match, Signal, SignalRecipient
from records.models.tokens import RevokedToken, UsedAssertion

__all__ = [
    "AgreementRecord",
    "AgreementVersion",
    "AuditEvent",
    "Client",
    "ConsentRecord",
    "ConsentWithdrawal",
    "DataKey",
    "Epoch",
    "MasterKey",
    "Match",
    "Partner",
    "RevokedToken",
    "Signal",
    "SignalRecipient",
    "SigningKey",
    "UsedAssertion",
    "metadata",
]
