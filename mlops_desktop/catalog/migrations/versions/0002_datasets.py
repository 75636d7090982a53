"""datasets: dataset, dataset_version, dataset_file, dataset_profile

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 01:22:01.541471
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('dataset',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('dataset_version',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('dataset_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('fingerprint', sa.String(length=80), nullable=False),
    sa.Column('files', sa.BigInteger(), nullable=False),
    sa.Column('bytes', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('tags', sa.JSON(), nullable=True),
    sa.Column('source_path', sa.Text(), nullable=False),
    sa.Column('snapshot', sa.Boolean(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['dataset_id'], ['dataset.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('dataset_id', 'number', name='uq_dataset_version_number')
    )
    with op.batch_alter_table('dataset_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dataset_version_fingerprint'), ['fingerprint'], unique=False)

    op.create_table('dataset_file',
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('path', sa.Text(), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('hash', sa.String(length=80), nullable=False),
    sa.ForeignKeyConstraint(['version_id'], ['dataset_version.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('version_id', 'path')
    )
    op.create_table('dataset_profile',
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('path', sa.Text(), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['version_id'], ['dataset_version.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('version_id', 'path')
    )


def downgrade() -> None:
    op.drop_table('dataset_profile')
    op.drop_table('dataset_file')
    with op.batch_alter_table('dataset_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dataset_version_fingerprint'))

    op.drop_table('dataset_version')
    op.drop_table('dataset')
