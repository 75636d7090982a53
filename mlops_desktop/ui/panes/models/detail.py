"""The detail of one model: its versions table and the chosen version's Card, Lineage, Compare.

Every service call goes through the runner; a newer request supersedes the one in flight.
"""

from __future__ import annotations

import html
from collections.abc import Callable

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QHeaderView,
    QLabel,
    QSplitter,
    QTabWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from mlops_desktop.core.models import ModelCard, ModelVersion
from mlops_desktop.services.models import ModelService
from mlops_desktop.ui.failures import Failure
from mlops_desktop.ui.formatting import count_noun, shown_text
from mlops_desktop.ui.item_models.model_tables import VCOL_TAGS, ModelVersionsModel
from mlops_desktop.ui.panes.datasets.tabs import make_table_view
from mlops_desktop.ui.panes.models.card import CardView
from mlops_desktop.ui.panes.models.compare import CompareView
from mlops_desktop.ui.panes.models.lineage import LineageView
from mlops_desktop.ui.panes.models.model_list import AliasBadgeDelegate
from mlops_desktop.ui.tasks import TaskRunner, TaskState
from mlops_desktop.ui.widgets import heading_label

TAB_CARD, TAB_LINEAGE, TAB_COMPARE = 0, 1, 2


def _versions(
    service: ModelService,
    name: str,
    alerts: Callable[[str], dict[int, list[str]]] | None,
    *,
    state: TaskState,
) -> tuple[list[ModelVersion], dict[int, list[str]]]:
    return service.versions(name), (alerts(name) if alerts is not None else {})


def _card(service: ModelService, ref: str, *, state: TaskState) -> ModelCard:
    return service.card(ref)


class ModelDetailView(QWidget):
    """See the module docstring.

    Signals:
        versionsLoaded(): the versions table was (re)filled.
        versionChosen(object): the current :class:`ModelVersion` (or None) changed.
        cardShown(str, int): the card of (name, version) is on screen.
        runActivated(str), datasetActivated(str, str), modelActivated(str, int),
        monitorActivated(str): a link or lineage node was clicked.
    """

    versionsLoaded = Signal()
    versionChosen = Signal(object)
    cardShown = Signal(str, int)
    runActivated = Signal(str)
    datasetActivated = Signal(str, str)
    modelActivated = Signal(str, int)
    monitorActivated = Signal(str)

    def __init__(
        self,
        service: ModelService,
        runner: TaskRunner,
        parent: QWidget | None = None,
        alerts: Callable[[str], dict[int, list[str]]] | None = None,
    ) -> None:
        super().__init__(parent)
        self._service = service
        self._alerts = alerts  # open drift alerts by version, from the monitors
        self._runner = runner
        self._pending_version: int | None = None
        self._compare_dirty = True
        self.name: str | None = None
        self.versions: list[ModelVersion] = []

        self.title_label = heading_label()
        self.summary_label = QLabel()
        self.summary_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.toolbar = QToolBar()
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.versions_model = ModelVersionsModel(self)
        self.versions_view = make_table_view(self.versions_model)
        self.versions_view.setItemDelegate(AliasBadgeDelegate(self.versions_view))
        self.versions_view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header = self.versions_view.horizontalHeader()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)

        self.card = CardView()
        self.lineage = LineageView()
        self.compare = CompareView(service, runner)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.card, "Card")
        self.tabs.addTab(self.lineage, "Lineage")
        self.tabs.addTab(self.compare, "Compare")
        self.split = QSplitter(Qt.Orientation.Vertical)
        self.split.addWidget(self.versions_view)
        self.split.addWidget(self.tabs)
        self.split.setStretchFactor(0, 2)
        self.split.setStretchFactor(1, 5)
        self.split.setSizes([170, 520])

        title_row = QVBoxLayout()
        title_row.setSpacing(0)
        title_row.addWidget(self.title_label)
        title_row.addWidget(self.summary_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 0)
        layout.addLayout(title_row)
        layout.addWidget(self.toolbar)
        layout.addWidget(self.split, 1)

        self.versions_view.selectionModel().currentRowChanged.connect(self._on_version_changed)
        self.versions_view.doubleClicked.connect(self._on_version_double_clicked)
        self.tabs.currentChanged.connect(self._on_tab_changed)
        self.card.runActivated.connect(self.runActivated)
        self.card.datasetActivated.connect(self.datasetActivated)
        self.lineage.nodeActivated.connect(self._on_node_activated)

    # --- public --------------------------------------------------------------------------
    def set_model(self, name: str, version: int | None = None) -> None:
        """Show model ``name`` and load its versions; select ``version`` (None: keep/newest)."""
        keep = self.current_version()
        if version is None and keep is not None and keep.name == name:
            version = keep.version
        self.name = name
        self.title_label.setText(html.escape(shown_text(name)))
        self._pending_version = version
        self._runner.submit(
            _versions,
            self._service,
            name,
            self._alerts,
            key=(self, "versions"),
            on_done=self._on_versions,
            on_failed=self._on_versions_failed,
        )

    def reload(self) -> None:
        if self.name is not None:
            self.set_model(self.name)

    def select_version(self, version: int) -> None:
        row = self.versions_model.row_of(version)
        if row is None:
            self._pending_version = version
            return
        self.versions_view.selectRow(row)

    def current_version(self) -> ModelVersion | None:
        index = self.versions_view.currentIndex()
        if not index.isValid() or index.row() >= self.versions_model.total_rows():
            return None
        return self.versions_model.row_at(index.row())

    def aliases(self) -> dict[str, int]:
        """The model's aliases, alias → version."""
        return {alias: v.version for v in self.versions for alias in v.aliases}

    # --- slots ---------------------------------------------------------------------------
    def _on_versions(
        self, found: tuple[list[ModelVersion], dict[int, list[str]]] | list[ModelVersion]
    ) -> None:
        versions, alerts = found if isinstance(found, tuple) else (found, {})
        self.versions = sorted(versions, key=lambda v: v.version, reverse=True)
        current = self.current_version()
        self.versions_model.set_versions(self.versions, alerts)
        view = self.versions_view
        view.resizeColumnsToContents()
        view.setColumnWidth(VCOL_TAGS, min(view.columnWidth(VCOL_TAGS), 200))
        live = sum(not v.archived for v in self.versions)
        self.summary_label.setText(
            f"{count_noun(len(self.versions), 'version')} ({live} active) · aliases: "
            + (
                ", ".join(f"{shown_text(a)}→v{n}" for a, n in sorted(self.aliases().items()))
                or "none"
            )
        )
        wanted = self._pending_version
        self._pending_version = None
        row = self.versions_model.row_of(wanted) if wanted is not None else None
        if row is None and current is not None and current.name == self.name:
            row = self.versions_model.row_of(current.version)
        if self.versions:
            view.selectRow(row if row is not None else 0)
            self._show_version(self.current_version())  # also when the row did not change
        else:
            self._show_version(None)
        self.versionsLoaded.emit()

    def _on_versions_failed(self, failure: Failure) -> None:
        self.summary_label.setText(f"Cannot load versions: {failure}")

    def _on_version_changed(self, current: QModelIndex, previous: QModelIndex) -> None:
        if current.isValid() and (not previous.isValid() or current.row() != previous.row()):
            self._show_version(self.current_version())

    def _on_version_double_clicked(self, index: QModelIndex) -> None:
        version = self.current_version()
        if version is not None and version.run_id:
            self.runActivated.emit(version.run_id)

    def _show_version(self, version: ModelVersion | None) -> None:
        self.versionChosen.emit(version)
        self._compare_dirty = True
        if version is None:
            self._runner.cancel((self, "card"))
            self.card.show_message("No versions.")
            self.lineage.set_lineage(None)
            return
        self._on_tab_changed(self.tabs.currentIndex())
        self._runner.submit(
            _card,
            self._service,
            f"{version.name}:{version.version}",
            key=(self, "card"),
            on_done=self._on_card,
            on_failed=self._on_card_failed,
        )

    def _on_card(self, card: ModelCard) -> None:
        self.card.set_card(card)
        self.lineage.set_lineage(card.lineage)
        self.cardShown.emit(card.version.name, card.version.version)

    def _on_card_failed(self, failure: Failure) -> None:
        self.card.show_message(f"Cannot load the card: {failure}")
        self.lineage.set_lineage(None)

    def _on_tab_changed(self, index: int) -> None:
        if index == TAB_COMPARE and self.name is not None and self._compare_dirty:
            self._compare_dirty = False
            current = self.current_version()
            self.compare.set_versions(
                self.name, self.versions, current.version if current else None
            )

    def _on_node_activated(self, kind: str, key: str) -> None:
        if kind == "dataset":
            name, _, version = key.rpartition("@")
            self.datasetActivated.emit(name or key, version)
        elif kind == "run":
            self.runActivated.emit(key)
        elif kind == "model":
            name, _, number = key.rpartition(":")
            if number.isdigit():
                self.modelActivated.emit(name, int(number))
        elif kind == "monitor":
            self.monitorActivated.emit(key)
        elif kind == "alert":  # "alert:MONITOR:ID", a retrain's alert
            self.monitorActivated.emit(key.removeprefix("alert:").rpartition(":")[0])
