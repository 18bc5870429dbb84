"""handling times of recipients, indexes for the policymaker's figures

Revision ID: 0014
Revises: 0009
Create Date: 2026-12-01 19:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import records.types

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('signal_recipients', schema=None) as batch:
        batch.add_column(sa.Column('acknowledged_at', records.types.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('closed_at', records.types.UTCDateTime(timezone=True), nullable=True))
    # What was recorded before: a closed recipient's last change was its closing; the first
    # allowed update of a recipient moved it past `open`, so that is when it acknowledged.
    op.execute(
        "UPDATE signal_recipients SET closed_at = updated_at WHERE status = 'closed'"
    )
    op.execute(
        "UPDATE signal_recipients SET acknowledged_at = ("
        " SELECT min(a.at) FROM audit_events a"
        " WHERE a.action = 'signal.update' AND a.outcome = 'allow'"
        " AND a.resource_id = signal_recipients.signal_id"
        " AND a.partner = signal_recipients.partner_id"
        ") WHERE status <> 'open'"
    )
    op.execute(
        "UPDATE signal_recipients SET acknowledged_at = updated_at"
        " WHERE status <> 'open' AND acknowledged_at IS NULL"
    )
    op.create_index(
        'ix_signals_figures',
        'signals',
        ['created_at', 'sender', 'category', 'purpose'],
        unique=False,
    )
    op.create_index(
        'ix_audit_events_denied',
        'audit_events',
        ['action', 'at'],
        unique=False,
        postgresql_where=sa.text("outcome = 'deny'"),
        sqlite_where=sa.text("outcome = 'deny'"),
    )


def downgrade() -> None:
    op.drop_index('ix_audit_events_denied', table_name='audit_events')
    op.drop_index('ix_signals_figures', table_name='signals')
    with op.batch_alter_table('signal_recipients', schema=None) as batch:
        batch.drop_column('closed_at')
        batch.drop_column('acknowledged_at')
