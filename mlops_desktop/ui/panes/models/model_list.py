"""The models list: a filterable table whose alias column draws rounded badges."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    QRectF,
    QSize,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import (
    QHeaderView,
    QLineEdit,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from mlops_desktop.core.models import ModelSummary
from mlops_desktop.ui.charts.palette import RUN_COLORS
from mlops_desktop.ui.item_models.model_tables import (
    ALIASES_ROLE,
    COL_ALIASES,
    COL_LATEST,
    COL_NAME,
    COL_UPDATED,
    COL_VERSIONS,
    ModelsListModel,
)
from mlops_desktop.ui.item_models.rows_table import ROW_ROLE, SORT_ROLE
from mlops_desktop.ui.list_sizing import elide_in_the_middle
from mlops_desktop.ui.panes.datasets.tabs import make_table_view

_Index = QModelIndex | QPersistentModelIndex
FIXED_WIDTHS = {COL_LATEST: 54, COL_VERSIONS: 66, COL_UPDATED: 88}
BADGE_COLORS = {"champion": "#2ca02c", "challenger": "#ff7f0e", "production": "#1f77b4"}


def badge_color(alias: str) -> QColor:
    """A stable colour per alias name; the well-known ones get their own."""
    if alias in BADGE_COLORS:
        return QColor(BADGE_COLORS[alias])
    return QColor(RUN_COLORS[sum(map(ord, alias)) % len(RUN_COLORS)])


class AliasBadgeDelegate(QStyledItemDelegate):
    """Paints ``ALIASES_ROLE`` as small rounded badges ("champion v3"); other cells as usual."""

    PAD = 5
    GAP = 4

    def _badges(self, index: _Index) -> list[tuple[str, int]]:
        value = index.data(ALIASES_ROLE)
        return list(value) if value else []

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: _Index) -> None:
        badges = self._badges(index)
        if not badges:
            super().paint(painter, option, index)
            return
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        style = opt.widget.style() if opt.widget is not None else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        metrics = QFontMetrics(opt.font)
        height = min(metrics.height() + 2, opt.rect.height() - 2)
        x = opt.rect.left() + 3
        y = opt.rect.top() + (opt.rect.height() - height) / 2
        for alias, version in badges:
            text = f"{alias} v{version}"
            width = metrics.horizontalAdvance(text) + 2 * self.PAD
            if x + width > opt.rect.right():
                painter.setPen(opt.palette.color(QPalette.ColorRole.Text))
                painter.drawText(QRectF(x, y, 20, height), Qt.AlignmentFlag.AlignVCenter, "…")
                break
            rect = QRectF(x, y, width, height)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(badge_color(alias))
            painter.drawRoundedRect(rect, height / 2, height / 2)
            painter.setPen(QColor("white"))
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
            x += width + self.GAP
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: _Index) -> QSize:
        hint = super().sizeHint(option, index)
        badges = self._badges(index)
        if badges:
            metrics = QFontMetrics(option.font)
            width = sum(
                metrics.horizontalAdvance(f"{a} v{v}") + 2 * self.PAD + self.GAP for a, v in badges
            )
            hint.setWidth(width + 6)
        return hint


class ModelsListView(QWidget):
    """The filter box and the models table.

    Signals:
        modelChosen(str): the current model changed to this name.
    """

    modelChosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = ModelsListModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self.proxy.setFilterKeyColumn(COL_NAME)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText("Filter models")
        self.filter_edit.setClearButtonEnabled(True)
        self.view = make_table_view(self.proxy)
        self.delegate = AliasBadgeDelegate(self.view)
        self.view.setItemDelegate(self.delegate)
        self.view.setSortingEnabled(True)
        self.view.sortByColumn(COL_NAME, Qt.SortOrder.AscendingOrder)
        elide_in_the_middle(self.view)
        header = self.view.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(COL_ALIASES, QHeaderView.ResizeMode.Stretch)
        for column, width in FIXED_WIDTHS.items():
            self.view.setColumnWidth(column, width)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.filter_edit)
        layout.addWidget(self.view, 1)
        self.filter_edit.textChanged.connect(self.proxy.setFilterFixedString)
        self.view.selectionModel().currentRowChanged.connect(self._on_current_changed)

    def set_models(self, models: list[ModelSummary]) -> None:
        self.model.set_models(models)
        self.view.resizeColumnToContents(COL_NAME)  # names whole first; badges take the rest
        width = self.view.columnWidth(COL_NAME)
        self.view.setColumnWidth(COL_NAME, max(100, min(width + 12, 260)))

    def current_name(self) -> str | None:
        index = self.view.currentIndex()
        summary = index.data(ROW_ROLE) if index.isValid() else None
        return summary.name if summary is not None else None

    def select(self, name: str) -> bool:
        """Make ``name`` current; False if it is not listed."""
        row = self.model.row_of(name)
        if row is None:
            return False
        proxy_row = self.proxy.mapFromSource(self.model.index(row, 0)).row()
        if proxy_row < 0:
            self.filter_edit.clear()
            proxy_row = self.proxy.mapFromSource(self.model.index(row, 0)).row()
        self.view.selectRow(proxy_row)
        return True

    def summary(self, name: str) -> ModelSummary | None:
        row = self.model.row_of(name)
        return self.model.row_at(row) if row is not None else None

    def _on_current_changed(self, current: _Index, _previous: _Index) -> None:
        summary: Any = current.data(ROW_ROLE) if current.isValid() else None
        if summary is not None:
            self.modelChosen.emit(summary.name)
