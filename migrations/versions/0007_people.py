"""people, sessions, sign-in throttles

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 15:38:35.279376
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import sqlmodel
import records.types

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('people',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('username', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('display_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('password_hash', sqlmodel.sql.sqltypes.AutoString(length=256), nullable=True),
    sa.Column('password_must_change', sa.Boolean(), nullable=False),
    sa.Column('totp_secret', sa.LargeBinary(), nullable=True),
    sa.Column('totp_key_version', sa.Integer(), nullable=True),
    sa.Column('totp_last_step', sa.Integer(), nullable=True),
    sa.Column('oidc_issuer', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    sa.Column('oidc_subject', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    sa.Column('created_at', records.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', records.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_sign_in_at', records.types.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_people')),
    sa.UniqueConstraint('oidc_issuer', 'oidc_subject', name=op.f('uq_people_oidc_issuer')),
    sa.UniqueConstraint('username', name=op.f('uq_people_username'))
    )
    op.create_table('sign_in_throttles',
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('window_start', records.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('locked_until', records.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('refused', sa.Integer(), nullable=False),
    sa.Column('updated_at', records.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_sign_in_throttles'))
    )
    with op.batch_alter_table('sign_in_throttles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sign_in_throttles_updated_at'), ['updated_at'], unique=False)

    op.create_table('person_sessions',
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('person_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('method', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('created_at', records.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', records.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', records.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', records.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('end_reason', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_person_sessions_person_id_people')),
    sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_person_sessions'))
    )
    with op.batch_alter_table('person_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_person_sessions_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_person_sessions_person_id'), ['person_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('person_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_person_sessions_person_id'))
        batch_op.drop_index(batch_op.f('ix_person_sessions_expires_at'))

    op.drop_table('person_sessions')
    with op.batch_alter_table('sign_in_throttles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sign_in_throttles_updated_at'))

    op.drop_table('sign_in_throttles')
    op.drop_table('people')
