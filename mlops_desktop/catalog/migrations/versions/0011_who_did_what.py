"""Who did what: the OS user and the machine behind runs, versions, alias moves, monitors, jobs

- ``run.user`` (``run.host`` exists): the user whose process wrote the run's spool.
- ``dataset_version.user`` and ``.host``: who added the version, on which machine.
- ``model_version.host`` (``created_by`` is the user) and ``model_audit.host`` (``user``
  exists): where a version was made and where each change (alias moves among them) was done.
- ``monitor.user`` and ``.host``, ``job.user`` and ``.host``: who made a monitor or launched
  a job, from which machine.

Rows made before this revision keep NULL: nobody recorded who made them (shown as unknown).

Revision ID: 0011
Revises: 0010
Create Date: 2027-04-01 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

NEW_COLUMNS = {
    "run": ("user",),
    "dataset_version": ("user", "host"),
    "model_version": ("host",),
    "model_audit": ("host",),
    "monitor": ("user", "host"),
    "job": ("user", "host"),
}


def upgrade() -> None:
    for table, columns in NEW_COLUMNS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.add_column(sa.Column(column, sa.String(length=255), nullable=True))


def downgrade() -> None:
    for table, columns in NEW_COLUMNS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in reversed(columns):
                batch_op.drop_column(column)
