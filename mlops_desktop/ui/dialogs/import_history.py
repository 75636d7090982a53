"""File > Import > MLflow… and TensorBoard…: bring another tool's history into the catalog.

The dialog asks for the source (an ``mlruns`` folder or an ``mlflow.db`` file; a TensorBoard
log folder), remembers the last one, and runs the import on the TaskRunner with a progress bar
and a Cancel button. A cancelled import keeps what it wrote and says so; at the end it says
what was imported, lists the problems met, and offers to open the first experiment imported.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from PySide6.QtCore import QSettings, Signal
from PySide6.QtWidgets import (
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from mlops_desktop.core.plural import count_noun
from mlops_desktop.services.import_progress import ImportProgress, ImportReport
from mlops_desktop.services.importing import ImportOutcome, ImportService
from mlops_desktop.ui.dialogs.service_dialog import PathField, ServiceDialog
from mlops_desktop.ui.failures import Failure
from mlops_desktop.ui.formatting import human_bytes, shown_html
from mlops_desktop.ui.tasks import TaskRunner, TaskState

ImportKind = Literal["mlflow", "tensorboard"]
STEPS = 1000
SHOWN_PROBLEMS = 200  # more are counted, not listed


@dataclass(frozen=True)
class ImportSource:
    """What each kind of import asks for, in words."""

    title: str
    intro: str
    placeholder: str
    file_caption: str | None
    folder_caption: str
    name_label: str
    name_placeholder: str


SOURCES: dict[str, ImportSource] = {
    "mlflow": ImportSource(
        "Import from MLflow",
        "Experiments, runs, params, metrics, tags, artifacts and registered models of an"
        " MLflow store. Importing again adds only what is new.",
        "An mlruns folder, or an mlflow.db file",
        "MLflow database (mlflow.db)",
        "MLflow store (the mlruns folder)",
        "Experiment prefix",
        "None: keep MLflow's experiment names",
    ),
    "tensorboard": ImportSource(
        "Import from TensorBoard",
        "Scalars and hparams of TensorBoard event files, one run per folder holding them."
        " Importing again adds only what was appended since.",
        "The folder you give `tensorboard --logdir`",
        None,
        "TensorBoard log folder",
        "Experiment",
        "The folder's name",
    ),
}


def progress_text(kind: str, progress: ImportProgress) -> str:
    """One line for the progress bar: the phase and how far it got."""
    if kind == "tensorboard":
        amount = f"{human_bytes(progress.done)} of {human_bytes(progress.total or 0)}"
        head = f"Reading event files: {amount}"
    elif progress.total:
        head = f"Importing {progress.phase}: {progress.done:,} of {progress.total:,}"
    else:
        head = f"Importing {progress.phase}: {progress.done:,}"
    return f"{head} ({progress.message})" if progress.message else head


def _added(report: ImportReport) -> list[str]:
    parts = [count_noun(report.runs, "run"), count_noun(report.metrics_points, "metric point")]
    for count, noun in (
        (report.models, "model"),
        (report.versions, "model version"),
        (report.artifacts, "artifact"),
    ):
        if count:
            parts.append(count_noun(count, noun))
    return parts


def _joined(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"


def summary_text(outcome: ImportOutcome) -> str:
    """What the import did, in one sentence."""
    report = outcome.report
    if outcome.cancelled:
        kept = [count_noun(report.runs, "run")]
        if report.metrics_points:
            kept.append(count_noun(report.metrics_points, "metric point"))
        return f"Cancelled: {_joined(kept)} imported so far; import again to go on."
    if not (report.runs or report.metrics_points or report.models or report.versions):
        return "Nothing new: all of it is already in the catalog."
    where = ""
    if len(outcome.experiments) == 1:
        where = f" into “{outcome.experiments[0]}”"
    elif outcome.experiments:
        where = f" into {count_noun(len(outcome.experiments), 'experiment')}"
    return f"Imported {_joined(_added(report))}{where}."


def problems_text(problems: list[str]) -> str:
    """The problems as lines under a heading (the first :data:`SHOWN_PROBLEMS` of them)."""
    head = f"{count_noun(len(problems), 'problem')} (the rest was imported):"
    lines = problems[:SHOWN_PROBLEMS]
    if len(problems) > SHOWN_PROBLEMS:
        lines.append(f"… and {len(problems) - SHOWN_PROBLEMS:,} more.")
    return "\n".join([head, *lines])


def run_import(
    imports: ImportService, kind: str, source: str, name: str, *, state: TaskState
) -> ImportOutcome:
    """Task body: the import, its progress as (fraction, text), stopping when cancelled."""

    def on_progress(progress: ImportProgress) -> None:
        fraction = progress.done / progress.total if progress.total else -1.0
        state.progress(fraction, progress_text(kind, progress))

    def should_stop() -> bool:
        return state.cancelled

    if kind == "tensorboard":
        return imports.import_tensorboard(source, name or None, on_progress, should_stop)
    return imports.import_mlflow(source, name or None, on_progress, should_stop)


class ImportDialog(ServiceDialog):
    """See the module docstring.

    Signals:
        imported(object): an :class:`ImportOutcome` whose import wrote something (also when
            cancelled midway): the panes should reload.
        openExperimentRequested(str): the person asked to see this experiment.
    """

    imported = Signal(object)
    openExperimentRequested = Signal(str)

    def __init__(
        self,
        kind: ImportKind,
        imports: ImportService,
        runner: TaskRunner,
        remembered: QSettings | None = None,
        parent: QWidget | None = None,
    ) -> None:
        """``remembered``: where the last source is kept (None: not kept)."""
        source = SOURCES[kind]
        super().__init__(runner, source.title, parent)
        self.setMinimumWidth(600)
        self.kind = kind
        self._imports = imports
        self._remembered = remembered
        self.outcome: ImportOutcome | None = None
        last = str(remembered.value(self._memory_key, "")) if remembered is not None else ""
        self.intro = QLabel(source.intro)
        self.intro.setWordWrap(True)
        self.source_edit = PathField(
            last, source.placeholder, source.file_caption, source.folder_caption
        )
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText(source.name_placeholder)
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, STEPS)
        self.progress_bar.setVisible(False)
        self.problems_text = QPlainTextEdit()
        self.problems_text.setReadOnly(True)
        self.problems_text.setMaximumHeight(130)
        self.problems_text.setVisible(False)
        self.buttons = QDialogButtonBox()
        self.open_button = QPushButton()
        self.open_button.setVisible(False)
        self.buttons.addButton(self.open_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.import_button = self.buttons.addButton(
            "Import", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.import_button.setDefault(True)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self._lay_out(source)
        self.source_edit.textChanged.connect(lambda _text: self.update_enabled())
        self.import_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self._on_cancel_clicked)
        self.open_button.clicked.connect(self._on_open_clicked)
        self.update_enabled()

    @property
    def _memory_key(self) -> str:
        return f"import/{self.kind}/source"

    def _lay_out(self, source: ImportSource) -> None:
        form = QFormLayout()
        form.addRow("Source", self.source_edit)
        form.addRow(source.name_label, self.name_edit)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addLayout(form)
        layout.addWidget(self.progress_bar)
        layout.addWidget(self.message)
        layout.addWidget(self.problems_text)
        layout.addStretch(1)
        layout.addWidget(self.buttons)

    def start(self) -> None:
        """Check the form and start the import on the runner."""
        source = self.source_edit.text()
        if not source:
            self.show_message("Choose what to import first.", error=True)
            return
        if self._remembered is not None:
            self._remembered.setValue(self._memory_key, source)
            self._remembered.sync()
        self.outcome = None
        self.open_button.setVisible(False)
        self.problems_text.setVisible(False)
        self.progress_bar.setRange(0, STEPS)
        self.progress_bar.setValue(0)
        self.progress_bar.setVisible(True)
        self.show_message("Starting…")
        self.run_task(
            run_import,
            self._imports,
            self.kind,
            source,
            self.name_edit.text().strip(),
            on_done=self._on_done,
            on_failed=self._on_failed,
            on_progress=self._on_progress,
            label=SOURCES[self.kind].title,
        )

    def cancel_task(self) -> None:
        if self.is_running():
            super().cancel_task()
            self.show_message("Cancelling: keeping what was imported…")

    def update_enabled(self) -> None:
        running = self.is_running()
        self.source_edit.setEnabled(not running)
        self.name_edit.setEnabled(not running)
        self.import_button.setEnabled(not running and bool(self.source_edit.text()))
        self.import_button.setText("Import again" if self.outcome is not None else "Import")
        self.cancel_button.setText("Cancel" if running else "Close")

    # --- slots ---------------------------------------------------------------------------
    def _on_cancel_clicked(self) -> None:
        if self.is_running():
            self.cancel_task()
        else:
            self.reject()

    def _on_progress(self, fraction: float, message: str) -> None:
        if fraction < 0:  # how much is left is not known
            self.progress_bar.setRange(0, 0)
        else:
            self.progress_bar.setRange(0, STEPS)
            self.progress_bar.setValue(round(min(1.0, fraction) * STEPS))
        if message and not self.message.text().startswith("Cancelling"):
            self.show_message(message)

    def _on_done(self, outcome: ImportOutcome) -> None:
        self.outcome = outcome
        self.progress_bar.setRange(0, STEPS)
        self.progress_bar.setVisible(not outcome.cancelled)
        self.progress_bar.setValue(STEPS)
        self.message.setText(f"<b>{shown_html(summary_text(outcome))}</b>")
        if outcome.report.problems:
            self.problems_text.setPlainText(problems_text(outcome.report.problems))
            self.problems_text.setVisible(True)
        if outcome.experiments:
            self.open_button.setText(f"Open “{outcome.experiments[0]}”")
            self.open_button.setVisible(True)
        report = outcome.report
        if report.runs or report.metrics_points or report.models or report.versions:
            self.imported.emit(outcome)
        self.update_enabled()

    def _on_failed(self, failure: Failure) -> None:
        self.progress_bar.setVisible(False)
        self.show_message(f"Cannot import: {failure}", error=True)

    def _on_open_clicked(self) -> None:
        if self.outcome is not None and self.outcome.experiments:
            self.openExperimentRequested.emit(self.outcome.experiments[0])
            self.accept()
