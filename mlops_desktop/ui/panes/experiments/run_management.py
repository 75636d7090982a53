"""Run management in the Experiments pane: the run actions on the runs table and the Trash
view, which shares the runs table's place (one call from the pane sets both up)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QStackedWidget

from mlops_desktop.ui.panes.experiments.run_actions import RunActions
from mlops_desktop.ui.panes.experiments.run_trash import TrashView
from mlops_desktop.ui.tasks import TaskRunner

if TYPE_CHECKING:
    from mlops_desktop.ui.panes.experiments.pane import ExperimentsPane


def install_run_management(pane: ExperimentsPane, service: Any, runner: TaskRunner) -> RunActions:
    """Give ``pane`` its run actions (context menu, keys) and the Trash view.

    The Trash view shares the place of the runs table: choosing Trash in the experiments list
    shows it, choosing an experiment shows the table again. Edits reload the pane.
    """
    actions = RunActions(pane, service, runner)
    trash = TrashView(service, runner)
    stack = QStackedWidget()
    runs_view = pane.vsplit.widget(0)  # the filter bar and the runs table
    assert runs_view is not None
    stack.setSizePolicy(runs_view.sizePolicy())  # the splitter's stretch factor lives there
    pane.vsplit.replaceWidget(0, stack)
    stack.addWidget(runs_view)
    stack.addWidget(trash)
    actions.trash_view, actions.center_stack = trash, stack

    def show_trash() -> None:
        stack.setCurrentWidget(trash)
        # Detail shows the trashed run chosen, not a hidden one: the runs table's selection
        # goes quietly (the pane would otherwise clear Detail again a moment later)
        selection = pane.table.selectionModel()
        selection.blockSignals(True)
        try:
            pane.table.clearSelection()
        finally:
            selection.blockSignals(False)
        pane.table.viewport().update()
        pane._selection_timer.stop()  # a selection made just before must not follow either
        pane.detail.show_message()
        trash.open()

    def show_trashed_run() -> None:
        ids = trash.selected_ids()
        if len(ids) == 1:
            pane.detail.show_run(ids[0])
        else:
            pane.detail.show_message()

    def reload() -> None:
        pane.refresh()
        pane.detail.refresh()

    pane.experiments_list.trashChosen.connect(show_trash)
    pane.experiments_list.experimentChosen.connect(lambda _name: stack.setCurrentWidget(runs_view))
    pane.loader.experimentsLoaded.connect(lambda _experiments: trash.load())
    trash.countChanged.connect(pane.experiments_list.set_trash_count)
    trash.table.itemSelectionChanged.connect(show_trashed_run)
    trash.changed.connect(reload)
    actions.changed.connect(reload)
    return actions
