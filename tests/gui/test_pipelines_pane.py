"""The Pipelines pane on a real PipelineService: the four-stage scikit-learn wine pipeline
added from its file, run from the pane (the graph follows it), approved at its gate, rerun
from a stage (a model no better than the champion is refused), a failing stage with its log,
and a catalog that takes no writes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pipeline_project import write_project
from PySide6.QtCore import Qt

from mlops_desktop.core.access import CatalogAccess
from mlops_desktop.core.pipelines import PipelineRunInfo
from mlops_desktop.ui.navigation import Navigator, ShowModel, ShowRun
from mlops_desktop.ui.panes.pipelines.pane import PipelinesPane
from mlops_desktop.ui.panes.pipelines.stage_detail import EMPTY_LOG, GATE_LOG, READING_LOG
from mlops_desktop.ui.read_only import WriteGuard

RUN_TIMEOUT_MS = 90_000
pytestmark = pytest.mark.slow  # each stage starts a Python that imports scikit-learn


@pytest.fixture
def shown() -> list[object]:
    return []


@pytest.fixture
def pane(qtbot: Any, services: Any, runner: Any, shown: list[object]) -> Iterator[PipelinesPane]:
    navigator = Navigator()
    widget = PipelinesPane(
        services.pipelines, runner, reader=services.experiments, navigator=navigator
    )
    navigator.serve(ShowRun, widget, lambda request: shown.append(request))
    navigator.serve(ShowModel, widget, lambda request: shown.append(request))
    qtbot.addWidget(widget)
    widget.resize(1150, 650)
    widget.show()
    qtbot.waitUntil(lambda: widget.loaded, timeout=10_000)
    yield widget
    widget.shutdown()


def _add(qtbot: Any, pane: PipelinesPane, path: Path) -> None:
    with qtbot.waitSignal(pane.statusShown, timeout=30_000):
        pane.add_pipeline(str(path))


def _run(qtbot: Any, pane: PipelinesPane, **options: Any) -> PipelineRunInfo:
    with qtbot.waitSignal(pane.runEnded, timeout=RUN_TIMEOUT_MS) as ended:
        handle = pane.run_current(**options)
        assert handle is not None
        assert not pane.run_action.isEnabled() and pane.cancel_action.isEnabled()
    run = ended.args[0]
    assert isinstance(run, PipelineRunInfo)
    return run


def test_add_run_approve_and_rerun_from_a_stage(
    qtbot: Any, pane: PipelinesPane, services: Any, tmp_path: Path, shown: list[object]
) -> None:
    assert pane.stack.currentWidget() is pane.empty
    assert "mlops-desktop pipelines run" in pane.empty.text()
    _add(qtbot, pane, write_project(tmp_path / "wine"))
    view = pane.view
    assert pane.stack.currentWidget() is pane.split
    assert pane.count_label.text() == "1 pipeline"
    assert view.title.text() == "wine-classifier"
    assert [view.graph.state_of(n) for n in view.graph.nodes] == ["stale"] * 4
    assert "never ran" in view.graph.nodes["prepare"].toolTip()
    assert "upstream prepare will run" in view.graph.nodes["train"].toolTip()

    seen: list[tuple[str, str]] = []
    pane.runs.stageChanged.connect(lambda _name, s: seen.append((s.stage, s.state)))
    run = _run(qtbot, pane)
    assert run.state == "done", run
    assert ("train", "running") in seen and ("train", "done") in seen  # followed live
    assert [view.graph.state_of(n) for n in view.graph.nodes] == ["done"] * 4
    qtbot.waitUntil(lambda: view.runs_model.rowCount() == 1, timeout=10_000)
    assert view.current_run() is not None and view.current_run().run_id == run.run_id

    # The gate passed (no champion yet) and waits for a person.
    gate = view.gates.current_gate()
    assert gate is not None and gate.approval == "waiting" and gate.version == 1
    assert view.gates.approve_button.isEnabled()
    qtbot.mouseClick(view.gates.approve_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: (g := view.gates.current_gate()) is not None and g.approval == "approved",
        timeout=10_000,
    )
    versions = services.models.versions("wine-classifier")
    assert "champion" in next(v for v in versions if v.version == 1).aliases
    assert not view.gates.approve_button.isEnabled()
    view.gates.decision.linkActivated.emit("model")
    assert shown[-1] == ShowModel("wine-classifier", 1)

    # Nothing changed: every stage is cached, the train stage's outs come from its run.
    with qtbot.waitSignal(pane.statusShown, timeout=30_000):
        view.show_status_now()
        pane.refresh()
    assert [view.graph.state_of(n) for n in view.graph.nodes] == ["cached"] * 4
    view.graph.select_stage("train")
    log = view.stage_detail.log
    assert log.placeholderText() == READING_LOG  # its run's log is read on a worker
    qtbot.waitUntil(lambda: log.placeholderText() == EMPTY_LOG or bool(log.toPlainText()))
    train = next(s for s in run.stages if s.stage == "train")
    assert train.run_id and f"run:{train.run_id}" in view.stage_detail.summary.text()
    view.stage_detail.summary.linkActivated.emit(f"run:{train.run_id}")
    assert shown[-1] == ShowRun(train.run_id)
    # evaluate's metrics file, read as it is on disk
    view.graph.select_stage("evaluate")
    metrics = view.stage_detail.metrics
    qtbot.waitUntil(lambda: metrics.rowCount() >= 2, timeout=10_000)
    cells = {
        (metrics.item(r, 0).text(), metrics.item(r, 2).text()) for r in range(metrics.rowCount())
    }
    assert not any(name.startswith("sys/") for name, _src in cells)  # hardware: not results
    assert ("val/acc", "metrics.json") in cells and ("n_test", "metrics.json") in cells
    assert view.stage_detail.tabs.tabText(1).startswith("Metrics (")
    view.graph.select_stage("register")
    assert view.stage_detail.log.placeholderText() == GATE_LOG

    # Run from here (the node's context menu): evaluate and register run again, the rest is
    # reused; the same model is not better than the champion by 0.005: refused.
    view.graph.select_stage("evaluate")
    pane._on_stage_menu("evaluate", view.graph.mapToGlobal(view.graph.node_center("evaluate")))
    assert pane.run_from_action in pane.stage_menu.actions()
    pane.stage_menu.close()
    with qtbot.waitSignal(pane.runEnded, timeout=RUN_TIMEOUT_MS) as ended:
        pane.run_from_action.trigger()
        assert view.graph.state_of("train") == "cached"  # at once, before the catalog says so
        assert view.graph.state_of("evaluate") == "queued"
        assert view.graph.state_of("register") in ("queued", "running")
    again = ended.args[0]
    states = {s.stage: s.state for s in again.stages}
    assert states == {
        "prepare": "cached",
        "train": "cached",
        "evaluate": "done",
        "register": "done",
    }, again
    assert again.gates and not again.gates[0].passed
    qtbot.waitUntil(lambda: view.runs_model.rowCount() == 2, timeout=10_000)
    assert view.gates.current_gate() is not None and not view.gates.approve_button.isEnabled()
    assert "&#10007;" in view.gates.evidence.text()


def test_a_failed_stage_blocks_the_rest_and_shows_its_log(
    qtbot: Any, pane: PipelinesPane, tmp_path: Path
) -> None:
    path = write_project(tmp_path / "wine")
    train = tmp_path / "wine" / "train.py"
    train.write_text("import sys\nprint('the solver diverged at step 7')\nsys.exit(3)\n")
    _add(qtbot, pane, path)
    run = _run(qtbot, pane)
    view = pane.view
    assert run.state == "failed"
    assert [view.graph.state_of(n) for n in view.graph.nodes] == [
        "done",
        "failed",
        "blocked",
        "blocked",
    ]
    assert view.graph.selected_stage() == "train"
    qtbot.waitUntil(
        lambda: "the solver diverged" in view.stage_detail.log.toPlainText(), timeout=10_000
    )
    assert pane.run_action.isEnabled()
    # Force stage: prepare, unchanged, runs again (a new run); train still fails.
    view.graph.select_stage("prepare")
    assert pane.force_action.isEnabled()
    with qtbot.waitSignal(pane.runEnded, timeout=RUN_TIMEOUT_MS) as ended:
        pane.force_action.trigger()
    forced = {s.stage: s for s in ended.args[0].stages}
    first = {s.stage: s for s in run.stages}
    assert forced["prepare"].state == "done" and "forced" in forced["prepare"].reasons
    assert forced["prepare"].run_id != first["prepare"].run_id
    assert forced["train"].state == "failed"


def test_a_bad_file_says_why_and_read_only_disables_what_writes(
    qtbot: Any, pane: PipelinesPane, tmp_path: Path
) -> None:
    bad = tmp_path / "bad" / "pipeline.yaml"
    bad.parent.mkdir()
    bad.write_text(
        "stages:\n  a:\n    cmd: cp b.txt a.txt\n    deps: [b.txt]\n    outs: [a.txt]\n"
        "  b:\n    cmd: cp a.txt b.txt\n    deps: [a.txt]\n    outs: [b.txt]\n"
    )
    pane.add_pipeline(str(bad))
    qtbot.waitUntil(lambda: "cycle" in pane.empty.footer_label.text(), timeout=10_000)
    assert pane.stack.currentWidget() is pane.empty

    reason = "This catalog is read-only: ask its owner for write access."
    pane.enter_read_only(WriteGuard(CatalogAccess.read_only(reason), pane))
    for control in (pane.run_action, pane.add_action, pane.force_action):
        assert not control.isEnabled() and control.toolTip() == reason
    for button in (pane.empty_add_button, pane.view.gates.approve_button):
        assert not button.isEnabled() and button.toolTip() == reason
