"""Table views over the pane's item models, set up alike."""

from __future__ import annotations

from PySide6.QtCore import QAbstractItemModel
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget


def table_view(model: QAbstractItemModel, parent: QWidget | None = None) -> QTableView:
    """A read-only, row-selecting table over ``model`` with compact rows."""
    view = QTableView(parent)
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    view.verticalHeader().setVisible(False)
    view.verticalHeader().setDefaultSectionSize(22)
    header = view.horizontalHeader()
    header.setStretchLastSection(True)
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setHighlightSections(False)
    return view


def fit_columns(view: QTableView, limit: int = 260) -> None:
    """Size every column but the last to its content, at most ``limit`` pixels."""
    model = view.model()
    for column in range(model.columnCount() - 1):
        view.resizeColumnToContents(column)
        if view.columnWidth(column) > limit:
            view.setColumnWidth(column, limit)
