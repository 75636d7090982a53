"""What a person can do to a model version: alias, tag, describe, archive, delete, export,
import, inspect, register. Dialogs collect input; every service call runs on the TaskRunner.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDialog, QFileDialog, QMenu, QMessageBox, QWidget

from mlops_desktop.core.models import ModelVersion
from mlops_desktop.services.models import ModelService
from mlops_desktop.ui.dialogs.model_edit import DescribeDialog, SetAliasDialog, TagDialog
from mlops_desktop.ui.dialogs.model_inspect import InspectDialog
from mlops_desktop.ui.dialogs.model_register import RegisterModelDialog
from mlops_desktop.ui.dialogs.task_progress import TaskProgressDialog
from mlops_desktop.ui.failures import Failure
from mlops_desktop.ui.formatting import shown_text
from mlops_desktop.ui.panes.models.alias_move import confirm_alias_move
from mlops_desktop.ui.tasks import TaskHandle, TaskRunner, TaskState

ARCHIVE_FILTER = "Model archives (*.tar.gz *.tgz *.zip);;All files (*)"
TAR_FILTER = "Gzip tar archives (*.tar.gz *.tgz)"
ZIP_FILTER = "Zip archives (*.zip)"
EXPORT_FILTER = f"{TAR_FILTER};;{ZIP_FILTER}"
_SUFFIXES = (".zip", ".tar.gz", ".tgz")


def export_path(path: str, chosen_filter: str) -> str:
    """The file to export to: ``path``, with the suffix of the chosen filter when it has none
    of ours (export writes a zip for ``.zip``, a tar.gz otherwise)."""
    if path.lower().endswith(_SUFFIXES):
        return path
    return path + (".zip" if chosen_filter == ZIP_FILTER else ".tar.gz")


def _call(call: Callable[[], object], *, state: TaskState) -> object:
    """Task body: one service call, its arguments bound (``functools.partial``)."""
    return call()


class ModelActions(QObject):
    """The actions on the chosen version, with the dialogs behind them.

    Signals:
        changed(str, int): model ``name`` changed; show ``version`` (0: keep the current one).
        status(str): a line for the status bar.
    """

    changed = Signal(str, int)
    status = Signal(str)

    def __init__(
        self,
        service: ModelService,
        runner: TaskRunner,
        current: Callable[[], ModelVersion | None],
        aliases: Callable[[], dict[str, int]],
        parent: QWidget,
    ) -> None:
        super().__init__(parent)
        self._service = service
        self._runner = runner
        self._current = current
        self._aliases = aliases
        self._parent = parent
        self.dialog: QDialog | None = None  # the last dialog opened (tests look at it)
        self.message_box: QMessageBox | None = None
        self.progress: TaskProgressDialog | None = None

        def action(text: str, slot: Callable[[], object], tip: str = "") -> QAction:
            act = QAction(text, self)
            act.setToolTip(tip or text)
            act.triggered.connect(slot)
            return act

        self.set_alias = action("Set alias…", self._on_set_alias, "Point an alias at this version")
        self.remove_alias_menu = QMenu("Remove alias", parent)
        self.remove_alias_menu.aboutToShow.connect(self._on_fill_remove_alias)
        self.tag = action("Tag…", self._on_tag, "Set a key=value tag on this version")
        self.remove_tag_menu = QMenu("Remove tag", parent)
        self.remove_tag_menu.aboutToShow.connect(self._on_fill_remove_tag)
        self.describe = action("Describe…", self._on_describe, "Edit the Markdown description")
        self.archive = action("Archive", self._on_archive)
        self.delete = action("Delete…", self._on_delete, "Delete this version")
        self.export = action("Export…", self._on_export, "Save this version as one archive")
        self.import_ = action("Import…", self._on_import, "Import a version from an archive")
        self.inspect = action("Inspect…", self._on_inspect, "Load it in a separate process")
        self.register = action("Register from file…", self._on_register)
        self.version_actions = [
            self.set_alias,
            self.tag,
            self.describe,
            self.archive,
            self.delete,
            self.export,
            self.inspect,
        ]
        self.update_enabled()

    # --- state ---------------------------------------------------------------------------
    def update_enabled(self) -> None:
        version = self._current()
        for act in self.version_actions:
            act.setEnabled(version is not None)
        self.remove_alias_menu.setEnabled(bool(version and version.aliases))
        self.remove_tag_menu.setEnabled(bool(version and version.tags))
        self.archive.setText("Unarchive" if version is not None and version.archived else "Archive")

    def context_menu(self) -> QMenu:
        menu = QMenu(self._parent)
        menu.setToolTipsVisible(True)  # a disabled action's tooltip says why
        for act in (self.set_alias,):
            menu.addAction(act)
        menu.addMenu(self.remove_alias_menu)
        menu.addAction(self.tag)
        menu.addMenu(self.remove_tag_menu)
        menu.addAction(self.describe)
        menu.addSeparator()
        menu.addAction(self.inspect)
        menu.addAction(self.export)
        menu.addSeparator()
        menu.addAction(self.archive)
        menu.addAction(self.delete)
        return menu

    # --- running service calls -----------------------------------------------------------
    def run(
        self,
        call: Callable[[], object],
        done: str,
        show: tuple[str, int] | None = None,
        on_failed: Callable[[Failure], None] | None = None,
    ) -> TaskHandle:
        """``call()`` (a service method with its arguments bound) on the runner; on success
        say ``done`` and show ``show`` (name, version), or the version ``call`` returned."""

        def on_done(result: object) -> None:
            self.status.emit(done)
            if show is not None:
                self.changed.emit(*show)
            elif isinstance(result, ModelVersion):
                self.changed.emit(result.name, result.version)

        return self._runner.submit(
            _call, call, on_done=on_done, on_failed=on_failed or self._on_failed
        )

    def _on_failed(self, failure: Failure) -> None:
        self.show_error(str(failure))

    def show_error(self, text: str, title: str = "Models") -> QMessageBox:
        self.status.emit(text.splitlines()[0] if text else "Failed")
        box = QMessageBox(QMessageBox.Icon.Warning, title, text, parent=self._parent)
        box.open()
        self.message_box = box
        return box

    # --- alias, tag, describe, archive ---------------------------------------------------
    def _on_set_alias(self) -> None:
        v = self._current()
        if v is None:
            return
        aliases = self._aliases()
        dialog = SetAliasDialog(v.name, v.version, aliases, self._parent)
        dialog.accepted.connect(lambda: self._confirm_alias(v, dialog.alias(), aliases))
        self.dialog = dialog
        dialog.open()

    def _confirm_alias(self, v: ModelVersion, alias: str, aliases: dict[str, int]) -> None:
        """Set ``alias`` on ``v``; an alias on another version moves only once confirmed."""
        current = aliases.get(alias)
        if current is None or current == v.version:
            self.set_alias_now(v, alias)
            return
        self.message_box = confirm_alias_move(
            self._parent, v.name, alias, current, v.version, lambda: self.set_alias_now(v, alias)
        )

    def set_alias_now(self, v: ModelVersion, alias: str) -> TaskHandle:
        return self.run(
            partial(self._service.set_alias, v.name, v.version, alias),
            done=f"{alias} → {shown_text(v.name)} v{v.version}",
            show=(v.name, v.version),
        )

    def remove_alias(self, name: str, alias: str) -> TaskHandle:
        return self.run(
            partial(self._service.remove_alias, name, alias),
            done=f"Alias {shown_text(alias)} removed",
            show=(name, 0),
        )

    def _on_fill_remove_alias(self) -> None:
        self.remove_alias_menu.clear()
        v = self._current()
        if v is None:
            return
        for alias in sorted(v.aliases):
            act = self.remove_alias_menu.addAction(shown_text(alias))
            act.triggered.connect(lambda _=False, a=alias, n=v.name: self.remove_alias(n, a))

    def _on_tag(self) -> None:
        v = self._current()
        if v is None:
            return
        dialog = TagDialog(f"Tag {shown_text(v.name)} v{v.version}", parent=self._parent)
        dialog.accepted.connect(
            lambda: self.run(
                partial(self._service.set_tag, v.name, v.version, *dialog.tag()),
                done=f"Tag {shown_text(dialog.tag()[0])} set on v{v.version}",
                show=(v.name, v.version),
            )
        )
        self.dialog = dialog
        dialog.open()

    def _on_fill_remove_tag(self) -> None:
        self.remove_tag_menu.clear()
        v = self._current()
        if v is None:
            return
        for key in sorted(v.tags):
            act = self.remove_tag_menu.addAction(shown_text(f"{key}={v.tags[key]}"))
            act.triggered.connect(
                lambda _=False, k=key, x=v: self.run(
                    partial(self._service.remove_tag, x.name, x.version, k),
                    done=f"Tag {shown_text(k)} removed",
                    show=(x.name, x.version),
                )
            )

    def _on_describe(self) -> None:
        v = self._current()
        if v is None:
            return
        title = f"Describe {shown_text(v.name)} v{v.version}"
        dialog = DescribeDialog(title, v.description, self._parent)
        dialog.accepted.connect(
            lambda: self.run(
                partial(self._service.describe, v.name, v.version, dialog.text()),
                done=f"Description of v{v.version} saved",
                show=(v.name, v.version),
            )
        )
        self.dialog = dialog
        dialog.open()

    def _on_archive(self) -> None:
        v = self._current()
        if v is not None:
            verb = "unarchived" if v.archived else "archived"
            self.run(
                partial(self._service.archive, v.name, v.version, not v.archived),
                done=f"{shown_text(v.name)} v{v.version} {verb}",
                show=(v.name, v.version),
            )

    # --- delete --------------------------------------------------------------------------
    def _on_delete(self) -> None:
        v = self._current()
        if v is None:
            return
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Delete version",
            f"Delete {shown_text(v.name)} v{v.version}? Its audit trail is kept.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self._parent,
        )
        box.accepted.connect(lambda: self.delete_version(v.name, v.version))
        self.message_box = box
        box.open()

    def delete_version(self, name: str, version: int, force: bool = False) -> TaskHandle:
        """Delete; when refused (an alias uses it) offer "Delete anyway"."""

        def refused(failure: Failure) -> None:
            if force or failure.is_bug:
                self.show_error(str(failure))
                return
            box = QMessageBox(QMessageBox.Icon.Warning, "Delete version", str(failure))
            box.setParent(self._parent, box.windowFlags())
            anyway = box.addButton("Delete anyway", QMessageBox.ButtonRole.DestructiveRole)
            box.addButton(QMessageBox.StandardButton.Cancel)
            anyway.clicked.connect(lambda: self.delete_version(name, version, force=True))
            self.message_box = box
            box.open()

        return self.run(
            partial(self._service.delete, name, version, force=force),
            done=f"{shown_text(name)} v{version} deleted",
            show=(name, 0),
            on_failed=refused,
        )

    # --- export, import, inspect, register -----------------------------------------------
    def _on_export(self) -> None:
        v = self._current()
        if v is None:
            return
        suggested = str(Path.home() / f"{v.name}-v{v.version}.tar.gz")
        path, chosen = QFileDialog.getSaveFileName(
            self._parent, f"Export {shown_text(v.name)} v{v.version}", suggested, EXPORT_FILTER
        )
        if path:
            self.export_to(v, export_path(path, chosen))

    def export_to(self, v: ModelVersion, path: str) -> TaskHandle:
        """Export ``v`` to ``path``: a zip when it ends in ``.zip``, a tar.gz otherwise."""
        fmt = self._service.export_format(path)
        handle = self.run(
            partial(self._service.export, f"{v.name}:{v.version}", path),
            done=f"Exported to {shown_text(path)} ({fmt})",
        )
        self.progress = TaskProgressDialog(
            handle, f"Exporting {shown_text(v.name)} v{v.version}", self._parent
        )
        self.progress.show()
        return handle

    def _on_import(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self._parent, "Import a model", "", ARCHIVE_FILTER)
        if path:
            self.import_from(path)

    def import_from(self, path: str) -> TaskHandle:
        def failed(failure: Failure) -> None:
            name = Path(path).name
            self.show_error(f"Cannot import {name}; nothing was written.\n\n{failure}", "Import")

        return self.run(
            partial(self._service.import_archive, path),
            done=f"Imported {shown_text(path)}",
            on_failed=failed,
        )

    def _on_inspect(self) -> None:
        v = self._current()
        if v is not None:
            dialog = InspectDialog(
                self._service, self._runner, f"{v.name}:{v.version}", self._parent
            )
            self.dialog = dialog
            dialog.open()

    def _on_register(self) -> None:
        self.open_register_dialog()

    def open_register_dialog(
        self, run_id: str = "", artifact: str = "", name: str = ""
    ) -> RegisterModelDialog:
        dialog = RegisterModelDialog(
            self._service,
            self._runner,
            name=name,
            run_id=run_id,
            artifact=artifact,
            parent=self._parent,
        )
        dialog.registered.connect(lambda v: self.changed.emit(v.name, v.version))
        self.dialog = dialog
        dialog.open()
        return dialog
