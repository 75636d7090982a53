"""lab_setting: settings of the whole catalog that every desktop opening it finds

- ``lab_setting.key`` / ``.value``: one row per setting; ``store`` is the lab store's location
  (a folder or ``ssh://HOST/path``). No row: each home keeps its blobs itself, as before.

Revision ID: 0012
Revises: 0011
Create Date: 2027-05-01 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'lab_setting',
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('value', sa.Text(), nullable=False),
        sa.Column('updated_at', sa.Float(), nullable=False),
        sa.Column('updated_by', sa.String(length=255), nullable=True),
        sa.PrimaryKeyConstraint('key'),
    )


def downgrade() -> None:
    op.drop_table('lab_setting')
