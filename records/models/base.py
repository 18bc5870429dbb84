"""The metadata every table shares, with its constraint naming convention."""

from datetime import datetime

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from records.types import UTCDateTime

# Set before the first table is declared so every migration names constraints the same way.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = SQLModel.metadata


def utc_column(*, nullable: bool = False, index: bool = False) -> Column[datetime]:
    return Column(UTCDateTime(), nullable=nullable, index=index)


def timestamp(*, nullable: bool = False, index: bool = False) -> datetime:
    """A Field holding an aware UTC datetime."""
    return Field(default=None, sa_column=utc_column(nullable=nullable, index=index))
