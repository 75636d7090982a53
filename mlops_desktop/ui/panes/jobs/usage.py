"""Feeds the jobs table what the active jobs' runs use (CPU %, RAM, GPU) and runs' names.

After each jobs refresh, one task on the runner reads the latest ``sys/`` values of the active
jobs' runs (and the names of runs whose job has none) in one query over ``metric_latest``:
no chunk is read. The latest request wins, so a slow catalog never piles tasks up.
"""

from __future__ import annotations

from PySide6.QtCore import QObject

from mlops_desktop.core.compute import TERMINAL_STATES, JobInfo, JobUsage
from mlops_desktop.services.compute import JobService
from mlops_desktop.ui.item_models.jobs_table import JobsTableModel
from mlops_desktop.ui.tasks import TaskRunner, TaskState


def _read_usage(
    service: JobService, run_ids: list[str], *, state: TaskState
) -> dict[str, JobUsage]:
    return service.jobs_usage(run_ids)


class JobsUsageFeed(QObject):
    """See the module docstring."""

    def __init__(
        self,
        service: JobService,
        runner: TaskRunner,
        model: JobsTableModel,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._service = service
        self._runner = runner
        self._model = model

    def wanted(self, jobs: list[JobInfo]) -> list[str]:
        """Run ids to read: active jobs', and those of nameless jobs not read yet."""
        return [
            job.run_id
            for job in jobs
            if job.state not in TERMINAL_STATES
            or (not job.name and self._model.usage_of(job.run_id) is None)
        ]

    def update(self, jobs: list[JobInfo]) -> None:
        """Read the use of ``jobs``' runs on the runner (nothing when none is wanted)."""
        run_ids = self.wanted(jobs)
        if run_ids:
            self._runner.submit(
                _read_usage,
                self._service,
                run_ids,
                key=(id(self), "usage"),
                on_done=self._model.set_usage,
            )
