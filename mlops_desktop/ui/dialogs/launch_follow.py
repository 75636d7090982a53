"""What the launch dialog does around the launch itself, on the TaskRunner (never the GUI
thread): it checks the command on the target after a pause in typing, and it follows a
launched job until it runs (then the dialog steps aside to the Jobs pane) or fails at once
(then it shows the exit code and the log's last lines instead of "starting" forever).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QLabel, QPlainTextEdit

from mlops_desktop.core.compute import TERMINAL_STATES, JobInfo, RunSpec
from mlops_desktop.core.errors import LaunchCheckFailed
from mlops_desktop.services.compute import JobService
from mlops_desktop.ui.dialogs.service_dialog import message_html
from mlops_desktop.ui.failures import Failure
from mlops_desktop.ui.tasks import TaskHandle, TaskRunner, TaskState
from mlops_desktop.ui.widgets import monospace_font

CHECK_PAUSE_MS = 700  # check the command this long after the last keystroke
FOLLOW_STEP_S = 2.0  # one follow task waits at most this long for a state change
LOG_TAIL_LINES = 12
STARTED_AFTER_S = 1.0  # a job that ran this long did not fail at once: the dialog steps aside


@dataclass(frozen=True)
class FollowedJob:
    """A followed job's state, and the log's last lines once it ended."""

    job: JobInfo
    log_tail: str = ""


def _follow(service: JobService, run_id: str, *, state: TaskState) -> FollowedJob:
    job = service.wait_running(run_id, FOLLOW_STEP_S, STARTED_AFTER_S)
    if job.state in TERMINAL_STATES and job.state != "finished":
        return FollowedJob(job, service.log_tail(run_id, LOG_TAIL_LINES))
    return FollowedJob(job)


def _check(service: JobService, spec: RunSpec, *, state: TaskState) -> str:
    service.check_command(spec)
    return ""


def failure_sentence(job: JobInfo) -> str:
    """One sentence for a job that ended badly at once."""
    who = job.name or job.run_id
    code = f" with exit code {job.exit_code}" if job.exit_code is not None else ""
    why = f": {job.detail}" if job.detail and job.detail != f"exit code {job.exit_code}" else ""
    return f"Run {who} {job.state} on {job.target}{code}{why}."


class JobFollower(QObject):
    """Follows one launched job on the runner.

    Signals:
        waiting(JobInfo): still starting or queued (the dialog says so).
        started(JobInfo): running, or already finished.
        failed(JobInfo, str): ended badly; the log's last lines.
    """

    waiting = Signal(object)
    started = Signal(object)
    failed = Signal(object, str)

    def __init__(self, service: JobService, runner: TaskRunner, parent: QObject | None = None):
        super().__init__(parent)
        self._service = service
        self._runner = runner
        self.run_id: str | None = None
        self._handle: TaskHandle | None = None
        self._running_seen: float | None = None  # when this follower first saw it running

    def follow(self, run_id: str) -> None:
        """Follow ``run_id`` (instead of any job followed before)."""
        self.stop()
        self.run_id = run_id
        self._running_seen = None
        self._next()

    def stop(self) -> None:
        self.run_id = None
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def _next(self) -> None:
        if self.run_id is None:
            return
        run_id = self.run_id
        self._handle = self._runner.submit(
            _follow,
            self._service,
            run_id,
            key=(id(self), "follow"),
            on_done=lambda found: self._on_step(run_id, found),
            on_failed=lambda failure: self._on_failed(run_id, failure),
        )

    def _on_step(self, run_id: str, found: FollowedJob) -> None:
        if run_id != self.run_id:
            return
        self._handle = None
        job = found.job
        if job.state == "running" and self._running_seen is None:
            self._running_seen = time.monotonic()
        if job.state in ("starting", "queued") or (
            job.state == "running" and not self._settled(job)
        ):
            self.waiting.emit(job)
            QTimer.singleShot(0, self._next)
        elif job.state in ("running", "finished"):
            self.run_id = None
            self.started.emit(job)
        else:
            self.run_id = None
            self.failed.emit(job, found.log_tail)

    def _settled(self, job: JobInfo) -> bool:
        """Running long enough not to have failed at once (by the job's clock, or by ours for
        a host whose clock differs)."""
        since = job.started_at if job.started_at is not None else job.submitted_at
        seen = self._running_seen
        ours = seen is not None and time.monotonic() - seen >= STARTED_AFTER_S
        return ours or time.time() - since >= STARTED_AFTER_S

    def _on_failed(self, run_id: str, failure: Failure) -> None:
        if run_id == self.run_id:  # the job cannot be read now: try again on the next step
            self._handle = None
            QTimer.singleShot(1000, self._next)


class CommandChecker(QObject):
    """Checks the form's spec on its target after a pause in typing (the latest wins).

    Signals:
        checked(str, str): the field ("command" or "python") and its problem, or ("", "")
            when the check passed.
    """

    checked = Signal(str, str)

    def __init__(self, service: JobService, runner: TaskRunner, parent: QObject | None = None):
        super().__init__(parent)
        self._service = service
        self._runner = runner
        self._spec: RunSpec | None = None
        self._generation = 0
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(CHECK_PAUSE_MS)
        self.timer.timeout.connect(self.check_now)

    def schedule(self, spec: RunSpec | None) -> None:
        """Check ``spec`` after a pause (None: nothing to check; forgets a pending check)."""
        self._generation += 1
        self._spec = spec
        if spec is None:
            self.timer.stop()
        else:
            self.timer.start()

    def check_now(self) -> None:
        spec, generation = self._spec, self._generation
        if spec is None:
            return
        self._runner.submit(
            _check,
            self._service,
            spec,
            key=(id(self), "check"),
            on_done=lambda _ok: self._answer(generation, "", ""),
            on_failed=lambda failure: self._on_failed(generation, failure),
        )

    def _on_failed(self, generation: int, failure: Failure) -> None:
        if isinstance(failure.exc, LaunchCheckFailed):
            self._answer(generation, failure.exc.field, str(failure))
        else:  # an unreachable host or a bad form: said when Launch is clicked
            self._answer(generation, "", "")

    def _answer(self, generation: int, field: str, problem: str) -> None:
        if generation == self._generation:
            self.checked.emit(field, problem)


class FieldProblems:
    """The red sentences under the Command and Python fields (hidden while there is none)."""

    FIELDS = ("command", "python")

    def __init__(self) -> None:
        self.labels: dict[str, QLabel] = {}
        for field in self.FIELDS:
            label = QLabel()
            label.setWordWrap(True)
            label.hide()
            self.labels[field] = label

    def show(self, field: str, problem: str) -> None:
        """Say ``problem`` under ``field``'s input; clear the others ("" clears all)."""
        for name, label in self.labels.items():
            text = problem if name == field else ""
            label.setText(message_html(text, error=True) if text else "")
            label.setVisible(bool(text))


def log_tail_view() -> QPlainTextEdit:
    """The read-only box with a failed job's last log lines (hidden until one fails)."""
    view = QPlainTextEdit()
    view.setReadOnly(True)
    view.setFont(monospace_font())
    view.setMaximumHeight(150)
    view.hide()
    return view
