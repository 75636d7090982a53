"""The ingester's record of what it stored in one pass: runs, keys and new sequence ranges."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from mlops_desktop.core.run_changes import IngestChanges, RunChanges, SeqRange

_STATUS_EVENTS = ("start", "end")
_ARTIFACT_EVENTS = ("artifact", "dataset")


@dataclass
class _RunRecord:
    new: bool = False
    status: bool = False
    metrics: dict[str, list[int]] = field(default_factory=dict)  # key -> [first, last]
    params: set[str] = field(default_factory=set)
    tags: set[str] = field(default_factory=set)
    artifacts: bool = False

    def freeze(self, run_id: str) -> RunChanges:
        return RunChanges(
            run_id,
            new=self.new,
            status=self.status,
            metrics={key: SeqRange(lo, hi) for key, (lo, hi) in self.metrics.items()},
            params=frozenset(self.params),
            tags=frozenset(self.tags),
            artifacts=self.artifacts,
        )


class ChangeLog:
    """Gathers, over one pass, what was stored of each run (see :class:`IngestChanges`)."""

    def __init__(self) -> None:
        self._runs: dict[str, _RunRecord] = {}

    def _record(self, run_id: str) -> _RunRecord:
        record = self._runs.get(run_id)
        if record is None:
            record = self._runs[run_id] = _RunRecord()
        return record

    def stored(self, run_id: str, events: Iterable[dict[str, Any]], new_run: bool) -> None:
        """Note the events of ``run_id`` that one transaction stored."""
        record = self._record(run_id)
        record.new |= new_run
        ranges = record.metrics
        for e in events:
            kind = e["type"]
            if kind == "metrics":
                first, last = e["seq"], e["seq"] + e["n"] - 1
                for key, columns in e["cols"].items():
                    if not len(columns[2]):
                        continue
                    seen = ranges.get(key)
                    if seen is None:
                        ranges[key] = [first, last]
                    else:
                        seen[0] = min(seen[0], first)
                        seen[1] = max(seen[1], last)
            elif kind == "params":
                record.params.update(map(str, e["params"]))
            elif kind == "tags":
                record.tags.update(map(str, e["tags"]))
            elif kind in _STATUS_EVENTS:
                record.status = True
            elif kind in _ARTIFACT_EVENTS:
                record.artifacts = True

    def status_changed(self, run_ids: Iterable[str], tags: Iterable[str] = ()) -> None:
        """Note runs whose status the ingester set itself (a dead process: killed)."""
        for run_id in run_ids:
            record = self._record(run_id)
            record.status = True
            record.tags.update(tags)

    def freeze(self) -> IngestChanges:
        return IngestChanges({run_id: r.freeze(run_id) for run_id, r in self._runs.items()})
