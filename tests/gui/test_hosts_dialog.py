"""The Hosts dialog: removing a host (confirmed first) and accepting a changed host key."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QMessageBox

from mlops_desktop.core.compute import HostInfo, HostKeyChange
from mlops_desktop.core.errors import HostError, HostKeyChanged
from mlops_desktop.ui.dialogs.hosts import HostsDialog

OLD, NEW = "SHA256:oldoldoldoldoldoldoldoldoldoldoldoldoldold", "SHA256:newnewnewnewnewnew"


class StubHosts:
    """Enough of JobService for the Hosts dialog; records calls."""

    def __init__(self) -> None:
        self.known = [
            HostInfo("gpu1", "ssh", "me@gpu1.lab", host_key=OLD),
            HostInfo("cfg", "ssh", "cfg", from_ssh_config=True),
        ]
        self.removed: list[tuple[str, bool]] = []
        self.rekeyed: list[tuple[str, str | None]] = []
        self.key = NEW

    def local_slurm_problem(self) -> tuple[str, str] | None:
        return None

    def hosts(self) -> list[HostInfo]:
        return list(self.known)

    def check_host(self, name: str) -> dict[str, object]:
        if self.key != OLD:
            raise HostKeyChanged(
                f"The key of {name} has CHANGED: stored {OLD}, now {NEW}.", OLD, NEW
            )
        return {"reachable": True, "python": "3.11.2", "gpus": [], "rsync": True}

    def rekey_host(self, name: str, accept_host_key: str | None = None) -> HostKeyChange:
        self.rekeyed.append((name, accept_host_key))
        if accept_host_key != NEW:
            raise HostError("wrong fingerprint")
        self.key = OLD  # the stored key now matches
        return HostKeyChange(name, "me@gpu1.lab", OLD, NEW, True)

    def remove_host(self, name: str, force: bool = False) -> dict[str, object]:
        self.removed.append((name, force))
        self.known = [h for h in self.known if h.name != name]
        return {"name": name, "address": "", "known_hosts_removed": 1, "jobs_lost": []}


def _open(qtbot: Any, runner: Any, service: StubHosts) -> HostsDialog:
    dialog = HostsDialog(service, runner)  # type: ignore[arg-type]
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.loaded, timeout=5000)
    return dialog


def test_remove_asks_first_then_removes(qtbot: Any, runner: Any) -> None:
    service = StubHosts()
    dialog = _open(qtbot, runner, service)
    assert not dialog.remove_button.isEnabled()
    dialog.select("cfg")
    assert not dialog.remove_button.isEnabled()  # ~/.ssh/config hosts are edited there
    dialog.select("gpu1")
    assert dialog.remove_button.isEnabled()
    dialog.remove_button.click()
    box = dialog.message_box
    assert box is not None and "gpu1" in box.text() and "stay" in box.text()
    box.button(QMessageBox.StandardButton.Cancel).click()
    assert service.removed == []
    dialog.remove_button.click()
    dialog.message_box.button(QMessageBox.StandardButton.Yes).click()
    qtbot.waitUntil(lambda: [h.name for h in dialog.hosts] == ["cfg"], timeout=5000)
    assert service.removed == [("gpu1", False)]
    assert "Removed gpu1" in dialog.result_label.text()


def test_changed_key_on_check_offers_to_accept_the_new_key(qtbot: Any, runner: Any) -> None:
    service = StubHosts()
    dialog = _open(qtbot, runner, service)
    dialog.select("gpu1")
    dialog.check_button.click()
    qtbot.waitUntil(lambda: dialog.message_box is not None, timeout=5000)
    box = dialog.message_box
    assert OLD in box.text() and NEW in box.text()
    box.button(QMessageBox.StandardButton.Cancel).click()
    assert service.rekeyed == [] and "CHANGED" in dialog.result_label.text()
    dialog.message_box = None
    dialog.check_button.click()
    qtbot.waitUntil(lambda: dialog.message_box is not None, timeout=5000)
    accept = next(b for b in dialog.message_box.buttons() if b.text() == "Accept new key")
    accept.click()
    qtbot.waitUntil(lambda: "Python 3.11.2" in dialog.result_label.text(), timeout=5000)
    assert service.rekeyed == [("gpu1", NEW)]  # exactly the fingerprint shown


def test_a_hostile_host_name_is_shown_escaped_and_still_selected(qtbot: Any, runner: Any) -> None:
    service = StubHosts()
    service.known[0] = HostInfo("gpu1\x1b[31m", "ssh", "me@gpu1.lab", host_key=OLD)
    dialog = _open(qtbot, runner, service)
    shown = [dialog.table.item(r, 0).text() for r in range(dialog.table.rowCount())]
    assert "gpu1\\x1b[31m" in shown and not any("\x1b" in t for t in shown)
    dialog.select("gpu1\x1b[31m")
    assert dialog.selected_name() == "gpu1\x1b[31m"
