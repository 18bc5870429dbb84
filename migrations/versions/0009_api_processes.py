"""api processes: the census that shares rate limits

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 17:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import sqlmodel
import records.types

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'api_processes',
        sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column('started_at', records.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('seen_at', records.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_api_processes')),
    )
    op.create_index(op.f('ix_api_processes_seen_at'), 'api_processes', ['seen_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_api_processes_seen_at'), table_name='api_processes')
    op.drop_table('api_processes')
