"""Issue 12: the Jobs table shows the run's name (the id in a tooltip) and, for a running
job, CPU %, RAM and GPU use from the run's latest hardware sample (``metric_latest``)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from mlops_desktop.core.compute import JobInfo, JobUsage, RunSpec
from mlops_desktop.ui.item_models import jobs_table as jt
from mlops_desktop.ui.panes.jobs.pane import JobsPane

TIMEOUT_MS = 30_000
BUSY = "import time\nend = time.time() + 600\nwhile time.time() < end: sum(range(10000))"


@pytest.fixture
def jobs(service: Any, home: Path) -> Any:
    from mlops_desktop.services.compute import JobService

    return JobService(service.catalog, home)


@pytest.fixture
def pane(qtbot: Any, jobs: Any, runner: Any, home: Path) -> Iterator[JobsPane]:
    widget = JobsPane(jobs, runner, home)
    qtbot.addWidget(widget)
    widget.show()
    yield widget
    for job in jobs.jobs(active_only=True):
        jobs.cancel(job.run_id, grace_s=0)
    widget.shutdown()


def cell(pane: JobsPane, run_id: str, column: int, role: Any = None) -> str:
    row = pane.model.row_of(run_id)
    if row is None:
        return ""
    index = pane.model.index(row, column)
    return str(pane.model.data(index, role) if role is not None else pane.model.data(index))


def test_a_running_job_shows_its_run_name_cpu_and_ram(
    qtbot: Any, pane: JobsPane, jobs: Any, service: Any, tmp_path: Path
) -> None:
    job = jobs.launch(RunSpec(command=[sys.executable, "-c", BUSY], workdir=str(tmp_path)))
    pane.refresh()

    def sampled() -> bool:
        service.ingest()  # the app's ingest loop does this every few seconds
        pane.refresh()
        return cell(pane, job.run_id, jt.COL_RAM).endswith("MiB")

    qtbot.waitUntil(sampled, timeout=TIMEOUT_MS)
    run_cell = cell(pane, job.run_id, jt.COL_RUN)
    assert run_cell.startswith(job.name) and job.run_id not in run_cell
    tip = cell(pane, job.run_id, jt.COL_RUN, Qt.ItemDataRole.ToolTipRole)
    assert job.run_id in tip
    assert float(cell(pane, job.run_id, jt.COL_CPU)) >= 0
    assert pane.model.headerData(jt.COL_GPU_USE, Qt.Orientation.Horizontal) == "GPU use"


def test_usage_cells_and_a_nameless_job_named_from_its_run(qtbot: Any) -> None:
    model = jt.JobsTableModel(clock=lambda: 100.0)
    running = JobInfo("a" * 32, "local", "running", 1.0, started_at=2.0)
    ended = JobInfo("b" * 32, "local", "finished", 1.0, started_at=2.0, ended_at=5.0)
    model.update_jobs([running, ended])
    assert model.data(model.index(0, jt.COL_RUN)) == "aaaaaaaa"  # never the 32-char id
    model.set_usage(
        {
            running.run_id: JobUsage("brave-otter", 153.4, 2048.0, 87.0, 10240.0, 99.0),
            ended.run_id: JobUsage("calm-fox", 10.0, 100.0),
        }
    )
    row = [model.data(model.index(0, c)) for c in (jt.COL_RUN, *jt.USAGE_COLUMNS)]
    assert row == ["brave-otter  (aaaaaaaa)", "153", "2.0 GiB", "87 %, 10.0 GiB"]
    assert model.data(model.index(1, jt.COL_CPU)) == ""  # only running jobs show use
    assert model.data(model.index(1, jt.COL_RUN)).startswith("calm-fox")
