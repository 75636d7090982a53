"""Chart widgets: MetricChart, MetricPanel, ParallelCoordinatesView and ParamDiffModel."""

from __future__ import annotations

import math
import threading
import time

import numpy as np
import pytest
import shiboken6
from PySide6.QtCore import QPointF, Qt

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
    assert chart._stack.currentWidget() is chart._plot_page
    chart.clear()
    assert chart._stack.currentWidget() is chart._empty
    assert chart.run_ids() == []


def test_update_and_append_series(chart: MetricChart) -> None:
    chart.set_key("loss")
    chart.set_series([series("a", [1, 2]), series("b", [3, 4])], {"a": "alpha", "b": "beta"})
    assert chart.plot_item.legend is None  # the run legend is shared, outside the plots
    other = chart._runs["b"].main
    chart.update_series(series("a", [1, 2, 3, 4, 5]))
    assert len(chart.curve_data("a")[1]) == 5
    assert chart._runs["b"].main is other  # the other run's curve is untouched
    chart.update_series(series("c", [7]))
    assert chart.run_ids() == ["a", "b", "c"]
    assert chart.title_label.text() == "loss"


def test_nan_inf_and_negative_on_log_scale_are_gaps(qtbot, chart: MetricChart) -> None:
    values = [1.0, np.nan, 10.0, np.inf, -np.inf, 0.0, -5.0, 100.0, 1000.0]
    chart.set_series([series("a", values)], {"a": "run"})
    chart.set_log_y(True)
    chart.set_smoothing(0.5)
    chart.grab()  # paints: must not raise
    (x_low, x_high), (y_low, y_high) = chart.plot_item.vb.viewRange()
    assert all(math.isfinite(v) for v in (x_low, x_high, y_low, y_high))
    assert y_low > -1.5 and y_high < 4.5  # log10 range of the positive finite values (0..3)
    item = chart._runs["a"].main
    assert item.opts["connect"] == "finite"
    _x, shown = item.getData()
    assert np.isnan(shown[[1, 3, 4]]).all()  # non-finite raw values stay gaps when smoothed
    chart.set_log_y(False)
    chart.set_smoothing(0.0)
    chart.grab()
    (_xl, _xh), (y_low, y_high) = chart.plot_item.vb.viewRange()
    assert -100 < y_low < -5 and 1000 < y_high < 1100  # inf did not poison the range


def test_nan_and_inf_get_markers_at_the_edges(qtbot, chart: MetricChart) -> None:
    # the demo's sgd-exploding-lr: growing loss, then +inf twice, then NaN
    values = [40.0, 1.6e3, 6.4e4, 2.56e6, 1e12, 1e21, np.inf, np.inf, np.nan, np.nan, -np.inf]
    chart.set_series([series("a", values)], {"a": "exploding"})
    marks = chart.nonfinite_marks("a")
    np.testing.assert_allclose(marks["+inf"], [60, 70])  # steps are 10 apart
    np.testing.assert_allclose(marks["nan"], [80, 90])
    np.testing.assert_allclose(marks["-inf"], [100])
    spots = chart._runs["a"].marks.data
    (_x0, _x1), (y_low, y_high) = chart.plot_item.vb.viewRange()
    ups = [s for s in spots if s["symbol"] == "t1"]
    assert ups and all(y_low < s["y"] <= y_high and s["y"] > (y_low + y_high) / 2 for s in ups)
    assert chart._runs["a"].marks.opts["pen"].color() == chart.run_color("a")
    x_low, x_high = chart.plot_item.vb.viewRange()[0]
    assert x_low <= 0 and x_high >= 100  # the x range reaches the last (non-finite) point
    rows = chart.show_crosshair_at(75.0)
    assert [r.value for r in rows] == [math.inf]
    assert "inf" in chart.readout_label.text()
    chart.show_crosshair_at(95.0)
    assert "nan" in chart.readout_label.text()


def test_log_axis_labels_have_no_si_prefix(qtbot, chart: MetricChart) -> None:
    from mlops_desktop.ui.charts.chart_axes import decade_label

    chart.set_series([series("a", [1e-3, 1.0, 1e6, 1e21])], {"a": "run"})
    left = chart.plot_item.getAxis("left")
    chart.grab()
    assert left.labelString().find("x1e") < 0 and left.autoSIPrefixScale == 1.0
    assert left.tickStrings([0.0, 5e20, 1e21], 1.0, 5e20) == ["0", "5e20", "1e21"]
    chart.set_log_y(True)
    chart.grab()
    assert left.autoSIPrefixScale == 1.0
    assert left.tickStrings([-3.0, 0.0, 6.0, 21.0], 1.0, 3.0) == ["0.001", "1", "10⁶", "10²¹"]
    assert decade_label(-6) == "10⁻⁶"
    _x, (y_low, y_high) = chart.plot_item.vb.viewRange()
    assert -4.5 < y_low < -2.9 and 21 < y_high < 23  # decades of the data, not (x1e+21)


def test_crosshair_readout_at_the_mouse(qtbot, chart: MetricChart) -> None:
    a = series("a", [1.0, 2.0, 3.0, 4.0])  # steps 0, 10, 20, 30
    b = series("b", [10.0, 20.0])  # steps 0, 10
    chart.set_series([a, b], {"a": "alpha", "b": "beta"})
    chart.grab()
    vb = chart.plot_item.vb
    scene_pos = vb.mapViewToScene(QPointF(25.0, 2.0))
    chart.plot_item.scene().sigMouseMoved.emit(scene_pos)
    assert chart.crosshair.visible
    assert chart.crosshair.line.value() == pytest.approx(25.0, abs=0.5)
    got = {r.run_id: r.value for r in chart.crosshair.rows}
    assert got == {"a": 3.0, "b": 20.0}  # the last point at or before x, per run
    text = chart.readout_label.text()
    assert "alpha" in text and "beta" in text and chart.run_color("a").name() in text
    chart.plot_item.scene().sigMouseMoved.emit(QPointF(-50.0, -50.0))  # off the plot
    assert not chart.crosshair.visible
    assert [r.value for r in chart.crosshair.rows] == [4.0, 20.0]  # the strip shows last values
    before = chart.show_crosshair_at(-5.0)
    assert [r.value for r in before] == [None, None]


def test_range_is_recomputed_when_switching_x_mode(chart: MetricChart) -> None:
    steps = np.arange(1000, dtype=np.int64)
    times = 1.7e9 + np.arange(1000) * 1e-8  # the whole run took 10 microseconds
    chart.set_series([MetricSeries("a", "loss", steps, times, np.linspace(1, 2, 1000))], {})
    chart.grab()
    assert chart.plot_item.vb.viewRange()[0][1] > 900
    chart.set_x_axis("relative")
    chart.grab()
    x_low, x_high = chart.plot_item.vb.viewRange()[0]
    assert x_low <= 0.0 and 9e-6 < x_high < 2e-5  # not the step range kept, nor a collapsed one
    chart.set_x_axis("step")
    chart.grab()
    assert chart.plot_item.vb.viewRange()[0][1] > 900


def test_live_append_continues_the_smoothing(chart: MetricChart) -> None:
    raw = np.random.default_rng(3).normal(size=600)
    chart.set_smoothing(0.8)
    whole = series("a", raw)
    first = MetricSeries("a", "loss", whole.steps[:500], whole.timestamps[:500], raw[:500])
    rest = MetricSeries("a", "loss", whole.steps[500:], whole.timestamps[500:], raw[500:])
    chart.set_series([first], {"a": "run"})
    chart.append_points(rest)
    x, y = chart.curve_data("a")
    np.testing.assert_allclose(x, whole.steps)
    np.testing.assert_allclose(y, reference_ema(raw.tolist(), 0.8), rtol=1e-9)
    assert chart.plot_item.vb.viewRange()[0][1] >= 5990  # the range followed the new points


def test_smoothing_draws_raw_shadow_and_smoothed_main(chart: MetricChart) -> None:
    raw = np.array([1.0, 5.0, 2.0, 8.0, 3.0])
    chart.set_series([series("a", raw)], {"a": "run"})
    chart.set_smoothing(0.6)
    curves = chart._runs["a"]
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
    _x, shown = chart._runs["big"].main.getData()
    assert len(shown) < 100_000  # downsampled for display


# -- MetricPanel ------------------------------------------------------------------------------


class FakeService:
    """In-memory stand-in for ExperimentService's metric methods (cursor = points read)."""

    def __init__(self, data: dict[str, dict[str, list[float]]]) -> None:
        self.data = data
        self.gui_thread = threading.current_thread()
        self.calls_on_gui_thread = 0
        self.points_read = 0

    def _note_thread(self) -> None:
        if threading.current_thread() is self.gui_thread:
            self.calls_on_gui_thread += 1

    def metric_keys(self, run_ids: list[str]) -> list[str]:
        self._note_thread()
        return sorted({key for rid in run_ids for key in self.data.get(rid, {})})

    def metric_series_after(
        self, run_id: str, key: str, after: tuple[int, int] | None = None
    ) -> tuple[MetricSeries, tuple[int, int]]:
        self._note_thread()
        try:
            values = self.data[run_id][key]
        except KeyError:
            raise MetricNotFound(f"{run_id} has no {key}") from None
        start = 0 if after is None else after[1]
        whole = series(run_id, values, key)
        self.points_read += len(values) - start
        tail = MetricSeries(
            run_id, key, whole.steps[start:], whole.timestamps[start:], whole.values[start:]
        )
        return tail, (0, len(values))


def test_choose_key() -> None:
    assert choose_key([], None) is None
    assert choose_key(["acc", "train/loss", "val_loss"], None) == "train/loss"
    assert choose_key(["acc", "f1"], None) == "acc"
    assert choose_key(["acc", "f1", "loss"], "f1") == "f1"


def charted(panel: MetricPanel, key: str, run_ids: list[str]) -> bool:
    """Whether the panel's chart of ``key`` exists and shows exactly ``run_ids``."""
    charts = panel.grid.charts()
    return key in charts and charts[key].run_ids() == run_ids


def grid_data() -> dict[str, dict[str, list[float]]]:
    return {
        "r1": {
            "acc": [0.1, 0.5],
            "train/loss": [3, 2, 1],
            "train/acc": [0.2, 0.4],
            "val/loss": [4, 3],
            "sys/cpu_percent": [0.0, 0.0, 100.0, 0.0],
        },
        "r2": {"acc": [0.2], "train/loss": [4, 3]},
    }


def test_grid_has_one_chart_per_key_grouped_by_prefix(qtbot, runner: TaskRunner) -> None:
    service = FakeService(grid_data())
    panel = MetricPanel(service, runner)
    qtbot.addWidget(panel)
    panel.resize(1000, 700)
    panel.show()
    with qtbot.waitSignal(panel.keyChanged) as blocker:
        panel.set_runs([run("r1", "first"), run("r2")])
    assert blocker.args == ["train/loss"]
    grid = panel.grid
    qtbot.waitUntil(lambda: charted(panel, "train/loss", ["r1", "r2"]))
    assert service.calls_on_gui_thread == 0
    assert grid.groups() == ["", "train/", "val/", "sys/"]  # no prefix first, sys/ last
    assert grid.chart_keys() == ["acc", "train/acc", "train/loss", "val/loss", "sys/cpu_percent"]
    assert grid.section("train/").keys == ["train/acc", "train/loss"]
    assert grid.section("train/").header.text().startswith("train/")
    assert grid.section("train/").open and not grid.section("sys/").open  # sys/ folded
    assert [e[0] for e in panel.legend.entries()] == ["first (r1)", "r2"]
    # the search box filters the charts
    panel.search.setText("loss")
    assert grid.visible_keys() == ["train/loss", "val/loss"]
    assert not grid.section("").isVisibleTo(panel)
    panel.search.setText("")
    # expand one chart, then Esc back to the grid
    grid.chart("val/loss").expandRequested.emit()
    assert grid.expanded_key == "val/loss" and panel.current_key == "val/loss"
    assert grid.chart("val/loss").isVisibleTo(panel)
    qtbot.keyClick(grid.back_button, Qt.Key.Key_Escape)
    assert grid.expanded_key is None
    # per-chart x axis, while the others follow the global choice
    grid.expand("train/loss")
    grid.x_override.setCurrentIndex(grid.x_override.findData("relative"))
    grid.collapse()
    panel.x_combo.setCurrentIndex(panel.x_combo.findData("time"))
    assert grid.chart("train/loss").x_axis_mode == "relative"
    assert grid.chart("acc").x_axis_mode == "time"
    panel.log_check.setChecked(True)
    assert all(chart.log_y for chart in grid.charts().values())
    panel.set_runs([])
    assert grid.chart_keys() == [] and panel.legend.entries() == []


def test_system_metrics_are_never_smoothed(qtbot, runner: TaskRunner) -> None:
    panel = MetricPanel(FakeService(grid_data()), runner)
    qtbot.addWidget(panel)
    panel.set_runs([run("r1")])
    qtbot.waitUntil(lambda: "sys/cpu_percent" in panel.grid.chart_keys())
    qtbot.waitUntil(lambda: "r1" in panel.grid.chart("sys/cpu_percent").run_ids())  # loads last
    panel.smoothing_slider.setValue(60)
    assert panel.smoothing_label.text() == "0.60"
    assert panel.grid.chart("train/loss").smoothing == 0.6
    cpu = panel.grid.chart("sys/cpu_percent")
    assert cpu.smoothing == 0.0 and not cpu.smoothable
    np.testing.assert_allclose(cpu.curve_data("r1")[1], [0.0, 0.0, 100.0, 0.0])  # raw


def test_run_colours_do_not_depend_on_selection_order(qtbot, runner: TaskRunner) -> None:
    from mlops_desktop.ui.charts.palette import stable_run_color

    panel = MetricPanel(FakeService(grid_data()), runner)
    qtbot.addWidget(panel)
    panel.set_runs([run("r1"), run("r2", tags={"mlops.color": "#123456"})])
    qtbot.waitUntil(lambda: charted(panel, "acc", ["r1", "r2"]))
    first = {r: panel.grid.chart("acc").run_color(r).name() for r in ("r1", "r2")}
    panel.set_runs([run("r2", tags={"mlops.color": "#123456"}), run("r1")])
    qtbot.waitUntil(lambda: charted(panel, "acc", ["r2", "r1"]))
    second = {r: panel.grid.chart("acc").run_color(r).name() for r in ("r1", "r2")}
    assert first == second == {"r1": stable_run_color("r1").name(), "r2": "#123456"}
    legend = dict((label, color.name()) for label, color in panel.legend.entries())
    assert legend == {"r1": first["r1"], "r2": "#123456"}
    assert first["r1"] in panel.legend.label.text()


def test_theme_switch_recolours_legend_titles_and_axes(qtbot, runner: TaskRunner, qapp) -> None:
    from PySide6.QtGui import QPalette

    from mlops_desktop.ui.theme import dark_palette

    panel = MetricPanel(FakeService(grid_data()), runner)
    qtbot.addWidget(panel)
    panel.show()
    panel.set_runs([run("r1")])
    qtbot.waitUntil(lambda: "acc" in panel.grid.chart_keys())
    chart = panel.grid.chart("acc")
    role = QPalette.ColorRole.WindowText
    light = panel.legend.label.palette().color(role).name()
    qapp.setPalette(dark_palette())
    dark = dark_palette().color(role).name()
    qtbot.waitUntil(lambda: panel.legend.label.palette().color(role).name() == dark)
    assert dark != light
    assert chart.title_label.palette().color(role).name() == dark
    assert chart.readout_label.palette().color(role).name() == dark
    assert chart.plot_item.getAxis("left").textPen().color().name() == dark


def test_live_refresh_reads_and_appends_only_new_points(qtbot, runner: TaskRunner) -> None:
    service = FakeService(grid_data())
    panel = MetricPanel(service, runner)
    qtbot.addWidget(panel)
    panel.set_runs([run("r1"), run("r2")])
    qtbot.waitUntil(lambda: charted(panel, "acc", ["r1", "r2"]))
    read_before = service.points_read
    service.data["r2"]["acc"] = [0.2, 0.3, 0.4]
    service.data["r2"]["val/loss"] = [9.0]  # a key new to this run
    panel.refresh_runs({"r2", "not-shown"})
    qtbot.waitUntil(lambda: len(panel.grid.chart("acc").curve_data("r2")[1]) == 3)
    qtbot.waitUntil(lambda: "r2" in panel.grid.chart("val/loss").run_ids())
    assert service.points_read - read_before == 3  # two new acc points and the new key's one
    np.testing.assert_allclose(panel.grid.chart("acc").curve_data("r2")[1], [0.2, 0.3, 0.4])
    assert service.calls_on_gui_thread == 0


def test_live_points_from_the_catalog_are_appended(qtbot, home, service, runner) -> None:
    from catalog_spools import SpoolBuilder

    b = SpoolBuilder(home).start(name="live")
    b.series("train/loss", [4.0, 3.0]).series("sys/cpu_percent", [5.0]).write()
    service.ingest()
    (summary,) = service.list_runs()
    panel = MetricPanel(service, runner)
    qtbot.addWidget(panel)
    panel.show()
    panel.set_runs([summary])
    qtbot.waitUntil(lambda: charted(panel, "train/loss", [b.run_id]))
    reads: list[tuple[str, object]] = []
    real = service.metric_series_after

    def counted(run_id, key, after=None):  # type: ignore[no-untyped-def]
        got = real(run_id, key, after)
        reads.append((key, len(got[0].values)))
        return got

    service.metric_series_after = counted
    b.series("train/loss", [2.0, 1.0], first_step=2).write()
    report = service.ingest()
    panel.refresh_runs(report.changed_runs)
    chart = panel.grid.chart("train/loss")
    qtbot.waitUntil(lambda: len(chart.curve_data(b.run_id)[1]) == 4)
    np.testing.assert_allclose(chart.curve_data(b.run_id)[1], [4.0, 3.0, 2.0, 1.0])
    assert sorted(reads) == [("sys/cpu_percent", 0), ("train/loss", 2)]  # only new points


def test_first_charts_load_first_then_the_rest(qtbot, runner: TaskRunner) -> None:
    from mlops_desktop.ui.charts.metric_panel import FIRST_CHARTS, load_selection
    from mlops_desktop.ui.tasks import TaskState

    data = {"r1": {f"k{i:02d}": [float(i), 1.0] for i in range(FIRST_CHARTS + 3)}}
    service = FakeService(data)
    keys, loaded, later = load_selection(
        service, ["r1"], {}, "step", 0.0, state=TaskState(lambda *_: None)
    )
    assert len(keys) == FIRST_CHARTS + 3 and len(later) == 3
    assert {key for _run, key in loaded} == set(keys[:FIRST_CHARTS])
    panel = MetricPanel(service, runner)
    qtbot.addWidget(panel)
    panel.set_runs([run("r1")])
    qtbot.waitUntil(lambda: all(charted(panel, k, ["r1"]) for k in keys))


def test_charts_out_of_view_draw_when_shown_and_reuse_curves(qtbot, runner: TaskRunner) -> None:
    data = {"r1": {f"k{i:02d}": [float(i), 2.0, 3.0] for i in range(10)}}
    data["r2"] = {key: [1.0] for key in data["r1"]}
    panel = MetricPanel(FakeService(data), runner)
    qtbot.addWidget(panel)
    panel.resize(900, 500)
    panel.show()
    panel.set_runs([run("r1"), run("r2")])
    qtbot.waitUntil(lambda: all(charted(panel, k, ["r1", "r2"]) for k in data["r1"]))
    qtbot.waitUntil(lambda: runner.active_count() == 0)
    last = panel.grid.chart("k09")
    assert last.visibleRegion().isEmpty()  # scrolled out of view: drawn in the background
    qtbot.waitUntil(lambda: last._runs["r1"].main is not None)
    x, _y = last._runs["r1"].main.getOriginalDataset()
    np.testing.assert_allclose(x, [0, 10, 20])
    # a chart not on screen waits: nothing handed to pyqtgraph until it shows
    hidden = MetricChart()
    qtbot.addWidget(hidden)
    with qtbot.waitSignal(hidden.drawingDeferred):
        hidden.set_series([series("a", [1.0, 2.0])], {"a": "run"})
    assert hidden.pending and hidden._runs["a"].main is None
    hidden.show()
    hidden.grab()
    assert not hidden.pending and hidden._runs["a"].main is not None
    first = panel.grid.chart("k00")
    qtbot.waitUntil(lambda: first._runs["r1"].main is not None)
    items = len(first.plot_item.listDataItems())
    panel.set_runs([run("r2"), run("r1")])
    qtbot.waitUntil(lambda: charted(panel, "k00", ["r2", "r1"]))
    panel.grid.scroll_area.ensureWidgetVisible(first)
    qtbot.waitUntil(lambda: first._runs["r2"].main is not None)
    assert len(first.plot_item.listDataItems()) == items  # curves reused, not made anew


def test_grid_columns_follow_the_width(qtbot) -> None:
    from mlops_desktop.ui.charts.chart_grid import ChartGrid

    grid = ChartGrid()
    qtbot.addWidget(grid)
    grid.set_keys(["a", "b", "c"])
    grid.resize(800, 600)
    grid.show()
    qtbot.waitUntil(lambda: grid._columns == 2)
    grid.resize(1200, 600)
    qtbot.waitUntil(lambda: grid._columns == 3)
    section = grid.section("")
    assert section.grid.getItemPosition(section.grid.indexOf(grid.chart("c")))[:2] == (0, 2)


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
    qtbot.waitUntil(lambda: "loss" in panel.grid.chart_keys())
    qtbot.waitUntil(lambda: charted(panel, "loss", ["fast"]))
    gate.set()
    qtbot.waitUntil(lambda: runner.active_count() == 0)
    assert panel.grid.chart("loss").run_ids() == ["fast"]


def test_panel_shows_load_errors(qtbot, runner: TaskRunner) -> None:
    class BrokenService(FakeService):
        def metric_keys(self, run_ids: list[str]) -> list[str]:
            raise RuntimeError("catalog is locked")

    panel = MetricPanel(BrokenService({}), runner)
    qtbot.addWidget(panel)
    panel.set_runs([run("r1")])
    qtbot.waitUntil(lambda: "catalog is locked" in panel.message.text())


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
