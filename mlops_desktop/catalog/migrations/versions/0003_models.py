"""models: model, model_version, model_file, model_alias, model_tag, model_audit

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 01:44:19.015176
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('model',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('model_audit',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('model_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=True),
    sa.Column('at', sa.Float(), nullable=False),
    sa.Column('user', sa.String(length=255), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['model_id'], ['model.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('model_audit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_model_audit_model_id'), ['model_id'], unique=False)

    op.create_table('model_version',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('model_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('fingerprint', sa.String(length=80), nullable=False),
    sa.Column('run_id', sa.String(length=64), nullable=True),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.Column('created_by', sa.String(length=255), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('archived', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['model_id'], ['model.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['run_id'], ['run.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('model_id', 'number', name='uq_model_version_number')
    )
    with op.batch_alter_table('model_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_model_version_run_id'), ['run_id'], unique=False)

    op.create_table('model_alias',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('model_id', sa.Integer(), nullable=False),
    sa.Column('alias', sa.String(length=255), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['model_id'], ['model.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['version_id'], ['model_version.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('model_id', 'alias', name='uq_model_alias')
    )
    with op.batch_alter_table('model_alias', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_model_alias_version_id'), ['version_id'], unique=False)

    op.create_table('model_file',
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('path', sa.Text(), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('digest', sa.String(length=80), nullable=False),
    sa.ForeignKeyConstraint(['version_id'], ['model_version.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('version_id', 'path')
    )
    with op.batch_alter_table('model_file', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_model_file_digest'), ['digest'], unique=False)

    op.create_table('model_tag',
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['version_id'], ['model_version.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('version_id', 'key')
    )


def downgrade() -> None:
    op.drop_table('model_tag')
    with op.batch_alter_table('model_file', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_model_file_digest'))

    op.drop_table('model_file')
    with op.batch_alter_table('model_alias', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_model_alias_version_id'))

    op.drop_table('model_alias')
    with op.batch_alter_table('model_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_model_version_run_id'))

    op.drop_table('model_version')
    with op.batch_alter_table('model_audit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_model_audit_model_id'))

    op.drop_table('model_audit')
    op.drop_table('model')
