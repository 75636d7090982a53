"""hw_history: one row per machine and minute of hardware history (min, mean, max, count)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('hw_history',
    sa.Column('host', sa.String(length=255), nullable=False),
    sa.Column('bucket_start', sa.Float(), nullable=False),
    sa.Column('data', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('host', 'bucket_start')
    )
    with op.batch_alter_table('hw_history', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hw_history_bucket_start'), ['bucket_start'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('hw_history', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hw_history_bucket_start'))

    op.drop_table('hw_history')
