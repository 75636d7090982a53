"""The host manager: the SSH hosts and Slurm clusters the app knows, adding, checking and
removing one, and accepting a host's new key when a check finds it changed.

Listing, adding, checking, removing and re-keying run on the TaskRunner: a host that hangs
shows "Checking…" and never freezes the window. Each host says where it comes from (added by
you, found in ~/.ssh/config, found because the local Slurm answered); a Slurm installed here
that does not answer is not listed, and a line under the table says why (raw output in its
tooltip), as a failed Slurm check does. Removing asks first; a changed key shows both
fingerprints and is accepted only on "Accept new key", with exactly the fingerprint shown.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from mlops_desktop.core.compute import HostInfo, HostKeyChange, host_origin
from mlops_desktop.core.errors import HostKeyChanged, SlurmNotAnswering
from mlops_desktop.services.compute import JobService
from mlops_desktop.ui.dialogs.host_add import AddHostDialog
from mlops_desktop.ui.dialogs.service_dialog import ERROR_COLOR, message_html
from mlops_desktop.ui.failures import Failure
from mlops_desktop.ui.formatting import count_noun, human_bytes, shown_html, shown_text
from mlops_desktop.ui.tasks import TaskRunner, TaskState
from mlops_desktop.ui.widgets import ReadOnlyTable

HEADERS = ["Name", "Address", "Kind", "Host key", "From"]


def list_hosts(service: JobService, *, state: TaskState) -> list[HostInfo]:
    return list(service.hosts())


def _hosts_and_slurm_note(
    service: JobService, *, state: TaskState
) -> tuple[list[HostInfo], tuple[str, str] | None]:
    return list(service.hosts()), service.local_slurm_problem()


def _check_host(service: JobService, name: str, *, state: TaskState) -> dict[str, object]:
    return dict(service.check_host(name))


def _remove_host(service: JobService, name: str, *, state: TaskState) -> dict[str, object]:
    return dict(service.remove_host(name))


def _rekey_host(service: JobService, name: str, fp: str, *, state: TaskState) -> HostKeyChange:
    return service.rekey_host(name, fp)


def _gpu_text(gpu: object) -> str:
    if isinstance(gpu, dict):
        return str(gpu.get("name") or gpu)
    return str(getattr(gpu, "name", gpu))


def describe_check(name: str, result: dict[str, object]) -> str:
    """A check's result as a few lines of HTML."""
    yes, no = "<b style='color:#27ae60'>yes</b>", f"<b style='color:{ERROR_COLOR}'>no</b>"
    lines = [f"<b>{html.escape(name)}</b>: reachable {yes if result.get('reachable') else no}"]
    if result.get("python"):
        lines.append(f"Python {html.escape(str(result['python']))}")
    gpus = result.get("gpus") or []
    if isinstance(gpus, list):
        names = ", ".join(html.escape(_gpu_text(g)) for g in gpus)
        lines.append(count_noun(len(gpus), "GPU") + (f": {names}" if names else ""))
    disk = result.get("disk_free")
    if isinstance(disk, int | float):
        lines.append(f"{human_bytes(disk)} free disk")
    if "rsync" in result:
        lines.append(f"rsync {yes if result.get('rsync') else no + ' (tar over ssh is used)'}")
    if result.get("error"):
        lines.append(
            f"<span style='color:{ERROR_COLOR}'>{html.escape(str(result['error']))}</span>"
        )
    return "<br>".join(lines)


class HostsDialog(QDialog):
    """See the module docstring."""

    def __init__(
        self, service: JobService, runner: TaskRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Hosts")
        self.resize(860, 520)
        self._service = service
        self._runner = runner
        self.hosts: list[HostInfo] = []
        self.add_dialog: AddHostDialog | None = None
        self.message_box: QMessageBox | None = None
        self.loaded = False
        self._pending_select: str | None = None
        self.table = ReadOnlyTable(HEADERS)
        self.table.setSortingEnabled(False)
        self.table.itemSelectionChanged.connect(self._on_selection_changed)
        self.add_button = QPushButton("Add…")
        self.check_button = QPushButton("Check")
        self.remove_button = QPushButton("Remove…")
        self.refresh_button = QPushButton("Refresh")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        actions = (self.add_button, self.check_button, self.remove_button, self.refresh_button)
        for button in actions:
            self.buttons.addButton(button, QDialogButtonBox.ButtonRole.ActionRole)
        self.result_label = QLabel(
            "The hosts you added (Add…) and those the app found (~/.ssh/config, a local "
            "Slurm that answers), with where each came from. Choose one and Check it: "
            "reachable, Python, GPUs, disk, rsync."
        )
        self.result_label.setWordWrap(True)
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.result_label.setMinimumHeight(90)
        self.slurm_note = QLabel()
        self.slurm_note.setWordWrap(True)
        self.slurm_note.hide()
        self.result_label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.slurm_note)
        layout.addWidget(self.result_label)
        layout.addWidget(self.buttons)
        self.add_button.clicked.connect(self.open_add_dialog)
        self.check_button.clicked.connect(self.check_selected)
        self.remove_button.clicked.connect(self.ask_remove_selected)
        self.refresh_button.clicked.connect(self.refresh)
        self.buttons.rejected.connect(self.reject)
        self._on_selection_changed()
        self.refresh()

    # --- public --------------------------------------------------------------------------
    def refresh(self) -> None:
        self._runner.submit_when_idle(
            (self, "hosts"),
            _hosts_and_slurm_note,
            self._service,
            on_done=self._on_hosts_and_note,
            on_failed=self._on_hosts_failed,
        )

    def selected_name(self) -> str | None:
        rows = {i.row() for i in self.table.selectedIndexes()}
        if not rows:
            return None
        item = self.table.item(min(rows), 0)
        return str(item.data(Qt.ItemDataRole.UserRole)) if item is not None else None

    def select(self, name: str) -> None:
        """Select the host ``name`` (once the list is loaded, if it is not yet)."""
        if not self.loaded:
            self._pending_select = name
            return
        for row in range(self.table.rowCount()):
            item = self.table.item(row, 0)
            if item is not None and item.data(Qt.ItemDataRole.UserRole) == name:
                self.table.selectRow(row)

    def open_add_dialog(self) -> AddHostDialog:
        dialog = AddHostDialog(self._service, self._runner, parent=self)
        dialog.added.connect(self._on_added)
        self.add_dialog = dialog
        dialog.open()
        return dialog

    def check_selected(self) -> None:
        name = self.selected_name()
        if name is None:
            return
        self.result_label.setText(f"Checking {shown_html(name)}…")
        self._runner.submit(
            _check_host,
            self._service,
            name,
            on_done=lambda result: self._on_checked(name, result),
            on_failed=lambda failure: self._on_check_failed(name, failure),
            label=f"Checking host {name}",
        )

    def selected_host(self) -> HostInfo | None:
        name = self.selected_name()
        return next((h for h in self.hosts if h.name == name), None)

    def ask_remove_selected(self) -> None:
        """Ask, then remove the selected host (one added here) on the runner."""
        host = self.selected_host()
        if host is None or host.from_ssh_config:
            return
        box = QMessageBox(QMessageBox.Icon.Question, "Remove the host", "", parent=self)
        box.setText(
            f"Remove {shown_text(host.name)} ({shown_text(host.address)}) and forget its host "
            "key? Its runs and jobs stay in the catalog; a host with running jobs is not removed."
        )
        box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        yes = box.button(QMessageBox.StandardButton.Yes)

        def answered(button: object) -> None:
            if button is yes:
                self._remove(host.name)

        box.buttonClicked.connect(answered)
        self.message_box = box
        box.open()

    def _remove(self, name: str) -> None:
        self.result_label.setText(f"Removing {html.escape(name)}…")
        self._runner.submit(
            _remove_host,
            self._service,
            name,
            on_done=lambda _doc: self._on_removed(name),
            on_failed=lambda failure: self._on_failed(f"Cannot remove {name}", failure),
            label=f"Removing host {name}",
        )

    def _ask_accept_key(self, name: str, exc: HostKeyChanged) -> None:
        box = QMessageBox(QMessageBox.Icon.Warning, "Host key changed", "", parent=self)
        box.setTextFormat(Qt.TextFormat.RichText)
        box.setText(
            f"<p>The host key of <b>{html.escape(shown_text(name))}</b> has changed.</p>"
            f"<p>Stored: <code>{html.escape(exc.stored or 'unknown')}</code><br>"
            f"Offered now: <b><code>{html.escape(exc.offered)}</code></b></p>"
            "<p>Someone may be intercepting the connection. Accept the new key only if the "
            "host was reinstalled and its administrator confirms this fingerprint.</p>"
        )
        accept = box.addButton("Accept new key", QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)

        def answered(button: object) -> None:
            if button is accept:
                self._rekey(name, exc.offered)

        box.buttonClicked.connect(answered)
        self.message_box = box
        box.open()

    def _rekey(self, name: str, fingerprint: str) -> None:
        self.result_label.setText(f"Accepting the new key of {html.escape(name)}…")
        self._runner.submit(
            _rekey_host,
            self._service,
            name,
            fingerprint,
            on_done=lambda change: self._on_rekeyed(name, change),
            on_failed=lambda failure: self._on_failed(f"Cannot accept the key of {name}", failure),
            label=f"Accepting the new key of {name}",
        )

    # --- slots ---------------------------------------------------------------------------
    def _on_hosts_and_note(self, found: tuple[list[HostInfo], tuple[str, str] | None]) -> None:
        hosts, note = found
        self._on_hosts(hosts)
        self.slurm_note.setText(message_html(note[0], error=True) if note else "")
        self.slurm_note.setToolTip(shown_text(note[1]) if note else "")
        self.slurm_note.setVisible(note is not None)

    def _on_hosts(self, hosts: list[HostInfo]) -> None:
        chosen = self._pending_select or self.selected_name()
        self._pending_select = None
        self.hosts = hosts
        self.loaded = True
        self.table.set_rows(
            (
                h.name,
                h.address,
                h.kind,
                h.host_key or ("—" if h.address == "local" else "not confirmed"),
                host_origin(h),
            )
            for h in hosts
        )
        self.table.resizeColumnsToContents()
        if chosen:
            self.select(chosen)
        self._on_selection_changed()

    def _on_hosts_failed(self, failure: Failure) -> None:
        self.result_label.setText(message_html(f"Cannot list hosts: {failure}", error=True))

    def _on_added(self, host: HostInfo) -> None:
        self.result_label.setText(f"Added {shown_html(host.name)}. Check it to see its GPUs.")
        self.refresh()

    def _on_checked(self, name: str, result: dict[str, object]) -> None:
        self.result_label.setText(describe_check(name, result))
        self.result_label.setToolTip("")

    def _on_check_failed(self, name: str, failure: Failure) -> None:
        self._on_failed(f"Cannot check {shown_text(name)}", failure)
        if isinstance(failure.exc, HostKeyChanged) and failure.exc.offered:
            self._ask_accept_key(name, failure.exc)

    def _on_failed(self, what: str, failure: Failure) -> None:
        self.result_label.setText(message_html(f"{what}: {failure}", error=True))
        details = failure.exc.details if isinstance(failure.exc, SlurmNotAnswering) else ""
        self.result_label.setToolTip(shown_text(details) if details else "")

    def _on_removed(self, name: str) -> None:
        self.result_label.setText(
            f"Removed {html.escape(shown_text(name))}; its runs and jobs stay."
        )
        self.refresh()

    def _on_rekeyed(self, name: str, change: HostKeyChange) -> None:
        self.result_label.setText(
            f"Accepted the new key of {html.escape(shown_text(name))}: "
            f"{html.escape(change.offered)}."
        )
        self.refresh()
        self.select(name)
        self.check_selected()

    def _on_selection_changed(self) -> None:
        self.check_button.setEnabled(self.selected_name() is not None)
        host = self.selected_host()
        self.remove_button.setEnabled(host is not None and not host.from_ssh_config)
