"""Small reusable widgets: read-only key/value tables, empty-state messages, monospace text."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontDatabase, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from mlops_desktop.ui.formatting import shown_text


def count_suffix(spin: QSpinBox, noun: str, plural: str | None = None) -> None:
    """Give ``spin`` the suffix " day" at 1 and " days" otherwise, following its value."""

    def follow(value: int) -> None:
        spin.setSuffix(" " + (noun if value == 1 else (plural or f"{noun}s")))

    spin.valueChanged.connect(follow)
    follow(spin.value())


def monospace_font() -> QFont:
    return QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)


def heading_label(text: str = "") -> QLabel:
    """A bold label a third larger than the text around it: the name of what a view shows."""
    label = QLabel(text)
    font = label.font()
    font.setPointSizeF(font.pointSizeF() * 1.3)
    font.setBold(True)
    label.setFont(font)
    return label


class ReadOnlyTable(QTableWidget):
    """A small read-only table with an optional filter box (params, metrics, packages)."""

    def __init__(self, headers: list[str], parent: QWidget | None = None) -> None:
        super().__init__(0, len(headers), parent)
        self.setHorizontalHeaderLabels(headers)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setDefaultSectionSize(22)
        header = self.horizontalHeader()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.setSortingEnabled(True)

    def set_rows(self, rows: Iterable[Iterable[Any]], tooltips: bool = True) -> None:
        """Replace the rows (cells shown as text), sorted by the first column."""
        self.setSortingEnabled(False)
        rows = [list(r) for r in rows]
        self.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                raw = "" if value is None else str(value)
                text = shown_text(raw)  # control characters escaped; the value is kept as data
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, raw)
                if tooltips and len(text) > 30:
                    item.setToolTip(text)
                self.setItem(r, c, item)
        self.setSortingEnabled(True)
        self.sortItems(0, Qt.SortOrder.AscendingOrder)
        self.resizeColumnToContents(0)
        if self.columnWidth(0) > 260:
            self.setColumnWidth(0, 260)

    def apply_filter(self, text: str) -> None:
        """Hide rows whose cells do not contain ``text`` (case-insensitive)."""
        needle = text.strip().casefold()
        for r in range(self.rowCount()):
            cells = (self.item(r, c) for c in range(self.columnCount()))
            hay = " ".join(i.text() for i in cells if i is not None).casefold()
            self.setRowHidden(r, bool(needle) and needle not in hay)


class FilterableTable(QWidget):
    """A :class:`ReadOnlyTable` with a filter box above it."""

    def __init__(self, headers: list[str], placeholder: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText(placeholder)
        self.filter_edit.setClearButtonEnabled(True)
        self.table = ReadOnlyTable(headers)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.filter_edit)
        layout.addWidget(self.table, 1)
        self.filter_edit.textChanged.connect(self.table.apply_filter)

    def set_rows(self, rows: Iterable[Iterable[Any]]) -> None:
        self.table.set_rows(rows)
        self.table.apply_filter(self.filter_edit.text())


class EmptyState(QWidget):
    """A centred message (rich text allowed) for "nothing here yet" pages.

    Args:
        html: the message.
        code: an optional code example, shown left-aligned in a monospace box below it.
        footer: an optional line below the code.
    """

    def __init__(
        self, html: str = "", code: str = "", footer: str = "", parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.label = QLabel(html)
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.code_label = QLabel(code)
        self.code_label.setFont(monospace_font())
        self.code_label.setFrameShape(QFrame.Shape.StyledPanel)
        self.code_label.setBackgroundRole(QPalette.ColorRole.Base)
        self.code_label.setAutoFillBackground(True)
        self.code_label.setMargin(10)
        self.code_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.code_label.setVisible(bool(code))
        self.footer_label = QLabel(footer)
        self.footer_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.footer_label.setVisible(bool(footer))
        code_row = QHBoxLayout()
        code_row.addStretch(1)
        code_row.addWidget(self.code_label)
        code_row.addStretch(1)
        self._column = QVBoxLayout(self)
        self._column.addStretch(1)
        self._column.addWidget(self.label)
        self._column.addLayout(code_row)
        self._column.addWidget(self.footer_label)
        self._column.addStretch(1)

    def add_buttons(self, *buttons: QPushButton) -> None:
        """Put ``buttons`` in a centred row under the code example: what to do next."""
        row = QHBoxLayout()
        row.addStretch(1)
        for button in buttons:
            row.addWidget(button)
        row.addStretch(1)
        self._column.insertLayout(3, row)

    def add_widgets(self, *widgets: QWidget) -> None:
        """Put ``widgets`` in a centred row just above the footer (progress, a status line)."""
        row = QHBoxLayout()
        row.addStretch(1)
        for widget in widgets:
            row.addWidget(widget)
        row.addStretch(1)
        self._column.insertLayout(self._column.indexOf(self.footer_label), row)

    def set_text(self, html: str) -> None:
        self.label.setText(html)

    def text(self) -> str:
        """Everything the page says, code included."""
        parts = (self.label.text(), self.code_label.text(), self.footer_label.text())
        return "\n".join(p for p in parts if p)


def list_detail_layout(
    pane: QWidget,
    listing: QWidget,
    buttons: Iterable[QPushButton],
    count_label: QLabel,
    detail: QWidget,
    empty: EmptyState,
    sizes: tuple[int, int],
) -> tuple[QSplitter, QStackedWidget]:
    """Lay ``pane`` out as a list (buttons and a count above it) beside a detail, or ``empty``.

    Returns the splitter (whose state a pane saves) and the stack that switches between it
    and the empty page.
    """
    top = QHBoxLayout()
    for button in buttons:
        top.addWidget(button)
    top.addStretch(1)
    top.addWidget(count_label)
    left = QWidget()
    left_layout = QVBoxLayout(left)
    left_layout.setContentsMargins(4, 4, 0, 0)
    left_layout.addLayout(top)
    left_layout.addWidget(listing, 1)
    split = QSplitter(Qt.Orientation.Horizontal)
    split.addWidget(left)
    split.addWidget(detail)
    split.setStretchFactor(1, 1)
    split.setSizes(list(sizes))
    stack = QStackedWidget()
    stack.addWidget(split)
    stack.addWidget(empty)
    layout = QVBoxLayout(pane)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(stack)
    return split, stack
