"""Set location…: a folder on a shared filesystem, or a folder on one of the known SSH hosts.

The known hosts are listed on the runner; "Set" runs the same checks as ``store set`` (the
folder exists and can be written, the host answers with its known key) on the runner and says
what is wrong in one sentence under the form.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from mlops_desktop.core.compute import HostInfo
from mlops_desktop.services.compute import JobService
from mlops_desktop.services.lab_store import LabStoreService
from mlops_desktop.store.location import SSH_PREFIX, StoreLocation
from mlops_desktop.ui.dialogs.service_dialog import PathField, ServiceDialog
from mlops_desktop.ui.failures import Failure
from mlops_desktop.ui.tasks import TaskRunner, TaskState

NO_HOSTS_TEXT = "No SSH hosts yet: add one in Run > Hosts…"


def known_hosts(jobs: JobService, *, state: TaskState) -> list[str]:
    """The names of the hosts a store may live on (on the runner: reads ~/.ssh/config)."""
    hosts: list[HostInfo] = jobs.hosts()
    return sorted({h.name for h in hosts})


def set_store_location(store: LabStoreService, text: str, *, state: TaskState) -> str:
    """Check and record the store (on the runner: may talk to the host)."""
    return str(store.set_location(text))


class SetLocationDialog(ServiceDialog):
    """See the module docstring.

    Signals:
        locationSet(str): the store now recorded in the catalog.
    """

    locationSet = Signal(str)

    def __init__(
        self,
        store: LabStoreService,
        jobs: JobService,
        runner: TaskRunner,
        current: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(runner, "Set the lab store", parent)
        self.resize(620, 260)
        self._store = store
        self.folder_choice = QRadioButton("A folder on a shared filesystem (NFS, SMB, mounted)")
        self.ssh_choice = QRadioButton("A folder on an SSH host")
        self.folder = PathField(
            placeholder="/mnt/lab/mlops-store", folder_caption="The lab store's folder"
        )
        self.host = QComboBox()
        self.host.setPlaceholderText("Loading hosts…")
        self.ssh_path = QLineEdit()
        self.ssh_path.setPlaceholderText("/srv/mlops-store")
        self.set_button = QPushButton("Set")
        self.set_button.setDefault(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.addButton(self.set_button, QDialogButtonBox.ButtonRole.ActionRole)
        form = QFormLayout()
        form.addRow(self.folder_choice)
        form.addRow("Folder", self.folder)
        form.addRow(self.ssh_choice)
        form.addRow("Host", self.host)
        form.addRow("Folder on the host", self.ssh_path)
        self.show_message(
            "Every desktop on this catalog uses the store: the folder must be mounted at the "
            "same path on each, or the host known under the same name."
        )
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        self._fill(current)
        for signal in (
            self.folder_choice.toggled,
            self.folder.textChanged,
            self.ssh_path.textChanged,
            self.host.currentIndexChanged,
        ):
            signal.connect(self.update_enabled)
        self.set_button.clicked.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        runner.submit(known_hosts, jobs, on_done=self._on_hosts, on_failed=self._on_hosts_failed)
        self.update_enabled()

    def _fill(self, current: str) -> None:
        self._wanted_host = ""
        if current.startswith(SSH_PREFIX):
            host, _, path = current[len(SSH_PREFIX) :].partition("/")
            self._wanted_host = host
            self.ssh_path.setText("/" + path)
            self.ssh_choice.setChecked(True)
        else:
            self.folder.setText(current)
            self.folder_choice.setChecked(True)

    def location_text(self) -> str:
        """What ``store set`` would be given."""
        if self.folder_choice.isChecked():
            return self.folder.text()
        host, path = self.host.currentText(), self.ssh_path.text().strip()
        if not host or not path:
            return ""
        return str(StoreLocation(host, "/" + path.strip("/")))

    def update_enabled(self) -> None:
        running = self.is_running()
        folder = self.folder_choice.isChecked()
        self.folder.setEnabled(folder and not running)
        self.host.setEnabled(not folder and not running and self.host.count() > 0)
        self.ssh_path.setEnabled(not folder and not running)
        self.folder_choice.setEnabled(not running)
        self.ssh_choice.setEnabled(not running)
        self.set_button.setEnabled(not running and bool(self.location_text()))

    def submit(self) -> None:
        text = self.location_text()
        if not text:
            return
        self.show_message(f"Checking {text}…")
        self.run_task(
            set_store_location,
            self._store,
            text,
            on_done=self._on_set,
            failure_text="Not set",
            label="Setting the lab store",
        )

    def _on_hosts(self, names: list[str]) -> None:
        self.host.clear()
        self.host.addItems(names)
        self.host.setPlaceholderText(NO_HOSTS_TEXT)
        if self._wanted_host in names:
            self.host.setCurrentText(self._wanted_host)
        self.update_enabled()

    def _on_hosts_failed(self, failure: Failure) -> None:
        self.host.setPlaceholderText(f"Hosts cannot be listed: {failure}")
        self.update_enabled()

    def _on_set(self, location: str) -> None:
        self.locationSet.emit(location)
        self.accept()
