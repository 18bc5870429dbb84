"""Counters that tell every process when its cached view is out of date."""

from sqlalchemy import BigInteger, Column
from sqlmodel import Field, SQLModel


class Epoch(SQLModel, table=True):
    __tablename__ = "epochs"

    name: str = Field(primary_key=True, max_length=32)
    value: int = Field(sa_column=Column(BigInteger, nullable=False, default=0))
