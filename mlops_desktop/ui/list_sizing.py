"""Lists beside a detail (experiments, models, datasets) sized to what they hold.

A list's splitter side grows to show its rows whole, up to :data:`MAX_LIST_SHARE` of the pane,
and never shrinks below what the person gave it; names too long even then are elided in the
middle (the start and the version-like end stay readable) with the whole name in a tooltip.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QSplitter, QTableView, QTreeView

MAX_LIST_SHARE = 0.45  # of the splitter's width: the detail keeps the larger part
MIN_LIST_WIDTH = 160


def content_width(view: QTableView | QTreeView) -> int:
    """The width ``view`` needs to show every visible column's content and header whole."""
    header = view.horizontalHeader() if isinstance(view, QTableView) else view.header()
    total = 0
    for column in range(header.count()):
        if header.isSectionHidden(column):
            continue
        cells = view.sizeHintForColumn(column)
        total += max(cells, header.sectionSizeHint(column)) + 4
    scroll = view.verticalScrollBar().sizeHint().width()
    return total + scroll + 2 * view.frameWidth() + 4


def elide_in_the_middle(view: QAbstractItemView) -> None:
    """Long names lose their middle, not their end ("breast-can…classifier")."""
    view.setTextElideMode(Qt.TextElideMode.ElideMiddle)


def fit_list_side(split: QSplitter, needed: int, index: int = 0) -> bool:
    """Widen side ``index`` of ``split`` (the list) to ``needed`` pixels when it is narrower.

    The list takes at most :data:`MAX_LIST_SHARE` of the splitter; it never shrinks. Returns
    True when the sizes changed.
    """
    sizes = split.sizes()
    total = sum(sizes)
    if total <= 0 or len(sizes) != 2:
        return False
    wanted = max(MIN_LIST_WIDTH, min(needed, int(total * MAX_LIST_SHARE)))
    if wanted <= sizes[index]:
        return False
    other = 1 - index
    sizes[other] = total - wanted
    sizes[index] = wanted
    split.setSizes(sizes)
    return True
