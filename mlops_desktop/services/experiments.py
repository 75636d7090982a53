"""ExperimentService: experiments, runs, metrics, logs and notes, for the GUI and the CLI.

CONTRACT (written first so the GUI, the command line and the catalog can be built in parallel).
The catalog owner replaces the bodies; the signatures and return types stay.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from mlops_desktop.core.runs import Experiment, MetricSeries, RunDetail, RunSummary


@dataclass(frozen=True)
class IngestReport:
    """What one ingest pass did.

    Attributes:
        changed_runs: ids of runs that got new events (new runs included).
        new_runs: ids of runs seen for the first time.
        points: metric points stored.
        problems: one sentence per skipped spool line or unreadable spool.
    """

    changed_runs: frozenset[str] = frozenset()
    new_runs: frozenset[str] = frozenset()
    points: int = 0
    problems: list[str] = field(default_factory=list)


class ExperimentService:
    """Facade over the catalog for everything the Experiments pane and ``runs`` commands need.

    Thread-safe: every method opens its own catalog session. Methods are synchronous and may
    take long on big catalogs: the GUI calls them from worker threads only.
    """

    def __init__(self, catalog: object, home: Path) -> None:
        raise NotImplementedError

    @classmethod
    def open(cls, home: Path, catalog_url: str | None = None) -> ExperimentService:
        """Open (creating and migrating if needed) the catalog of ``home`` or ``catalog_url``."""
        raise NotImplementedError

    def close(self) -> None:
        """Dispose of the engine's connections."""
        raise NotImplementedError

    def ingest(self) -> IngestReport:
        """Move every local spool's new events into the catalog, exactly once."""
        raise NotImplementedError

    def list_experiments(self) -> list[Experiment]:
        """All experiments, by name, with run counts."""
        raise NotImplementedError

    def list_runs(
        self, experiment: str | None = None, query: str | None = None
    ) -> list[RunSummary]:
        """Runs, newest first, optionally of one experiment and matching a filter query.

        Raises:
            ExperimentNotFound: no experiment of that name.
            QueryError: the query is malformed (the message points at the column).
        """
        raise NotImplementedError

    def get_run(self, run_id: str) -> RunDetail:
        """One run by id or unique id prefix (at least 4 characters).

        Raises:
            RunNotFound: no run, or the prefix matches several.
        """
        raise NotImplementedError

    def metric_keys(self, run_ids: list[str]) -> list[str]:
        """Metric keys that any of the runs has, sorted."""
        raise NotImplementedError

    def metric_series(self, run_id: str, key: str) -> MetricSeries:
        """A whole metric series in step order of logging (numpy arrays, no ORM rows).

        Raises:
            RunNotFound, MetricNotFound.
        """
        raise NotImplementedError

    def set_notes(self, run_id: str, notes: str) -> None:
        """Replace a run's notes (markdown text)."""
        raise NotImplementedError

    def read_log(self, run_id: str, offset: int = 0, max_bytes: int = 1 << 20) -> tuple[str, int]:
        """Text of the run's log from ``offset``; returns (text, next offset). Empty if none."""
        raise NotImplementedError
