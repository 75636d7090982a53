"""The Jobs pane: runs launched locally, on SSH hosts and on Slurm, live.

A :class:`JobsLoop` refreshes the jobs every second on the runner (ssh and Slurm calls never run
on the GUI thread); rows update in place so the selection stays. Below the table, the selected
job's log follows its tail. Launch…, Cancel, Open run and Hosts… act on the service through the
runner as well.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QItemSelection, QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QLabel,
    QMessageBox,
    QSizePolicy,
    QSplitter,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from mlops_desktop.core.compute import TERMINAL_STATES, JobInfo
from mlops_desktop.services.compute import JobService
from mlops_desktop.services.datasets import DatasetService
from mlops_desktop.services.notifications import job_notices
from mlops_desktop.ui.dialogs.hosts import HostsDialog
from mlops_desktop.ui.dialogs.launch import LaunchDialog
from mlops_desktop.ui.failures import Failure
from mlops_desktop.ui.formatting import count_noun, short_id, shown_html, shown_text
from mlops_desktop.ui.item_models import jobs_table as jt
from mlops_desktop.ui.live import IngestLoop, JobsLoop
from mlops_desktop.ui.navigation import (
    AppEvents,
    Navigator,
    OpenHostsDialog,
    OpenLaunchDialog,
    ShowJob,
)
from mlops_desktop.ui.panes.experiments.run_log import LogView
from mlops_desktop.ui.panes.jobs.usage import JobsUsageFeed
from mlops_desktop.ui.panes.jobs.views import JobLogSource, jobs_table_view
from mlops_desktop.ui.panes.registry import Pane, PaneContext, register_pane
from mlops_desktop.ui.tasks import TaskRunner, TaskState
from mlops_desktop.ui.widgets import EmptyState

FILTERS = (("All jobs", False), ("Active jobs", True))
NO_JOBS_HTML = (
    "<h2>No jobs yet</h2><p>Launch a run on this computer, an SSH host or a Slurm "
    "cluster with <b>Launch…</b> (Ctrl+L). It shows here while it runs, and after.</p>"
)


def _cancel(service: JobService, run_id: str, *, state: TaskState) -> JobInfo:
    return service.cancel(run_id)


class JobsPane(Pane):
    """See the module docstring.

    Signals:
        jobsShown(): the table was updated from a refresh.
    """

    jobsShown = Signal()

    def __init__(
        self,
        service: JobService,
        runner: TaskRunner,
        home: Path,
        navigator: Navigator | None = None,
        events: AppEvents | None = None,
        ingest: IngestLoop | None = None,
        datasets: DatasetService | None = None,
        parent: QWidget | None = None,
    ) -> None:
        """``datasets``: offered in the launch dialog (None: no datasets to add)."""
        super().__init__(navigator, events, parent)
        self._datasets = datasets
        self._service = service
        self._runner = runner
        self._home = home
        self._ingest = ingest
        self._jobs: list[JobInfo] = []
        self._select_when_listed: str | None = None
        self.message_box: QMessageBox | None = None
        self.launch_dialog: LaunchDialog | None = None
        self.hosts_dialog: HostsDialog | None = None
        self.loop = JobsLoop(service, runner, parent=self)
        self.model = jt.JobsTableModel(self)
        self.view = jobs_table_view(self.model)
        self.usage = JobsUsageFeed(service, runner, self.model, self)
        self._build_toolbar()
        self._build_layout(LogView(JobLogSource(service), runner))
        self._tick = QTimer(self)
        self._tick.setInterval(1000)
        self._connect()
        self._on_selection_changed()

    def _build_toolbar(self) -> None:
        self.toolbar = QToolBar()
        self.launch_action = self._tool("Launch…", "Launch a run (Ctrl+L)", self.open_launch_dialog)
        self.cancel_action = self._tool("Cancel", "Cancel the selected job", self.cancel_selected)
        self.open_action = self._tool("Open run", "Show the run in Experiments", self.open_run)
        self.toolbar.addSeparator()
        self.hosts_action = self._tool("Hosts…", "SSH hosts and clusters", self.open_hosts_dialog)
        self.toolbar.addSeparator()
        self.filter_combo = QComboBox()
        for label, active in FILTERS:
            self.filter_combo.addItem(label, active)
        self.toolbar.addWidget(self.filter_combo)
        self.count_label = QLabel()
        self.count_label.setContentsMargins(10, 0, 4, 0)
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.toolbar.addWidget(spacer)
        self.toolbar.addWidget(self.count_label)

    def _build_layout(self, log: LogView) -> None:
        self.log = log
        self.log_title = QLabel("Select a job to follow its log.")
        self.log_title.setContentsMargins(6, 4, 6, 2)
        self.empty = EmptyState(NO_JOBS_HTML)
        log_box = QWidget()
        log_layout = QVBoxLayout(log_box)
        log_layout.setContentsMargins(0, 0, 0, 0)
        log_layout.setSpacing(0)
        log_layout.addWidget(self.log_title)
        log_layout.addWidget(self.log, 1)
        self.split = QSplitter(Qt.Orientation.Vertical)
        self.split.addWidget(self.view)
        self.split.addWidget(log_box)
        self.split.setSizes([420, 300])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.toolbar)
        layout.addWidget(self.split, 1)
        layout.addWidget(self.empty, 1)
        self.empty.hide()

    def _connect(self) -> None:
        self._tick.timeout.connect(self._on_tick)
        self.events.idleRunsChanged.connect(self.model.set_idle_runs)
        self.loop.jobsListed.connect(self._on_jobs_listed)
        self.loop.jobsChanged.connect(self._on_jobs_changed)
        self.loop.problem.connect(self._show_status)
        self.filter_combo.currentIndexChanged.connect(self._on_filter_changed)
        self.view.selectionModel().selectionChanged.connect(self._on_selection_changed)
        self.view.selectionModel().selectionChanged.connect(self.selectionChanged)
        self.view.doubleClicked.connect(self._on_double_clicked)

    def _tool(self, text: str, tip: str, slot: Callable[[], object]) -> QAction:
        action = self.toolbar.addAction(text)
        action.setToolTip(tip)
        action.triggered.connect(lambda _=False: slot())
        return action

    # --- public --------------------------------------------------------------------------
    def start_live(self) -> None:
        """Refresh jobs every second from now on (the app calls this at start)."""
        self.loop.start()
        self._tick.start()

    def refresh(self) -> None:
        """Refresh now (F5)."""
        self.loop.refresh_now()

    def shutdown(self) -> None:
        self.loop.stop()
        self._tick.stop()
        self.log.stop()

    def selected_job(self) -> JobInfo | None:
        rows = self.view.selectionModel().selectedRows()
        return self.model.row_at(rows[0].row()) if rows else None

    def select_job(self, run_id: str) -> bool:
        row = self.model.row_of(run_id)
        if row is None:
            return False
        self.view.selectRow(row)
        return True

    def open_launch_dialog(self) -> LaunchDialog:
        dialog = LaunchDialog(
            self._service, self._runner, self._home, parent=self, datasets=self._datasets
        )
        dialog.launched.connect(self._on_launched)
        dialog.started.connect(self._on_started)
        self.launch_dialog = dialog
        dialog.open()
        return dialog

    def open_hosts_dialog(self, host: str = "") -> HostsDialog:
        """The host manager, with ``host`` selected once listed (if given)."""
        dialog = HostsDialog(self._service, self._runner, parent=self)
        if host:
            dialog.select(host)
        self.hosts_dialog = dialog
        dialog.open()
        return dialog

    def cancel_selected(self) -> QMessageBox | None:
        """Ask, then cancel the selected job on the runner."""
        job = self.selected_job()
        if job is None or job.state in TERMINAL_STATES:
            return None
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Cancel job",
            shown_html(f"Cancel run {job.name or short_id(job.run_id)} on {job.target}?"),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            self,
        )
        box.setInformativeText(
            "Its processes get SIGTERM, time to save a checkpoint, then SIGKILL."
        )
        box.setDefaultButton(QMessageBox.StandardButton.No)
        run_id = job.run_id
        box.accepted.connect(lambda: self._start_cancel(run_id))
        self.message_box = box
        box.open()
        return box

    def open_run(self) -> None:
        job = self.selected_job()
        if job is not None:
            self.navigator.show_run(job.run_id)

    def write_controls(self) -> list[QAction | QWidget]:
        return [self.launch_action, self.cancel_action]

    def layout_splitters(self) -> list[QSplitter]:
        return [self.split]

    def selection_state(self) -> dict[str, Any]:
        job = self.selected_job()
        return {"run": job.run_id if job else None}

    def restore_selection(self, state: dict[str, Any]) -> None:
        run_id = state.get("run")
        if isinstance(run_id, str) and run_id and not self.select_job(run_id):
            self._select_when_listed = run_id  # when the jobs are listed, if it is still there

    # --- internals -----------------------------------------------------------------------
    def _start_cancel(self, run_id: str) -> None:
        self.model.set_cancelling(run_id)
        self._update_actions()
        self._runner.submit(
            _cancel,
            self._service,
            run_id,
            on_done=self._on_cancelled,
            on_failed=lambda failure: self._on_cancel_failed(run_id, failure),
            label=f"Cancelling {short_id(run_id)}",
        )

    def _show_jobs(self) -> None:
        active = bool(self.filter_combo.currentData())
        shown = [j for j in self._jobs if j.state not in TERMINAL_STATES] if active else self._jobs
        self.model.update_jobs(shown)
        running = sum(1 for j in self._jobs if j.state not in TERMINAL_STATES)
        self.count_label.setText(f"{count_noun(len(self._jobs), 'job')}, {running} active")
        self.empty.setVisible(not self._jobs)
        self.split.setVisible(bool(self._jobs))
        if self._select_when_listed and self.select_job(self._select_when_listed):
            self._select_when_listed = None
        self._on_selection_changed()

    def _update_actions(self) -> None:
        job = self.selected_job()
        cancellable = job is not None and job.state not in TERMINAL_STATES
        self.cancel_action.setEnabled(
            cancellable and self.model.state_text(job) != jt.CANCELLING  # type: ignore[arg-type]
        )
        self.open_action.setEnabled(job is not None)

    def _show_status(self, text: str, timeout_ms: int = 5000) -> None:
        self.events.show_status(text, timeout_ms)

    # --- slots ---------------------------------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self.loop.running:
            self.start_live()

    def _on_tick(self) -> None:
        if self.isVisible():
            self.model.tick()

    def _on_jobs_listed(self, jobs: list[JobInfo]) -> None:
        self._jobs = jobs
        self._show_jobs()
        self.usage.update(jobs)
        self.jobsShown.emit()

    def _on_jobs_changed(self, changed: list[JobInfo]) -> None:
        self.events.post_notices(job_notices(changed))
        if self._ingest is not None:
            self._ingest.ingest_now()
        if len(changed) == 1:
            job = changed[0]
            self._show_status(shown_text(f"Run {job.name or short_id(job.run_id)}: {job.state}"))

    def _on_filter_changed(self, _index: int) -> None:
        self._show_jobs()

    def _on_selection_changed(
        self, _selected: QItemSelection | None = None, _deselected: QItemSelection | None = None
    ) -> None:
        job = self.selected_job()
        self._update_actions()
        if job is None:
            return
        running = job.state not in TERMINAL_STATES
        title = f"Log of {job.name or job.run_id} ({short_id(job.run_id)}) on {job.target}"
        self.log_title.setText(shown_html(title))
        self.log.set_run(job.run_id, running=running)

    def _on_double_clicked(self, _index: QModelIndex) -> None:
        self.open_run()

    def _on_launched(self, job: JobInfo) -> None:
        self._select_when_listed = job.run_id
        who = job.name or short_id(job.run_id)
        self._show_status(shown_text(f"Launched run {who} on {job.target}"))
        self.loop.refresh_now()

    def _on_started(self, job: JobInfo) -> None:
        """The launch dialog stepped aside: show the job here, selected."""
        self._select_when_listed = job.run_id
        self.navigator.show_job(job.run_id)
        self.loop.refresh_now()

    def _on_cancelled(self, job: JobInfo) -> None:
        self._jobs = [job if j.run_id == job.run_id else j for j in self._jobs]
        self.model.update_job(job)
        self._update_actions()
        self._show_status(shown_text(f"Run {job.name or short_id(job.run_id)}: {job.state}"))

    def _on_cancel_failed(self, run_id: str, failure: Failure) -> None:
        self.model.set_cancelling(run_id, False)
        self._update_actions()
        box = QMessageBox(QMessageBox.Icon.Warning, "Cancel job", f"Cannot cancel: {failure}")
        box.setParent(self, box.windowFlags())
        self.message_box = box
        box.open()


def _create(context: PaneContext) -> JobsPane:
    pane = JobsPane(
        context.services.jobs,
        context.runner,
        context.home,
        navigator=context.navigator,
        events=context.events,
        ingest=context.ingest,
        datasets=context.services.datasets,
    )
    if context.catalog_live is not None:  # another desktop's job changed state
        context.catalog_live.jobsChanged.connect(pane.refresh)
    navigator = context.navigator
    navigator.serve(ShowJob, pane, lambda request: pane.select_job(request.run_id))
    navigator.serve(OpenLaunchDialog, pane, lambda _request: pane.open_launch_dialog())
    navigator.serve(OpenHostsDialog, pane, lambda request: pane.open_hosts_dialog(request.host))
    return pane


register_pane("Jobs", "jobs", 15, _create)
