"""The Pipelines pane's actions (Add pipeline…, Run, Run from here, Force stage, Cancel run),
their toolbar buttons, and the context menu of a stage in the graph."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QBoxLayout, QMenu, QToolButton, QWidget

from mlops_desktop.ui.formatting import short_id
from mlops_desktop.ui.panes.pipelines.stage_graph import StageShown


class PipelineActions(QObject):
    """The actions; the pane connects their ``triggered`` and says when each may run
    (:meth:`update_enabled`)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.add = self._action("Add pipeline…", "Add a pipeline file (pipeline.yaml or dvc.yaml)")
        self.run = self._action("Run", "Run the stages that changed; the others are reused")
        self.run_from = self._action(
            "Run from here", "Rerun the selected stage and every stage after it"
        )
        self.force = self._action(
            "Force stage", "Rerun the selected stage even if nothing it depends on changed"
        )
        self.cancel = self._action(
            "Cancel run", "Stop the run going now (its running stages are cancelled)"
        )
        self.buttons: list[QToolButton] = []

    def _action(self, text: str, tip: str) -> QAction:
        action = QAction(text, self)
        action.setStatusTip(tip)
        action.setToolTip(tip)
        return action

    def add_buttons(self, row: QBoxLayout) -> None:
        """A button for Run, Run from here, Force stage and Cancel run at the end of ``row``."""
        for action in (self.run, self.run_from, self.force, self.cancel):
            button = QToolButton()
            button.setDefaultAction(action)
            row.addWidget(button)
            self.buttons.append(button)

    def update_enabled(self, usable: bool, running: bool, stage_selected: bool) -> None:
        """``usable``: a pipeline whose file reads is chosen and no run of it goes from here."""
        self.run.setEnabled(usable)
        self.run_from.setEnabled(usable and stage_selected)
        self.force.setEnabled(usable and stage_selected)
        self.cancel.setEnabled(running)

    def stage_menu(
        self, parent: QWidget, shown: StageShown | None, show_run: Callable[[str], object]
    ) -> QMenu:
        """Run from here, Force stage, and the stage's run in Experiments when it has one."""
        menu = QMenu(parent)
        menu.addAction(self.run_from)
        menu.addAction(self.force)
        run_id = (shown.run_id or shown.source_run_id) if shown is not None else None
        if run_id:
            menu.addSeparator()
            show = menu.addAction(f"Show run {short_id(run_id)} in Experiments")
            show.triggered.connect(lambda: show_run(run_id))
        return menu
