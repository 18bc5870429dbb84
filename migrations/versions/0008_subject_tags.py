"""signals and consents: a keyed tag of the subject's birth date

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import sqlmodel

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Records from before this revision have no tag: their consents count as they always did.
    for table in ('signals', 'consents'):
        with op.batch_alter_table(table) as batch:
            batch.add_column(
                sa.Column('subject_tag', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
            )


def downgrade() -> None:
    for table in ('consents', 'signals'):
        with op.batch_alter_table(table) as batch:
            batch.drop_column('subject_tag')
