"""Lists beside a detail grow to show their names whole, up to a share of the pane."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gui_spools import write_run
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSplitter, QTreeWidget, QTreeWidgetItem

from mlops_desktop.settings import Settings
from mlops_desktop.ui.list_sizing import MAX_LIST_SHARE, content_width, fit_list_side
from mlops_desktop.ui.panes.experiments.pane import ExperimentsPane

LONG = "breast-cancer-screening-retrain-after-drift"


def test_fit_grows_the_list_to_its_content_within_the_share(qtbot: Any) -> None:
    split = QSplitter()
    tree = QTreeWidget()
    tree.setHeaderLabels(["Experiment", "Runs"])
    tree.addTopLevelItem(QTreeWidgetItem([LONG, "12"]))
    split.addWidget(tree)
    split.addWidget(QLabel("detail"))
    qtbot.addWidget(split)
    split.resize(1200, 400)
    split.show()
    split.setSizes([200, 1000])
    needed = content_width(tree)
    assert needed > tree.fontMetrics().horizontalAdvance(LONG)
    assert fit_list_side(split, needed)
    assert split.sizes()[0] == needed
    assert not fit_list_side(split, needed - 50), "a list never shrinks"
    assert fit_list_side(split, 5000)
    assert split.sizes()[0] == int(sum(split.sizes()) * MAX_LIST_SHARE)


def test_experiments_list_shows_a_long_name_whole(
    qtbot: Any, service: Any, runner: Any, home: Path
) -> None:
    write_run(home, LONG, "r1", metrics={"acc": [0.5]})
    service.ingest()
    pane = ExperimentsPane(service, runner, Settings(), home)
    qtbot.addWidget(pane)
    pane.resize(1145, 680)  # the pane at 1280x720
    pane.show()
    listing = pane.experiments_list

    def long_item() -> Any:
        for row in range(listing.topLevelItemCount()):
            if listing.topLevelItem(row).text(0) == LONG:
                return listing.topLevelItem(row)
        return None

    qtbot.waitUntil(lambda: long_item() is not None, timeout=5000)  # after All and before Trash
    item = long_item()
    assert listing.textElideMode() == Qt.TextElideMode.ElideMiddle
    assert item.toolTip(0) == LONG
    qtbot.waitUntil(
        lambda: listing.columnWidth(0) >= listing.fontMetrics().horizontalAdvance(LONG),
        timeout=5000,
    )
    assert pane.hsplit.sizes()[0] <= sum(pane.hsplit.sizes()) * MAX_LIST_SHARE + 1
    pane.shutdown()
