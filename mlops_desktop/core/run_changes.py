"""What one ingest pass changed, run by run: the keys it stored and the new sequence ranges.

Live views read only what changed: the runs table re-reads the summaries of the changed runs
alone, and a chart reads a series from the first new sequence number of its key on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class SeqRange:
    """The sequence numbers of the points of one metric key stored by one pass.

    Every point of the key stored by that pass has a sequence number in ``first..last``, and
    every point stored before has a smaller one (each key's points come from one spool, whose
    sequence numbers only grow).
    """

    first: int
    last: int


@dataclass(frozen=True)
class RunChanges:
    """What one ingest pass changed of one run.

    Attributes:
        run_id: the run.
        new: the run was seen for the first time (or a queued run started).
        status: its status or run fields changed (start, end, killed).
        metrics: per metric key, the sequence numbers of the new points.
        params: keys of params set.
        tags: keys of tags set.
        artifacts: it logged artifacts or datasets.
    """

    run_id: str
    new: bool = False
    status: bool = False
    metrics: Mapping[str, SeqRange] = field(default_factory=dict)
    params: frozenset[str] = frozenset()
    tags: frozenset[str] = frozenset()
    artifacts: bool = False

    @property
    def summary_changed(self) -> bool:
        """Whether the run's row in a runs table (status, params, latest metrics, tags) changed."""
        return bool(self.new or self.status or self.metrics or self.params or self.tags)


@dataclass(frozen=True)
class IngestChanges:
    """Every run one ingest pass changed, by id (empty when nothing was stored)."""

    runs: Mapping[str, RunChanges] = field(default_factory=dict)

    @property
    def run_ids(self) -> frozenset[str]:
        return frozenset(self.runs)

    @property
    def new_runs(self) -> frozenset[str]:
        return frozenset(run_id for run_id, change in self.runs.items() if change.new)

    def __bool__(self) -> bool:
        return bool(self.runs)
