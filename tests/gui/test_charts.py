"""Chart widgets: MetricChart, MetricPanel, ParallelCoordinatesView and ParamDiffModel."""

from __future__ import annotations

import math
import threading
import time

import numpy as np
import pytest
import shiboken6
from PySide6.QtCore import Qt

from mlops_desktop.core.errors import MetricNotFound
from mlops_desktop.core.runs import MetricSeries, RunSummary
from mlops_desktop.ui.charts.metric_chart import EMPTY_TEXT, MetricChart
from mlops_desktop.ui.charts.metric_panel import MetricPanel, choose_key
from mlops_desktop.ui.charts.parallel_coords import ParallelCoordinatesView
from mlops_desktop.ui.charts.param_diff import (
    DIFF_BRUSH,
    MISSING_TEXT,
    ParamDiffModel,
    ParamDiffView,
)
from mlops_desktop.ui.charts.smoothing import reference_ema, smooth_ema
from mlops_desktop.ui.tasks import TaskRunner


def series(run_id: str, values: list[float] | np.ndarray, key: str = "loss") -> MetricSeries:
    values = np.asarray(values, dtype=np.float64)
    steps = np.arange(len(values), dtype=np.int64) * 10
    return MetricSeries(run_id, key, steps, 1_700_000_000.0 + steps * 2.0, values)


def run(run_id: str, name: str = "", params=None, metrics=None, tags=None) -> RunSummary:
    return RunSummary(
        id=run_id,
        experiment="exp",
        name=name,
        status="finished",
        started_at=1_700_000_000.0,
        params=params or {},
        metrics=metrics or {},
        tags=tags or {},
    )


@pytest.fixture
def chart(qtbot) -> MetricChart:
    widget = MetricChart()
    qtbot.addWidget(widget)
    widget.resize(1000, 600)
    widget.show()
    return widget


@pytest.fixture
def runner():
    tasks = TaskRunner(max_threads=2)
    yield tasks
    assert tasks.shutdown(5000)


# -- smoothing --------------------------------------------------------------------------------


@pytest.mark.parametrize("weight", [0.0, 0.001, 0.3, 0.6, 0.9, 0.99])
@pytest.mark.parametrize("size", [1, 7, 1000, 25_000])
def test_smoothing_matches_reference_ema(weight: float, size: int) -> None:
    rng = np.random.default_rng(size)
    values = rng.normal(size=size) * 3 + np.linspace(10, 0, size)
    values[::13] = np.nan
    values[5::29] = np.inf
    got = smooth_ema(values, weight)
    want = np.array(reference_ema(values.tolist(), weight))
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9)


def test_smoothing_keeps_constants_and_first_value() -> None:
    np.testing.assert_allclose(smooth_ema(np.full(5000, 3.5), 0.99), 3.5)
    assert smooth_ema(np.array([2.0, 4.0]), 0.5)[0] == 2.0
    assert smooth_ema(np.array([]), 0.5).size == 0
    assert np.isnan(smooth_ema(np.array([np.nan, np.nan]), 0.5)).all()


# -- MetricChart ------------------------------------------------------------------------------


def test_empty_state_text(chart: MetricChart) -> None:
    assert chart._stack.currentWidget() is chart._empty
    assert chart._empty.text() == EMPTY_TEXT
    chart.set_series([series("a", [1, 2, 3])], {"a": "first"})
    assert chart._stack.currentWidget() is chart._plot
    chart.clear()
    assert chart._stack.currentWidget() is chart._empty
    assert chart.run_ids() == []


def test_legend_labels_and_update_series(chart: MetricChart) -> None:
    chart.set_key("loss")
    chart.set_series([series("a", [1, 2]), series("b", [3, 4])], {"a": "alpha", "b": "beta"})
    names = [label.text for _sample, label in chart.plot_item.legend.items]
    assert names == ["alpha", "beta"]
    other = chart._curves["b"].main
    chart.update_series(series("a", [1, 2, 3, 4, 5]))
    assert len(chart.curve_data("a")[1]) == 5
    assert chart._curves["b"].main is other  # the other run's curve is untouched
    chart.update_series(series("c", [7]))
    assert chart.run_ids() == ["a", "b", "c"]
    assert chart.plot_item.titleLabel.text == "loss"


def test_nan_inf_and_negative_on_log_scale_are_gaps(qtbot, chart: MetricChart) -> None:
    values = [1.0, np.nan, 10.0, np.inf, -np.inf, 0.0, -5.0, 100.0, 1000.0]
    chart.set_series([series("a", values)], {"a": "run"})
    chart.set_log_y(True)
    chart.set_smoothing(0.5)
    chart.grab()  # paints: must not raise
    (x_low, x_high), (y_low, y_high) = chart.plot_item.vb.viewRange()
    assert all(math.isfinite(v) for v in (x_low, x_high, y_low, y_high))
    assert y_low > -1.5 and y_high < 4.5  # log10 range of the positive finite values (0..3)
    item = chart._curves["a"].main
    assert item.opts["connect"] == "finite"
    _x, shown = item.getData()
    assert np.isnan(shown[[1, 3, 4]]).all()  # non-finite raw values stay gaps when smoothed
    chart.set_log_y(False)
    chart.set_smoothing(0.0)
    chart.grab()
    (_xl, _xh), (y_low, y_high) = chart.plot_item.vb.viewRange()
    assert -100 < y_low < -5 and 1000 < y_high < 1100  # inf did not poison the autorange


def test_smoothing_draws_raw_shadow_and_smoothed_main(chart: MetricChart) -> None:
    raw = np.array([1.0, 5.0, 2.0, 8.0, 3.0])
    chart.set_series([series("a", raw)], {"a": "run"})
    chart.set_smoothing(0.6)
    curves = chart._curves["a"]
    assert curves.shadow.isVisible()
    np.testing.assert_allclose(curves.shadow.getOriginalDataset()[1], raw)
    np.testing.assert_allclose(chart.curve_data("a")[1], reference_ema(raw.tolist(), 0.6))
    chart.set_smoothing(0.0)
    assert not curves.shadow.isVisible()
    np.testing.assert_allclose(chart.curve_data("a")[1], raw)
    chart.set_smoothing(5.0)
    assert chart.smoothing == 0.99


def test_x_axis_modes(chart: MetricChart) -> None:
    import pyqtgraph as pg

    chart.set_series([series("a", [1.0, 2.0, 3.0])], {"a": "run"})
    np.testing.assert_allclose(chart.curve_data("a")[0], [0, 10, 20])
    assert chart.plot_item.getAxis("bottom").labelText == "step"
    chart.set_x_axis("time")
    assert isinstance(chart.plot_item.getAxis("bottom"), pg.DateAxisItem)
    np.testing.assert_allclose(chart.curve_data("a")[0], 1_700_000_000.0 + np.array([0, 20, 40]))
    chart.set_x_axis("relative")
    bottom = chart.plot_item.getAxis("bottom")
    assert not isinstance(bottom, pg.DateAxisItem)
    assert (bottom.labelText, bottom.labelUnits) == ("relative time", "s")
    np.testing.assert_allclose(chart.curve_data("a")[0], [0, 20, 40])
    chart.grab()
    with pytest.raises(ValueError):
        chart.set_x_axis("epoch")


def test_unsorted_steps_are_drawn_in_order(chart: MetricChart) -> None:
    one = MetricSeries(
        "a", "loss", np.array([2, 0, 1]), np.array([3.0, 1.0, 2.0]), np.array([30.0, 10.0, 20.0])
    )
    chart.set_series([one], {"a": "run"})
    x, y = chart.curve_data("a")
    np.testing.assert_allclose(x, [0, 1, 2])
    np.testing.assert_allclose(y, [10, 20, 30])


def test_million_points_draw(chart: MetricChart) -> None:
    values = np.random.default_rng(0).normal(size=1_000_000)
    values[::50_000] = np.nan
    chart.grab()
    start = time.perf_counter()
    chart.set_series([series("big", values)], {"big": "big"})
    chart.grab()
    elapsed = time.perf_counter() - start
    assert elapsed < 2.0, f"1M points took {elapsed:.2f} s"  # the benchmark checks < 200 ms
    _x, shown = chart._curves["big"].main.getData()
    assert len(shown) < 100_000  # downsampled for display


# -- MetricPanel ------------------------------------------------------------------------------


class FakeService:
    """In-memory stand-in for ExperimentService's two metric methods."""

    def __init__(self, data: dict[str, dict[str, list[float]]]) -> None:
        self.data = data
        self.gui_thread = threading.current_thread()
        self.calls_on_gui_thread = 0

    def _note_thread(self) -> None:
        if threading.current_thread() is self.gui_thread:
            self.calls_on_gui_thread += 1

    def metric_keys(self, run_ids: list[str]) -> list[str]:
        self._note_thread()
        return sorted({key for rid in run_ids for key in self.data.get(rid, {})})

    def metric_series(self, run_id: str, key: str) -> MetricSeries:
        self._note_thread()
        try:
            return series(run_id, self.data[run_id][key], key)
        except KeyError:
            raise MetricNotFound(f"{run_id} has no {key}") from None


def test_choose_key() -> None:
    assert choose_key([], None) is None
    assert choose_key(["acc", "train/loss", "val_loss"], None) == "train/loss"
    assert choose_key(["acc", "f1"], None) == "acc"
    assert choose_key(["acc", "f1", "loss"], "f1") == "f1"


def test_panel_loads_keys_and_series_off_the_gui_thread(qtbot, runner: TaskRunner) -> None:
    service = FakeService(
        {"r1": {"acc": [0.1, 0.5], "loss": [3, 2, 1]}, "r2": {"acc": [0.2], "loss": [4, 3]}}
    )
    panel = MetricPanel(service, runner)
    qtbot.addWidget(panel)
    with qtbot.waitSignal(panel.keyChanged) as blocker:
        panel.set_runs([run("r1", "first"), run("r2")])
    assert blocker.args == ["loss"]
    qtbot.waitUntil(lambda: panel.chart.run_ids() == ["r1", "r2"])
    assert [panel.key_combo.itemText(i) for i in range(panel.key_combo.count())] == ["acc", "loss"]
    names = [label.text for _s, label in panel.chart.plot_item.legend.items]
    assert names == ["first (r1)", "r2"]
    assert service.calls_on_gui_thread == 0

    with qtbot.waitSignal(panel.keyChanged) as blocker:
        panel.key_combo.setCurrentIndex(0)
    assert blocker.args == ["acc"]
    qtbot.waitUntil(lambda: len(panel.chart.curve_data("r1")[1]) == 2)

    # the chosen key is remembered for the next selection
    panel.set_runs([run("r2")])
    qtbot.waitUntil(lambda: panel.chart.run_ids() == ["r2"])
    assert panel.current_key == "acc"

    # live refresh: new points of a shown run
    service.data["r2"]["acc"] = [0.2, 0.3, 0.4]
    panel.refresh_runs({"r2", "not-shown"})
    qtbot.waitUntil(lambda: len(panel.chart.curve_data("r2")[1]) == 3)

    panel.smoothing_slider.setValue(60)
    assert panel.smoothing_label.text() == "0.60" and panel.chart.smoothing == 0.6
    panel.log_check.setChecked(True)
    assert panel.chart.log_y
    panel.x_combo.setCurrentIndex(2)
    assert panel.chart.x_axis_mode == "relative"
    panel.set_runs([])
    assert panel.chart.run_ids() == [] and panel.key_combo.count() == 0


def test_panel_drops_stale_results(qtbot, runner: TaskRunner) -> None:
    gate = threading.Event()

    class SlowService(FakeService):
        def metric_keys(self, run_ids: list[str]) -> list[str]:
            if run_ids == ["slow"]:
                gate.wait(5)
            return super().metric_keys(run_ids)

    service = SlowService({"slow": {"loss": [9, 9, 9]}, "fast": {"loss": [1, 2]}})
    panel = MetricPanel(service, runner)
    qtbot.addWidget(panel)
    panel.set_runs([run("slow")])
    panel.set_runs([run("fast")])
    qtbot.waitUntil(lambda: panel.chart.run_ids() == ["fast"])
    gate.set()
    qtbot.waitUntil(lambda: runner.active_count() == 0)
    assert panel.chart.run_ids() == ["fast"]


def test_panel_shows_load_errors(qtbot, runner: TaskRunner) -> None:
    class BrokenService(FakeService):
        def metric_keys(self, run_ids: list[str]) -> list[str]:
            raise RuntimeError("catalog is locked")

    panel = MetricPanel(BrokenService({}), runner)
    qtbot.addWidget(panel)
    panel.set_runs([run("r1")])
    qtbot.waitUntil(lambda: "catalog is locked" in panel.chart._empty.text())


# -- ParallelCoordinatesView ------------------------------------------------------------------


def test_parallel_coordinates_numeric_and_categorical(qtbot) -> None:
    view = ParallelCoordinatesView()
    qtbot.addWidget(view)
    view.resize(1280, 800)
    runs = [
        run("a", "a", {"lr": 1e-4, "opt": "adam", "depth": 2, "seed": 0}, {"acc": 0.8}),
        run("b", "b", {"lr": 1e-2, "opt": "sgd", "depth": 4, "seed": 0}, {"acc": 0.9}),
        run("c", "c", {"lr": 1e-1, "opt": "adam", "depth": 3, "seed": 0}, {"acc": math.nan}),
    ]
    view.set_runs(runs)
    axes = {axis.column: axis for axis in view.axes}
    assert list(axes) == ["params.depth", "params.lr", "params.opt", "metrics.acc"]  # seed equal
    assert axes["params.opt"].categories == ["adam", "sgd"]
    np.testing.assert_allclose(axes["params.opt"].positions, [0, 1, 0])
    np.testing.assert_allclose(axes["params.depth"].positions, [0, 1, 0.5])
    assert axes["params.lr"].log
    np.testing.assert_allclose(axes["params.lr"].positions, [0, 2 / 3, 1])
    assert math.isnan(axes["metrics.acc"].positions[2])
    assert view.color_metric is None  # each run's own colour
    view.color_combo.setCurrentIndex(view.color_combo.findData("metrics.acc"))
    assert view.color_metric == "metrics.acc"
    colors = view.line_colors()
    assert len(colors) == 3 and colors[0] != colors[1]
    view.grab()

    view.set_runs(runs, columns=["params.opt", "metrics.acc"])
    assert [axis.column for axis in view.axes] == ["params.opt", "metrics.acc"]
    view._on_line_clicked(1)
    assert "opt=sgd" in view.info_label.text()
    view.set_runs(runs[:1])
    assert view._stack.currentIndex() == 0


# -- ParamDiffModel ---------------------------------------------------------------------------


def diff_runs() -> list[RunSummary]:
    return [
        run("r1", "one", {"lr": 0.1, "opt": "adam", "seed": 1}, tags={"team": "cv"}),
        run("r2", "two", {"lr": 0.1, "opt": "sgd", "seed": 1}, tags={"team": "cv"}),
        run("r3", "", {"lr": 0.2, "opt": "adam", "seed": 1, "bs": 32}, tags={"team": "cv"}),
    ]


def test_param_diff_model(qtmodeltester) -> None:
    model = ParamDiffModel()
    qtmodeltester.check(model)
    model.set_runs(diff_runs())
    qtmodeltester.check(model)
    assert model.row_keys() == ["bs", "lr", "opt"]
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in range(3)] == [
        "one",
        "two",
        "r3",
    ]
    texts = [[model.data(model.index(r, c)) for c in range(3)] for r in range(3)]
    assert texts == [
        [MISSING_TEXT, MISSING_TEXT, "32"],
        ["0.1", "0.1", "0.2"],
        ["adam", "sgd", "adam"],
    ]
    role = Qt.ItemDataRole.BackgroundRole
    assert model.data(model.index(1, 2), role) == DIFF_BRUSH
    assert model.data(model.index(1, 0), role) is None
    assert model.data(model.index(2, 1), role) == DIFF_BRUSH

    model.set_show_all(True)
    qtmodeltester.check(model)
    assert model.row_keys() == ["bs", "lr", "opt", "seed", "tags.team"]
    assert model.data(model.index(3, 0), role) is None


def test_param_diff_view_checkbox(qtbot) -> None:
    view = ParamDiffView()
    qtbot.addWidget(view)
    view.set_runs(diff_runs())
    assert view.model.rowCount() == 3
    view.show_equal_check.setChecked(True)
    assert view.model.rowCount() == 5


def test_panel_deleted_while_loading(qtbot, runner: TaskRunner) -> None:
    gate = threading.Event()

    class SlowService(FakeService):
        def metric_keys(self, run_ids: list[str]) -> list[str]:
            gate.wait(5)
            return super().metric_keys(run_ids)

    panel = MetricPanel(SlowService({"r1": {"loss": [1.0]}}), runner)
    panel.set_runs([run("r1")])
    panel.deleteLater()
    qtbot.waitUntil(lambda: not shiboken6.isValid(panel))
    gate.set()
    qtbot.waitUntil(lambda: runner.active_count() == 0)  # the late result is ignored quietly
