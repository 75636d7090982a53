"""run.parent_run_id: the parent of a nested (child) run, indexed to list a run's children

Existing runs take it from their tags: ``mlops.parent_run_id``, else MLflow's
``mlflow.parentRunId``. Not a foreign key: a child may be ingested before its parent.

Revision ID: 0010
Revises: 0009
Create Date: 2027-03-01 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

PARENT_TAGS = ("mlops.parent_run_id", "mlflow.parentRunId")  # ours first


def upgrade() -> None:
    with op.batch_alter_table('run', schema=None) as batch_op:
        batch_op.add_column(sa.Column('parent_run_id', sa.String(length=64), nullable=True))
        batch_op.create_index('ix_run_parent_run_id', ['parent_run_id'], unique=False)
    bind = op.get_bind()
    rows = bind.execute(
        sa.text("SELECT run_id, key, value FROM tag WHERE key IN (:ours, :mlflow)"),
        {"ours": PARENT_TAGS[0], "mlflow": PARENT_TAGS[1]},
    ).all()
    parents: dict[str, str] = {}
    for run_id, key, value in rows:
        if not value or value == run_id:
            continue
        if key == PARENT_TAGS[0] or run_id not in parents:
            parents[run_id] = str(value)[:64]
    if parents:
        bind.execute(
            sa.text("UPDATE run SET parent_run_id = :parent WHERE id = :id"),
            [{"id": run_id, "parent": parent} for run_id, parent in parents.items()],
        )


def downgrade() -> None:
    with op.batch_alter_table('run', schema=None) as batch_op:
        batch_op.drop_index('ix_run_parent_run_id')
        batch_op.drop_column('parent_run_id')
