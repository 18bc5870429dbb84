"""Partners (organisations) and their clients (system credentials)."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from records.models.base import timestamp


class Partner(SQLModel, table=True):
    __tablename__ = "partners"

    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    kind: str = Field(max_length=32)
    status: str = Field(default="active", max_length=16)
    created_at: datetime = timestamp()
    updated_at: datetime = timestamp()


class Client(SQLModel, table=True):
    __tablename__ = "clients"

    id: str = Field(primary_key=True, max_length=64)
    partner_id: str = Field(foreign_key="partners.id", index=True, max_length=64)
    role: str = Field(max_length=16)
    auth_method: str = Field(max_length=32)
    secret_hash: str | None = Field(default=None, max_length=256)
    jwks: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    status: str = Field(default="active", max_length=16)
    created_at: datetime = timestamp()
    revoked_at: datetime | None = timestamp(nullable=True)
