"""The experiments list: "All experiments" first, then each experiment with its run count."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTreeWidget, QTreeWidgetItem, QWidget

from mlops_desktop.core.runs import Experiment
from mlops_desktop.ui.list_sizing import elide_in_the_middle

ALL_EXPERIMENTS = "All experiments"
TRASH = "Trash"
_NAME_ROLE = Qt.ItemDataRole.UserRole + 1
_TRASH_ROLE = Qt.ItemDataRole.UserRole + 2
_NOTHING = object()  # no choice made yet
_TRASH_CHOSEN = object()  # the Trash item is chosen


class ExperimentsList(QTreeWidget):
    """Two columns (name, runs); choosing a row emits the experiment's name (None: all).
    The last row is the Trash (runs moved to the trash).

    Signals:
        experimentChosen(object): an experiment name, or None for all experiments.
        trashChosen(): the Trash row was chosen.
    """

    experimentChosen = Signal(object)
    trashChosen = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setColumnCount(2)
        self.setHeaderLabels(["Experiment", "Runs"])
        self.setRootIsDecorated(False)
        self.setUniformRowHeights(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setAlternatingRowColors(True)
        elide_in_the_middle(self)
        header = self.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self._experiments: list[Experiment] = []
        self._chosen: object = _NOTHING
        self._preferred: str | None = None  # chosen at the first listing, when listed
        self._trash_count = 0
        self.currentItemChanged.connect(self._on_current_item_changed)

    @property
    def experiments(self) -> list[Experiment]:
        return list(self._experiments)

    def current_experiment(self) -> str | None:
        """The chosen experiment's name; None for "All experiments" or nothing chosen."""
        item = self.currentItem()
        if item is None or item.data(0, _TRASH_ROLE):
            return None
        value = item.data(0, _NAME_ROLE)
        return None if value is None or value == "" else str(value)

    def set_experiments(self, experiments: list[Experiment]) -> None:
        """Show ``experiments`` and keep the choice; the first call chooses "All experiments".

        ``experimentChosen`` fires only when the effective choice changes (the first time, or
        when the chosen experiment vanished and "All experiments" took its place). When only
        run counts changed (a live update), the rows keep their items and only the counts change.
        """
        if self._update_counts(experiments):
            return
        before = self._chosen
        self._experiments = list(experiments)
        align = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        self.blockSignals(True)
        try:
            self.clear()
            total = sum(e.run_count for e in experiments)
            all_item = QTreeWidgetItem([ALL_EXPERIMENTS, f"{total:,}"])
            all_item.setData(0, _NAME_ROLE, "")
            all_item.setTextAlignment(1, align)
            font = all_item.font(0)
            font.setBold(True)
            all_item.setFont(0, font)
            self.addTopLevelItem(all_item)
            chosen = all_item
            for exp in experiments:
                item = QTreeWidgetItem([exp.name, f"{exp.run_count:,}"])
                item.setData(0, _NAME_ROLE, exp.name)
                item.setTextAlignment(1, align)
                item.setToolTip(0, exp.name)
                self.addTopLevelItem(item)
                if exp.name == before or (before is _NOTHING and exp.name == self._preferred):
                    chosen = item
            trash = self._add_trash_item()
            self.setCurrentItem(trash if before is _TRASH_CHOSEN else chosen)
        finally:
            self.blockSignals(False)
        if before is _TRASH_CHOSEN:
            return
        self._chosen = self.current_experiment()
        if before is _NOTHING or before != self._chosen:
            self.experimentChosen.emit(self._chosen)

    def _add_trash_item(self) -> QTreeWidgetItem:
        item = QTreeWidgetItem([TRASH, f"{self._trash_count:,}" if self._trash_count else ""])
        item.setData(0, _TRASH_ROLE, True)
        item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        item.setToolTip(0, "Runs moved to the trash: restore them, or empty the trash")
        font = item.font(0)
        font.setItalic(True)
        item.setFont(0, font)
        self.addTopLevelItem(item)
        return item

    def set_trash_count(self, count: int) -> None:
        """Show how many runs are in the trash beside the Trash row."""
        self._trash_count = count
        item = self.trash_item()
        if item is not None:
            item.setText(1, f"{count:,}" if count else "")

    def trash_item(self) -> QTreeWidgetItem | None:
        last = self.topLevelItem(self.topLevelItemCount() - 1)
        return last if last is not None and last.data(0, _TRASH_ROLE) else None

    def choose_trash(self) -> None:
        item = self.trash_item()
        if item is not None:
            self.setCurrentItem(item)

    def _update_counts(self, experiments: list[Experiment]) -> bool:
        """Change the counts in place when the experiments are the same; False when not."""
        if self._chosen is _NOTHING or [e.name for e in experiments] != [
            e.name for e in self._experiments
        ]:
            return False
        self._experiments = list(experiments)
        counts = [sum(e.run_count for e in experiments)] + [e.run_count for e in experiments]
        for row, count in enumerate(counts):
            item = self.topLevelItem(row)
            if item is not None and item.text(1) != f"{count:,}":
                item.setText(1, f"{count:,}")
        return True

    def prefer(self, name: str | None) -> None:
        """Choose ``name`` at the first listing instead of "All experiments" (when listed)."""
        self._preferred = name

    def choose(self, name: str | None) -> bool:
        """Choose an experiment by name (None: all); returns False when it is not listed."""
        for i in range(self.topLevelItemCount()):
            item = self.topLevelItem(i)
            if item is not None and item.data(0, _TRASH_ROLE):
                continue
            if item is not None and (item.data(0, _NAME_ROLE) or None) == name:
                self.setCurrentItem(item)
                return True
        return False

    def _on_current_item_changed(
        self, current: QTreeWidgetItem | None, _previous: QTreeWidgetItem | None
    ) -> None:
        if current is None:
            return
        if current.data(0, _TRASH_ROLE):
            self._chosen = _TRASH_CHOSEN
            self.trashChosen.emit()
            return
        name = self.current_experiment()
        if name != self._chosen:
            self._chosen = name
            self.experimentChosen.emit(name)
