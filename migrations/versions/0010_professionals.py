"""professionals and the duty to inform: who sent a signal, and whether the family knows

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 19:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import sqlmodel
import records.types

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'professionals',
        sa.Column('partner_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('sub', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('data_key_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column('details', sa.LargeBinary(), nullable=False),
        sa.Column('first_seen_at', records.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('updated_at', records.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['data_key_id'], ['data_keys.id'], name=op.f('fk_professionals_data_key_id_data_keys')
        ),
        sa.ForeignKeyConstraint(
            ['partner_id'], ['partners.id'], name=op.f('fk_professionals_partner_id_partners')
        ),
        sa.PrimaryKeyConstraint('partner_id', 'sub', name=op.f('pk_professionals')),
    )
    # Signals from before this revision were sent by a system alone and are `pending`.
    with op.batch_alter_table('signals') as batch:
        batch.add_column(
            sa.Column(
                'sender_professional_id',
                sqlmodel.sql.sqltypes.AutoString(length=64),
                nullable=True,
            )
        )
        batch.add_column(sa.Column('sender_professional', sa.LargeBinary(), nullable=True))
        batch.add_column(
            sa.Column(
                'informing_status',
                sqlmodel.sql.sqltypes.AutoString(length=16),
                server_default='pending',
                nullable=False,
            )
        )
        batch.add_column(sa.Column('informing', sa.LargeBinary(), nullable=True))
        batch.add_column(
            sa.Column('informing_due_at', records.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch.create_index(batch.f('ix_signals_informing_due_at'), ['informing_due_at'])


def downgrade() -> None:
    with op.batch_alter_table('signals') as batch:
        batch.drop_index(batch.f('ix_signals_informing_due_at'))
        for column in (
            'informing_due_at',
            'informing',
            'informing_status',
            'sender_professional',
            'sender_professional_id',
        ):
            batch.drop_column(column)
    op.drop_table('professionals')
