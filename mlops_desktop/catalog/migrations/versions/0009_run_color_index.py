"""run.color_index: the run's place among its experiment's runs, for a distinct stable colour

A run's colour comes from this number (the 0th, 1st, ... run of its experiment), so runs
started one after another never share a colour among the first twenty, and a run keeps its
colour in every selection. Existing runs are numbered by start time.

Revision ID: 0009
Revises: 0008
Create Date: 2027-02-02 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('run', schema=None) as batch_op:
        batch_op.add_column(sa.Column('color_index', sa.Integer(), nullable=True))
    bind = op.get_bind()
    rows = bind.execute(
        sa.text("SELECT id, experiment_id FROM run ORDER BY experiment_id, started_at, id")
    ).all()
    numbered: list[dict[str, object]] = []
    counts: dict[int, int] = {}
    for run_id, experiment_id in rows:
        index = counts.get(experiment_id, 0)
        counts[experiment_id] = index + 1
        numbered.append({"id": run_id, "n": index})
    if numbered:
        bind.execute(sa.text("UPDATE run SET color_index = :n WHERE id = :id"), numbered)


def downgrade() -> None:
    with op.batch_alter_table('run', schema=None) as batch_op:
        batch_op.drop_column('color_index')
