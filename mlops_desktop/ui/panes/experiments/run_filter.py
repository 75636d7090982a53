"""The filter bar above the runs table: query box, error line, busy bar, Columns… menu."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QProgressBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from mlops_desktop.core.errors import QueryError
from mlops_desktop.core.hardware import SYSTEM_PREFIX
from mlops_desktop.core.query import parse_query
from mlops_desktop.ui.item_models.runs_table import DYNAMIC_PREFIXES, RunsTableModel

FILTER_PLACEHOLDER = "Filter, e.g.  metrics.acc > 0.9 and params.lr = 0.01"
DEBOUNCE_MS = 300
AUTO_METRIC_COLUMNS = 4
AUTO_PARAM_COLUMNS = 3
_INVALID_STYLE = "QLineEdit { border: 2px solid #d0312d; border-radius: 3px; padding: 1px; }"


def default_columns(model: RunsTableModel) -> list[str]:
    """A few metric and param columns of the current runs, for a first look (the hardware a
    run used, ``sys/`` metrics, can be picked in Columns… but is never a default)."""
    params, metrics = model.available_keys()
    metrics = [k for k in metrics if not k.startswith(SYSTEM_PREFIX)]
    chosen = [f"metrics.{k}" for k in metrics[:AUTO_METRIC_COLUMNS]]
    return chosen + [f"params.{k}" for k in params[:AUTO_PARAM_COLUMNS]]


def query_columns(query: str) -> list[str]:
    """The params/metrics/tags fields a valid query refers to (empty when it is invalid)."""
    try:
        fields = parse_query(query).fields
    except QueryError:
        return []
    return sorted(f for f in fields if f.startswith(DYNAMIC_PREFIXES))


class RunFilterBar(QWidget):
    """Emits a query 300 ms after typing stops, or at once on Enter.

    Signals:
        queryChanged(str): the query to apply (may be empty: every run).
        columnsChosen(list): the dynamic columns picked in the Columns… menu.
    """

    queryChanged = Signal(str)
    columnsChosen = Signal(list)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.edit = QLineEdit()
        self.edit.setPlaceholderText(FILTER_PLACEHOLDER)
        self.edit.setClearButtonEnabled(True)
        self.edit.setToolTip(
            "Compare params., metrics., tags. and status, name, started_at with\n"
            "= != < <= > >=, like, in (...); combine with and, or, not and parentheses.\n"
            "Press Enter to apply now."
        )
        self.columns_button = QToolButton()
        self.columns_button.setText("Columns…")
        self.columns_button.setToolTip("Choose the param and metric columns of the table")
        self.columns_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.columns_menu = QMenu(self.columns_button)
        self.columns_button.setMenu(self.columns_menu)
        self.count_label = QLabel()
        self.count_label.setMinimumWidth(90)
        self.count_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setMaximumHeight(4)
        self.busy.setTextVisible(False)
        self.busy.setVisible(False)
        self.error_label = QLabel()
        self.error_label.setObjectName("filterError")
        self.error_label.setStyleSheet("color: #d0312d;")
        self.error_label.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.setVisible(False)

        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.edit, 1)
        row.addWidget(self.count_label)
        row.addWidget(self.columns_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(row)
        layout.addWidget(self.busy)
        layout.addWidget(self.error_label)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self._on_debounced)
        self.edit.textEdited.connect(self._on_text_edited)
        self.edit.returnPressed.connect(self._on_return_pressed)
        self.columns_menu.aboutToShow.connect(self._on_columns_menu_about_to_show)
        self._chosen: list[str] = []
        self._provider: Callable[[], tuple[list[str], list[str]]] | None = None

    def query(self) -> str:
        return self.edit.text().strip()

    def set_busy(self, busy: bool) -> None:
        self.busy.setVisible(busy)

    def set_count(self, shown: int) -> None:
        self.count_label.setText(f"{shown:,} run" + ("" if shown == 1 else "s"))

    def show_error(self, error: QueryError | str) -> None:
        """Show why the query failed; the box turns red, the table keeps its rows."""
        self.error_label.setText(str(error))
        self.error_label.setVisible(True)
        self.edit.setStyleSheet(_INVALID_STYLE)
        self.edit.setProperty("invalid", True)

    def clear_error(self) -> None:
        self.error_label.clear()
        self.error_label.setVisible(False)
        self.edit.setStyleSheet("")
        self.edit.setProperty("invalid", False)

    def has_error(self) -> bool:
        return self.error_label.isVisibleTo(self)

    def set_column_source(self, provider: Callable[[], tuple[list[str], list[str]]]) -> None:
        """``provider()`` returns (param keys, metric keys) when the menu opens."""
        self._provider = provider

    def set_chosen_columns(self, keys: Iterable[str]) -> None:
        self._chosen = list(keys)

    def _on_text_edited(self, _text: str) -> None:
        self._timer.start()

    def _on_return_pressed(self) -> None:
        self._timer.stop()
        self.queryChanged.emit(self.query())

    def _on_debounced(self) -> None:
        self.queryChanged.emit(self.query())

    def _on_columns_menu_about_to_show(self) -> None:
        params, metrics = self._provider() if self._provider is not None else ([], [])
        menu = self.columns_menu
        menu.clear()
        chosen = set(self._chosen)
        for title, prefix, keys in (
            ("Metrics", "metrics.", metrics),
            ("Params", "params.", params),
        ):
            menu.addSection(title)
            if not keys:
                menu.addAction("(none in these runs)").setEnabled(False)
            for key in keys:
                full = prefix + key
                action = menu.addAction(key)
                action.setCheckable(True)
                action.setChecked(full in chosen)
                action.toggled.connect(lambda on, k=full: self._on_column_toggled(k, on))
        menu.addSeparator()
        menu.addAction("Hide all param and metric columns", lambda: self._emit_columns([]))

    def _on_column_toggled(self, key: str, on: bool) -> None:
        keys = [k for k in self._chosen if k != key]
        if on:
            keys.append(key)
        self._emit_columns(keys)

    def _emit_columns(self, keys: list[str]) -> None:
        self._chosen = keys
        self.columnsChosen.emit(list(keys))
