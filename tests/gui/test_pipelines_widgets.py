"""The Pipelines pane's parts fed real dataclasses: the stage graph's layout, colours and
clicks, the runs/triggers/pipelines models (qtmodeltester), the gates panel and its guard."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from pipeline_project import write_project
from pipeline_rows import gate, info, pipeline_run, statuses, trigger, wine_pipeline
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QContextMenuEvent, QPalette
from PySide6.QtWidgets import QWidget

from mlops_desktop.core.access import CatalogAccess
from mlops_desktop.core.pipelines import STAGE_STATES, Stage, StageOut, StageRun
from mlops_desktop.pipelines.spec import load_pipeline
from mlops_desktop.ui.item_models import pipeline_tables as t
from mlops_desktop.ui.panes.pipelines.gates_panel import GatesPanel
from mlops_desktop.ui.panes.pipelines.graph_layout import layout_stages, stage_edges
from mlops_desktop.ui.panes.pipelines.stage_colors import (
    STATE_COLORS,
    StateLegend,
    state_color,
    text_color_on,
)
from mlops_desktop.ui.panes.pipelines.stage_detail import summary_html
from mlops_desktop.ui.panes.pipelines.stage_graph import StageGraphView, StageShown
from mlops_desktop.ui.read_only import WriteGuard


def test_stages_are_laid_out_by_layer_left_to_right() -> None:
    pipeline = wine_pipeline()
    assert set(stage_edges(pipeline)) == {
        ("prepare", "train"),  # data/prepared/train.csv lies inside the out data/prepared
        ("prepare", "evaluate"),
        ("train", "evaluate"),
        ("train", "register"),  # the gate's ``from``
        ("evaluate", "register"),
    }
    layout = layout_stages(pipeline)
    assert {n: c[0] for n, c in layout.cells.items()} == {
        "prepare": 0,
        "train": 1,
        "evaluate": 2,
        "register": 3,
    }
    # Two independent stages after prepare share its next column, one above the other.
    fan = replace(
        pipeline,
        stages=(
            *pipeline.stages[:2],
            Stage(
                "features",
                ("python f.py",),
                deps=("data/prepared",),
                outs=(StageOut("features.parquet"),),
            ),
        ),
    )
    cells = layout_stages(fan).cells
    assert cells["train"][0] == cells["features"][0] == 1
    assert {cells["train"][1], cells["features"][1]} == {0, 1}


def test_every_state_has_a_colour_its_text_reads_on() -> None:
    assert set(STATE_COLORS) == set(STAGE_STATES)

    def luminance(c: QColor) -> float:
        def ch(v: int) -> float:
            x = v / 255
            return x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4

        return 0.2126 * ch(c.red()) + 0.7152 * ch(c.green()) + 0.0722 * ch(c.blue())

    for state in STATE_COLORS:
        fill, text = state_color(state), text_color_on(state_color(state))
        hi, lo = sorted((luminance(fill), luminance(text)), reverse=True)
        assert (hi + 0.05) / (lo + 0.05) >= 3.0, state  # WCAG AA for bold text


def test_the_legend_names_every_state(qtbot: Any) -> None:
    legend = StateLegend()
    qtbot.addWidget(legend)
    for state in STAGE_STATES:
        assert f"&nbsp;{state}" in legend.text()
        assert f"<b>{state}</b>" in legend.toolTip()


def test_graph_colours_nodes_by_status_and_by_run(qtbot: Any) -> None:
    view = StageGraphView()
    qtbot.addWidget(view)
    view.resize(700, 300)
    view.set_pipeline(wine_pipeline())
    assert set(view.nodes) == {"prepare", "train", "evaluate", "register"}
    xs = [view.nodes[n].pos().x() for n in ("prepare", "train", "evaluate", "register")]
    assert xs == sorted(xs) and len(set(xs)) == 4
    assert len(view._edges) == 5
    view.show_status(statuses("cached", "stale", "stale", "stale"))
    assert view.state_of("prepare") == "cached" and view.state_of("train") == "stale"
    assert "param train.C changed" in view.nodes["train"].toolTip()
    assert view.nodes["train"].subtitle == "ssh:gpu1 · 1 GPU"
    assert view.nodes["register"].subtitle == "gate"
    assert "registers wine-classifier when its gate passes" in view.nodes["register"].toolTip()
    view.show_run(pipeline_run("r1", "failed", "cached", "failed", "blocked", "blocked"))
    assert [view.state_of(n) for n in view.nodes] == ["cached", "failed", "blocked", "blocked"]
    view.update_stage(StageRun("train", "running"))
    assert view.state_of("train") == "running"
    view.update_stage(StageRun("nope", "running"))  # a stage the file no longer has
    view.show()
    qtbot.waitExposed(view)
    view.grab()  # every node paints in every state without error


def test_clicking_a_node_selects_it_and_a_right_click_asks_for_its_menu(qtbot: Any) -> None:
    view = StageGraphView()
    qtbot.addWidget(view)
    view.resize(800, 300)
    view.set_pipeline(wine_pipeline())
    view.show()
    qtbot.waitExposed(view)
    with qtbot.waitSignal(view.stageSelected) as selected:
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.node_center("train"))
    assert selected.args == ["train"] and view.selected_stage() == "train"
    pos = view.node_center("evaluate")
    with qtbot.waitSignal(view.stageMenuRequested) as menu:
        event = QContextMenuEvent(
            QContextMenuEvent.Reason.Mouse, pos, view.viewport().mapToGlobal(pos)
        )
        view.contextMenuEvent(event)
    assert menu.args[0] == "evaluate" and view.selected_stage() == "evaluate"
    with qtbot.waitSignal(view.stageActivated) as activated:
        qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    assert activated.args == ["evaluate"]
    # A new file keeps the selection when the stage is still there.
    view.set_pipeline(wine_pipeline())
    assert view.selected_stage() == "evaluate"


def test_graph_follows_the_palette(qtbot: Any) -> None:
    view = StageGraphView()
    qtbot.addWidget(view)
    view.set_pipeline(wine_pipeline())
    light_edge = view._edges[0][0].pen().color()
    palette = QPalette(view.palette())
    palette.setColor(QPalette.ColorRole.Text, QColor("#e6e6e6"))
    palette.setColor(QPalette.ColorRole.Base, QColor("#1f1f22"))
    view.setPalette(palette)
    assert view.backgroundBrush().color() == QColor("#1f1f22")
    dark_edge = view._edges[0][0].pen().color()
    assert dark_edge.rgb() == QColor("#e6e6e6").rgb() != light_edge.rgb()


@pytest.mark.parametrize("which", ["runs", "triggers", "pipelines"])
def test_models_pass_the_tester(qtmodeltester: Any, which: str) -> None:
    model: Any
    if which == "runs":
        model = t.PipelineRunsModel(clock=lambda: pipeline_run("x").started_at + 100)
        model.set_rows(
            [
                pipeline_run("r3", "running", "cached", "running", "queued", "queued"),
                pipeline_run("r2", "done", "cached", "done", "done", "done", gates=(gate("r2"),)),
                pipeline_run("r1", "failed", "done", "failed", "blocked", "blocked"),
            ]
        )
    elif which == "triggers":
        model = t.PipelineTriggersModel()
        model.set_rows([trigger(2, "r2"), trigger(1, None)])
    else:
        model = t.PipelinesListModel()
        model.set_rows([info("wine"), info("digits", None)])
    qtmodeltester.check(model)


def test_runs_model_reads_like_a_person_would_say_it() -> None:
    model = t.PipelineRunsModel(clock=lambda: 1_760_000_100.0)
    running = pipeline_run("r3abcdef99", "running", "cached", "running", "queued", "queued")
    passed = pipeline_run("r2", "done", "cached", "cached", "done", "done", gates=(gate("r2"),))
    model.set_rows([running, passed])

    def cell(row: int, col: int) -> str:
        return str(model.data(model.index(row, col)))

    assert cell(0, t.COL_RUN) == "r3abcdef"
    assert cell(0, t.COL_TRIGGER) == "dataset: wine v4"
    assert cell(0, t.COL_DURATION) == "1m 40s"  # still going: up to now
    assert cell(0, t.COL_STAGES) == "1 ran, 1 cached, 2 queued"
    assert cell(1, t.COL_STAGES) == "2 ran, 2 cached"
    assert cell(1, t.COL_GATE) == "v4 waiting"
    assert cell(0, t.COL_USER) == "ana@lab1"
    ended = replace(running, state="done", ended_at=running.started_at + 5)
    model.update_run(ended)
    assert cell(0, t.COL_STATE) == "done" and model.rowCount() == 2
    model.update_run(pipeline_run("r4"))
    assert cell(0, t.COL_RUN) == "r4" and model.rowCount() == 3
    triggers = t.PipelineTriggersModel()
    triggers.set_rows([trigger(1, None)])
    assert triggers.data(triggers.index(0, t.COL_STARTED_RUN)) == "—"
    assert "already going" in triggers.data(triggers.index(0, t.COL_OUTCOME))


def test_gates_panel_shows_evidence_and_asks_for_approval(qtbot: Any) -> None:
    panel = GatesPanel()
    qtbot.addWidget(panel)
    assert not panel.approve_button.isEnabled()
    panel.set_run(pipeline_run("r2", gates=(gate("r2"),)))
    assert panel.approve_button.isEnabled() and panel.reject_button.isEnabled()
    assert "0.945: holds" in panel.evidence.text() and "&#10003;" in panel.evidence.text()
    assert "&#8226; <code>champion wine-classifier:3" in panel.evidence.text()  # no condition
    assert "becomes champion when a person approves it" in panel.decision.text()
    assert panel.metrics.rowCount() == 2
    long = replace(gate("r2"), metrics={"val/acc": 0.9772727272727273})
    panel.set_run(pipeline_run("r2", gates=(long,)))
    assert panel.metrics.item(0, 1).text() == "0.97727"  # as the evidence writes it
    panel.set_run(pipeline_run("r2", gates=(gate("r2"),)))
    with qtbot.waitSignal(panel.approveRequested) as approve:
        qtbot.mouseClick(panel.approve_button, Qt.MouseButton.LeftButton)
    assert approve.args == ["r2", "register"]
    with qtbot.waitSignal(panel.rejectRequested) as reject:
        qtbot.mouseClick(panel.reject_button, Qt.MouseButton.LeftButton)
    assert reject.args == ["r2", "register"]
    with qtbot.waitSignal(panel.modelActivated) as model:
        panel.decision.linkActivated.emit("model")
    assert model.args == ["wine-classifier", 4]
    # A refused gate: nothing to approve, and the failed condition is marked.
    panel.set_run(pipeline_run("r1", gates=(gate("r1", passed=False),)))
    assert not panel.approve_button.isEnabled()
    assert "&#10007;" in panel.evidence.text() and "Refused" in panel.decision.text()
    # the marks come from the gate's checks: a gate recorded without them marks no line
    panel.set_run(pipeline_run("r1", gates=(replace(gate("r1", passed=False), checks=()),)))
    assert "&#10007;" not in panel.evidence.text() and panel.evidence.text().count("&#8226;") == 2
    approved = replace(gate("r2", approval="approved"), decided_by="ana")
    panel.set_run(pipeline_run("r2", gates=(approved,)))
    assert not panel.approve_button.isEnabled() and "approved by ana" in panel.decision.text()
    panel.set_run(pipeline_run("r0"))
    assert panel.message.isVisibleTo(panel) and "no register step" in panel.message.text()


def test_read_only_catalog_keeps_approve_disabled_with_the_reason(qtbot: Any) -> None:
    host = QWidget()
    qtbot.addWidget(host)
    panel = GatesPanel(host)
    reason = "This catalog is read-only: ask its owner."
    guard = WriteGuard(CatalogAccess.read_only(reason), host)
    guard.guard(panel.approve_button, panel.reject_button)
    panel.set_run(pipeline_run("r2", gates=(gate("r2"),)))  # would enable them
    assert not panel.approve_button.isEnabled() and not panel.reject_button.isEnabled()
    assert panel.approve_button.toolTip() == reason


@pytest.mark.parametrize("kind", ["mlops", "dvc"])
def test_graph_of_a_real_pipeline_file(qtbot: Any, tmp_path: Path, kind: str) -> None:
    pipeline = load_pipeline(write_project(tmp_path / kind, kind))
    view = StageGraphView()
    qtbot.addWidget(view)
    view.set_pipeline(pipeline)
    columns = {name: layout_stages(pipeline).cells[name][0] for name in view.nodes}
    expected = {"prepare": 0, "train": 1, "evaluate": 2}
    if kind == "mlops":
        expected["register"] = 3
    assert columns == expected


def test_a_stage_that_ran_says_what_made_it_run() -> None:
    why = ("never ran", "upstream prepare will run", "param train.C changed: 1.0 -> 2.0")
    assert "Why: never ran; upstream prepare will run; param" in summary_html(
        StageShown("stale", why), None
    )
    done = summary_html(StageShown("done", why), None)
    assert "Ran because: it had never run; upstream prepare ran; param train.C changed" in done
    assert "will run" not in done
    assert "Runs because: it had never run; upstream prepare ran" in summary_html(
        StageShown("running", why), None
    )
    assert "Will run because: never ran; upstream prepare will run" in summary_html(
        StageShown("queued", why), None
    )
    tip = StageShown("failed", ("upstream prepare will run",)).tooltip("train")
    assert tip == "train: failed\nRan because:\n  upstream prepare ran"
