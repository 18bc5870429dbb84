"""rights of the child and parent: revisions, restriction, notices, objections

Revision ID: 0013
Revises: 0009
Create Date: 2026-12-01 19:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import sqlmodel
import records.types

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Signals sent before this revision are at their first revision and unrestricted.
    with op.batch_alter_table('signals') as batch:
        batch.add_column(sa.Column('revision', sa.Integer(), server_default='1', nullable=False))
        batch.add_column(
            sa.Column('restriction_reason', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True)
        )
        batch.add_column(
            sa.Column('restricted_at', records.types.UTCDateTime(timezone=True), nullable=True)
        )

    op.create_table(
        'signal_revisions',
        sa.Column('signal_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column('revision', sa.Integer(), nullable=False),
        sa.Column('fields', sa.JSON(), nullable=False),
        sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('corrected_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('corrected_at', records.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['signal_id'], ['signals.id'], name=op.f('fk_signal_revisions_signal_id_signals')
        ),
        sa.PrimaryKeyConstraint('signal_id', 'revision', name=op.f('pk_signal_revisions')),
    )
    op.create_table(
        'signal_notices',
        sa.Column('event_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('signal_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column('partner_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('type', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('revision', sa.Integer(), nullable=False),
        sa.Column('created_at', records.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['signal_id'], ['signals.id'], name=op.f('fk_signal_notices_signal_id_signals')
        ),
        sa.ForeignKeyConstraint(
            ['partner_id'], ['partners.id'], name=op.f('fk_signal_notices_partner_id_partners')
        ),
        sa.PrimaryKeyConstraint('event_id', name=op.f('pk_signal_notices')),
    )
    op.create_index(
        'ix_signal_notices_signal_type', 'signal_notices', ['signal_id', 'type'], unique=False
    )
    op.create_table(
        'signal_objections',
        sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column('signal_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column('recorded_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('recorded_at', records.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('decision', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column('decision_reason', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column('decided_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column('decided_at', records.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ['signal_id'], ['signals.id'], name=op.f('fk_signal_objections_signal_id_signals')
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_signal_objections')),
    )
    op.create_index(
        'ix_signal_objections_signal',
        'signal_objections',
        ['signal_id', 'recorded_at'],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index('ix_signal_objections_signal', table_name='signal_objections')
    op.drop_table('signal_objections')
    op.drop_index('ix_signal_notices_signal_type', table_name='signal_notices')
    op.drop_table('signal_notices')
    op.drop_table('signal_revisions')
    with op.batch_alter_table('signals') as batch:
        batch.drop_column('restricted_at')
        batch.drop_column('restriction_reason')
        batch.drop_column('revision')
