"""Continuous training in the app: a new version of a dataset, added by ``data add`` (its own
DatasetService on the app's catalog), makes the app start the pipeline that reads it by
itself; the run shows live in the Pipelines pane with trigger "dataset", in the trigger
history, and as a desktop notice when it ends. A read-only catalog checks nothing; quitting
cancels a triggered run and leaves no thread behind."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtDBus import QDBusConnection
from triggered_project import add_wine_version, write_counted

from mlops_desktop.cli import main
from mlops_desktop.core.access import CatalogAccess
from mlops_desktop.core.notices import Notice
from mlops_desktop.core.pipelines import PipelineRunInfo
from mlops_desktop.services.bundle import Services
from mlops_desktop.settings import Settings
from mlops_desktop.ui.app import build_main_window
from mlops_desktop.ui.main_window import MainWindow
from mlops_desktop.ui.panes.pipelines.pane import PipelinesPane

RUN_TIMEOUT_MS = 60_000
NO_BUS = "mlops-test-no-bus-triggers"


@pytest.fixture
def no_bus() -> Iterator[QDBusConnection]:
    bus = QDBusConnection.connectToBus("unix:path=/nonexistent/mlops-test-bus", NO_BUS)
    yield bus
    QDBusConnection.disconnectFromBus(NO_BUS)


def _window(qtbot: Any, services: Services, no_bus: QDBusConnection) -> MainWindow:
    window = build_main_window(
        services, Settings(), start_ingest=False, tray_available=False, notification_bus=no_bus
    )
    qtbot.addWidget(window)
    window.show()
    return window


def test_a_new_dataset_version_starts_the_pipeline_by_itself(
    qtbot: Any, services: Services, tmp_path: Path, no_bus: QDBusConnection
) -> None:
    add_wine_version(services, tmp_path / "wine", 3)
    services.pipelines.add(write_counted(tmp_path / "counted"))
    window = _window(qtbot, services, no_bus)
    try:
        pane = window.show_pane("Pipelines")
        assert isinstance(pane, PipelinesPane)
        qtbot.waitUntil(lambda: pane.view.info is not None, timeout=10_000)
        loop = window.pipeline_triggers
        assert window.catalog_live is not None
        window.catalog_live.start()
        loop.start()  # ends what an earlier app left, checks now
        qtbot.waitUntil(lambda: loop.checks >= 1, timeout=10_000)
        assert pane.view.runs_model.rows() == []  # wine v1 is older than the pipeline

        stages: list[tuple[str, str]] = []
        loop.stageChanged.connect(lambda _name, s: stages.append((s.stage, s.state)))
        graph_states: list[str] = []
        loop.stageChanged.connect(
            lambda _n, _s: graph_states.append(pane.view.graph.state_of("count"))
        )
        told: list[Notice] = []
        window.shell.notifications.delivered.connect(lambda notice, _how: told.append(notice))
        data = tmp_path / "wine"
        (data / "rows.csv").write_text("".join(f"row{i}\n" for i in range(4)))
        with qtbot.waitSignal(loop.runEnded, timeout=RUN_TIMEOUT_MS) as ended:
            # `data add`: another program's DatasetService; the app only hears of it
            assert main(["data", "add", str(data), "--name", "wine"]) == 0
        run = ended.args[0]
        assert isinstance(run, PipelineRunInfo)
        assert (run.state, run.trigger, run.trigger_detail) == ("done", "dataset", "wine v2")
        assert ("count", "running") in stages and stages[-1] == ("count", "done")
        assert "running" in graph_states  # the graph followed the run live

        def shown() -> bool:
            rows = pane.view.runs_model.rows()
            events = pane.view.triggers_model.rows()
            return [(r.run_id, r.trigger, r.state) for r in rows] == [
                (run.run_id, "dataset", "done")
            ] and [(e.kind, e.pipeline_run_id) for e in events] == [("dataset", run.run_id)]

        qtbot.waitUntil(shown, timeout=10_000)
        assert pane.view.graph.state_of("count") == "done"
        qtbot.waitUntil(lambda: bool(told), timeout=5_000)
        assert told[0].title == f"Pipeline counted: run {run.run_id[:8]} done"
        assert told[0].body == "Started by dataset wine v2. Stages: 1 done."
        assert told[0].target is not None and told[0].target.kind == "pipeline"
        pane.view.runs_view.clearSelection()
        window.shell.open_target(told[0].target)  # the notice's Open: the run, chosen
        qtbot.waitUntil(
            lambda: getattr(pane.view.current_run(), "run_id", None) == run.run_id, timeout=5_000
        )
        assert loop.checks >= 2 and services.pipelines.going() == {}
    finally:
        window.shutdown()
    assert not [t for t in threading.enumerate() if t.name.startswith("pipeline-")]


def test_quitting_cancels_a_triggered_run_and_a_read_only_catalog_checks_nothing(
    qtbot: Any, services: Services, tmp_path: Path, no_bus: QDBusConnection
) -> None:
    add_wine_version(services, tmp_path / "wine", 3)
    services.pipelines.add(write_counted(tmp_path / "counted", hold=tmp_path / "never"))
    add_wine_version(services, tmp_path / "wine", 4)
    read_only = dataclasses.replace(services, access=CatalogAccess.read_only("a reader"))
    window = _window(qtbot, read_only, no_bus)
    window.pipeline_triggers.start()
    assert not window.pipeline_triggers.running  # nothing checked, nothing started
    window.shutdown()
    assert services.pipelines.runs("counted") == [] and services.pipelines.triggers() == []

    window = _window(qtbot, services, no_bus)
    loop = window.pipeline_triggers
    running = lambda _name, stage: stage.state == "running"  # noqa: E731
    with qtbot.waitSignal(loop.stageChanged, timeout=RUN_TIMEOUT_MS, check_params_cb=running):
        loop.start()  # wine v2 came while no app ran: the first check starts it
    (run_id,) = services.pipelines.going()
    window.shutdown()  # the app quits: the run is cancelled
    services.pipelines.close()
    run = services.pipelines.show(run_id)
    assert (run.state, run.trigger, run.stages[0].state) == ("cancelled", "dataset", "cancelled")
    assert not [t for t in threading.enumerate() if t.name.startswith("pipeline-")]


def test_cancel_run_in_the_pane_cancels_a_triggered_run(
    qtbot: Any, services: Services, tmp_path: Path, no_bus: QDBusConnection
) -> None:
    add_wine_version(services, tmp_path / "wine", 3)
    services.pipelines.add(write_counted(tmp_path / "counted", hold=tmp_path / "never"))
    add_wine_version(services, tmp_path / "wine", 4)
    window = _window(qtbot, services, no_bus)
    try:
        pane = window.show_pane("Pipelines")
        assert isinstance(pane, PipelinesPane)
        qtbot.waitUntil(lambda: pane.view.info is not None, timeout=10_000)
        loop = window.pipeline_triggers
        running = lambda _name, stage: stage.state == "running"  # noqa: E731
        with qtbot.waitSignal(loop.stageChanged, timeout=RUN_TIMEOUT_MS, check_params_cb=running):
            loop.start()
        assert pane.cancel_action.isEnabled() and not pane.run_action.isEnabled()
        assert pane.view.graph.state_of("count") == "running"
        with qtbot.waitSignal(loop.runEnded, timeout=RUN_TIMEOUT_MS) as ended:
            pane.cancel_action.trigger()
        assert ended.args[0].state == "cancelled"
        qtbot.waitUntil(lambda: pane.run_action.isEnabled(), timeout=10_000)
        assert not pane.cancel_action.isEnabled()
    finally:
        window.shutdown()
