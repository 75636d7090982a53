"""The palette's result list: a list model of hits and a delegate that draws each one with
its kind's icon, the name with the matched characters in bold, the detail in grey, and the
shortcut (or the kind) on the right."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QFont, QFontMetrics, QIcon, QPainter, QPalette
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from mlops_desktop.core import palette as p
from mlops_desktop.core.palette import PaletteHit
from mlops_desktop.ui.icons import load_icon

HIT_ROLE = Qt.ItemDataRole.UserRole + 1
ROW_ROLE = Qt.ItemDataRole.UserRole + 2

KIND_ICONS = {
    p.RUN: "experiments",
    p.EXPERIMENT: "experiments",
    p.DATASET: "datasets",
    p.MODEL: "models",
    p.MODEL_VERSION: "models",
    p.MODEL_ALIAS: "models",
    p.HOST: "jobs",
    p.MONITOR: "monitors",
}
_ICON = 18
_PAD = 8

AnyIndex = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class PaletteRow:
    """A hit as shown: with the action's shortcut, and whether it can run now (and why not)."""

    hit: PaletteHit
    shortcut: str = ""
    enabled: bool = True
    reason: str = ""

    @property
    def detail(self) -> str:
        if self.enabled:
            return self.hit.entry.detail
        return f"unavailable: {self.reason}" if self.reason else "unavailable now"


class PaletteResultsModel(QAbstractListModel):
    """The rows of the palette's list, replaced whole on every keystroke."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows: list[PaletteRow] = []

    def set_rows(self, rows: list[PaletteRow]) -> None:
        self.beginResetModel()
        self._rows = rows
        self.endResetModel()

    def rows(self) -> list[PaletteRow]:
        return list(self._rows)

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return row.hit.entry.name
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{p.KIND_LABELS.get(row.hit.entry.kind, '')}: {row.detail}"
        if role == HIT_ROLE:
            return row.hit
        if role == ROW_ROLE:
            return row
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        # Disabled actions stay selectable, so the keyboard reaches them and shows why.
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable


def kind_icon(kind: str) -> QIcon:
    name = KIND_ICONS.get(kind)
    return load_icon(name) if name else QIcon()


class PaletteItemDelegate(QStyledItemDelegate):
    """Draws a :class:`PaletteRow` on one line."""

    def sizeHint(self, option: QStyleOptionViewItem, index: AnyIndex) -> QSize:
        height = max(QFontMetrics(option.font).height() + 12, _ICON + 10)  # type: ignore[attr-defined]
        return QSize(400, height)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: AnyIndex) -> None:
        row = index.data(ROW_ROLE)
        if not isinstance(row, PaletteRow):
            return
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""  # type: ignore[attr-defined]
        widget = opt.widget  # type: ignore[attr-defined]
        style = widget.style() if widget is not None else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)  # type: ignore[attr-defined]
        pal: QPalette = opt.palette  # type: ignore[attr-defined]
        rect: QRect = opt.rect  # type: ignore[attr-defined]
        text_role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        group = QPalette.ColorGroup.Active if row.enabled else QPalette.ColorGroup.Disabled
        painter.save()
        x = rect.left() + _PAD
        icon = kind_icon(row.hit.entry.kind)
        if not icon.isNull():
            top = rect.top() + (rect.height() - _ICON) // 2
            mode = QIcon.Mode.Normal if row.enabled else QIcon.Mode.Disabled
            icon.paint(painter, QRect(x, top, _ICON, _ICON), mode=mode)
        x += _ICON + _PAD
        right = self._draw_right(painter, opt, row, selected)
        x = self._draw_name(painter, opt, row, x, right, pal.color(group, text_role))
        muted = pal.color(QPalette.ColorGroup.Disabled, text_role)
        if selected:
            muted = pal.color(QPalette.ColorGroup.Active, text_role)
        font = QFont(opt.font)  # type: ignore[attr-defined]
        painter.setFont(font)
        painter.setPen(muted)
        detail_rect = QRect(x + _PAD * 2, rect.top(), max(0, right - x - _PAD * 3), rect.height())
        metrics = QFontMetrics(font)
        detail = metrics.elidedText(row.detail, Qt.TextElideMode.ElideRight, detail_rect.width())
        painter.drawText(detail_rect, int(Qt.AlignmentFlag.AlignVCenter), detail)
        painter.restore()

    def _draw_name(
        self,
        painter: QPainter,
        opt: QStyleOptionViewItem,
        row: PaletteRow,
        x: int,
        right: int,
        color: object,
    ) -> int:
        """The name in runs of plain and bold (matched) characters; returns where it ended."""
        rect: QRect = opt.rect  # type: ignore[attr-defined]
        plain = QFont(opt.font)  # type: ignore[attr-defined]
        bold = QFont(plain)
        bold.setBold(True)
        name = row.hit.entry.name
        matched = set(row.hit.positions)
        painter.setPen(color)  # type: ignore[arg-type]
        start = 0
        limit = right - _PAD
        while start < len(name) and x < limit:
            is_hit = start in matched
            end = start + 1
            while end < len(name) and (end in matched) == is_hit:
                end += 1
            font = bold if is_hit else plain
            painter.setFont(font)
            part = name[start:end]
            metrics = QFontMetrics(font)
            width = metrics.horizontalAdvance(part)
            if x + width > limit:
                part = metrics.elidedText(part, Qt.TextElideMode.ElideRight, limit - x)
                width = metrics.horizontalAdvance(part)
            target = QRect(x, rect.top(), width + 1, rect.height())
            painter.drawText(target, int(Qt.AlignmentFlag.AlignVCenter), part)
            x += width
            start = end
        return x

    def _draw_right(
        self, painter: QPainter, opt: QStyleOptionViewItem, row: PaletteRow, selected: bool
    ) -> int:
        """The shortcut of an action, else the kind, right-aligned; returns its left edge."""
        rect: QRect = opt.rect  # type: ignore[attr-defined]
        pal: QPalette = opt.palette  # type: ignore[attr-defined]
        text = row.shortcut or p.KIND_LABELS.get(row.hit.entry.kind, "")
        font = QFont(opt.font)  # type: ignore[attr-defined]
        if not row.shortcut:
            font.setPointSizeF(max(6.0, font.pointSizeF() * 0.9))
        metrics = QFontMetrics(font)
        width = metrics.horizontalAdvance(text) + _PAD
        box = QRect(rect.right() - width - _PAD, rect.top(), width, rect.height())
        role = (
            QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.PlaceholderText
        )
        painter.setFont(font)
        painter.setPen(pal.color(QPalette.ColorGroup.Active, role))
        painter.drawText(
            box, int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight), text
        )
        return box.left()
