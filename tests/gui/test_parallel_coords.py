"""Parallel coordinates: readable titles, log axes, run colours and brushing the runs table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import QRectF

from mlops_desktop.core.runs import RunSummary
from mlops_desktop.settings import Settings
from mlops_desktop.ui.charts.palette import PIN_COLOR_TAG, color_of_run
from mlops_desktop.ui.charts.parallel_axes import build_axes, log_ticks
from mlops_desktop.ui.charts.parallel_coords import ParallelCoordinatesView
from mlops_desktop.ui.panes.experiments.pane import COMPARE_TAB, ExperimentsPane


def run(run_id: str, params: dict[str, Any], metrics: dict[str, float], tags=None) -> RunSummary:
    return RunSummary(
        id=run_id,
        experiment="exp",
        name=run_id,
        status="finished",
        started_at=1_700_000_000.0,
        params=params,
        metrics=metrics,
        tags=tags or {},
    )


def twelve_axis_runs() -> list[RunSummary]:
    names = [
        "learning_rate",
        "weight_decay",
        "batch_size",
        "optimizer_name",
        "dropout",
        "warmup_steps",
        "train/accuracy",
        "validation/accuracy",
        "train/loss",
        "validation/loss_smoothed",
        "epochs",
        "seed_of_the_shuffle",
    ]
    return [
        run(
            f"r{i}",
            {n: (i + 1) * (k + 1) for k, n in enumerate(names[:6])},
            {n: 0.1 * (i + 1) + k for k, n in enumerate(names[6:])},
        )
        for i in range(5)
    ]


@pytest.mark.parametrize("width", [1280, 900])
def test_titles_neither_overlap_nor_are_clipped_with_twelve_axes(qtbot, width: int) -> None:
    view = ParallelCoordinatesView()
    qtbot.addWidget(view)
    view.resize(width, 420)
    view.show()
    qtbot.waitExposed(view)
    view.set_runs(twelve_axis_runs())
    assert len(view.axes) == 12
    view.grab()  # lay out and paint, as on screen
    box = view._viewbox.sceneBoundingRect()
    shown = view._canvas.mapToScene(view._canvas.viewport().rect()).boundingRect()
    rects: list[QRectF] = [item.sceneBoundingRect() for item in view.title_items()]
    for index, rect in enumerate(rects):
        assert box.contains(rect), (index, rect, box)
        assert shown.contains(rect), (index, rect, shown)
        assert view.title_items()[index].textItem.toPlainText()  # something readable
        for other in rects[index + 1 :]:
            assert not rect.intersects(other), (index, rect, other)
    ticks = [(i, it.sceneBoundingRect()) for it, i, _p, _t in view._ticks if it.isVisible()]
    for n, (axis, rect) in enumerate(ticks):
        assert not any(a == axis and rect.intersects(r) for a, r in ticks[n + 1 :])
    tips = [item.toolTip() for item in view.title_items()]
    assert "metrics.validation/loss_smoothed" in tips  # the full key, even when elided


def test_log_axis_for_values_spanning_decades_only() -> None:
    runs = [
        run("a", {"alpha": 1e-4, "frac": 0.1}, {}),
        run("b", {"alpha": 1e-3, "frac": 0.5}, {}),
        run("c", {"alpha": 1e-2, "frac": 0.9}, {}),
    ]
    axes = {a.column: a for a in build_axes(runs, ["params.alpha", "params.frac"])}
    assert axes["params.alpha"].log
    np.testing.assert_allclose(axes["params.alpha"].positions, [0, 0.5, 1])
    assert axes["params.alpha"].tick_labels == ["1e-4", "1e-3", "0.01"]
    assert not axes["params.frac"].log
    ticks, labels = log_ticks(3e-5, 0.02)
    assert labels == ["3e-05", "1e-4", "1e-3", "0.01", "0.02"] and ticks[0] == 0.0
    zero = build_axes([*runs, run("d", {"alpha": 0.0}, {})], ["params.alpha"])[0]
    assert zero.log and zero.tick_labels[0] == "0" and zero.positions[3] == 0.0
    assert 0.1 < zero.positions[0] < zero.positions[1] < zero.positions[2] == 1.0
    refused = build_axes(runs, ["params.alpha"], {"params.alpha": False})[0]
    assert not refused.log


def test_crowded_tick_labels_are_thinned(qtbot) -> None:
    view = ParallelCoordinatesView()
    qtbot.addWidget(view)
    view.resize(600, 260)
    view.show()
    view.set_runs([run("a", {"alpha": 0.0}, {}), run("b", {"alpha": 1e-4}, {}),
                   run("c", {"alpha": 1e-2}, {})])  # fmt: skip
    view.grab()
    shown = [it for it, _i, _p, _t in view._ticks if it.isVisible()]
    rects = [it.sceneBoundingRect() for it in shown]
    assert all(not a.intersects(b) for n, a in enumerate(rects) for b in rects[n + 1 :])
    assert {it.textItem.toPlainText() for it in shown} >= {"0", "0.01"}


def test_axis_log_toggle(qtbot) -> None:
    view = ParallelCoordinatesView()
    qtbot.addWidget(view)
    view.set_runs([run("a", {"x": 1.0}, {"m": 1}), run("b", {"x": 50.0}, {"m": 2})])
    assert not view.axes[0].log
    view.set_axis_log("params.x", True)
    assert view.axes[0].log


def test_lines_have_the_runs_stable_colours(qtbot) -> None:
    view = ParallelCoordinatesView()
    qtbot.addWidget(view)
    runs = [
        run("a1", {"x": 1}, {"m": 0.1}),
        run("b2", {"x": 2}, {"m": 0.2}, tags={PIN_COLOR_TAG: "#123456"}),
        run("c3", {"x": 3}, {"m": 0.3}),
    ]
    view.set_runs(runs)
    assert view.color_metric is None
    expected = [color_of_run(r).name() for r in runs]
    assert [c.name() for c in view.line_colors()] == expected
    assert expected[1] == "#123456"


def test_brush_dims_runs_outside_and_emits_the_ids_inside(qtbot) -> None:
    view = ParallelCoordinatesView()
    qtbot.addWidget(view)
    view.resize(900, 400)
    view.show()
    runs = [run(f"r{i}", {"x": i, "y": 10 - i}, {"m": i / 10}) for i in range(5)]
    view.set_runs(runs)
    with qtbot.waitSignal(view.brushChanged) as got:
        view._on_brush_drag(0, 0.5, 1.0, True)  # what a drag along the first axis reports
    assert got.args == [{"r2", "r3", "r4"}]
    assert view.line_alphas() == [35, 35, 255, 255, 255]
    with qtbot.waitSignal(view.brushChanged) as got:
        view.set_brush("params.y", 0.0, 0.3)  # y = 10 - i: r3 and r4 are low
    assert got.args == [{"r3", "r4"}]
    with qtbot.waitSignal(view.brushChanged) as got:
        view._on_brush_drag(0, 0.2, 0.2, True)  # a click-sized drag clears that axis
    assert got.args == [{"r3", "r4"}] and list(view.brushes()) == ["params.y"]
    view.clear_brushes()
    assert view.brushed_ids() is None and view.line_alphas() == [255] * 5


@pytest.fixture
def pane(qtbot: Any, service: Any, runner: Any, home: Path, three_experiments: Any) -> Any:
    widget = ExperimentsPane(service, runner, Settings(), home)
    qtbot.addWidget(widget)
    widget.resize(1280, 720)
    widget.show()
    yield widget
    widget.shutdown()


def test_brush_filters_the_runs_table_and_clear_restores_it(qtbot, pane: Any) -> None:
    qtbot.waitUntil(lambda: pane.experiments_list.topLevelItemCount() > 1, timeout=5000)
    assert pane.experiments_list.choose("digits")
    qtbot.waitUntil(lambda: pane.model.rowCount() == 6 and not pane.is_loading(), timeout=5000)
    pane.tabs.setCurrentIndex(COMPARE_TAB)
    pane.table.selectAll()
    parallel = pane.compare.parallel
    qtbot.waitUntil(lambda: len(parallel.runs) == 6, timeout=5000)
    assert not pane.brush.bar.isVisible()
    parallel.set_brush("params.depth", 0.55, 1.0)  # depth 3, 4, 5 of 0..5
    inside = {r.id for r in parallel.runs if r.params["depth"] >= 3}
    qtbot.waitUntil(lambda: pane.model.rowCount() == 3, timeout=5000)
    assert {pane.model.run_at(row).id for row in range(3)} == inside
    assert pane.brush.bar.isVisible()
    assert "Filtered by parallel-coordinates brush" in pane.brush.bar.label.text()
    assert len(parallel.runs) == 6  # the chart keeps every run, the outside ones dimmed
    pane.brush.bar.clear_button.click()
    qtbot.waitUntil(lambda: pane.model.rowCount() == 6, timeout=5000)
    assert not pane.brush.bar.isVisible()
    assert parallel.brushed_ids() is None


def send_mouse(widget: Any, kind: Any, pos: Any, buttons: Any) -> None:
    from PySide6.QtCore import QPointF, Qt
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    local = QPointF(pos)
    event = QMouseEvent(
        kind, local, widget.mapToGlobal(local), Qt.MouseButton.LeftButton, buttons,
        Qt.KeyboardModifier.NoModifier,
    )  # fmt: skip
    QApplication.sendEvent(widget, event)


def test_a_mouse_drag_along_an_axis_brushes_it(qtbot) -> None:
    from PySide6.QtCore import QEvent, QPointF, Qt

    view = ParallelCoordinatesView()
    qtbot.addWidget(view)
    view.resize(900, 420)
    view.show()
    qtbot.waitExposed(view)
    view.set_runs([run(f"r{i}", {"x": i, "y": 10 - i}, {"m": i / 10}) for i in range(5)])
    view.grab()
    canvas = view._canvas
    viewport = canvas.viewport()

    def at(x: float, y: float) -> QPointF:
        scene = view._viewbox.mapViewToScene(QPointF(x, y))
        return QPointF(canvas.mapFromScene(scene))

    held, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    with qtbot.waitSignal(view.brushChanged) as got:
        send_mouse(viewport, QEvent.Type.MouseButtonPress, at(0, 1.0), held)
        for y in (0.9, 0.8, 0.7, 0.6, 0.45):
            send_mouse(viewport, QEvent.Type.MouseMove, at(0.01, y), held)
        send_mouse(viewport, QEvent.Type.MouseButtonRelease, at(0.01, 0.45), none)
    assert got.args == [{"r2", "r3", "r4"}]
    assert list(view.brushes()) == ["params.x"]
