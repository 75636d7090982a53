"""The jobs table: one row per job, updated in place as states change.

Rows are :class:`JobInfo`; :meth:`JobsTableModel.set_usage` adds what each job's run used at
its latest hardware sample (CPU %, RAM, GPU use and memory) and the run's name.
:meth:`JobsTableModel.update_jobs` merges a fresh list into the rows (changed rows repaint,
new rows are inserted, vanished rows removed), so a selection survives the every-second
refresh; :meth:`JobsTableModel.tick` repaints the elapsed time of live jobs.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QModelIndex, QObject
from PySide6.QtGui import QColor, QIcon

from mlops_desktop.core.compute import TERMINAL_STATES, JobInfo, JobUsage
from mlops_desktop.ui.formatting import format_duration, format_time, short_id
from mlops_desktop.ui.icons import dot_icon, idle_gpu_icon
from mlops_desktop.ui.item_models.rows_table import RowsTableModel

COL_STATE = 0
COL_RUN = 1
COL_TARGET = 2
COL_GPUS = 3
COL_CPU = 4
COL_RAM = 5
COL_GPU_USE = 6
COL_COMMAND = 7
COL_SUBMITTED = 8
COL_ELAPSED = 9
COL_EXIT = 10
HEADERS = (
    "State",
    "Run",
    "Target",
    "GPUs",
    "CPU %",
    "RAM",
    "GPU use",
    "Command",
    "Submitted",
    "Elapsed",
    "Exit",
)
USAGE_COLUMNS = (COL_CPU, COL_RAM, COL_GPU_USE)

CANCELLING = "cancelling…"
STATE_COLORS: dict[str, str] = {
    "queued": "#e08a00",
    "starting": "#2f80ed",
    "running": "#2f80ed",
    "finished": "#27ae60",
    "failed": "#e0433b",
    "cancelled": "#8e8e93",
    "lost": "#b04fc9",
    CANCELLING: "#e08a00",
}
_LIVE_RING = frozenset({"starting", "running", CANCELLING})


def job_state_icon(state: str) -> QIcon:
    """A coloured dot for a job state; a ring with a centre for jobs that are running."""
    return dot_icon(STATE_COLORS.get(state, "#c0c0c0"), live=state in _LIVE_RING)


def format_mib(mib: float | None) -> str:
    """Memory in MiB as people read it: "512 MiB", "3.2 GiB"."""
    if mib is None:
        return ""
    return f"{mib / 1024:.1f} GiB" if mib >= 1024 else f"{mib:.0f} MiB"


def usage_text(usage: JobUsage | None, column: int) -> str:
    """The CPU %, RAM or GPU use cell of a run's latest sample ("" before one)."""
    if usage is None:
        return ""
    if column == COL_CPU:
        return "" if usage.cpu_percent is None else f"{usage.cpu_percent:.0f}"
    if column == COL_RAM:
        return format_mib(usage.rss_mb)
    if usage.gpu_util is None and usage.gpu_mem_mb is None:
        return ""
    util = "" if usage.gpu_util is None else f"{usage.gpu_util:.0f} %"
    mem = format_mib(usage.gpu_mem_mb)
    return f"{util}, {mem}" if util and mem else util or mem


def elapsed_s(job: JobInfo, now: float) -> float | None:
    """Seconds the job has run (up to now while it runs); None before it started."""
    if job.started_at is None:
        return None
    end = job.ended_at if job.ended_at is not None else now
    return max(0.0, end - job.started_at)


class JobsTableModel(RowsTableModel[JobInfo]):
    """See the module docstring. Jobs are few: every row is shown at once (no batches)."""

    HEADERS = HEADERS
    NUMERIC_COLUMNS = frozenset({COL_CPU, COL_RAM, COL_GPU_USE, COL_ELAPSED, COL_EXIT})
    BATCH = 1 << 30

    def __init__(
        self, parent: QObject | None = None, clock: Callable[[], float] = time.time
    ) -> None:
        super().__init__(parent)
        self._clock = clock
        self._cancelling: set[str] = set()
        self._idle: dict[str, str] = {}
        self._usage: dict[str, JobUsage] = {}

    # --- feeding -------------------------------------------------------------------------
    def update_jobs(self, jobs: list[JobInfo]) -> None:
        """Merge ``jobs`` (newest first) into the rows without a reset where possible."""
        wanted = {job.run_id for job in jobs}
        for row in range(len(self._rows) - 1, -1, -1):
            if self._rows[row].run_id not in wanted:
                self.beginRemoveRows(QModelIndex(), row, row)
                del self._rows[row]
                self._shown -= 1
                self.endRemoveRows()
        self._cancelling &= wanted
        present = {job.run_id for job in self._rows}
        for i, job in enumerate(jobs):
            if i < len(self._rows) and self._rows[i].run_id == job.run_id:
                if self._rows[i] != job:
                    self._rows[i] = job
                    if job.state in TERMINAL_STATES:
                        self._cancelling.discard(job.run_id)
                    self.dataChanged.emit(self.index(i, 0), self.index(i, len(HEADERS) - 1))
            elif job.run_id not in present:
                self.beginInsertRows(QModelIndex(), i, i)
                self._rows.insert(i, job)
                self._shown += 1
                self.endInsertRows()
            else:  # the order changed (never in practice): start over
                self.set_rows(jobs)
                return

    def update_job(self, job: JobInfo) -> None:
        """Replace one job's row (after a cancel); unknown jobs are ignored."""
        row = self.row_of(job.run_id)
        if row is None:
            return
        self._rows[row] = job
        if job.state in TERMINAL_STATES:
            self._cancelling.discard(job.run_id)
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(HEADERS) - 1))

    def set_cancelling(self, run_id: str, cancelling: bool = True) -> None:
        """Show "cancelling…" for a job until it reaches a final state."""
        (self._cancelling.add if cancelling else self._cancelling.discard)(run_id)
        row = self.row_of(run_id)
        if row is not None:
            self.dataChanged.emit(self.index(row, COL_STATE), self.index(row, COL_STATE))

    def set_idle_runs(self, notes: dict[str, str]) -> None:
        """Badge the jobs whose GPUs stay idle; ``notes`` says why, per run id."""
        if notes == self._idle:
            return
        self._idle = dict(notes)
        if self._rows:
            self.dataChanged.emit(
                self.index(0, COL_STATE), self.index(len(self._rows) - 1, COL_STATE)
            )

    def set_usage(self, usage: dict[str, JobUsage]) -> None:
        """Show these runs' latest use and names (rows of other runs keep theirs)."""
        for row, job in enumerate(self._rows):
            found = usage.get(job.run_id)
            if found is None or found == self._usage.get(job.run_id):
                continue
            self._usage[job.run_id] = found
            self.dataChanged.emit(self.index(row, COL_RUN), self.index(row, COL_GPU_USE))

    def usage_of(self, run_id: str) -> JobUsage | None:
        return self._usage.get(run_id)

    def run_name(self, job: JobInfo) -> str:
        """The run's name: the job's, else the catalog's ("" when neither is known)."""
        usage = self._usage.get(job.run_id)
        return job.name or (usage.run_name if usage is not None else "")

    def tick(self) -> None:
        """Repaint the elapsed time of jobs that are still running."""
        for row, job in enumerate(self._rows[: self._shown]):
            if job.started_at is not None and job.ended_at is None:
                index = self.index(row, COL_ELAPSED)
                self.dataChanged.emit(index, index)

    def row_of(self, run_id: str) -> int | None:
        for row, job in enumerate(self._rows):
            if job.run_id == run_id:
                return row
        return None

    def state_text(self, job: JobInfo) -> str:
        if job.run_id in self._cancelling and job.state not in TERMINAL_STATES:
            return CANCELLING
        return job.state

    # --- RowsTableModel hooks ------------------------------------------------------------
    def display(self, item: JobInfo, column: int) -> str:
        if column == COL_STATE:
            return self.state_text(item)
        if column == COL_RUN:
            name = self.run_name(item)
            return f"{name}  ({short_id(item.run_id)})" if name else short_id(item.run_id)
        if column == COL_TARGET:
            return item.target
        if column == COL_GPUS:
            return ",".join(str(g) for g in item.gpus) if item.gpus else "—"
        if column in USAGE_COLUMNS:  # while the job runs
            live = item.state not in TERMINAL_STATES
            return usage_text(self._usage.get(item.run_id), column) if live else ""
        if column == COL_COMMAND:
            return " ".join(item.command)
        if column == COL_SUBMITTED:
            return format_time(item.submitted_at)
        if column == COL_ELAPSED:
            return format_duration(elapsed_s(item, self._clock()))
        return "" if item.exit_code is None else str(item.exit_code)

    def sort_value(self, item: JobInfo, column: int) -> object:
        if column == COL_SUBMITTED:
            return item.submitted_at
        if column == COL_ELAPSED:
            return elapsed_s(item, self._clock()) or 0.0
        if column == COL_EXIT:
            return -1 if item.exit_code is None else item.exit_code
        if column in USAGE_COLUMNS:
            usage = self._usage.get(item.run_id)
            if usage is None:
                return -1.0
            values = {COL_CPU: usage.cpu_percent, COL_RAM: usage.rss_mb}
            value = values.get(column, usage.gpu_util)
            return -1.0 if value is None else value
        return self.display(item, column)

    def tooltip(self, item: JobInfo, column: int) -> str | None:
        if column == COL_STATE:
            text = f"{item.state}: {item.detail}" if item.detail else item.state
            idle = self._idle.get(item.run_id) if item.state == "running" else None
            return text + (f"\n{idle}" if idle else "")
        if column == COL_RUN:
            return f"{item.experiment} / {self.run_name(item) or '(unnamed)'}\n{item.run_id}"
        if column in USAGE_COLUMNS:
            usage = self._usage.get(item.run_id)
            if usage is None or usage.sampled_at is None:
                return "No hardware sample of this run yet: runs are sampled while they run."
            when = format_time(usage.sampled_at)
            return f"At the run's latest hardware sample ({when}); CPU % is of one core."
        if column == COL_COMMAND:
            return " ".join(item.command)
        return None

    def decoration(self, item: JobInfo, column: int) -> QIcon | None:
        if column != COL_STATE:
            return None
        if item.state == "running" and item.run_id in self._idle:
            return idle_gpu_icon()
        return job_state_icon(self.state_text(item))

    def foreground(self, item: JobInfo, column: int) -> QColor | None:
        if column == COL_EXIT and item.exit_code not in (None, 0):
            return QColor(STATE_COLORS["failed"])
        return None
