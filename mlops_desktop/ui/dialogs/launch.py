"""Launch a run: where (local, an SSH host, a Slurm cluster; its GPUs), what (the command,
its folder, code, environment, Python and datasets), and as which run. ``service.launch`` runs
on the TaskRunner. The command is checked on the target after a pause in typing and again at
launch (a missing program, script or interpreter is said next to its field); the dialog then
follows the job: it steps aside (``started``) once the job runs, or shows the failure with
its exit code and the log's last lines (see :mod:`.launch_follow`)."""

from __future__ import annotations

import os
import shlex
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from mlops_desktop.core.compute import HostInfo, JobInfo, RunSpec
from mlops_desktop.core.errors import LaunchCheckFailed
from mlops_desktop.services.compute import JobService
from mlops_desktop.services.datasets import DatasetService
from mlops_desktop.ui.dialogs.hosts import list_hosts
from mlops_desktop.ui.dialogs.launch_datasets import DatasetList
from mlops_desktop.ui.dialogs.launch_follow import (
    CommandChecker,
    FieldProblems,
    JobFollower,
    failure_sentence,
    log_tail_view,
)
from mlops_desktop.ui.dialogs.launch_gpus import GpuPicker
from mlops_desktop.ui.dialogs.launch_parts import (
    EnvTable,
    RecentSpecs,
    argv_preview,
    parse_command,
    spec_title,
)
from mlops_desktop.ui.dialogs.service_dialog import PathField, ServiceDialog
from mlops_desktop.ui.failures import Failure
from mlops_desktop.ui.tasks import TaskRunner, TaskState
from mlops_desktop.ui.widgets import monospace_font

CODE_MODES = (
    ("In place (local only)", "none"),
    ("Git files + changes", "cwd"),
    ("Folder", "folder"),
)
SLURM_FIELDS = (("partition", "gpu"), ("time", "01:00:00"), ("mem", "16G"), ("cpus", "4"))


def _launch(service: JobService, spec: RunSpec, *, state: TaskState) -> JobInfo:
    return service.launch(spec)


class LaunchDialog(ServiceDialog):
    """See the module docstring.

    Signals:
        launched(JobInfo): the job ``service.launch`` returned.
        started(JobInfo): the launched job runs (or already finished): the dialog closes.
        failedAtOnce(JobInfo): the launched job ended badly before it ran.
    """

    launched = Signal(object)
    started = Signal(object)
    failedAtOnce = Signal(object)

    def __init__(
        self,
        service: JobService,
        runner: TaskRunner,
        home: Path,
        parent: QWidget | None = None,
        datasets: DatasetService | None = None,
    ) -> None:
        """``datasets``: the DatasetService offering datasets to add (None: none offered)."""
        super().__init__(runner, "Launch a run", parent)
        self.resize(1000, 500)
        self._service = service
        self._recent = RecentSpecs(home)
        self.hosts: list[HostInfo] = []
        self.launched_job: JobInfo | None = None
        self._build_fields(datasets)
        self._build_layout()
        self.recent_combo.activated.connect(self._on_recent_chosen)
        self.target_combo.currentIndexChanged.connect(self._on_target_changed)
        self.command_edit.textChanged.connect(self._on_command_changed)
        self.launch_button.clicked.connect(self.start)
        self.buttons.rejected.connect(self.reject)
        self.follower = JobFollower(service, runner, self)
        self.follower.waiting.connect(self._on_job_waiting)
        self.follower.started.connect(self._on_job_started)
        self.follower.failed.connect(self._on_job_failed)
        self.checker = CommandChecker(service, runner, self)
        self.checker.checked.connect(self._on_checked)
        for edit in (self.command_edit, self.python_edit, self.workdir_edit):
            edit.textChanged.connect(self._schedule_check)
        self.env_table.table.itemChanged.connect(self._schedule_check)
        self.code_combo.currentIndexChanged.connect(self._schedule_check)
        self.target_combo.currentIndexChanged.connect(self._schedule_check)
        self._fill_recent(self._recent.load())
        self._on_command_changed()
        self._on_target_changed()
        runner.submit(list_hosts, service, on_done=self._on_hosts, on_failed=self._on_hosts_failed)

    def _build_fields(self, datasets: DatasetService | None) -> None:
        service, runner = self._service, self._runner
        self.recent_combo = QComboBox()
        self.target_combo = QComboBox()
        self.target_combo.addItem("local (this computer)", "local")
        self.gpu_picker = GpuPicker(service, runner)
        self.command_edit = QLineEdit()
        self.command_edit.setPlaceholderText('python train.py --lr 0.01 --note "first try"')
        self.argv_label = QLabel()
        self.argv_label.setFont(monospace_font())
        self.argv_label.setWordWrap(True)
        self.workdir_edit = PathField(os.getcwd(), folder_caption="Working folder")
        self.code_combo = QComboBox()
        for label, mode in CODE_MODES:
            self.code_combo.addItem(label, mode)
        self.python_edit = QLineEdit("python3")
        self.python_edit.setPlaceholderText("python3, or a venv: ~/venvs/torch/bin/python")
        self.python_edit.setToolTip(
            "The interpreter on the target; a command starting with python or python3 runs with it."
        )
        self.problems = FieldProblems()
        self.command_problem = self.problems.labels["command"]
        self.python_problem = self.problems.labels["python"]
        self.log_tail = log_tail_view()
        self.env_table = EnvTable()
        self.dataset_list = DatasetList(datasets, runner)
        self.experiment_edit = QLineEdit("Default")
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("optional")
        self.slurm_edits = {key: QLineEdit() for key, _ in SLURM_FIELDS}
        for key, example in SLURM_FIELDS:
            self.slurm_edits[key].setPlaceholderText(example)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.launch_button = self.buttons.addButton(
            "Launch", QDialogButtonBox.ButtonRole.ActionRole
        )
        self.launch_button.setDefault(True)

    def _build_layout(self) -> None:
        target_row = QHBoxLayout()
        target_row.addWidget(self.target_combo, 1)
        target_row.addWidget(self.gpu_picker.spinner)
        where = QGroupBox("Where")
        where_form = QFormLayout(where)
        where_form.addRow("Target", target_row)
        where_form.addRow("", self.gpu_picker.status_label)
        where_form.addRow("GPUs", self.gpu_picker)
        self.slurm_box = QGroupBox("Slurm")
        slurm_form = QFormLayout(self.slurm_box)
        for key, _ in SLURM_FIELDS:
            slurm_form.addRow(key.capitalize() if key != "cpus" else "CPUs", self.slurm_edits[key])
        left = QVBoxLayout()
        left.addWidget(where)
        left.addWidget(self.slurm_box)
        left.addStretch(1)
        what = QGroupBox("What")
        what_form = QFormLayout(what)
        what_form.addRow("Command", self.command_edit)
        what_form.addRow("", self.command_problem)
        what_form.addRow("Runs as", self.argv_label)
        what_form.addRow("Folder", self.workdir_edit)
        what_form.addRow("Code", self.code_combo)
        what_form.addRow("Python", self.python_edit)
        what_form.addRow("", self.python_problem)
        what_form.addRow("Environment", self.env_table)
        what_form.addRow("Datasets", self.dataset_list)
        what_form.addRow("Experiment", self.experiment_edit)
        what_form.addRow("Run name", self.name_edit)
        right = QVBoxLayout()
        right.addWidget(what)
        right.addStretch(1)
        columns = QHBoxLayout()
        columns.addLayout(left, 1)
        columns.addLayout(right, 1)
        recent_row = QHBoxLayout()
        recent_row.addWidget(QLabel("Recent"))
        recent_row.addWidget(self.recent_combo, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(recent_row)
        layout.addLayout(columns, 1)
        layout.addWidget(self.message)
        layout.addWidget(self.log_tail)
        layout.addWidget(self.buttons)

    # --- public --------------------------------------------------------------------------
    def target(self) -> str:
        return str(self.target_combo.currentData())

    def argv(self) -> list[str]:
        """The command split as a shell would (raises ValueError on bad quoting)."""
        return parse_command(self.command_edit.text())

    def spec(self) -> RunSpec:
        """The spec the form describes.

        Raises:
            ValueError: no command, bad quoting, a bad variable name.
        """
        argv = self.argv()
        if not argv:
            raise ValueError("Type the command to run.")
        target = self.target()
        slurm = {}
        if target.startswith("slurm:"):
            slurm = {k: e.text().strip() for k, e in self.slurm_edits.items() if e.text().strip()}
        indices = self.gpu_picker.indices()
        return RunSpec(
            command=argv,
            target=target,
            code=str(self.code_combo.currentData()),
            workdir=str(Path(self.workdir_edit.text() or os.getcwd()).expanduser()),
            env=self.env_table.env(),
            python=self.python_edit.text().strip() or "python3",
            gpus=len(indices) if indices is not None else self.gpu_picker.count(),
            gpu_indices=indices,
            experiment=self.experiment_edit.text().strip() or "Default",
            name=self.name_edit.text().strip() or None,
            datasets=self.dataset_list.datasets(),
            slurm=slurm,
        )

    def set_spec(self, spec: RunSpec) -> None:
        """Refill the form from ``spec`` (a recent one)."""
        index = self.target_combo.findData(spec.target)
        if index < 0:
            self.target_combo.addItem(spec.target, spec.target)
            index = self.target_combo.count() - 1
        self.target_combo.setCurrentIndex(index)
        self.command_edit.setText(shlex.join(spec.command))
        self.workdir_edit.setText(spec.workdir)
        self.code_combo.setCurrentIndex(max(0, self.code_combo.findData(spec.code)))
        self.python_edit.setText(spec.python)
        self.env_table.set_env(spec.env)
        self.experiment_edit.setText(spec.experiment)
        self.name_edit.setText(spec.name or "")
        self.dataset_list.set_datasets(list(spec.datasets))
        for key, edit in self.slurm_edits.items():
            edit.setText(spec.slurm.get(key, ""))
        self.gpu_picker.set_choice(spec.gpus, spec.gpu_indices)

    def prefill(self, spec: RunSpec) -> None:
        """Fill the form from ``spec`` to launch it again with changes (command, target,
        experiment, environment...); nothing starts until the user clicks Launch."""
        self.set_spec(spec)
        self.show_message("Check the command and its parameters, then Launch.")

    def start(self) -> None:
        """Launch the form's spec on the runner."""
        if self.is_running():
            return
        try:
            spec = self.spec()
        except ValueError as exc:
            self.show_message(str(exc), error=True)
            return
        self.checker.schedule(None)
        self.follower.stop()
        self.log_tail.hide()
        self.show_message(f"Checking the command and launching on {spec.target}…")
        self.run_task(
            _launch,
            self._service,
            spec,
            on_done=lambda job: self._on_launched(spec, job),
            on_failed=self._on_launch_failed,
            label="Launching a run",
        )

    def update_enabled(self) -> None:
        self._on_command_changed()

    # --- slots ---------------------------------------------------------------------------

    def _fill_recent(self, specs: list[RunSpec]) -> None:
        self.recent_specs = specs
        self.recent_combo.clear()
        self.recent_combo.addItem(
            "Fill the form from a recent launch…" if specs else "No recent launches"
        )
        for spec in specs:
            self.recent_combo.addItem(spec_title(spec))
        self.recent_combo.setEnabled(bool(specs))

    def _on_recent_chosen(self, index: int) -> None:
        if 1 <= index <= len(self.recent_specs):
            self.set_spec(self.recent_specs[index - 1])

    def _on_hosts(self, hosts: list[HostInfo]) -> None:
        self.hosts = hosts
        current = self.target()
        for host in hosts:
            target = f"{host.kind}:{host.name}"
            if self.target_combo.findData(target) < 0:
                self.target_combo.addItem(f"{target}  ({host.address})", target)
        self.target_combo.setCurrentIndex(max(0, self.target_combo.findData(current)))

    def _on_hosts_failed(self, failure: Failure) -> None:
        self.show_failure(failure, "Cannot list hosts")

    def _on_target_changed(self, _index: int = 0) -> None:
        target = self.target()
        self.slurm_box.setVisible(target.startswith("slurm:"))
        if target != "local" and self.code_combo.currentData() == "none":
            self.code_combo.setCurrentIndex(self.code_combo.findData("cwd"))
        self.gpu_picker.load(target)

    def _on_command_changed(self, _text: str = "") -> None:
        try:
            argv = self.argv()
        except ValueError as exc:
            self.argv_label.setText(f"cannot split: {exc}")
            self.launch_button.setEnabled(False)
            return
        self.argv_label.setText(argv_preview(argv))
        self.launch_button.setEnabled(bool(argv) and not self.is_running())

    def _on_launched(self, spec: RunSpec, job: JobInfo) -> None:
        self.launched_job = job
        self._fill_recent(self._recent.add(spec))
        self.show_message(f"Launched run {job.name or job.run_id} on {job.target}: {job.state}…")
        self.launched.emit(job)
        self.follower.follow(job.run_id)

    def _on_launch_failed(self, failure: Failure) -> None:
        exc = failure.exc
        if isinstance(exc, LaunchCheckFailed):
            self._on_checked(exc.field, str(failure))
        self.show_failure(failure, "Cannot launch")

    # --- checks and following ------------------------------------------------------------

    def _schedule_check(self, *_args: object) -> None:
        self._on_checked("", "")
        try:
            spec = self.spec()
        except ValueError:
            spec = None
        self.checker.schedule(spec)

    def _on_checked(self, field: str, problem: str) -> None:
        self.problems.show(field, problem)

    def _on_job_waiting(self, job: JobInfo) -> None:
        why = f" ({job.detail})" if job.detail else ""
        self.show_message(f"Run {job.name or job.run_id} on {job.target}: {job.state}{why}…")

    def _on_job_started(self, job: JobInfo) -> None:
        self.show_message(f"Started run {job.name or job.run_id}: see Jobs.")
        self.started.emit(job)
        self.accept()

    def _on_job_failed(self, job: JobInfo, tail: str) -> None:
        self.show_message(failure_sentence(job), error=True)
        self.log_tail.setPlainText(tail or "(the log is empty)")
        self.log_tail.show()
        self.failedAtOnce.emit(job)

    def done(self, result: int) -> None:
        """Closing stops following the job and checking the command."""
        self.follower.stop()
        self.checker.schedule(None)
        super().done(result)
