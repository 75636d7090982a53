"""The Drift tab on the real MonitorService: files arrive in a folder, the page draws them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
from drift_fake import FakeMonitors

from mlops_desktop.services.bundle import Services
from mlops_desktop.ui.navigation import AppEvents, Navigator
from mlops_desktop.ui.panes.monitors.drift import DriftView


def _write(path: Path, n: int, shift: float = 0.0, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    table = pa.table(
        {
            "a": rng.normal(shift, 1.0, n),
            "b": rng.normal(10 + shift * 3, 3.0, n),
            "color": rng.choice(["red", "blue"], n),
        }
    )
    pacsv.write_csv(table, path)
    return path


def test_files_in_a_folder_become_windows_on_the_page(
    qtbot: Any, services: Services, runner: Any, tmp_path: Path
) -> None:
    folder = tmp_path / "incoming"
    folder.mkdir()
    ref = _write(tmp_path / "ref.csv", 3000, seed=1)
    services.monitors.add("wine", reference=str(ref), current_folder=str(folder), alert_after=2,
                          alert_window=3)  # fmt: skip
    _write(folder / "b01.csv", 800, seed=2)
    _write(folder / "b02.csv", 800, shift=2.0, seed=3)
    _write(folder / "b03.csv", 800, shift=2.5, seed=4)
    events = AppEvents()
    notes: list[str] = []
    events.notices.connect(lambda notices: notes.extend(n.body for n in notices))
    view = DriftView(services.monitors, runner, Navigator(), events)
    qtbot.addWidget(view)
    view.resize(1280, 720)
    view.show()
    with qtbot.waitSignal(view.checked, timeout=20000):
        view.start()
    view.stop()
    qtbot.waitUntil(lambda: view.page.heatmap.columnCount() == 3, timeout=10000)
    x, y = view.page.share_chart.share_data()
    assert x.tolist() == [0, 1, 2] and y[0] < 0.5 <= y[1] and y[2] >= 0.5
    assert view.page.heatmap.columns == ["a", "b", "color"]
    qtbot.waitUntil(lambda: view.model.rows()[0].state == "alert", timeout=10000)
    assert len(notes) == 1 and notes[0].startswith("wine: ")
    view.page.show_cell(view.page.heatmap.index(0, 2))
    qtbot.waitUntil(lambda: view.page.distribution.distribution is not None, timeout=10000)
    ref_bars, cur_bars = view.page.distribution.bar_heights()
    assert (
        ref_bars.size == cur_bars.size >= 1
        and abs(ref_bars.sum() - 1) < 1e-6
        and abs(cur_bars.sum() - 1) < 1e-6
    )


class _WithoutRetraining:
    """A monitor service that has no retraining loop (retrain, scores, promote)."""

    def __init__(self, fake: FakeMonitors) -> None:
        self._fake = fake

    def __getattr__(self, name: str) -> Any:
        if name in ("retrain", "scores", "promote"):
            raise AttributeError(name)
        return getattr(self._fake, name)


def test_without_the_retraining_loop_retrain_and_promote_hide(qtbot: Any, runner: Any) -> None:
    fake = FakeMonitors()
    view = DriftView(_WithoutRetraining(fake), runner, Navigator(), AppEvents())  # type: ignore[arg-type]
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.page.loaded, timeout=5000):
        view.reload()
    assert view.page.lower_tabs.count() == 1
    assert view.page.alerts.retrain_button.isHidden()
    assert fake.called("scores") == []
