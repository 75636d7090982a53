"""ExperimentService: experiments, runs, metrics, logs and notes, for the GUI and the CLI."""

from __future__ import annotations

import errno
import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mlops_desktop.catalog import run_detail, run_listing, run_queries
from mlops_desktop.catalog.engine import Catalog
from mlops_desktop.catalog.ingest import Ingester
from mlops_desktop.core.errors import CatalogNotWritable, RunNotFound
from mlops_desktop.core.hardware import (
    ENERGY_COUNTER,
    ENERGY_INTEGRATED,
    ENERGY_SOURCE_TAG,
    SYSTEM_PREFIX,
    RunProcess,
    RunSystemMetrics,
)
from mlops_desktop.core.run_changes import IngestChanges
from mlops_desktop.core.runs import Experiment, MetricSeries, RunDetail, RunSummary
from mlops_desktop.services.catalog_open import CatalogService
from mlops_desktop.services.log_text import read_log_text
from mlops_desktop.services.run_edits import RunEdits
from mlops_desktop.tracking.home import LOG_FILENAME, run_spool_dir

_log = logging.getLogger(__name__)
_DISK_FULL = (errno.ENOSPC, errno.EDQUOT)
_DISK_FULL_SENTENCE = "The disk holding the catalog is full. Free some space and try again."


def ingest_blocked_sentence(exc: CatalogNotWritable) -> str:
    """One line saying that new points wait in their spools and what is shown meanwhile."""
    why = str(exc).splitlines()[0] if str(exc) else _DISK_FULL_SENTENCE
    return (
        f"New points could not be stored: {why} Until then, what is already stored is shown "
        "(the points wait in their spools)."
    )


@dataclass(frozen=True)
class IngestReport:
    """What one ingest pass did.

    Attributes:
        changed_runs: ids of runs that got new events (new runs included).
        new_runs: ids of runs seen for the first time.
        points: metric points stored.
        problems: one sentence per skipped spool line or unreadable spool.
        reclaimed_bytes: spool bytes of ended runs removed once ingested.
        changes: per changed run, the keys stored and each metric key's new sequence range.
    """

    changed_runs: frozenset[str] = frozenset()
    new_runs: frozenset[str] = frozenset()
    points: int = 0
    problems: list[str] = field(default_factory=list)
    reclaimed_bytes: int = 0
    changes: IngestChanges = field(default_factory=IngestChanges)


class ExperimentService(RunEdits, CatalogService):
    """Facade over the catalog for everything the Experiments pane and ``runs`` commands need.

    Thread-safe: every method opens its own catalog session. Methods are synchronous and may
    take long on big catalogs: the GUI calls them from worker threads only.
    """

    def __init__(self, catalog: Catalog, home: Path) -> None:
        super().__init__(catalog, home)
        self._ingester = Ingester(catalog, self.home)
        self._ingest_lock = threading.Lock()

    @property
    def keep_spools(self) -> bool:
        """Keep the raw spools of ended runs (the ``keep_spools`` setting); by default their
        events are reclaimed once ingested."""
        return not self._ingester.reclaim

    @keep_spools.setter
    def keep_spools(self, keep: bool) -> None:
        self._ingester.reclaim = not keep

    def ingest(self) -> IngestReport:
        """Move every local spool's new events into the catalog, exactly once.

        Raises:
            CatalogNotWritable: the catalog's disk is full or the catalog is read-only (what
                it holds can still be read; the points stay in their spools).
            CatalogUnavailable: the catalog is locked or unreachable.
        """
        with self._ingest_lock:
            try:
                r = self._ingester.run_pass()
            except OSError as exc:
                if exc.errno in _DISK_FULL:
                    raise CatalogNotWritable(_DISK_FULL_SENTENCE) from exc
                if exc.errno == errno.EROFS:
                    raise CatalogNotWritable(
                        "The catalog's file system is read-only. Open a catalog you may write to."
                    ) from exc
                raise
        for problem in r.problems:
            _log.warning("Ingest skipped data: %s", problem)
        return IngestReport(
            changed_runs=frozenset(r.changed_runs),
            new_runs=frozenset(r.new_runs),
            points=r.points,
            problems=r.problems,
            reclaimed_bytes=r.reclaimed_bytes,
            changes=r.changes.freeze(),
        )

    def list_experiments(self) -> list[Experiment]:
        """All experiments, by name, with run counts."""
        with self.catalog.session_scope() as s:
            return run_queries.list_experiments(s)

    def list_runs(
        self, experiment: str | None = None, query: str | None = None
    ) -> list[RunSummary]:
        """Runs, newest first, optionally of one experiment and matching a filter query.

        Raises:
            ExperimentNotFound: no experiment of that name.
            QueryError: the query is malformed (the message points at the column).
        """
        parsed = None
        if query and query.strip():
            from mlops_desktop.core.query import parse_query

            parsed = parse_query(query)  # fail on a malformed query before any database work
        with self.catalog.session_scope() as s:
            exp_id = None if experiment is None else run_queries.experiment_id_of(s, experiment)
            if parsed is None or parsed.expr is None:
                return run_queries.summaries(s, experiment_id=exp_id)
            return run_queries.filtered_summaries(s, parsed, experiment_id=exp_id)

    def get_run(self, run_id: str) -> RunDetail:
        """One run by id or unique id prefix (at least 4 characters).

        Raises:
            RunNotFound: no run, or the prefix matches several.
        """
        with self.catalog.session_scope() as s:
            return run_detail.run_detail(s, self.home, run_id)

    def running_processes(self) -> list[RunProcess]:
        """The running runs with the host and pid of their tracking client."""
        with self.catalog.session_scope() as s:
            return run_queries.running_processes(s)

    def run_names(self, run_ids: Iterable[str]) -> dict[str, str]:
        """Names of runs by id (unknown ids left out)."""
        with self.catalog.session_scope() as s:
            return run_queries.run_names(s, run_ids)

    def resolve_run_id(self, run_id: str) -> str:
        """The full id of a run given by id or unique prefix (raises RunNotFound)."""
        with self.catalog.session_scope() as s:
            return run_queries.resolve_run_id(s, run_id)

    def metric_keys(self, run_ids: list[str]) -> list[str]:
        """Metric keys that any of the runs has, sorted."""
        with self.catalog.session_scope() as s:
            return run_detail.metric_keys(s, list(run_ids))

    def metric_series(self, run_id: str, key: str) -> MetricSeries:
        """A whole metric series in step order of logging (numpy arrays, no ORM rows).

        Raises:
            RunNotFound, MetricNotFound.
        """
        with self.catalog.session_scope() as s:
            return run_detail.metric_series(s, run_id, key)

    def metric_series_after(
        self, run_id: str, key: str, after: run_detail.MetricCursor | None = None
    ) -> tuple[MetricSeries, run_detail.MetricCursor]:
        """The points of a series stored after the cursor ``after`` (all with None), and the
        cursor to pass next time: a live chart reads only what is new.

        Raises:
            RunNotFound, MetricNotFound (only when ``after`` is None).
        """
        with self.catalog.session_scope() as s:
            return run_detail.metric_series_after(s, run_id, key, after)

    def system_metrics(self, run_id: str) -> RunSystemMetrics:
        """A run's ``sys/`` series (CPU, RAM, each leased GPU) and its energy with its source.

        Raises:
            RunNotFound.
        """
        with self.catalog.session_scope() as s:
            summary = run_queries.summaries(s, run_ids=[run_id])
            if not summary:
                raise RunNotFound(f"No run {run_id!r}.")
            keys = [k for k in run_detail.metric_keys(s, [run_id]) if k.startswith(SYSTEM_PREFIX)]
            series = {}
            for key in keys:
                got = run_detail.metric_series(s, run_id, key)
                series[key] = (got.timestamps, got.values)
        energy = None
        if "sys/energy_j" in series:
            values = series["sys/energy_j"][1]
            finite = values[np.isfinite(values)]
            energy = float(finite[-1]) if len(finite) else None
        source = summary[0].tags.get(ENERGY_SOURCE_TAG)
        return RunSystemMetrics(
            run_id,
            summary[0].started_at,
            series,
            energy,
            source if source in (ENERGY_COUNTER, ENERGY_INTEGRATED) else None,
        )

    def set_notes(self, run_id: str, notes: str) -> None:
        """Replace a run's notes (markdown text)."""
        with self.catalog.session_scope(write=True) as s:
            run_detail.set_notes(s, run_id, notes)

    def read_log(self, run_id: str, offset: int = 0, max_bytes: int = 1 << 20) -> tuple[str, int]:
        """Text of the run's log from ``offset``; returns (text, next offset). Empty if none.

        The text ends at a line end when the read stops early, so a multibyte character is
        never split; a single line longer than ``max_bytes`` ends at a character boundary.
        """
        try:
            rid = self.resolve_run_id(run_id)
        except Exception:
            rid = run_id
        return read_log_text(run_spool_dir(self.home, rid) / LOG_FILENAME, offset, max_bytes)

    # --- live updates: read only what an ingest changed ----------------------------------
    def run_summaries(self, run_ids: Iterable[str]) -> list[RunSummary]:
        """The summaries of these runs alone as listings show them, newest first (ids of no
        run, and runs in the trash, are left out).

        What a live update of the runs table reads instead of the whole experiment.
        """
        ids = sorted(set(run_ids))
        if not ids:
            return []
        with self.catalog.session_scope() as s:
            return run_listing.listed_summaries(s, ids)
