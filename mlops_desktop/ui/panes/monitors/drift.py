"""The Drift tab: the monitors with their state, a monitor's page, checks every 30 s.

Checks run through the TaskRunner, one key per monitor: a check still running lets the newest
request wait rather than pile up. A new alert tells the person once (``events.notify``) and
badges the monitor in the list and the tab's title.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QItemSelection, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QWidget,
)

from mlops_desktop.core.drift import MonitorInfo
from mlops_desktop.services.notifications import monitor_alert_notice
from mlops_desktop.ui.failures import Failure
from mlops_desktop.ui.formatting import shown_html, shown_text
from mlops_desktop.ui.item_models.rows_table import ROW_ROLE
from mlops_desktop.ui.navigation import AppEvents, Navigator
from mlops_desktop.ui.panes.monitors.drift_dialog import NewMonitorDialog
from mlops_desktop.ui.panes.monitors.drift_models import MonitorsTableModel
from mlops_desktop.ui.panes.monitors.drift_page import MonitorPage
from mlops_desktop.ui.panes.monitors.drift_source import CheckOutcome, MonitorSource
from mlops_desktop.ui.tasks import TaskRunner, TaskState
from mlops_desktop.ui.widgets import EmptyState, list_detail_layout

CHECK_INTERVAL_MS = 30_000
NO_MONITORS_HTML = (
    "<h2>No drift monitors yet</h2><p>A monitor compares the data a model sees now with the "
    "data it was trained on, window by window, and raises an alert when it drifts. Create one "
    "with <b>New monitor…</b>, or from the command line:</p>"
)
NO_MONITORS_CODE = (
    "mlops-desktop monitors add wine-quality --model wine@champion \\\n"
    "    --current-folder ~/incoming --window-rows 1000 --alert-after 3 \\\n"
    "    --retrain -- python train.py"
)


def _most_urgent(monitors: list[MonitorInfo]) -> str | None:
    """The monitor to show first: one with an open alert, else one drifting, else the first."""
    rank = {"alert": 0, "drifting": 1}
    ordered = sorted(monitors, key=lambda m: rank.get(m.state, 2))
    return ordered[0].name if ordered else None


def _monitors(source: MonitorSource, *, state: TaskState) -> list[MonitorInfo]:
    return source.list_monitors()


def _check(source: MonitorSource, name: str, *, state: TaskState) -> CheckOutcome:
    return source.check(name)


class DriftView(QWidget):
    """See the module docstring.

    Signals:
        monitorsShown(int): the list was (re)loaded with that many monitors (tests).
        checked(str): a check of that monitor came back (tests).
        openAlertsChanged(int): how many alerts are open across monitors (the tab's badge).
    """

    monitorsShown = Signal(int)
    checked = Signal(str)
    openAlertsChanged = Signal(int)

    def __init__(
        self,
        source: MonitorSource,
        runner: TaskRunner,
        navigator: Navigator,
        events: AppEvents,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._source = source
        self._runner = runner
        self._events = events
        self.notified: set[int] = set()
        self._selecting = False
        self._pending_select: str | None = None
        self.model = MonitorsTableModel(self)
        self.table = self._monitor_table()
        self.page = MonitorPage(source, runner, navigator, events)
        self.new_button = QPushButton("New monitor…")
        self.new_button.setToolTip("Watch a model's or a dataset's data for drift")
        self.check_all_button = QPushButton("Check all")
        self.check_all_button.setToolTip("Process the data that arrived for every monitor")
        self.count_label = QLabel()
        self.empty = EmptyState(NO_MONITORS_HTML, NO_MONITORS_CODE)
        self.empty_new_button = QPushButton("New monitor…")
        self.empty_new_button.clicked.connect(self.open_new_dialog)
        self.empty.add_buttons(self.empty_new_button)
        self.checks_live = True  # check every monitor now and every 30 s (not when read-only)
        self.split, self.stack = list_detail_layout(
            self,
            self.table,
            (self.new_button, self.check_all_button),
            self.count_label,
            self.page,
            self.empty,
            (340, 940),
        )
        self.stack.setCurrentWidget(self.empty)
        self.timer = QTimer(self)
        self.timer.setInterval(CHECK_INTERVAL_MS)
        self.timer.timeout.connect(self.check_all)
        self.new_button.clicked.connect(self.open_new_dialog)
        self.check_all_button.clicked.connect(self.check_all)
        self.page.checkRequested.connect(self.check)
        self.page.changed.connect(lambda _name: self.reload())
        self.table.selectionModel().selectionChanged.connect(self._on_selection)
        self._open_dialog: NewMonitorDialog | None = None
        self.dialog_factory: Callable[[], NewMonitorDialog] = lambda: NewMonitorDialog(
            self._source, self._runner, self
        )

    def _monitor_table(self) -> QTableView:
        view = QTableView()
        view.setModel(self.model)
        view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        view.setAlternatingRowColors(True)
        view.setWordWrap(False)
        view.verticalHeader().setVisible(False)
        view.verticalHeader().setDefaultSectionSize(24)
        header = view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        view.setColumnWidth(0, 120)
        view.setColumnWidth(2, 64)
        view.setColumnWidth(3, 52)
        return view

    # --- live ----------------------------------------------------------------------------
    def start(self) -> None:
        """List the monitors and check each now, then every 30 s (only list them when
        :attr:`checks_live` is off: a catalog that takes no writes)."""
        if not self.checks_live:
            self.reload()
        elif not self.timer.isActive():
            self.timer.start()
            self.reload(check=True)

    def stop(self) -> None:
        self.timer.stop()

    def write_controls(self) -> list[QWidget]:
        """What stores windows, alerts, monitors or moves an alias."""
        page = self.page
        return [
            self.new_button,
            self.check_all_button,
            self.empty_new_button,
            page.check_button,
            page.alerts.acknowledge_button,
            page.alerts.retrain_button,
            page.challengers.promote_button,
        ]

    def reload(self, check: bool = False) -> None:
        """List the monitors again (their states and badges); ``check``: then check each."""
        self._runner.submit_when_idle(
            (self, "monitors"),
            _monitors,
            self._source,
            on_done=lambda monitors: self.set_monitors(monitors, check),
            on_failed=self._on_failed,
        )

    def check_all(self) -> None:
        for monitor in self.model.rows():
            self.check(monitor.name)
        if not self.model.rows():
            self.reload(check=True)

    def check(self, name: str) -> None:
        """Process what arrived for ``name`` (a check of it still running: after it, once)."""
        self._runner.submit_when_idle(
            (self, "check", name),
            _check,
            self._source,
            name,
            on_done=lambda outcome: self._on_checked(name, outcome),
            on_failed=self._on_failed,
        )

    def _on_checked(self, name: str, outcome: CheckOutcome) -> None:
        for alert in outcome.alerts:
            if alert.id not in self.notified:
                self.notified.add(alert.id)
                self._events.post_notices(
                    [monitor_alert_notice(alert.monitor, alert.reason, alert.id)]
                )
        if outcome.windows or outcome.alerts:
            self.reload()
            if self.page.monitor is not None and self.page.monitor.name == name:
                self.page.reload()
        self.checked.emit(name)

    # --- the list ------------------------------------------------------------------------
    def set_monitors(self, monitors: list[MonitorInfo], check: bool = False) -> None:
        """Show ``monitors``; the selected one stays selected (and its header refreshed)."""
        selected = self.selected()
        self.model.set_rows(sorted(monitors, key=lambda m: m.name.casefold()))
        self.stack.setCurrentWidget(self.split if monitors else self.empty)
        n = len(monitors)
        self.count_label.setText("" if n == 0 else f"{n} monitor{'s' if n != 1 else ''}")
        self.openAlertsChanged.emit(sum(m.open_alerts for m in monitors))
        self.check_all_button.setEnabled(bool(monitors))
        name = selected.name if selected is not None else _most_urgent(self.model.rows())
        if self._pending_select is not None and self.model.row_of(self._pending_select) >= 0:
            name, self._pending_select = self._pending_select, None
        if name:
            self.select_monitor(name, reload_page=selected is None or selected.name != name)
        self.monitorsShown.emit(n)
        if check:
            for monitor in monitors:
                self.check(monitor.name)

    def selected(self) -> MonitorInfo | None:
        rows = self.table.selectionModel().selectedRows()
        info = rows[0].data(ROW_ROLE) if rows else None
        return info if isinstance(info, MonitorInfo) else None

    def select_monitor(self, name: str, reload_page: bool = True) -> None:
        """Select the monitor ``name``; one not listed yet is selected once it is."""
        row = self.model.row_of(name)
        if row < 0:
            self._pending_select = name
            return
        info = self.model.row_at(row)
        self._selecting = True
        try:
            self.table.selectRow(row)
        finally:
            self._selecting = False
        self.page.show_monitor(info, reload=reload_page)

    def _on_selection(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        info = self.selected()
        if info is not None and not self._selecting:
            self.page.show_monitor(info)

    def open_new_dialog(self) -> NewMonitorDialog:
        """The "New monitor…" dialog; a monitor it adds is listed and selected."""
        dialog = self.dialog_factory()
        dialog.added.connect(self._on_added)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._open_dialog = dialog
        dialog.show()
        return dialog

    def _on_added(self, info: MonitorInfo) -> None:
        self._events.show_status(shown_text(f"Monitor {info.name} added: watching {info.target}."))
        self.set_monitors([*[m for m in self.model.rows() if m.name != info.name], info])
        self.select_monitor(info.name)
        self.reload()

    def _on_failed(self, failure: Failure) -> None:
        self.count_label.setText(shown_html(failure))
        self.count_label.setToolTip(shown_html(failure))
