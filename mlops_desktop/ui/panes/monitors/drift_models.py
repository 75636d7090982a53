"""Table models of the Drift tab: the monitors, a monitor's alert log, its scored versions."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from typing import Any, ClassVar

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QIcon

from mlops_desktop.core.drift import Alert, ModelScore, MonitorInfo
from mlops_desktop.ui.icons import dot_icon
from mlops_desktop.ui.item_models.rows_table import RowsTableModel

_Index = QModelIndex | QPersistentModelIndex
STATE_COLORS = {"ok": "#27ae60", "drifting": "#e69f00", "alert": "#e0433b"}
STATE_TEXT = {
    "ok": "OK: the last window did not drift",
    "drifting": "Drifting: the last window drifted",
    "alert": "Alert: an alert is open",
}


def state_icon(state: str) -> QIcon:
    """The coloured dot of a monitor's state (green ok, amber drifting, red alert)."""
    return dot_icon(STATE_COLORS.get(state, "#c0c0c0"))


def when(t: float | None) -> str:
    """A time as the tables show it: ``2024-05-01 14:03``."""
    return "" if not t else time.strftime("%Y-%m-%d %H:%M", time.localtime(t))


def evidence_text(evidence: dict[str, Any], limit: int = 4) -> str:
    """An alert's evidence in a line: ``windows: [3, 4, 5] · drift_share: 0.6 …``."""
    parts = []
    for key, value in list(evidence.items())[:limit]:
        if isinstance(value, float):
            value = f"{value:.3g}"
        elif isinstance(value, list | tuple) and len(value) > 6:
            value = f"[{', '.join(map(str, value[:6]))}, …]"
        parts.append(f"{key}: {value}")
    return " · ".join(parts) + (" …" if len(evidence) > limit else "")


class MonitorsTableModel(RowsTableModel[MonitorInfo]):
    """The monitors: name (with its state's dot), what it watches, windows, open alerts."""

    HEADERS: ClassVar[tuple[str, ...]] = ("Monitor", "Target", "Windows", "Alerts")
    NUMERIC_COLUMNS: ClassVar[frozenset[int]] = frozenset({2, 3})

    def display(self, item: MonitorInfo, column: int) -> str:
        if column == 0:
            return item.name
        if column == 1:
            return item.target
        if column == 2:
            return str(item.windows)
        return str(item.open_alerts) if item.open_alerts else ""

    def sort_value(self, item: MonitorInfo, column: int) -> object:
        return (
            (item.windows, item.open_alerts)[column - 2]
            if column >= 2
            else self.display(item, column)
        )

    def decoration(self, item: MonitorInfo, column: int) -> QIcon | None:
        return state_icon(item.state) if column == 0 else None

    def tooltip(self, item: MonitorInfo, column: int) -> str | None:
        lines = [STATE_TEXT.get(item.state, item.state), f"Reference: {item.reference}"]
        lines.append(f"Current data: {item.current}")
        return "\n".join(lines)

    def row_of(self, name: str) -> int:
        """The row of the monitor ``name``, or -1."""
        return next((i for i, m in enumerate(self._rows) if m.name == name), -1)


class AlertsTableModel(RowsTableModel[Alert]):
    """A monitor's alert log, newest first: when, which window, why, the evidence, who saw it."""

    HEADERS: ClassVar[tuple[str, ...]] = (
        "Raised",
        "Window",
        "Reason",
        "Evidence",
        "Acknowledged",
        "Retrain run",
    )
    NUMERIC_COLUMNS: ClassVar[frozenset[int]] = frozenset({1})

    def display(self, item: Alert, column: int) -> str:
        if column == 0:
            return when(item.created_at)
        if column == 1:
            return str(item.window)
        if column == 2:
            return item.reason
        if column == 3:
            return evidence_text(item.evidence)
        if column == 4:
            return when(item.acknowledged_at) if item.acknowledged_at else "no"
        return (item.retrain_run or "")[:8]

    def sort_value(self, item: Alert, column: int) -> object:
        if column == 0:
            return item.created_at
        if column == 1:
            return item.window
        return self.display(item, column)

    def tooltip(self, item: Alert, column: int) -> str | None:
        if column == 3 and item.evidence:
            return json.dumps(item.evidence, indent=1, default=str)
        if column == 5 and item.retrain_run:
            return f"Run {item.retrain_run} (double-click to open it)"
        return item.reason if column == 2 else None

    def foreground(self, item: Alert, column: int) -> QColor | None:
        return QColor(STATE_COLORS["alert"]) if column == 4 and not item.acknowledged_at else None


class ScoresTableModel(RowsTableModel[ModelScore]):
    """The champion and the challengers scored on one window: a column per metric."""

    FIXED: ClassVar[tuple[str, ...]] = ("Version", "Aliases", "Window")
    HEADERS: ClassVar[tuple[str, ...]] = (*FIXED, "Run")

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.metrics: tuple[str, ...] = ()

    def set_rows(self, rows: Iterable[ModelScore]) -> None:
        rows = list(rows)
        names: dict[str, None] = {}
        for score in rows:
            names.update(dict.fromkeys(score.metrics))
        self.beginResetModel()
        self.metrics = tuple(names)
        self._rows = rows
        self._shown = min(len(rows), self.BATCH)
        self.endResetModel()

    def headers(self) -> tuple[str, ...]:
        return (*self.FIXED, *self.metrics, "Run")

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.headers())

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        headers = self.headers()
        if (
            role == Qt.ItemDataRole.DisplayRole
            and orientation == Qt.Orientation.Horizontal
            and 0 <= section < len(headers)
        ):
            return headers[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if (
            role == Qt.ItemDataRole.TextAlignmentRole
            and index.isValid()
            and len(self.FIXED) <= index.column() < len(self.FIXED) + len(self.metrics)
        ):
            return int((Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter).value)
        return super().data(index, role)

    def display(self, item: ModelScore, column: int) -> str:
        if column == 0:
            return f"{item.model} v{item.version}"
        if column == 1:
            return ", ".join(item.aliases)
        if column == 2:
            return str(item.window)
        metric = column - len(self.FIXED)
        if 0 <= metric < len(self.metrics):
            value = item.metrics.get(self.metrics[metric])
            return "" if value is None else f"{value:.4f}"
        return (item.run_id or "")[:8]

    def sort_value(self, item: ModelScore, column: int) -> object:
        metric = column - len(self.FIXED)
        if 0 <= metric < len(self.metrics):
            return item.metrics.get(self.metrics[metric], float("-inf"))
        return self.display(item, column)

    def tooltip(self, item: ModelScore, column: int) -> str | None:
        if item.problem:
            return item.problem
        if column == len(self.headers()) - 1 and item.run_id:
            return f"Run {item.run_id} (double-click to open it)"
        return None

    def foreground(self, item: ModelScore, column: int) -> QColor | None:
        return QColor("#8e8e93") if item.problem else None
