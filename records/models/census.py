"""The API processes alive now: each registers itself and says it is still there."""

from datetime import datetime

from sqlmodel import Field, SQLModel

from records.models.base import timestamp


class ApiProcess(SQLModel, table=True):
    __tablename__ = "api_processes"

    id: str = Field(primary_key=True, max_length=36)
    started_at: datetime = timestamp()
    seen_at: datetime = timestamp(index=True)
