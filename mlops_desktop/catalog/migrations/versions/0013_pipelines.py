"""pipelines: pipeline files, their runs and stage runs, the stage cache, triggers and gates

- ``pipeline``: the pipeline files the app knows (name unique).
- ``pipeline_run``: a run of a pipeline; its ``run_id`` is a ``run`` row (the parent run).
- ``pipeline_stage_run``: each stage within a pipeline run.
- ``pipeline_stage_cache``: what a stage made for a fingerprint (inputs and outs as JSON text).
- ``pipeline_trigger``: triggers that fired; ``dedupe_key`` is unique so that one event (a new
  dataset version, an alert) heard by two desktops starts one run.
- ``pipeline_gate``: the decisions of register gates and their approvals.

New tables only: a catalog at 0012 keeps everything as it was.

Revision ID: 0013
Revises: 0012
Create Date: 2027-06-01 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

_RUN_ID = sa.String(length=64)
_NAME = sa.String(length=255)


def _who(prefix: str = "") -> list[sa.Column]:
    return [
        sa.Column(f'{prefix}user', _NAME, nullable=True),
        sa.Column(f'{prefix}host', _NAME, nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        'pipeline',
        sa.Column('name', _NAME, nullable=False),
        sa.Column('path', sa.Text(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('stages', sa.Integer(), nullable=False),
        sa.Column('triggers_json', sa.Text(), nullable=False),
        sa.Column('added_at', sa.Float(), nullable=False),
        sa.Column('updated_at', sa.Float(), nullable=False),
        *_who(),
        sa.PrimaryKeyConstraint('name'),
    )
    op.create_table(
        'pipeline_run',
        sa.Column('run_id', _RUN_ID, nullable=False),
        sa.Column('pipeline', _NAME, nullable=False),
        sa.Column('path', sa.Text(), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('trigger', sa.String(length=16), nullable=False),
        sa.Column('trigger_detail', sa.Text(), nullable=False),
        *_who(),
        sa.Column('started_at', sa.Float(), nullable=False),
        sa.Column('ended_at', sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(['run_id'], ['run.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('run_id'),
    )
    op.create_index('ix_pipeline_run_pipeline', 'pipeline_run', ['pipeline'], unique=False)
    op.create_index('ix_pipeline_run_started_at', 'pipeline_run', ['started_at'], unique=False)
    op.create_table(
        'pipeline_stage_run',
        sa.Column('pipeline_run_id', _RUN_ID, nullable=False),
        sa.Column('stage', _NAME, nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('run_id', _RUN_ID, nullable=True),
        sa.Column('source_run_id', _RUN_ID, nullable=True),
        sa.Column('reasons_json', sa.Text(), nullable=False),
        sa.Column('fingerprint', sa.String(length=128), nullable=False),
        sa.Column('target', _NAME, nullable=False),
        sa.Column('detail', sa.Text(), nullable=False),
        sa.Column('started_at', sa.Float(), nullable=True),
        sa.Column('ended_at', sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ['pipeline_run_id'], ['pipeline_run.run_id'], ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('pipeline_run_id', 'stage'),
    )
    op.create_index(
        'ix_pipeline_stage_run_run_id', 'pipeline_stage_run', ['run_id'], unique=False
    )
    op.create_table(
        'pipeline_stage_cache',
        sa.Column('pipeline', _NAME, nullable=False),
        sa.Column('stage', _NAME, nullable=False),
        sa.Column('fingerprint', sa.String(length=128), nullable=False),
        sa.Column('inputs_json', sa.Text(), nullable=False),
        sa.Column('outs_json', sa.Text(), nullable=False),
        sa.Column('run_id', _RUN_ID, nullable=True),
        sa.Column('created_at', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('pipeline', 'stage', 'fingerprint'),
    )
    op.create_index(
        'ix_pipeline_stage_cache_last',
        'pipeline_stage_cache',
        ['pipeline', 'stage', 'created_at'],
        unique=False,
    )
    op.create_table(
        'pipeline_trigger',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('pipeline', _NAME, nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('detail', sa.Text(), nullable=False),
        sa.Column('at', sa.Float(), nullable=False),
        sa.Column('pipeline_run_id', _RUN_ID, nullable=True),
        sa.Column('outcome', sa.Text(), nullable=False),
        *_who(),
        sa.Column('dedupe_key', sa.String(length=512), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('dedupe_key'),
    )
    op.create_index('ix_pipeline_trigger_pipeline', 'pipeline_trigger', ['pipeline'], unique=False)
    op.create_table(
        'pipeline_gate',
        sa.Column('pipeline_run_id', _RUN_ID, nullable=False),
        sa.Column('stage', _NAME, nullable=False),
        sa.Column('model', _NAME, nullable=False),
        sa.Column('passed', sa.Boolean(), nullable=False),
        sa.Column('evidence_json', sa.Text(), nullable=False),
        sa.Column('metrics_json', sa.Text(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=True),
        sa.Column('alias', _NAME, nullable=False),
        sa.Column('approval', sa.String(length=16), nullable=False),
        sa.Column('decided_by', _NAME, nullable=True),
        sa.Column('decided_at', sa.Float(), nullable=True),
        sa.Column('decided_host', _NAME, nullable=True),
        sa.ForeignKeyConstraint(
            ['pipeline_run_id'], ['pipeline_run.run_id'], ondelete='CASCADE'
        ),
        sa.PrimaryKeyConstraint('pipeline_run_id', 'stage'),
    )
    op.create_index('ix_pipeline_gate_approval', 'pipeline_gate', ['approval'], unique=False)


def downgrade() -> None:
    op.drop_table('pipeline_gate')
    op.drop_table('pipeline_trigger')
    op.drop_table('pipeline_stage_cache')
    op.drop_table('pipeline_stage_run')
    op.drop_table('pipeline_run')
    op.drop_table('pipeline')
