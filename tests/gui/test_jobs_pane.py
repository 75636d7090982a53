"""The Jobs pane with the real JobService on a temp home: launch, follow the log, cancel."""

from __future__ import annotations

import shlex
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QMessageBox

from mlops_desktop.core.compute import TERMINAL_STATES
from mlops_desktop.settings import Settings
from mlops_desktop.ui.app import build_main_window
from mlops_desktop.ui.item_models import jobs_table as jt
from mlops_desktop.ui.panes.jobs.pane import JobsPane

JOB_TIMEOUT_MS = 30_000


@pytest.fixture
def jobs(service: Any, home: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    from mlops_desktop.services.compute import JobService

    monkeypatch.setenv("MLOPS_DESKTOP_FAKE_GPUS", "2")
    try:
        return JobService(service.catalog, home)  # borrows the catalog: closed by service
    except NotImplementedError:
        pytest.skip("JobService is not implemented yet")


@pytest.fixture
def pane(qtbot: Any, jobs: Any, runner: Any, home: Path) -> Iterator[JobsPane]:
    widget = JobsPane(jobs, runner, home)
    qtbot.addWidget(widget)
    widget.resize(1280, 800)
    widget.show()
    yield widget
    for job in jobs.jobs(active_only=True):  # never leave a process behind
        jobs.cancel(job.run_id, grace_s=0)
    widget.shutdown()
    for dialog in (widget.launch_dialog, widget.hosts_dialog, widget.message_box):
        if dialog is not None:
            dialog.close()


def launch_from_dialog(qtbot: Any, pane: JobsPane, command: str, tmp: Path) -> str:
    dialog = pane.open_launch_dialog()
    qtbot.waitUntil(lambda: not dialog.gpu_picker.loading, timeout=10_000)
    dialog.command_edit.setText(command)
    dialog.workdir_edit.setText(str(tmp))
    dialog.name_edit.setText("gui-job")
    with qtbot.waitSignal(dialog.launched, timeout=JOB_TIMEOUT_MS) as blocker:
        dialog.launch_button.click()
    return blocker.args[0].run_id


def state_of(pane: JobsPane, run_id: str) -> str:
    row = pane.model.row_of(run_id)
    return "" if row is None else str(pane.model.data(pane.model.index(row, jt.COL_STATE)))


def test_launch_runs_finishes_and_shows_its_log(qtbot: Any, pane: JobsPane, tmp_path: Path) -> None:
    code = "import time; print('hello from the job', flush=True); time.sleep(0.5); print('bye')"
    command = f"{shlex.quote(sys.executable)} -c {shlex.quote(code)}"
    run_id = launch_from_dialog(qtbot, pane, command, tmp_path)
    assert pane.launch_dialog.gpu_picker.table.rowCount() == 2  # the fake GPUs of this machine
    qtbot.waitUntil(lambda: pane.model.row_of(run_id) is not None, timeout=JOB_TIMEOUT_MS)
    assert pane.selected_job() is not None and pane.selected_job().run_id == run_id
    qtbot.waitUntil(lambda: state_of(pane, run_id) == "finished", timeout=JOB_TIMEOUT_MS)
    row = pane.model.row_of(run_id)
    assert pane.model.data(pane.model.index(row, jt.COL_EXIT)) == "0"
    assert "gui-job" in pane.model.data(pane.model.index(row, jt.COL_RUN))
    qtbot.waitUntil(lambda: "bye" in pane.log.text.toPlainText(), timeout=JOB_TIMEOUT_MS)
    assert pane.log.text.toPlainText().count("hello from the job") == 1


def test_cancel_a_sleeping_job_from_the_pane(
    qtbot: Any, pane: JobsPane, jobs: Any, tmp_path: Path
) -> None:
    command = f"{shlex.quote(sys.executable)} -c 'import time; time.sleep(600)'"
    run_id = launch_from_dialog(qtbot, pane, command, tmp_path)
    pane.launch_dialog.close()
    qtbot.waitUntil(lambda: state_of(pane, run_id) == "running", timeout=JOB_TIMEOUT_MS)
    pane.select_job(run_id)
    assert pane.cancel_action.isEnabled()
    box = pane.cancel_selected()
    assert box is not None
    box.button(QMessageBox.StandardButton.Yes).click()
    assert state_of(pane, run_id) == jt.CANCELLING
    assert not pane.cancel_action.isEnabled()
    qtbot.waitUntil(lambda: state_of(pane, run_id) == "cancelled", timeout=JOB_TIMEOUT_MS)
    assert jobs.get(run_id).state == "cancelled"
    pane.filter_combo.setCurrentIndex(pane.filter_combo.findData(True))
    assert pane.model.row_of(run_id) is None  # Active hides it


def test_main_window_run_menu_opens_jobs(qtbot: Any, services: Any, jobs: Any, home: Path) -> None:
    win = build_main_window(services, Settings.load(home), start_ingest=False)
    qtbot.addWidget(win)
    win.show()
    try:
        titles = [a.text() for a in win.menuBar().actions()]
        assert "&Run" in titles
        dialog = win.navigator.open_launch_dialog()
        assert win.current_pane() is win.panes["Jobs"] and dialog.isVisible()
        qtbot.waitUntil(lambda: not dialog.gpu_picker.loading, timeout=10_000)
        dialog.close()
        hosts = win.navigator.open_hosts_dialog()
        qtbot.waitUntil(lambda: hosts.loaded, timeout=10_000)
        hosts.close()
        assert all(j.state in TERMINAL_STATES for j in jobs.jobs())
    finally:
        win.shutdown()
