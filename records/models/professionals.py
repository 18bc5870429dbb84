"""The professionals partner systems act for: their work details, sealed, keyed by partner."""

from datetime import datetime

from sqlalchemy import Column, LargeBinary
from sqlmodel import Field, SQLModel

from records.models.base import timestamp


class Professional(SQLModel, table=True):
    """One professional of one partner, as its latest actor token described them.

    `sub` is the partner's own stable id for the person (never a BSN); name, function and work
    contact are sealed under the row's data key, so erasing that key forgets them."""

    __tablename__ = "professionals"

    partner_id: str = Field(primary_key=True, foreign_key="partners.id", max_length=64)
    sub: str = Field(primary_key=True, max_length=64)
    data_key_id: str = Field(foreign_key="data_keys.id", max_length=36)
    details: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    first_seen_at: datetime = timestamp()
    updated_at: datetime = timestamp()
