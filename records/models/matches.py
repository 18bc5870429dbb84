"""Matches: two or more live signals about one child, and who coordinates the work around it."""

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from records.models.base import timestamp


class Match(SQLModel, table=True):
    """One per child (by its blind index): a Verwijsindex match among the partners involved."""

    __tablename__ = "matches"
    __table_args__ = (Index("ix_matches_status_coordinator", "status", "coordinator"),)

    id: str = Field(primary_key=True, max_length=36)
    subject_index: str = Field(max_length=64, unique=True)
    status: str = Field(default="open", max_length=8)  # open, ended
    coordinator: str | None = Field(default=None, foreign_key="partners.id", max_length=64)
    coordinator_since: datetime | None = timestamp(nullable=True)
    handover_to: str | None = Field(default=None, foreign_key="partners.id", max_length=64)
    handover_since: datetime | None = timestamp(nullable=True)
    # Since when it has been open (again): the days without a coordinator count from here.
    opened_at: datetime = timestamp()
    # When the municipality was told nobody coordinates; once per opening.
    unassigned_raised_at: datetime | None = timestamp(nullable=True)
    created_at: datetime = timestamp()
    updated_at: datetime = timestamp()
    ended_at: datetime | None = timestamp(nullable=True)


class MatchPartner(SQLModel, table=True):
    """A partner that may see two or more of the match's signals (and was told so)."""

    __tablename__ = "match_partners"
    __table_args__ = (Index("ix_match_partners_partner_match", "partner_id", "match_id"),)

    match_id: str = Field(primary_key=True, foreign_key="matches.id", max_length=36)
    partner_id: str = Field(primary_key=True, foreign_key="partners.id", max_length=64)
    joined_at: datetime = timestamp()


class MatchCoordination(SQLModel, table=True):
    """The history of regie over a match: every assignment, proposal, answer and ending."""

    __tablename__ = "match_coordination"

    match_id: str = Field(primary_key=True, foreign_key="matches.id", max_length=36)
    # The step's place in the match's history: steps on a match hold its row's lock, so they
    # are numbered one after another even within one instant.
    seq: int = Field(primary_key=True)
    # rule, take, handover, accept, decline, assign, ended, reopened, unassigned
    action: str = Field(max_length=16)
    partner: str | None = Field(default=None, max_length=64)  # the coordinator or handover target
    by_partner: str | None = Field(default=None, max_length=64)  # None: the agreement or system
    agreement_id: str | None = Field(default=None, max_length=64)  # the rule's agreement
    at: datetime = timestamp()
