"""The filter bar above the runs table: query box with completion, error line shown after a
pause in typing, a note when the rows are of an older filter, busy bar, "Mine" (only the runs
of this OS user), Group by, Views…, Columns…."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QComboBox,
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
from mlops_desktop.core.query import parse_query, quoted
from mlops_desktop.ui.item_models.runs_table import DYNAMIC_PREFIXES, RunsTableModel

FILTER_PLACEHOLDER = "Filter, e.g.  metrics.acc > 0.9 and params.lr = 0.01"
DEBOUNCE_MS = 300
ERROR_PAUSE_MS = 600  # a malformed query is told only after this pause in typing (or on Enter)
AUTO_METRIC_COLUMNS = 6
AUTO_PARAM_COLUMNS = 6
STALE_TEXT = "Showing the runs of the last valid filter: fix the filter or clear it."
MINE_OFF, MINE_ON = "Mine", "\u2713 Mine"  # a check mark reads "on" at a glance in any theme
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


def _error_of(query: str) -> QueryError | None:
    try:
        parse_query(query)
    except QueryError as exc:
        return exc
    return None


class RunFilterBar(QWidget):
    """Emits a valid query 300 ms after typing stops, or at once on Enter.

    A malformed query is not applied: its error shows after a 600 ms pause or on Enter, and the
    rows, still those of the last valid filter, are marked stale until a valid one applies.

    Signals:
        queryChanged(str): the query to apply (may be empty: every run).
        columnsChosen(list): the dynamic columns picked in the Columns… menu.
        staleChanged(bool): the rows shown are (True) or are no longer (False) those of an
            older filter than the one typed.
        mineToggled(bool): "Mine" was turned on (only the runs of this OS user) or off.
    """

    queryChanged = Signal(str)
    mineToggled = Signal(bool)
    columnsChosen = Signal(list)
    staleChanged = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.edit = QLineEdit()
        self.edit.setPlaceholderText(FILTER_PLACEHOLDER)
        self.edit.setClearButtonEnabled(True)
        self.edit.setToolTip(
            "Compare params., metrics., tags. and status, name, user, host, started_at with\n"
            "= != < <= > >=, like, in (...); combine with and, or, not and parentheses.\n"
            "Press Enter to apply now."
        )
        self.mine_button = QToolButton()
        self.mine_button.setObjectName("mineRuns")
        self.mine_button.setText(MINE_OFF)
        self.mine_button.setCheckable(True)
        self.mine_button.setToolTip(
            "Show only your runs: those the OS user running this app ran\n"
            "(the same as adding  user = 'NAME'  to the filter)"
        )
        self.mine_button.toggled.connect(self._on_mine_toggled)
        self.columns_button = QToolButton()
        self.columns_button.setText("Columns…")
        self.columns_button.setToolTip("Choose the param and metric columns of the table")
        self.columns_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.columns_menu = QMenu(self.columns_button)
        self.columns_button.setMenu(self.columns_menu)
        self.group_combo = QComboBox()
        self.group_combo.setToolTip(
            "Group the runs by a param or tag: each group shows its count and the mean,\n"
            "min and max of each metric column"
        )
        self.group_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.group_combo.setMinimumContentsLength(14)
        self.views_button = QToolButton()
        self.views_button.setText("Views")
        self.views_button.setToolTip("Save the filter, columns, sort and grouping as a view")
        self.views_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.views_menu = QMenu(self.views_button)
        self.views_button.setMenu(self.views_menu)
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
        self.stale_label = QLabel(STALE_TEXT)
        self.stale_label.setObjectName("filterStale")
        italic = self.stale_label.font()
        italic.setItalic(True)
        self.stale_label.setFont(italic)
        self.stale_label.setVisible(False)

        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.edit, 1)
        row.addWidget(self.mine_button)
        row.addWidget(self.count_label)
        row.addWidget(self.group_combo)
        row.addWidget(self.views_button)
        row.addWidget(self.columns_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(row)
        layout.addWidget(self.busy)
        layout.addWidget(self.error_label)
        layout.addWidget(self.stale_label)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self._on_debounced)
        self._error_timer = QTimer(self)
        self._error_timer.setSingleShot(True)
        self._error_timer.setInterval(ERROR_PAUSE_MS)
        self._error_timer.timeout.connect(self._on_paused)
        self._stale = False
        self.edit.textEdited.connect(self._on_text_edited)
        self.edit.returnPressed.connect(self._on_return_pressed)
        self.columns_menu.aboutToShow.connect(self._on_columns_menu_about_to_show)
        self._chosen: list[str] = []
        self._new: set[str] = set()
        self._provider: Callable[[], tuple[list[str], list[str]]] | None = None

    def query(self) -> str:
        return self.edit.text().strip()

    def set_mine(self, user: str, on: bool) -> None:
        """Show whose runs "Mine" keeps (``user``) and check it or not, without a signal."""
        self.mine_button.setToolTip(
            f"Show only your runs: those the OS user {user!r} ran\n"
            f"(the same as adding  user = {quoted(user)}  to the filter)"
        )
        self.mine_button.blockSignals(True)
        self.mine_button.setChecked(on)
        self.mine_button.blockSignals(False)
        self.mine_button.setText(MINE_ON if on else MINE_OFF)

    def mine(self) -> bool:
        return self.mine_button.isChecked()

    def set_busy(self, busy: bool) -> None:
        self.busy.setVisible(busy)

    def set_count(self, shown: int) -> None:
        """Show how many runs match (", yours" while "Mine" is on)."""
        mine = ", yours" if self.mine() else ""
        self.count_label.setText(f"{shown:,} run" + ("" if shown == 1 else "s") + mine)

    def show_error(self, error: QueryError | str) -> None:
        """Show why the query failed; the box turns red, the table keeps its rows (stale)."""
        self.error_label.setText(str(error))
        self.error_label.setVisible(True)
        self.edit.setStyleSheet(_INVALID_STYLE)
        self.edit.setProperty("invalid", True)
        self.set_stale(True)

    def clear_error(self) -> None:
        self.error_label.clear()
        self.error_label.setVisible(False)
        self.edit.setStyleSheet("")
        self.edit.setProperty("invalid", False)

    def applied(self, query: str) -> None:
        """The rows now match ``query``: clear the error and the stale note if it is the
        query in the box (a live reload of an older query changes nothing)."""
        if query == self.query() or _error_of(self.query()) is None:
            self.clear_error()
            self.set_stale(False)

    def set_stale(self, stale: bool) -> None:
        if stale != self._stale:
            self._stale = stale
            self.stale_label.setVisible(stale)
            self.staleChanged.emit(stale)

    def is_stale(self) -> bool:
        return self._stale

    def set_query(self, query: str) -> None:
        """Put ``query`` in the box and apply it now (a saved view)."""
        self.edit.setText(query)
        self._on_return_pressed()

    def has_error(self) -> bool:
        return self.error_label.isVisibleTo(self)

    def set_column_source(self, provider: Callable[[], tuple[list[str], list[str]]]) -> None:
        """``provider()`` returns (param keys, metric keys) when the menu opens."""
        self._provider = provider

    def set_chosen_columns(self, keys: Iterable[str]) -> None:
        self._chosen = list(keys)

    def set_new_keys(self, keys: Iterable[str]) -> None:
        """Columns that appeared since the person chose: offered as "new" in Columns…."""
        self._new = set(keys)
        count = len(self._new)
        self.columns_button.setText(f"Columns… ({count} new)" if count else "Columns…")

    def new_keys(self) -> list[str]:
        return sorted(self._new)

    def _on_mine_toggled(self, on: bool) -> None:
        self.mine_button.setText(MINE_ON if on else MINE_OFF)
        self.mineToggled.emit(on)

    def _on_text_edited(self, _text: str) -> None:
        if self.has_error():
            self.clear_error()  # never red while typing; the stale note stays
        self._timer.start()
        self._error_timer.start()

    def _on_return_pressed(self) -> None:
        self._timer.stop()
        self._error_timer.stop()
        error = _error_of(self.query())
        if error is not None:
            self.show_error(error)
            return
        self.queryChanged.emit(self.query())

    def _on_debounced(self) -> None:
        if _error_of(self.query()) is None:
            self.queryChanged.emit(self.query())

    def _on_paused(self) -> None:
        error = _error_of(self.query())
        if error is not None:
            self.show_error(error)

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
                action = menu.addAction(f"{key}  (new)" if full in self._new else key)
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
