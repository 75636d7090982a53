"""The Lab store window (File > Lab store…): where the store is, whether it answers, what it
holds, what this home has not uploaded yet, and this home's cache of it.

Everything goes through ``Services.store`` on the TaskRunner, never on the GUI thread (an SSH
store may take seconds to answer): "Checking…" shows meanwhile. Sync now shows its progress in
the window and can be cancelled; what went up stays up. Setting the store and syncing write to
the catalog or the store, so a read-only window shows them disabled with the reason.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from mlops_desktop.core.errors import OperationCancelled, StoreError
from mlops_desktop.services.bundle import Services
from mlops_desktop.services.lab_store import LabStoreService
from mlops_desktop.store.cache import parse_size
from mlops_desktop.ui.dialogs.lab_store_location import SetLocationDialog
from mlops_desktop.ui.dialogs.service_dialog import message_html
from mlops_desktop.ui.failures import Failure
from mlops_desktop.ui.formatting import human_bytes
from mlops_desktop.ui.read_only import WriteGuard
from mlops_desktop.ui.tasks import TaskHandle, TaskRunner, TaskState

STEPS = 1000
CHECKING = "Checking…"
EMPTY_TEXT = (
    "No lab store is set: this home keeps its own artifacts, model files and dataset "
    "snapshots, which other desktops on this catalog cannot open. Use Set location… to put "
    "them in a folder every desktop reaches (a shared filesystem, or a folder on an SSH host)."
)


def show_store(store: LabStoreService, *, state: TaskState) -> dict[str, Any]:
    return store.show()


def sync_store(store: LabStoreService, *, state: TaskState) -> dict[str, Any]:
    """Upload what the store lacks, reporting the file on its way by name (the model file,
    artifact or dataset file it holds, else its hash) and the bytes sent, within a file too
    where the store reports them (SSH); stops on Cancel."""
    names: dict[str, str] = {}

    def progress(done: int, total: int, rel: str) -> None:
        if rel not in names:
            names[rel] = store.blob_name(rel) or f"{rel.rsplit('/', 1)[-1][:12]}…"
        state.progress(
            done / total if total else 1.0,
            f"Uploading {names[rel]}: {human_bytes(done)} of {human_bytes(total)} sent",
        )

    state.progress(0.0, "Listing what the store holds…")
    return store.sync(progress, lambda: state.cancelled)


def change_cache(
    store: LabStoreService, limit: int | None, clear: bool, *, state: TaskState
) -> dict[str, Any]:
    return store.cache_report(limit, clear)


def _count(blobs: int, size: int) -> str:
    return f"{blobs:,} blob{'s' if blobs != 1 else ''} ({human_bytes(size)})"


class LabStoreDialog(QDialog):
    """See the module docstring.

    Attributes:
        state: the latest ``store show`` document (None until the first answer).
    """

    def __init__(
        self,
        services: Services,
        runner: TaskRunner,
        guard: WriteGuard,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Lab store")
        self.resize(720, 400)
        self._services = services
        self._store = services.store
        self._runner = runner
        self.state: dict[str, Any] | None = None
        self.sync_handle: TaskHandle | None = None
        self.location_dialog: SetLocationDialog | None = None
        self.empty_label = QLabel(EMPTY_TEXT)
        self.empty_label.setWordWrap(True)
        self.empty_label.hide()
        self.location_label = self._value()
        self.reachable_label = self._value()
        self.blobs_label = self._value()
        self.pending_label = self._value()
        self.cache_label = self._value()
        store_box = QGroupBox("The store")
        form = QFormLayout(store_box)
        form.addRow("Location", self.location_label)
        form.addRow("Reachable", self.reachable_label)
        form.addRow("In the store", self.blobs_label)
        form.addRow("Not uploaded yet", self.pending_label)
        self.set_button = QPushButton("Set location…")
        self.sync_button = QPushButton("Sync now")
        self.sync_button.setToolTip("Upload what this home has and the store lacks")
        self.cancel_button = QPushButton("Cancel sync")
        self.cancel_button.hide()
        self.progress = QProgressBar()
        self.progress.setRange(0, STEPS)
        self.progress.hide()
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        actions = QHBoxLayout()
        for button in (self.set_button, self.sync_button, self.cancel_button):
            button.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
            actions.addWidget(button)
        actions.addWidget(self.progress, 4)  # while syncing, the bar takes the room
        actions.addStretch(1)
        form.addRow(actions)
        cache_box = QGroupBox("This home's cache of blobs fetched from the store")
        cache_form = QFormLayout(cache_box)
        cache_form.addRow("Used", self.cache_label)
        self.limit_edit = QLineEdit()
        self.limit_edit.setPlaceholderText("e.g. 20G")
        self.limit_edit.setMaximumWidth(140)
        self.limit_button = QPushButton("Set limit")
        self.clear_button = QPushButton("Clear cache")
        self.clear_button.setToolTip("Remove every cached blob (they are fetched again on use)")
        limit_row = QHBoxLayout()
        limit_row.addWidget(self.limit_edit)
        limit_row.addWidget(self.limit_button)
        limit_row.addStretch(1)
        limit_row.addWidget(self.clear_button)
        cache_form.addRow("Limit", limit_row)
        self.refresh_button = QPushButton("Refresh")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.buttons.addButton(self.refresh_button, QDialogButtonBox.ButtonRole.ActionRole)
        layout = QVBoxLayout(self)
        layout.addWidget(self.empty_label)
        layout.addWidget(store_box)
        layout.addWidget(cache_box)
        layout.addWidget(self.message)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        self.set_button.clicked.connect(self.open_set_location)
        self.sync_button.clicked.connect(self.sync_now)
        self.cancel_button.clicked.connect(self.cancel_sync)
        self.limit_button.clicked.connect(self.apply_limit)
        self.limit_edit.returnPressed.connect(self.apply_limit)
        self.clear_button.clicked.connect(self.clear_cache)
        self.refresh_button.clicked.connect(self.refresh)
        self.buttons.rejected.connect(self.reject)
        self._guard = guard  # its event filter keeps them disabled: it must live as long
        guard.guard(self.set_button, self.sync_button)
        self.refresh()

    @staticmethod
    def _value() -> QLabel:
        label = QLabel(CHECKING)
        label.setWordWrap(True)
        label.setTextFormat(Qt.TextFormat.PlainText)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        return label

    # --- public ----------------------------------------------------------------------------
    def refresh(self) -> None:
        """Ask the store again (on the runner)."""
        for label in (self.reachable_label, self.blobs_label, self.pending_label):
            if self.state is None:
                label.setText(CHECKING)
        self._runner.submit_when_idle(
            (self, "show"), show_store, self._store, on_done=self._on_shown, on_failed=self._fail
        )

    def open_set_location(self) -> SetLocationDialog:
        current = "" if self.state is None or self.state["in_home"] else self.state["location"]
        dialog = SetLocationDialog(
            self._store, self._services.jobs, self._runner, current, parent=self
        )
        dialog.locationSet.connect(self._on_location_set)
        self.location_dialog = dialog
        dialog.open()
        return dialog

    def sync_now(self) -> TaskHandle | None:
        """Upload what the store lacks on the runner, with progress and Cancel."""
        if self.sync_handle is not None:
            return None
        self.say("Syncing…")
        handle = self._runner.submit(
            sync_store,
            self._store,
            on_done=self._on_synced,
            on_failed=self._on_sync_failed,
            on_progress=self._on_sync_progress,
            label="Syncing the lab store",
        )
        handle.finished.connect(self._on_sync_finished)
        self.sync_handle = handle
        self.progress.setValue(0)
        self.progress.show()
        self.cancel_button.show()
        self.cancel_button.setEnabled(True)
        self.sync_button.setEnabled(False)
        return handle

    def cancel_sync(self) -> None:
        if self.sync_handle is not None:
            self.sync_handle.cancel()
            self.cancel_button.setEnabled(False)
            self.say("Cancelling after the blob on its way…")

    def apply_limit(self) -> None:
        try:
            limit = parse_size(self.limit_edit.text())
        except StoreError as exc:
            self.say(str(exc), error=True)
            return
        self._change_cache(limit, False)

    def clear_cache(self) -> None:
        self._change_cache(None, True)

    def say(self, text: str, error: bool = False) -> None:
        self.message.setText(message_html(text, error))

    def reject(self) -> None:
        self.cancel_sync()
        super().reject()

    # --- answers ---------------------------------------------------------------------------
    def _change_cache(self, limit: int | None, clear: bool) -> None:
        self._runner.submit(
            change_cache,
            self._store,
            limit,
            clear,
            on_done=self._on_cache_changed,
            on_failed=self._fail,
        )

    def _on_shown(self, doc: dict[str, Any]) -> None:
        self.state = doc
        in_home = bool(doc["in_home"])
        self.empty_label.setVisible(in_home)
        self.location_label.setText(
            "This home (no lab store is set)" if in_home else str(doc["location"])
        )
        if not doc["reachable"]:
            self.reachable_label.setText(f"No: {doc['problem']}")
            self.blobs_label.setText("Unknown while the store cannot be reached.")
            self.pending_label.setText("Unknown while the store cannot be reached.")
        else:
            self.reachable_label.setText("Yes")
            self.blobs_label.setText(_count(doc["blobs"], doc["bytes"]))
            pending = doc["not_uploaded"]
            text = _count(pending["blobs"], pending["bytes"])
            if pending["blobs"]:
                text += ": Sync now uploads them."
            elif not in_home:
                text = "Nothing: the store has everything this home has."
            self.pending_label.setText("—" if in_home else text)
        self._show_cache(doc["cache"])
        self.sync_button.setEnabled(
            self.sync_handle is None
            and not in_home
            and bool(doc["reachable"])
            and not self._guard.read_only
        )
        if in_home:
            self.sync_button.setToolTip("Set a location first: this home is its own store.")

    def _show_cache(self, cache: dict[str, Any]) -> None:
        self.cache_label.setText(
            f"{_count(cache['blobs'], cache['bytes'])} of {human_bytes(cache['limit'])}"
        )
        if not self.limit_edit.hasFocus():
            self.limit_edit.setText(_size_text(int(cache["limit"])))

    def _on_cache_changed(self, doc: dict[str, Any]) -> None:
        self._show_cache(doc)
        freed = f"Freed {human_bytes(doc['freed'])}. " if doc["freed"] else ""
        self.say(f"{freed}The cache keeps at most {human_bytes(doc['limit'])}.")

    def _on_location_set(self, location: str) -> None:
        self.say(f"The lab store is now {location}; every desktop on this catalog uses it.")
        self.refresh()

    def _on_sync_progress(self, fraction: float, message: str) -> None:
        self.progress.setValue(max(0, min(STEPS, round(fraction * STEPS))))
        if message and self.cancel_button.isEnabled():
            self.say(message)

    def _on_synced(self, doc: dict[str, Any]) -> None:
        self.progress.setValue(STEPS)
        self.say(
            f"Uploaded {doc['uploaded']:,} blob(s) ({human_bytes(doc['bytes'])}) to "
            f"{doc['location']}."
        )

    def _on_sync_failed(self, failure: Failure) -> None:
        self.say(str(failure), error=not isinstance(failure.exc, OperationCancelled))

    def _on_sync_finished(self) -> None:
        self.sync_handle = None
        self.progress.hide()
        self.cancel_button.hide()
        self.refresh()

    def _fail(self, failure: Failure) -> None:
        self.say(str(failure), error=True)


def _size_text(size: int) -> str:
    """A limit as the size field shows it: ``20G``, ``512M``, or bytes."""
    for unit, shift in (("T", 40), ("G", 30), ("M", 20), ("K", 10)):
        if size >= 1 << shift and size % (1 << shift) == 0:
            return f"{size >> shift}{unit}"
    return str(size)
