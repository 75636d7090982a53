"""monitors: monitors, their windows, alerts, what they consumed, logged predictions

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 21:33:04.082856
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('monitor',
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('target', sa.String(length=512), nullable=False),
    sa.Column('reference', sa.Text(), nullable=False),
    sa.Column('current', sa.Text(), nullable=False),
    sa.Column('config', sa.Text(), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('pending', sa.LargeBinary(), nullable=True),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    op.create_table('monitor_alert',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('monitor', sa.String(length=255), nullable=False),
    sa.Column('window', sa.Integer(), nullable=False),
    sa.Column('rule', sa.String(length=255), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_at', sa.Float(), nullable=False),
    sa.Column('evidence', sa.Text(), nullable=False),
    sa.Column('acknowledged_at', sa.Float(), nullable=True),
    sa.Column('retrain_run', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['monitor'], ['monitor.name'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('monitor_alert', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_monitor_alert_monitor'), ['monitor'], unique=False)

    op.create_table('monitor_prediction',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('monitor', sa.String(length=255), nullable=False),
    sa.Column('file', sa.String(length=255), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('time', sa.Float(), nullable=False),
    sa.Column('data', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['monitor'], ['monitor.name'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('monitor', 'file', 'seq')
    )
    with op.batch_alter_table('monitor_prediction', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_monitor_prediction_monitor'), ['monitor'], unique=False)

    op.create_table('monitor_seen',
    sa.Column('monitor', sa.String(length=255), nullable=False),
    sa.Column('key', sa.String(length=1024), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('mtime', sa.Float(), nullable=False),
    sa.Column('offset', sa.BigInteger(), nullable=False),
    sa.Column('seen_at', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['monitor'], ['monitor.name'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('monitor', 'key')
    )
    op.create_table('monitor_window',
    sa.Column('monitor', sa.String(length=255), nullable=False),
    sa.Column('idx', sa.Integer(), nullable=False),
    sa.Column('start', sa.Float(), nullable=False),
    sa.Column('end', sa.Float(), nullable=False),
    sa.Column('rows', sa.BigInteger(), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('report', sa.Text(), nullable=True),
    sa.Column('performance', sa.Text(), nullable=False),
    sa.Column('problem', sa.Text(), nullable=True),
    sa.Column('distributions', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['monitor'], ['monitor.name'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('monitor', 'idx')
    )


def downgrade() -> None:
    op.drop_table('monitor_window')
    op.drop_table('monitor_seen')
    with op.batch_alter_table('monitor_prediction', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_monitor_prediction_monitor'))

    op.drop_table('monitor_prediction')
    with op.batch_alter_table('monitor_alert', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_monitor_alert_monitor'))

    op.drop_table('monitor_alert')
    op.drop_table('monitor')
