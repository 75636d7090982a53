"""What a person can do to runs from the runs table: a context menu and keys.

Rename (F2), add a tag, edit notes, pin a colour, compare, open the log, copy ids (Ctrl+C),
launch again with changed params, and move to the trash (Del; Ctrl+Z brings the runs back).
Every edit runs on the TaskRunner; the pane reloads the table once it is stored.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QPoint, Qt, Signal
from PySide6.QtGui import QAction, QColor, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QColorDialog,
    QInputDialog,
    QLineEdit,
    QMenu,
    QStackedWidget,
    QWidget,
)

from mlops_desktop.core.plural import count_noun
from mlops_desktop.core.runs import RunSummary
from mlops_desktop.tracking.validate import tag_key_problem
from mlops_desktop.ui.charts.palette import PIN_COLOR_TAG, color_of_run
from mlops_desktop.ui.dialogs.about import SHORTCUT_WHERE
from mlops_desktop.ui.failures import Failure
from mlops_desktop.ui.panes.experiments.run_trash import TrashView
from mlops_desktop.ui.tasks import TaskRunner, TaskState

if TYPE_CHECKING:
    from mlops_desktop.ui.panes.experiments.pane import ExperimentsPane


def ask_text(parent: QWidget, title: str, label: str, text: str = "") -> str | None:
    """A line of text from a small dialog; None when cancelled (tests replace this)."""
    value, ok = QInputDialog.getText(parent, title, label, QLineEdit.EchoMode.Normal, text)
    return value if ok else None


def ask_color(parent: QWidget, initial: QColor) -> QColor | None:
    """A colour from the colour dialog; None when cancelled (tests replace this)."""
    color = QColorDialog.getColor(initial, parent, "Pin a colour")
    return color if color.isValid() else None


def parse_tag(text: str) -> tuple[str, str]:
    """``KEY=VALUE`` as (key, value).

    Raises:
        ValueError: no ``=`` or a key that cannot be a tag key (the message says why).
    """
    key, sep, value = text.partition("=")
    key = key.strip()
    if not sep:
        raise ValueError(f"{text!r} is not KEY=VALUE.")
    problem = tag_key_problem(key)
    if problem is not None:
        raise ValueError(problem)
    return key, value.strip()


def _runs_word(n: int) -> str:
    return count_noun(n, "run")


def _rename(service: Any, run_id: str, name: str, *, state: TaskState) -> str:
    return str(service.rename_run(run_id, name))


def _tag(
    service: Any, run_ids: list[str], tags: dict[str, str], remove: bool, *, state: TaskState
) -> None:
    for run_id in run_ids:
        if remove:
            service.tag_run(run_id, None, list(tags))
        else:
            service.tag_run(run_id, tags)


def _trash(service: Any, run_ids: list[str], *, state: TaskState) -> list[str]:
    return list(service.trash_runs(run_ids))


def _restore(service: Any, run_ids: list[str], *, state: TaskState) -> list[str]:
    return list(service.restore_runs(run_ids))


def _launch_spec(service: Any, run_id: str, *, state: TaskState) -> Any:
    return service.launch_spec(run_id)


class RunActions(QObject):
    """The actions on the selected runs of an :class:`ExperimentsPane`'s table.

    Signals:
        changed(): runs were renamed, tagged, trashed or restored (the pane reloads).
    """

    changed = Signal()

    def __init__(self, pane: ExperimentsPane, service: Any, runner: TaskRunner) -> None:
        super().__init__(pane)
        self._pane = pane
        self._service = service
        self._runner = runner
        self.launch_dialog: object | None = None
        self.trash_view: TrashView | None = None  # set by run_management.install_run_management
        self.center_stack: QStackedWidget | None = None
        self.last_trashed: list[str] = []
        table = pane.table
        make = self._action
        self.rename = make("Rename…", self.rename_selected, QKeySequence(Qt.Key.Key_F2))
        self.add_tag = make("Add tag…", self.add_tag_to_selected)
        self.edit_notes = make("Edit notes", self.edit_notes_of_selected)
        self.pin_color = make("Pin colour…", self.pin_color_of_selected)
        self.unpin_color = make("Unpin colour", self.unpin_color_of_selected)
        self.compare = make("Compare", self.compare_selected)
        self.open_log = make("Open log", self.open_log_of_selected)
        self.copy_id = make(
            "Copy id", self.copy_selected_ids, QKeySequence(QKeySequence.StandardKey.Copy)
        )
        self.launch_again = make("Launch again with changed params…", self.launch_selected_again)
        self.delete = make(
            "Move to trash", self.trash_selected, QKeySequence(QKeySequence.StandardKey.Delete)
        )
        self.undo = make(
            "Undo move to trash", self.undo_trash, QKeySequence(QKeySequence.StandardKey.Undo)
        )
        for action in self.all_actions():
            table.addAction(action)
        table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        table.customContextMenuRequested.connect(self._on_context_menu)
        table.selectionModel().selectionChanged.connect(self.update_enabled)
        self.update_enabled()

    def _action(
        self, text: str, slot: Callable[[], object], keys: QKeySequence | None = None
    ) -> QAction:
        action = QAction(text, self)
        if keys is not None:
            action.setShortcut(keys)
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            action.setProperty(SHORTCUT_WHERE, "in the runs table")  # listed so by F1
        action.triggered.connect(lambda _checked=False: slot())
        return action

    def all_actions(self) -> list[QAction]:
        return [
            self.rename,
            self.add_tag,
            self.edit_notes,
            self.pin_color,
            self.unpin_color,
            self.compare,
            self.open_log,
            self.copy_id,
            self.launch_again,
            self.delete,
            self.undo,
        ]

    def write_actions(self) -> list[QAction]:
        """The actions that change runs (a colour pin is a tag; a launch records a job)."""
        return [
            self.rename,
            self.add_tag,
            self.edit_notes,
            self.pin_color,
            self.unpin_color,
            self.launch_again,
            self.delete,
            self.undo,
        ]

    def selected(self) -> list[RunSummary]:
        return self._pane.table.selected_runs()

    def update_enabled(self, *_args: object) -> None:
        """Enable what fits the selection: one run, several, or runs with a pinned colour."""
        runs = self.selected()
        one, some = len(runs) == 1, bool(runs)
        for action in (self.rename, self.edit_notes, self.open_log, self.launch_again):
            action.setEnabled(one)
        for action in (self.add_tag, self.pin_color, self.copy_id):
            action.setEnabled(some)
        self.unpin_color.setEnabled(any(PIN_COLOR_TAG in r.tags for r in runs))
        self.compare.setEnabled(len(runs) >= 2)
        ended = some and all(r.status != "running" for r in runs)
        self.delete.setEnabled(ended)
        self.delete.setToolTip("" if ended or not some else "Stop running runs first.")
        self.undo.setEnabled(bool(self.last_trashed))

    def context_menu(self) -> QMenu:
        """The menu for the selected runs (shown on a right click)."""
        self.update_enabled()
        menu = QMenu(self._pane.table)
        menu.setToolTipsVisible(True)  # a disabled action's tooltip says why
        for group in (
            (self.rename, self.add_tag, self.edit_notes),
            (self.pin_color, self.unpin_color),
            (self.compare, self.open_log, self.copy_id),
            (self.launch_again,),
            (self.delete,),
        ):
            menu.addActions(list(group))
            menu.addSeparator()
        return menu

    def _on_context_menu(self, pos: QPoint) -> None:
        table = self._pane.table
        index = table.indexAt(pos)
        if index.isValid() and not table.selectionModel().isRowSelected(index.row()):
            table.selectRow(index.row())
        if not self.selected():
            return
        menu = self.context_menu()
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(table.viewport().mapToGlobal(pos))

    # --- the actions ---------------------------------------------------------------------
    def rename_selected(self) -> None:
        runs = self.selected()
        if len(runs) != 1:
            return
        name = ask_text(self._pane, "Rename run", "New name:", runs[0].name)
        if name is None or name == runs[0].name:
            return
        self._submit(_rename, runs[0].id, name, done=f"Renamed the run to {name.strip()!r}.")

    def add_tag_to_selected(self) -> None:
        runs = self.selected()
        if not runs:
            return
        text = ask_text(self._pane, "Add tag", f"Tag for {_runs_word(len(runs))} (KEY=VALUE):")
        if text is None:
            return
        try:
            key, value = parse_tag(text)
        except ValueError as exc:
            self._pane.events.show_status(str(exc), 8000)
            return
        ids = [r.id for r in runs]
        self._submit(_tag, ids, {key: value}, False, done=f"Tagged {_runs_word(len(ids))}.")

    def pin_color_of_selected(self) -> None:
        runs = self.selected()
        if not runs:
            return
        color = ask_color(self._pane, color_of_run(runs[0]))
        if color is None:
            return
        ids = [r.id for r in runs]
        tags = {PIN_COLOR_TAG: color.name()}
        self._submit(
            _tag, ids, tags, False, done=f"Pinned {color.name()} to {_runs_word(len(ids))}."
        )

    def unpin_color_of_selected(self) -> None:
        ids = [r.id for r in self.selected() if PIN_COLOR_TAG in r.tags]
        if ids:
            tags = {PIN_COLOR_TAG: ""}
            self._submit(_tag, ids, tags, True, done=f"Unpinned {_runs_word(len(ids))}.")

    def edit_notes_of_selected(self) -> None:
        self._show_detail_tab("notes")

    def open_log_of_selected(self) -> None:
        self._show_detail_tab("log")

    def _show_detail_tab(self, which: str) -> None:
        runs = self.selected()
        if len(runs) != 1:
            return
        pane, detail = self._pane, self._pane.detail
        pane.tabs.setCurrentWidget(detail)
        widget = detail.notes if which == "notes" else detail.log
        detail.tabs.setCurrentWidget(widget)
        if which == "notes":
            detail.notes.edit.setFocus(Qt.FocusReason.OtherFocusReason)

    def compare_selected(self) -> None:
        if len(self.selected()) >= 2:
            self._pane.tabs.setCurrentWidget(self._pane.compare)

    def copy_selected_ids(self) -> None:
        ids = [r.id for r in self.selected()]
        if ids:
            QGuiApplication.clipboard().setText("\n".join(ids))
            self._pane.events.show_status(f"Copied the id of {_runs_word(len(ids))}.")

    def launch_selected_again(self) -> None:
        runs = self.selected()
        if len(runs) != 1:
            return
        self._runner.submit(
            _launch_spec,
            self._service,
            runs[0].id,
            on_done=self._open_launch_dialog,
            on_failed=self._on_failed,
        )

    def _open_launch_dialog(self, spec: Any) -> None:
        dialog = self._pane.navigator.open_launch_dialog()
        if dialog is None or not hasattr(dialog, "prefill"):
            self._pane.events.show_status("The Launch dialog is not available here.", 8000)
            return
        dialog.prefill(spec)  # says to check the command and params; nothing starts yet
        self.launch_dialog = dialog

    def trash_selected(self) -> None:
        runs = self.selected()
        if not runs or not self.delete.isEnabled():
            return
        asked = [r.id for r in runs]
        self._runner.submit(
            _trash,
            self._service,
            asked,
            on_done=lambda ids: self._on_trashed(ids, len(asked)),
            on_failed=self._on_failed,
        )

    def _on_trashed(self, ids: list[str], asked: int) -> None:
        """``ids``: the runs trashed, the ``asked`` selected ones first, then their children."""
        self.last_trashed = list(ids)
        self.undo.setEnabled(True)
        kids = len(ids) - asked
        along = ""
        if kids > 0:
            along = f" with {'its' if asked == 1 else 'their'} {count_noun(kids, 'child run')}"
        self._pane.events.show_status(
            f"Moved {_runs_word(asked)}{along} to the trash. Ctrl+Z brings them back "
            "(or Restore in Trash, under the experiments).",
            10000,
        )
        self.changed.emit()

    def undo_trash(self) -> None:
        if self.last_trashed:
            ids, self.last_trashed = self.last_trashed, []
            self.undo.setEnabled(False)
            restored = f"Restored {_runs_word(len(ids))} from the trash."
            self._submit(_restore, ids, done=restored)

    # --- plumbing ------------------------------------------------------------------------
    def _submit(self, fn: Callable[..., object], *args: object, done: str) -> None:
        def finished(_result: object) -> None:
            self._pane.events.show_status(done)
            self.changed.emit()

        self._runner.submit(fn, self._service, *args, on_done=finished, on_failed=self._on_failed)

    def _on_failed(self, failure: Failure) -> None:
        self._pane.events.show_status(str(failure), 10000)
        self.changed.emit()
