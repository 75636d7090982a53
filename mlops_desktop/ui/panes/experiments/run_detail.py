"""The Detail tab: one run's header, params, metrics, tags, notes, code, environment, log, files."""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import quote, unquote

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from mlops_desktop.core.run_documents import who_text
from mlops_desktop.core.runs import RunDetail
from mlops_desktop.services.experiments import ExperimentService
from mlops_desktop.services.lab_store import LabStoreService
from mlops_desktop.ui.failures import Failure
from mlops_desktop.ui.formatting import (
    format_duration,
    format_time,
    format_value,
    shown_text,
)
from mlops_desktop.ui.icons import status_icon
from mlops_desktop.ui.panes.experiments.run_artifacts import ArtifactsView
from mlops_desktop.ui.panes.experiments.run_code import CodeView
from mlops_desktop.ui.panes.experiments.run_env import EnvironmentView
from mlops_desktop.ui.panes.experiments.run_log import LogView
from mlops_desktop.ui.panes.experiments.run_notes import NotesEditor
from mlops_desktop.ui.panes.experiments.run_system import SystemView
from mlops_desktop.ui.tasks import TaskRunner, TaskState
from mlops_desktop.ui.widgets import EmptyState, ReadOnlyTable, heading_label

ERROR_COLOR = "#e5484d"  # readable on light and dark backgrounds
NO_SELECTION_TEXT = "Select a run to see its details; select several to compare."
RUN_LINK = "run:"  # the href of a link to another run: run:<id>
CHILD_LINKS = 20  # the header links at most this many children ("and 7 more")
_HEADER_FIELDS = (
    ("id", "ID"),
    ("experiment", "Experiment"),
    ("started", "Started"),
    ("duration", "Duration"),
    ("target", "Target"),
    ("who", "Ran by"),
    ("command", "Command"),
)


def _run_link(run_id: str, name: str) -> str:
    text = html.escape(shown_text(name) or run_id[:8])
    return f'<a href="{RUN_LINK}{quote(run_id, safe="")}" title="{run_id}">{text}</a>'


def family_html(detail: RunDetail) -> str:
    """ "child of <parent>" and "Children (n): <a>, <b>…" as links; "" for a lone run."""
    parts = []
    parent = detail.summary.parent_run_id
    if parent is not None:
        known = detail.parent_name is not None
        link = _run_link(parent, detail.parent_name or "") if known else html.escape(parent[:8])
        parts.append(f"child of {link}" + ("" if known else " (not in this catalog)"))
    if detail.children:
        links = [_run_link(cid, name) for cid, name in detail.children[:CHILD_LINKS]]
        more = len(detail.children) - len(links)
        tail = f" and {more} more" if more > 0 else ""
        parts.append(f"<b>Children ({len(detail.children)})</b>&nbsp; " + ", ".join(links) + tail)
    return "&nbsp;&nbsp;·&nbsp;&nbsp;".join(parts)


def _get_run(service: ExperimentService, run_id: str, *, state: TaskState) -> RunDetail:
    return service.get_run(run_id)


class RunDetailView(QWidget):
    """Loads ``service.get_run`` on the runner for the one selected run.

    Signals:
        detailShown(str): the detail of this run id is on screen.
        runActivated(str): the person followed the link to the run's parent or a child.
    """

    detailShown = Signal(str)
    runActivated = Signal(str)  # a link to the parent or a child run: select that run
    datasetActivated = Signal(str, str)
    registerModelRequested = Signal(str, str)  # run id, artifact name

    def __init__(
        self,
        service: ExperimentService,
        runner: TaskRunner,
        parent: QWidget | None = None,
        store: LabStoreService | None = None,
    ) -> None:
        super().__init__(parent)
        self._store = store
        self._service = service
        self._runner = runner
        self._run_id: str | None = None
        self.detail: RunDetail | None = None

        self.empty = EmptyState(NO_SELECTION_TEXT)
        content = QWidget()
        column = QVBoxLayout(content)
        column.setContentsMargins(6, 6, 6, 0)
        column.addLayout(self._build_title())
        column.addWidget(self.family_label)
        column.addWidget(self.error_label)
        column.addLayout(self._build_header_grid())
        column.addWidget(self._build_tabs(service, runner), 1)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty)
        self.stack.addWidget(content)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)

    def _build_title(self) -> QHBoxLayout:
        self.icon_label = QLabel()
        self.name_label = heading_label()
        self.status_label = QLabel()
        title_row = QHBoxLayout()
        title_row.addWidget(self.icon_label)
        title_row.addWidget(self.name_label)
        title_row.addWidget(self.status_label)
        title_row.addStretch(1)
        self.error_label = QLabel()  # a failed or killed run's error, in red under the title
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet(f"color: {ERROR_COLOR};")
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.setVisible(False)
        self.family_label = QLabel()  # "child of <parent>" and the children, as links
        self.family_label.setTextFormat(Qt.TextFormat.RichText)
        self.family_label.setWordWrap(True)
        self.family_label.setVisible(False)
        self.family_label.linkActivated.connect(self._on_run_link)
        return title_row

    def _build_header_grid(self) -> QGridLayout:
        self.header_values: dict[str, QLabel] = {}
        grid = QGridLayout()
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(2)
        for i, (key, title) in enumerate(_HEADER_FIELDS):
            value = QLabel()
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.header_values[key] = value
            row, col = divmod(i, 2)
            grid.addWidget(QLabel(f"<b>{title}</b>"), row, col * 2)
            grid.addWidget(value, row, col * 2 + 1)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        return grid

    def _build_overview(self) -> QWidget:
        """Params, metrics and tags side by side, under the datasets the run used."""
        self.params_table = ReadOnlyTable(["Param", "Value"])
        self.metrics_table = ReadOnlyTable(["Metric", "Last value", "Points"])
        self.tags_table = ReadOnlyTable(["Tag", "Value"])
        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(self.metrics_table)
        right.addWidget(self.tags_table)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.params_table)
        split.addWidget(right)
        self.datasets_label = QLabel()
        self.datasets_label.setTextFormat(Qt.TextFormat.RichText)
        self.datasets_label.setWordWrap(True)
        self.datasets_label.setVisible(False)
        self.datasets_label.linkActivated.connect(self._on_dataset_link)
        overview = QWidget()
        overview_layout = QVBoxLayout(overview)
        overview_layout.setContentsMargins(0, 4, 0, 0)
        overview_layout.addWidget(self.datasets_label)
        overview_layout.addWidget(split, 1)
        return overview

    def _build_tabs(self, service: ExperimentService, runner: TaskRunner) -> QTabWidget:
        self.notes = NotesEditor(service, runner)
        self.code = CodeView()
        self.environment = EnvironmentView()
        self.log = LogView(service, runner)
        self.artifacts = ArtifactsView(runner, store=self._store)
        self.artifacts.registerRequested.connect(self._on_register_artifact)
        self.system = SystemView(service, runner)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self._build_overview(), "Params && metrics")
        self.tabs.addTab(self.notes, "Notes")
        self.tabs.addTab(self.code, "Code")
        self.tabs.addTab(self.environment, "Environment")
        self.tabs.addTab(self.log, "Log")
        self.tabs.addTab(self.artifacts, "Artifacts")
        self.tabs.addTab(self.system, "System")
        return self.tabs

    @property
    def run_id(self) -> str | None:
        return self._run_id

    def show_message(self, text: str = NO_SELECTION_TEXT) -> None:
        """No single run: show ``text`` instead of a detail."""
        self.notes.save()
        self._runner.cancel((self, "detail"))
        self._run_id = None
        self.detail = None
        self.log.set_run(None)
        self.system.set_run(None)
        self.empty.set_text(text)
        self.stack.setCurrentWidget(self.empty)

    def show_run(self, run_id: str) -> None:
        """Load and show one run (a repeated id only refreshes it)."""
        if run_id == self._run_id:
            self.refresh()
            return
        self._run_id = run_id
        self._load()

    def refresh(self) -> None:
        """Reload the shown run quietly (live updates)."""
        if self._run_id is not None and not self._runner.is_busy((self, "detail")):
            self._load()

    def shutdown(self) -> None:
        self.notes.save()
        self.log.stop()

    def _load(self) -> None:
        self._runner.submit(
            _get_run,
            self._service,
            self._run_id,
            key=(self, "detail"),
            on_done=self.set_detail,
            on_failed=self._on_load_failed,
        )

    def _on_load_failed(self, failure: Failure) -> None:
        self.empty.set_text(f"Cannot show this run: {failure}")
        self.stack.setCurrentWidget(self.empty)

    def set_detail(self, detail: RunDetail) -> None:
        """Fill every part of the detail from one :class:`RunDetail`.

        A refresh of the run already shown only touches the parts that changed, so live
        updates keep scroll positions, filters and sort orders.
        """
        previous = (
            self.detail if self.detail and self.detail.summary.id == detail.summary.id else None
        )
        self.detail = detail
        run = detail.summary
        self.icon_label.setPixmap(status_icon(run.status).pixmap(16, 16))
        self.name_label.setText(shown_text(run.name))
        in_trash = " · in the trash" if detail.deleted_at is not None else ""
        self.status_label.setText(run.status + in_trash)
        error = detail.error if run.status in ("failed", "killed") else None
        self.error_label.setText(shown_text(error or ""))
        self.error_label.setToolTip(shown_text(error or ""))
        self.error_label.setVisible(bool(error))
        family = family_html(detail)
        self.family_label.setText(family)
        self.family_label.setVisible(bool(family))
        values = self.header_values
        values["id"].setText(run.id)
        values["experiment"].setText(shown_text(run.experiment))
        values["started"].setText(format_time(run.started_at))
        values["duration"].setText(
            format_duration(run.duration) or ("running" if run.status == "running" else "—")
        )
        target = run.target + (f" ({detail.host})" if detail.host else "")
        values["target"].setText(shown_text(target))
        values["who"].setText(shown_text(who_text(run.user, run.host)))
        command = shown_text(detail.command or "—")
        values["command"].setText(command if len(command) <= 80 else command[:79] + "…")
        values["command"].setToolTip(command)
        old = previous.summary if previous else None
        if old is None or old.params != run.params:
            self.params_table.set_rows(
                (shown_text(k), format_value(v)) for k, v in run.params.items()
            )
        if (
            previous is None
            or previous.summary.metrics != run.metrics
            or previous.metric_counts != detail.metric_counts
        ):
            self.metrics_table.set_rows(
                (shown_text(k), format_value(v), detail.metric_counts.get(k, ""))
                for k, v in run.metrics.items()
            )
        if old is None or old.tags != run.tags:
            self.tags_table.set_rows((shown_text(k), shown_text(v)) for k, v in run.tags.items())
        if previous is None or previous.datasets != detail.datasets:
            self._set_datasets(detail.datasets)
        self.notes.set_run(run.id, detail.notes)
        if previous is None or previous.git != detail.git:
            self.code.set_git(detail.git)
        if previous is None or previous.env != detail.env:
            self.environment.set_env(detail.env or {}, detail.host)
        if previous is None or previous.artifacts != detail.artifacts:
            self.artifacts.set_artifacts(list(detail.artifacts))
        self.log.set_run(run.id, running=run.status == "running")
        if previous is None or run.status == "running":
            self.system.set_run(run.id)
        self.stack.setCurrentIndex(1)
        self.detailShown.emit(run.id)

    def _set_datasets(self, datasets: list[dict[str, Any]]) -> None:
        """Links "wine @ v3" to the dataset versions the run used."""
        links = []
        for entry in datasets:
            name, version = str(entry.get("name") or ""), str(entry.get("version") or "")
            if not name:
                continue
            text = html.escape(f"{name} @ {version}" if version else name)
            href = "dataset:" + quote(name, safe="") + "/" + quote(version, safe="")
            link = f'<a href="{href}">{text}</a>'
            path = entry.get("path")
            links.append(f'<span title="{html.escape(str(path))}">{link}</span>' if path else link)
        self.datasets_label.setText("<b>Datasets</b>&nbsp;&nbsp;" + ", ".join(links))
        self.datasets_label.setVisible(bool(links))

    def _on_register_artifact(self, artifact: str) -> None:
        if self._run_id is not None:
            self.registerModelRequested.emit(self._run_id, artifact)

    def _on_run_link(self, href: str) -> None:
        if href.startswith(RUN_LINK):
            self.runActivated.emit(unquote(href.removeprefix(RUN_LINK)))

    def _on_dataset_link(self, href: str) -> None:
        name, _, version = href.removeprefix("dataset:").partition("/")
        self.datasetActivated.emit(unquote(name), unquote(version))
