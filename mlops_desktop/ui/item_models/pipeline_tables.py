"""The Pipelines pane's tables: the pipelines the catalog knows, the runs of one pipeline and
its trigger history. Rows are the core's dataclasses, fed whole (:meth:`set_rows`)."""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QModelIndex, QObject
from PySide6.QtGui import QIcon

from mlops_desktop.core.pipelines import PipelineInfo, PipelineRunInfo, TriggerEvent
from mlops_desktop.ui.formatting import count_noun, format_duration, format_time, short_id
from mlops_desktop.ui.icons import dot_icon
from mlops_desktop.ui.item_models.rows_table import RowsTableModel

RUN_STATE_COLORS: dict[str, str] = {
    "running": "#2f80ed",
    "done": "#27ae60",
    "failed": "#e0433b",
    "cancelled": "#8e8e93",
}
# How a stage's state counts in a run's summary ("2 ran, 2 cached").
_RAN = frozenset({"done", "running", "failed"})


def run_state_icon(state: str | None) -> QIcon:
    """A coloured dot for a pipeline run's state (a ring while it runs)."""
    return dot_icon(RUN_STATE_COLORS.get(state or "", "#c0c0c0"), live=state == "running")


def stage_summary(run: PipelineRunInfo) -> str:
    """How the run's stages went, in a few words: "2 ran, 1 cached, 1 restored"."""
    counts: dict[str, int] = {}
    for stage in run.stages:
        word = "ran" if stage.state in _RAN else stage.state
        counts[word] = counts.get(word, 0) + 1
    order = ("ran", "cached", "restored", "queued", "blocked", "cancelled", "stale")
    words = sorted(counts, key=lambda w: order.index(w) if w in order else len(order))
    return ", ".join(f"{counts[w]} {w}" for w in words)


def gate_summary(run: PipelineRunInfo) -> str:
    """Its gates in a few words: "v4 waiting", "refused", "" when it has none."""
    parts = []
    for gate in run.gates:
        if not gate.passed:
            parts.append("refused")
        elif gate.version is not None:
            parts.append(f"v{gate.version} {gate.approval}")
        else:
            parts.append(gate.approval)
    return ", ".join(parts)


COL_NAME = 0
COL_LAST_RUN = 1
PIPELINE_HEADERS = ("Pipeline", "Last run")


class PipelinesListModel(RowsTableModel[PipelineInfo]):
    """The pipelines the catalog knows; the last run's state as a dot, a waiting approval
    as a count."""

    HEADERS = PIPELINE_HEADERS

    def display(self, item: PipelineInfo, column: int) -> str:
        if column == COL_NAME:
            waiting = f"  ({item.waiting_approvals} to approve)" if item.waiting_approvals else ""
            return item.name + waiting
        return format_time(item.last_run_at) if item.last_run_at else "never"

    def sort_value(self, item: PipelineInfo, column: int) -> object:
        if column == COL_LAST_RUN:
            return item.last_run_at or 0.0
        return item.name.casefold()

    def tooltip(self, item: PipelineInfo, column: int) -> str | None:
        kind = "dvc.yaml" if item.kind == "dvc" else "pipeline file"
        last = (
            f"\nlast run: {item.last_state}, {format_time(item.last_run_at)}"
            if item.last_state
            else "\nnever run"
        )
        return f"{item.path} ({kind}, {count_noun(item.stages, 'stage')}){last}"

    def decoration(self, item: PipelineInfo, column: int) -> QIcon | None:
        return run_state_icon(item.last_state) if column == COL_NAME else None

    def row_of(self, name: str) -> int | None:
        for row, info in enumerate(self._rows):
            if info.name == name:
                return row
        return None


COL_STATE = 0
COL_RUN = 1
COL_TRIGGER = 2
COL_STARTED = 3
COL_DURATION = 4
COL_STAGES = 5
COL_GATE = 6
COL_USER = 7
RUN_HEADERS = ("State", "Run", "Trigger", "Started", "Duration", "Stages", "Gate", "By")


class PipelineRunsModel(RowsTableModel[PipelineRunInfo]):
    """The runs of one pipeline, newest first; :meth:`update_run` replaces one in place (a
    live run, an approval)."""

    HEADERS = RUN_HEADERS
    NUMERIC_COLUMNS = frozenset({COL_DURATION})

    def __init__(
        self, parent: QObject | None = None, clock: Callable[[], float] = time.time
    ) -> None:
        super().__init__(parent)
        self._clock = clock

    def row_of(self, run_id: str) -> int | None:
        for row, run in enumerate(self._rows):
            if run.run_id == run_id:
                return row
        return None

    def update_run(self, run: PipelineRunInfo) -> None:
        """Replace the row of ``run`` (a new run goes first)."""
        row = self.row_of(run.run_id)
        if row is None:
            self.beginInsertRows(QModelIndex(), 0, 0)
            self._rows.insert(0, run)
            self._shown += 1
            self.endInsertRows()
            return
        self._rows[row] = run
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(RUN_HEADERS) - 1))

    def duration(self, run: PipelineRunInfo) -> float:
        end = run.ended_at if run.ended_at is not None else self._clock()
        return max(0.0, end - run.started_at)

    def display(self, item: PipelineRunInfo, column: int) -> str:
        if column == COL_STATE:
            return item.state
        if column == COL_RUN:
            return short_id(item.run_id)
        if column == COL_TRIGGER:
            return f"{item.trigger}: {item.trigger_detail}" if item.trigger_detail else item.trigger
        if column == COL_STARTED:
            return format_time(item.started_at)
        if column == COL_DURATION:
            return format_duration(self.duration(item))
        if column == COL_STAGES:
            return stage_summary(item)
        if column == COL_GATE:
            return gate_summary(item)
        return "@".join(p for p in (item.user, item.host) if p)

    def sort_value(self, item: PipelineRunInfo, column: int) -> object:
        if column == COL_STARTED:
            return item.started_at
        if column == COL_DURATION:
            return self.duration(item)
        return self.display(item, column)

    def tooltip(self, item: PipelineRunInfo, column: int) -> str | None:
        if column == COL_RUN:
            return f"{item.pipeline}: {item.run_id}\n{item.path}"
        if column == COL_STAGES:
            return "\n".join(f"{s.stage}: {s.state}" for s in item.stages) or None
        if column == COL_GATE and item.gates:
            return "\n".join(line for g in item.gates for line in g.evidence) or None
        return None

    def decoration(self, item: PipelineRunInfo, column: int) -> QIcon | None:
        return run_state_icon(item.state) if column == COL_STATE else None


COL_AT = 0
COL_KIND = 1
COL_DETAIL = 2
COL_STARTED_RUN = 3
COL_OUTCOME = 4
COL_BY = 5
TRIGGER_HEADERS = ("When", "Trigger", "Detail", "Run started", "Outcome", "By")


class PipelineTriggersModel(RowsTableModel[TriggerEvent]):
    """Every trigger that fired, newest first, and what it started."""

    HEADERS = TRIGGER_HEADERS

    def display(self, item: TriggerEvent, column: int) -> str:
        if column == COL_AT:
            return format_time(item.at)
        if column == COL_KIND:
            return item.kind
        if column == COL_DETAIL:
            return item.detail
        if column == COL_STARTED_RUN:
            return short_id(item.pipeline_run_id) if item.pipeline_run_id else "—"
        if column == COL_OUTCOME:
            return item.outcome
        return "@".join(p for p in (item.user, item.host) if p)

    def sort_value(self, item: TriggerEvent, column: int) -> object:
        return item.at if column == COL_AT else self.display(item, column)

    def tooltip(self, item: TriggerEvent, column: int) -> str | None:
        if column == COL_STARTED_RUN and item.pipeline_run_id:
            return f"{item.pipeline_run_id}\nDouble-click to show this run"
        if column in (COL_DETAIL, COL_OUTCOME):
            return self.display(item, column) or None
        return None
