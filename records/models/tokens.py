"""What must be remembered about tokens across processes: revocations and used assertions."""

from datetime import datetime

from sqlmodel import Field, SQLModel

from records.models.base import timestamp


class RevokedToken(SQLModel, table=True):
    __tablename__ = "revoked_tokens"

    jti: str = Field(primary_key=True, max_length=64)
    client_id: str = Field(max_length=64, index=True)
    expires_at: datetime = timestamp(index=True)


class UsedAssertion(SQLModel, table=True):
    """A client assertion `jti`, kept until the assertion expires so a replay is refused."""

    __tablename__ = "used_assertions"

    client_id: str = Field(primary_key=True, max_length=64)
    jti: str = Field(primary_key=True, max_length=255)
    expires_at: datetime = timestamp(index=True)
