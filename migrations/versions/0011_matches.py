"""matches as shared work: one match per child among partners, its regie and history

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-01 19:40:00

A match used to be recorded per partner and child. Now there is one per child: the partners
involved move to `match_partners`, under the id of the child's oldest match row (the other
partners' old match ids are no longer answered).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import records.types
import sqlmodel

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sqlmodel.sql.sqltypes.AutoString
_AT = records.types.UTCDateTime


def upgrade() -> None:
    # Every partner of the old per-partner rows joins the child's one match (its oldest row).
    # Staged first: on SQLite the table is rebuilt below, which a table referring to it forbids.
    op.execute(
        'CREATE TABLE match_partners_staging AS'
        ' SELECT c.id AS match_id, m.partner_id AS partner_id, m.created_at AS joined_at'
        ' FROM matches m'
        ' JOIN (SELECT subject_index, MIN(id) AS id FROM matches GROUP BY subject_index) c'
        ' ON c.subject_index = m.subject_index'
    )
    op.execute(
        'DELETE FROM matches WHERE id NOT IN'
        ' (SELECT id FROM (SELECT MIN(id) AS id FROM matches GROUP BY subject_index) kept)'
    )

    with op.batch_alter_table('matches') as batch:
        batch.add_column(sa.Column('status', _ID(length=8), nullable=True))
        batch.add_column(sa.Column('coordinator', _ID(length=64), nullable=True))
        batch.add_column(sa.Column('coordinator_since', _AT(timezone=True), nullable=True))
        batch.add_column(sa.Column('handover_to', _ID(length=64), nullable=True))
        batch.add_column(sa.Column('handover_since', _AT(timezone=True), nullable=True))
        batch.add_column(sa.Column('opened_at', _AT(timezone=True), nullable=True))
        batch.add_column(sa.Column('unassigned_raised_at', _AT(timezone=True), nullable=True))
        batch.add_column(sa.Column('updated_at', _AT(timezone=True), nullable=True))
        batch.add_column(sa.Column('ended_at', _AT(timezone=True), nullable=True))
    # A match from before regie has been open since it was found, and nobody coordinates it;
    # the municipality is not told about it after the fact.
    op.execute(
        "UPDATE matches SET status = 'open', opened_at = created_at, updated_at = created_at,"
        ' unassigned_raised_at = created_at'
    )
    with op.batch_alter_table('matches') as batch:
        batch.drop_index('ix_matches_partner_id')
        batch.drop_constraint('uq_matches_partner_id', type_='unique')
        batch.drop_constraint('fk_matches_partner_id_partners', type_='foreignkey')
        batch.drop_column('partner_id')
        batch.drop_column('subject_ref')
        batch.alter_column('status', existing_type=_ID(length=8), nullable=False)
        batch.alter_column('opened_at', existing_type=_AT(timezone=True), nullable=False)
        batch.alter_column('updated_at', existing_type=_AT(timezone=True), nullable=False)
        batch.create_unique_constraint('uq_matches_subject_index', ['subject_index'])
        batch.create_foreign_key(
            'fk_matches_coordinator_partners', 'partners', ['coordinator'], ['id']
        )
        batch.create_foreign_key(
            'fk_matches_handover_to_partners', 'partners', ['handover_to'], ['id']
        )
        batch.create_index('ix_matches_status_coordinator', ['status', 'coordinator'])

    op.create_table(
        'match_partners',
        sa.Column('match_id', _ID(length=36), nullable=False),
        sa.Column('partner_id', _ID(length=64), nullable=False),
        sa.Column('joined_at', _AT(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['match_id'], ['matches.id'], name=op.f('fk_match_partners_match_id_matches')),
        sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_match_partners_partner_id_partners')),
        sa.PrimaryKeyConstraint('match_id', 'partner_id', name=op.f('pk_match_partners')),
    )
    op.create_index('ix_match_partners_partner_match', 'match_partners', ['partner_id', 'match_id'])
    op.create_table(
        'match_coordination',
        sa.Column('match_id', _ID(length=36), nullable=False),
        sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('action', _ID(length=16), nullable=False),
        sa.Column('partner', _ID(length=64), nullable=True),
        sa.Column('by_partner', _ID(length=64), nullable=True),
        sa.Column('agreement_id', _ID(length=64), nullable=True),
        sa.Column('at', _AT(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['match_id'], ['matches.id'], name=op.f('fk_match_coordination_match_id_matches')),
        sa.PrimaryKeyConstraint('match_id', 'seq', name=op.f('pk_match_coordination')),
    )
    op.execute(
        'INSERT INTO match_partners (match_id, partner_id, joined_at)'
        ' SELECT match_id, partner_id, joined_at FROM match_partners_staging'
    )
    op.drop_table('match_partners_staging')


def downgrade() -> None:
    # Back to one row per partner: the match's own row goes to its first partner (the others'
    # rows are not rebuilt); subject_ref cannot be rebuilt without the keys: it takes the index.
    op.add_column('matches', sa.Column('partner_id', _ID(length=64), nullable=True))
    op.add_column('matches', sa.Column('subject_ref', _ID(length=64), nullable=True))
    op.execute(
        'UPDATE matches SET partner_id = (SELECT MIN(p.partner_id) FROM match_partners p'
        ' WHERE p.match_id = matches.id), subject_ref = subject_index'
    )
    op.drop_table('match_coordination')
    op.drop_index('ix_match_partners_partner_match', table_name='match_partners')
    op.drop_table('match_partners')
    op.execute('DELETE FROM matches WHERE partner_id IS NULL')
    with op.batch_alter_table('matches') as batch:
        batch.drop_index('ix_matches_status_coordinator')
        batch.drop_constraint('fk_matches_handover_to_partners', type_='foreignkey')
        batch.drop_constraint('fk_matches_coordinator_partners', type_='foreignkey')
        batch.drop_constraint('uq_matches_subject_index', type_='unique')
        for column in (
            'ended_at', 'updated_at', 'unassigned_raised_at', 'opened_at', 'handover_since',
            'handover_to', 'coordinator_since', 'coordinator', 'status',
        ):
            batch.drop_column(column)
        batch.alter_column('partner_id', existing_type=_ID(length=64), nullable=False)
        batch.alter_column('subject_ref', existing_type=_ID(length=64), nullable=False)
        batch.create_foreign_key('fk_matches_partner_id_partners', 'partners', ['partner_id'], ['id'])
        batch.create_unique_constraint('uq_matches_partner_id', ['partner_id', 'subject_ref'])
        batch.create_index('ix_matches_partner_id', ['partner_id'])
