"""acceptance of agreements by all parties; active agreements recorded as accepted

Revision ID: 0012
Revises: 0009
Create Date: 2026-12-01 19:30:00

Agreements that were active before acceptance existed stay active. For every party of every
active version this step records an acceptance with method `migration` (it carries no
signature: nobody signed it; the administrator who set the agreement active did so alone), and
for every such version one audit event `agreement.acceptance_migrate` (role `system`, reason
`migration_0012`), so the step is visible in the audit log and in `GET …/acceptances`.
"""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import sqlmodel
import records.types
from policies.acceptance import content_hash

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MIGRATION_REASON = 'migration_0012'


def upgrade() -> None:
    with op.batch_alter_table('agreement_versions') as batch:
        batch.add_column(sa.Column('status_reason', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
    op.create_table(
        'agreement_acceptances',
        sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column('agreement_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('partner_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('decision', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column('method', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('client_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column('person_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column('kid', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
        sa.Column('content_hash', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column('signature', sa.Text(), nullable=True),
        sa.Column('created_at', records.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('revoked_at', records.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column('revoked_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.ForeignKeyConstraint(['agreement_id'], ['agreements.id'], name=op.f('fk_agreement_acceptances_agreement_id_agreements')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_agreement_acceptances')),
    )
    op.create_index('ix_agreement_acceptances_version', 'agreement_acceptances', ['agreement_id', 'version'], unique=False)
    _accept_active_agreements()


def _accept_active_agreements() -> None:
    connection = op.get_bind()
    versions = sa.table(
        'agreement_versions',
        sa.column('agreement_id', sa.String),
        sa.column('version', sa.Integer),
        sa.column('status', sa.String),
        sa.column('document', sa.JSON),
    )
    acceptances = sa.table(
        'agreement_acceptances',
        sa.column('id', sa.String),
        sa.column('agreement_id', sa.String),
        sa.column('version', sa.Integer),
        sa.column('partner_id', sa.String),
        sa.column('decision', sa.String),
        sa.column('method', sa.String),
        sa.column('content_hash', sa.String),
        sa.column('created_at', records.types.UTCDateTime()),
    )
    events = sa.table(
        'audit_events',
        sa.column('id', sa.String),
        sa.column('at', records.types.UTCDateTime()),
        sa.column('role', sa.String),
        sa.column('action', sa.String),
        sa.column('resource_type', sa.String),
        sa.column('resource_id', sa.String),
        sa.column('agreement_id', sa.String),
        sa.column('agreement_version', sa.Integer),
        sa.column('outcome', sa.String),
        sa.column('reason', sa.String),
        sa.column('count', sa.Integer),
    )
    now = datetime.now(UTC)
    rows = connection.execute(
        sa.select(versions.c.agreement_id, versions.c.version, versions.c.document)
        .where(versions.c.status == 'active')
        .order_by(versions.c.agreement_id, versions.c.version)
    ).all()
    for agreement_id, version, document in rows:
        digest = content_hash(document, version)
        parties = list(document['parties'])
        connection.execute(
            sa.insert(acceptances),
            [
                {
                    'id': str(uuid.uuid4()),
                    'agreement_id': agreement_id,
                    'version': version,
                    'partner_id': party,
                    'decision': 'accept',
                    'method': 'migration',
                    'content_hash': digest,
                    'created_at': now,
                }
                for party in parties
            ],
        )
        connection.execute(
            sa.insert(events),
            [
                {
                    'id': str(uuid.uuid4()),
                    'at': now,
                    'role': 'system',
                    'action': 'agreement.acceptance_migrate',
                    'resource_type': 'agreement',
                    'resource_id': agreement_id,
                    'agreement_id': agreement_id,
                    'agreement_version': version,
                    'outcome': 'allow',
                    'reason': MIGRATION_REASON,
                    'count': len(parties),
                }
            ],
        )


def downgrade() -> None:
    op.drop_index('ix_agreement_acceptances_version', table_name='agreement_acceptances')
    op.drop_table('agreement_acceptances')
    with op.batch_alter_table('agreement_versions') as batch:
        batch.drop_column('status_reason')
