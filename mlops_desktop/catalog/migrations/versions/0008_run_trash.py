"""run.deleted_at: when a run was moved to the trash (NULL: not in the trash)

Not indexed: almost every run has NULL there, and an index on it would lead SQLite to read
whole listings through it (twice slower); listing the trash scans the table, a few ms.

Revision ID: 0008
Revises: 0007
Create Date: 2027-02-01 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('run', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deleted_at', sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('run', schema=None) as batch_op:
        batch_op.drop_column('deleted_at')
