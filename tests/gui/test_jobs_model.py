"""The jobs table model: qtmodeltester, in-place updates, cancelling, ticking elapsed time."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from mlops_desktop.core.compute import JobInfo
from mlops_desktop.ui.item_models import jobs_table as jt


def job(run_id: str, state: str = "running", **kw: Any) -> JobInfo:
    base = {"target": "local", "submitted_at": 1000.0, "started_at": 1001.0}
    base.update(kw)
    return JobInfo(run_id=run_id, state=state, command=["python", "-c", "x"], **base)


def test_jobs_model_passes_qtmodeltester(qtmodeltester: Any) -> None:
    model = jt.JobsTableModel(clock=lambda: 1061.0)
    model.update_jobs(
        [
            job("c" * 32, "running", gpus=[0, 1], name="wide"),
            job("b" * 32, "finished", ended_at=1005.0, exit_code=0),
            job("a" * 32, "failed", ended_at=1003.0, exit_code=2, detail="exit 2"),
            job("d" * 32, "queued", started_at=None),
        ]
    )
    qtmodeltester.check(model)
    assert model.data(model.index(0, jt.COL_ELAPSED)) == "1m 00s"
    assert model.data(model.index(0, jt.COL_GPUS)) == "0,1"
    assert model.data(model.index(1, jt.COL_ELAPSED)) == "4.0s"
    assert model.data(model.index(3, jt.COL_ELAPSED)) == ""
    assert model.data(model.index(2, jt.COL_EXIT)) == "2"
    assert model.data(model.index(0, jt.COL_STATE), Qt.ItemDataRole.DecorationRole) is not None
    assert "wide" in model.data(model.index(0, jt.COL_RUN))


def test_update_in_place_keeps_rows_and_signals_precisely(qtbot: Any) -> None:
    model = jt.JobsTableModel(clock=lambda: 1010.0)
    model.update_jobs([job("b"), job("a")])
    resets: list[int] = []
    inserted: list[tuple[int, int]] = []
    removed: list[tuple[int, int]] = []
    model.modelReset.connect(lambda: resets.append(1))
    model.rowsInserted.connect(lambda _p, first, last: inserted.append((first, last)))
    model.rowsRemoved.connect(lambda _p, first, last: removed.append((first, last)))
    with qtbot.waitSignal(model.dataChanged, timeout=1000) as blocker:
        model.update_jobs([job("c"), job("b", "finished", ended_at=1008.0), job("a")])
    assert blocker.args[0].row() == 1  # only b's row changed
    assert inserted == [(0, 0)] and not resets
    model.update_jobs([job("c"), job("a")])
    assert removed == [(1, 1)] and not resets
    assert [model.row_at(r).run_id for r in range(model.rowCount())] == ["c", "a"]


def test_cancelling_shows_until_the_final_state(qtbot: Any) -> None:
    model = jt.JobsTableModel()
    model.update_jobs([job("a")])
    model.set_cancelling("a")
    assert model.data(model.index(0, jt.COL_STATE)) == jt.CANCELLING
    model.update_jobs([job("a")])  # still running: still cancelling
    assert model.data(model.index(0, jt.COL_STATE)) == jt.CANCELLING
    model.update_job(job("a", "cancelled", ended_at=1002.0, exit_code=-15))
    assert model.data(model.index(0, jt.COL_STATE)) == "cancelled"


def test_tick_repaints_only_running_elapsed(qtbot: Any) -> None:
    now = [1010.0]
    model = jt.JobsTableModel(clock=lambda: now[0])
    model.update_jobs([job("a"), job("b", "finished", ended_at=1002.0)])
    changed: list[tuple[int, int]] = []
    model.dataChanged.connect(lambda tl, br, *_: changed.append((tl.row(), tl.column())))
    now[0] = 1020.0
    model.tick()
    assert changed == [(0, jt.COL_ELAPSED)]
    assert model.data(model.index(0, jt.COL_ELAPSED)) == "19.0s"
