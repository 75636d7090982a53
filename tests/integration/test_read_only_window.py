"""The app as a read-only lab member (a PostgreSQL role with SELECT only): a badge and the
title say so, every write action is disabled with the reason, browsing works, and nothing
fails: no error, no status spam, ingest steps aside."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pg_fixture import reader_url
from PySide6.QtWidgets import QApplication, QMessageBox

import mlops_desktop as mlops
from mlops_desktop.services.bundle import Services
from mlops_desktop.settings import Settings
from mlops_desktop.ui.app import build_main_window
from mlops_desktop.ui.command_palette.menu_actions import DISABLED_REASON, menu_actions
from mlops_desktop.ui.main_window import MainWindow

pytestmark = pytest.mark.system


def log_run(name: str) -> str:
    with mlops.start_run("lab", name=name, params={"lr": 0.1}) as run:
        run.log_metric("acc", 0.9)
        return run.id


@pytest.fixture
def shared_run(pg_url: str, temp_home: Path) -> str:
    """A run and a model version a writer stored in the catalog."""
    run_id = log_run("by-a-writer")
    model_file = temp_home / "model.bin"
    model_file.write_bytes(b"weights")
    with Services.open(temp_home, pg_url) as writer:
        writer.experiments.ingest()
        writer.models.register("churn", path=model_file)
    return run_id


@pytest.fixture
def window(qtbot: Any, pg_url: str, temp_home: Path, shared_run: str) -> Iterator[MainWindow]:
    url = reader_url(pg_url)
    log_run("never-ingested")  # this member's own spool: ingest must step aside quietly
    with Services.open(temp_home, url) as member:
        win = build_main_window(member, Settings.load(temp_home), url, start_ingest=True)
        qtbot.addWidget(win)
        win.show()
        yield win
        win.shutdown()


def test_a_read_only_member_browses_with_every_write_disabled(
    qtbot: Any, window: MainWindow, shared_run: str
) -> None:
    reason = window.services.access.reason
    assert reason.startswith("Your catalog role r_") and "may read but not change" in reason
    assert window.windowTitle() == "MLOps Desktop (read-only)"
    badge = window.status.read_only_badge
    assert badge.isVisible() and badge.text() == "Read-only" and badge.toolTip() == reason

    menus = {m.text: m for m in menu_actions(window.menuBar())}
    for text in ("Launch…", "MLflow…", "TensorBoard…"):
        assert not menus[text].enabled and menus[text].disabled_reason == reason
    assert menus["Preferences…"].enabled and menus["Hosts…"].enabled
    preferences = window.open_preferences()
    assert preferences.catalog_edit.isEnabled()  # a member may point the app elsewhere
    assert not preferences.history_spin.isEnabled()  # how long the catalog keeps history
    assert preferences.history_spin.toolTip() == reason
    preferences.reject()

    # Browsing: the runs list, one run's detail; its write actions stay disabled.
    runs = window.panes["Experiments"]
    qtbot.waitUntil(lambda: runs.model.row_of(shared_run) is not None, timeout=10000)
    runs.table.selectRow(runs.model.row_of(shared_run))
    qtbot.waitUntil(lambda: runs.detail.detail is not None, timeout=10000)
    assert runs.detail.name_label.text() == "by-a-writer"
    actions = runs.run_actions
    assert actions.copy_id.isEnabled() and actions.open_log.isEnabled()
    for action in actions.write_actions():
        assert not action.isEnabled() and action.toolTip() == reason
    assert runs.detail.notes.edit.isReadOnly()

    models = window.show_pane("Models")
    assert models is not None
    qtbot.waitUntil(lambda: models.detail.current_version() is not None, timeout=10000)
    assert models.list.model.total_rows() == 1
    assert models.model_actions.export.isEnabled() and models.model_actions.inspect.isEnabled()
    for action in (models.model_actions.set_alias, models.model_actions.delete):
        assert not action.isEnabled() and action.property(DISABLED_REASON) == reason
    assert not models.register_button.isEnabled() and models.register_button.toolTip() == reason
    for name in ("Datasets", "Monitors", "Jobs"):
        for control in window.panes[name].write_controls():
            assert not control.isEnabled(), (name, control)

    # Ingest stepped aside once, quietly; the counts came; no error anywhere.
    assert window.ingest is not None and window.ingest.ingest_now() is None
    assert window.status.ingest_label.text() == "not ingesting"
    qtbot.waitUntil(lambda: "1 run" in window.status.counts_label.text(), timeout=10000)
    window.refresh_current()  # F5 asks for an ingest too: still nothing fails
    jobs = window.panes["Jobs"]
    with qtbot.waitSignal(jobs.loop.jobsListed, timeout=10000):
        jobs.refresh()
    assert window.status.currentMessage() == ""
    assert not window.status.log_button.isVisible()
    assert not [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox)]
