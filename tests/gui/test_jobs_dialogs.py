"""Launch and host dialogs against small duck-typed stand-ins for JobService."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QMessageBox

from mlops_desktop.core.compute import GpuInfo, HostInfo, JobInfo, RunSpec
from mlops_desktop.core.errors import HostError, HostKeyChanged, HostKeyUnconfirmed
from mlops_desktop.ui.dialogs.host_add import AddHostDialog
from mlops_desktop.ui.dialogs.hosts import HostsDialog
from mlops_desktop.ui.dialogs.launch import LaunchDialog
from mlops_desktop.ui.dialogs.launch_parts import RECENT_MAX, RecentSpecs

FINGERPRINT = "SHA256:q3bBZ1mZ0Qp9xkq5Z8Xo2vTg4c0oJ1l2f3G4h5J6k7M"


class StubJobs:
    """Enough of JobService for the dialogs; records calls."""

    def __init__(self, gpus_error: Exception | None = None, changed_key: bool = False) -> None:
        self.gpus_error = gpus_error
        self.changed_key = changed_key
        self.add_calls: list[dict[str, Any]] = []
        self.launched: list[RunSpec] = []
        self.known: list[HostInfo] = [HostInfo("hpc", "slurm", "me@login.hpc")]

    def local_slurm_problem(self) -> tuple[str, str] | None:
        return None

    def hosts(self) -> list[HostInfo]:
        return list(self.known)

    def gpus(self, target: str = "local") -> list[GpuInfo]:
        if self.gpus_error is not None and target != "local":
            raise self.gpus_error
        return [
            GpuInfo(0, "Fake A100", 40 << 30, 10 << 30, 55.0, leased_by="f" * 32),
            GpuInfo(1, "Fake A100", 40 << 30, 0, 0.0),
        ]

    def add_host(self, name: str, ssh: str, identity: Any = None, accept_host_key: Any = None,
                 kind: str = "ssh") -> HostInfo:  # fmt: skip
        self.add_calls.append({"name": name, "ssh": ssh, "accept_host_key": accept_host_key})
        if self.changed_key:
            raise HostKeyChanged(f"The key of {ssh} changed: was SHA256:old, now SHA256:new.")
        if accept_host_key != FINGERPRINT:
            raise HostKeyUnconfirmed(f"Confirm the key of {ssh}", FINGERPRINT)
        host = HostInfo(name, kind, ssh, identity, host_key=FINGERPRINT)
        self.known.append(host)
        return host

    def check_host(self, name: str) -> dict[str, object]:
        return {"reachable": True, "python": "3.11.2", "gpus": [{"name": "Fake A100"}],
                "disk_free": 100 << 30, "rsync": True, "error": ""}  # fmt: skip

    def launch(self, spec: RunSpec) -> JobInfo:
        self.launched.append(spec)
        return JobInfo("1234abcd" * 4, spec.target, "running", 1.0, command=spec.command)

    def check_command(self, spec: RunSpec) -> None:
        return None

    def wait_running(self, run_id: str, timeout_s: float = 2.0) -> JobInfo:
        return JobInfo(run_id, "local", "running", 1.0)


@pytest.fixture
def dialog_for(qtbot: Any, runner: Any, home: Path) -> Any:
    def make(service: StubJobs) -> LaunchDialog:
        dialog = LaunchDialog(service, runner, home)
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitUntil(lambda: not dialog.gpu_picker.loading and bool(dialog.hosts), timeout=5000)
        return dialog

    return make


def test_argv_preview_shows_quotes_resolved(dialog_for: Any) -> None:
    dialog = dialog_for(StubJobs())
    dialog.command_edit.setText("""python -c "print('a b; $(rm -rf x)')" --name 'my run'""")
    assert dialog.argv() == ["python", "-c", "print('a b; $(rm -rf x)')", "--name", "my run"]
    text = dialog.argv_label.text()
    assert text.startswith("5 arguments") and "⟨print('a b; $(rm -rf x)')⟩" in text
    assert "⟨my run⟩" in text and dialog.launch_button.isEnabled()
    dialog.command_edit.setText('python -c "unclosed')
    assert "cannot split" in dialog.argv_label.text() and not dialog.launch_button.isEnabled()


def test_gpus_of_the_local_target_show_use_and_lease(dialog_for: Any) -> None:
    dialog = dialog_for(StubJobs())
    table = dialog.gpu_picker.table
    assert table.rowCount() == 2 and table.item(0, 1).text() == "Fake A100"
    assert table.item(0, 3).text() == "55 %" and table.item(0, 4).text() == "f" * 8
    assert table.item(1, 4).text() == "free"
    assert "2 GPUs, 1 free" in dialog.gpu_picker.status_label.text()
    assert not dialog.slurm_box.isVisibleTo(dialog)


def test_gpus_failure_shows_the_error_next_to_the_target(qtbot: Any, dialog_for: Any) -> None:
    dialog = dialog_for(StubJobs(gpus_error=HostError("hpc: connection timed out")))
    dialog.target_combo.setCurrentIndex(dialog.target_combo.findData("slurm:hpc"))
    assert dialog.gpu_picker.spinner.isVisibleTo(dialog)  # loading, the dialog stays live
    qtbot.waitUntil(lambda: not dialog.gpu_picker.loading, timeout=5000)
    assert "connection timed out" in dialog.gpu_picker.status_label.text()
    assert not dialog.gpu_picker.spinner.isVisibleTo(dialog)
    assert dialog.slurm_box.isVisibleTo(dialog)  # a Slurm target shows its fields


def test_launch_reports_the_run_and_remembers_the_spec(
    qtbot: Any, dialog_for: Any, home: Path
) -> None:
    service = StubJobs()
    dialog = dialog_for(service)
    dialog.command_edit.setText("python train.py --lr 0.1")
    dialog.env_table.set_env({"SEED": "3"})
    dialog.gpu_picker.these_radio.setChecked(True)
    dialog.gpu_picker.set_choice(1, [1])
    dialog.name_edit.setText("first")
    with qtbot.waitSignal(dialog.launched, timeout=5000):
        dialog.launch_button.click()
    spec = service.launched[0]
    assert (spec.command, spec.env, spec.gpu_indices, spec.gpus) == (
        ["python", "train.py", "--lr", "0.1"], {"SEED": "3"}, [1], 1)  # fmt: skip
    assert "1234abcd" in dialog.message.text()
    again = dialog_for(service)
    assert again.recent_combo.count() == 2
    again.recent_combo.setCurrentIndex(1)
    again.recent_combo.activated.emit(1)
    assert again.argv() == spec.command and again.name_edit.text() == "first"
    assert again.env_table.env() == {"SEED": "3"}


def test_recent_specs_keep_the_last_ten(home: Path) -> None:
    recent = RecentSpecs(home)
    for i in range(RECENT_MAX + 3):
        recent.add(RunSpec(command=["echo", str(i)]))
    specs = recent.load()
    assert len(specs) == RECENT_MAX and specs[0].command == ["echo", str(RECENT_MAX + 2)]


def test_new_host_key_is_confirmed_then_accepted(qtbot: Any, runner: Any) -> None:
    service = StubJobs()
    dialog = AddHostDialog(service, runner)
    qtbot.addWidget(dialog)
    dialog.name_edit.setText("gpu1")
    dialog.address_edit.setText("me@gpu1.lab:2222")
    dialog.add_button.click()
    qtbot.waitUntil(lambda: dialog.message_box is not None, timeout=5000)
    box = dialog.message_box
    assert FINGERPRINT in box.text() and "Trust this key?" in box.text()
    assert service.add_calls[0]["accept_host_key"] is None
    with qtbot.waitSignal(dialog.added, timeout=5000):
        trust = next(b for b in box.buttons() if b.text() == "Trust this key")
        trust.click()
    assert service.add_calls[1]["accept_host_key"] == FINGERPRINT
    assert dialog.host is not None and dialog.host.host_key == FINGERPRINT


def test_untrusted_key_adds_nothing(qtbot: Any, runner: Any) -> None:
    service = StubJobs()
    dialog = AddHostDialog(service, runner)
    qtbot.addWidget(dialog)
    dialog.name_edit.setText("gpu1")
    dialog.address_edit.setText("gpu1.lab")
    dialog.add_button.click()
    qtbot.waitUntil(lambda: dialog.message_box is not None, timeout=5000)
    dialog.message_box.button(QMessageBox.StandardButton.Cancel).click()
    assert len(service.add_calls) == 1 and "not trusted" in dialog.message.text()


def test_changed_host_key_is_refused_without_override(qtbot: Any, runner: Any) -> None:
    dialog = AddHostDialog(StubJobs(changed_key=True), runner)
    qtbot.addWidget(dialog)
    dialog.name_edit.setText("gpu1")
    dialog.address_edit.setText("gpu1.lab")
    dialog.add_button.click()
    qtbot.waitUntil(lambda: dialog.message_box is not None, timeout=5000)
    box = dialog.message_box
    assert "SHA256:old" in box.text() and "SHA256:new" in box.text()
    assert [b.text() for b in box.buttons()] == ["&OK"] or len(box.buttons()) == 1


def test_hosts_dialog_lists_and_checks(qtbot: Any, runner: Any) -> None:
    dialog = HostsDialog(StubJobs(), runner)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.loaded, timeout=5000)
    assert dialog.table.item(0, 0).text() == "hpc" and not dialog.check_button.isEnabled()
    dialog.select("hpc")
    dialog.check_button.click()
    qtbot.waitUntil(lambda: "Python 3.11.2" in dialog.result_label.text(), timeout=5000)
    assert "1 GPU: Fake A100" in dialog.result_label.text()
    assert "100.0 GiB free disk" in dialog.result_label.text()
