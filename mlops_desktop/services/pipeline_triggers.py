"""Continuous training: what starts a pipeline besides a person, recorded once per event.

A pipeline is started by a new version of a dataset it reads (listed in its ``triggers.datasets``,
or a stage's unpinned ``datasets`` dep), an alert of a monitor (listed in ``triggers.monitors``,
or a monitor whose retrain command is ``pipeline:NAME``), or its ``schedule`` while the app runs.
Every trigger is a ``pipeline_trigger`` row with a ``dedupe_key`` naming the event
("wine:dataset:wine:4", "wine:alert:12", "wine:schedule:4711"), unique in the catalog: two
desktops that hear one event record it once, and only the one that recorded it starts the run.

The service does not run pipelines: it calls ``start(pipeline_path, kind, detail)``, which the
pipeline runner provides and which returns promptly (the run goes on in the background) with the
new pipeline run's id (or an object with a ``run_id``), and records what it started. A dataset
version or an alert heard while a run of that pipeline is going is left for a later
:meth:`check` (it may start one when that run ended); a schedule slot is recorded as skipped.

The app calls :meth:`check` each minute and when another desktop adds a dataset version (the
live feed's ``datasetsChanged``), so versions added by ``data add`` anywhere are found; the
hooks :meth:`on_dataset_version` and :meth:`on_alert` start at once what a new version or an
alert of this desktop triggers.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from mlops_desktop.catalog import pipeline_records, pipeline_repo
from mlops_desktop.catalog.engine import Catalog
from mlops_desktop.core.errors import PipelineError, UserFacingError
from mlops_desktop.core.pipelines import PipelineInfo, TriggerEvent

log = logging.getLogger(__name__)

StartPipeline = Callable[[str, str, str], Any]
# A pipeline run older than this is taken as abandoned (an app that quit mid-run), not going.
GOING_FOR_AT_MOST_S = 24 * 3600.0
PIPELINE_PREFIX = "pipeline:"  # a monitor's retrain command naming a pipeline


def interval_words(seconds: float) -> str:
    """ "every 6 h", "every 30 min", "every 1 d", "every 90 s"."""
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size and seconds % size == 0:
            return f"every {int(seconds // size)} {unit}"
    return f"every {seconds:g} s"


class PipelineTriggerService:
    """Fires pipelines' triggers (thread-safe: every call opens its own sessions).

    Args:
        catalog: the open catalog.
        datasets: the DatasetService (``versions(name)``, newest first).
        monitors: the MonitorService (``list_monitors()``, ``alerts(name)``).
        start: starts a pipeline run: ``start(pipeline_path, kind, detail)`` -> its run id.
        recover: ends the runs whose process died (``PipelineService.recover``), called
            before a trigger asks whether a run of its pipeline is going.
    """

    def __init__(
        self,
        catalog: Catalog,
        datasets: Any,
        monitors: Any,
        start: StartPipeline,
        recover: Callable[[], Any] | None = None,
    ):
        self.catalog = catalog
        self.datasets = datasets
        self.monitors = monitors
        self.start = start
        self.recover = recover
        self._datasets_of: dict[str, tuple[int, frozenset[str]]] = {}  # path -> (mtime, names)

    # -- firing -------------------------------------------------------------------------------

    def fire(
        self, pipeline: str, kind: str, detail: str, dedupe_key: str | None = None
    ) -> TriggerEvent | None:
        """Record a trigger and start the pipeline; None when the event was recorded already
        (here or on another desktop), or, for a dataset or monitor, while a run is going.

        Raises:
            PipelineError: the catalog knows no pipeline of that name.
        """
        if self.recover is not None:
            self.recover()  # a run whose process died is not going: it is ended first
        now = time.time()
        with self.catalog.session_scope(write=True) as s:
            info = pipeline_repo.get_pipeline(s, pipeline)
            if info is None:
                raise PipelineError(
                    f"No pipeline is called {pipeline!r}; add it with `pipelines run FILE` or "
                    "File > Add pipeline…, then its triggers fire."
                )
            going = [
                r
                for r in pipeline_repo.list_pipeline_runs(s, pipeline, limit=1, state="running")
                if r.started_at > now - GOING_FOR_AT_MOST_S
            ]
            if going and kind in ("dataset", "monitor"):
                return None  # left for a later check, once that run ended
            outcome = (
                f"a run of this pipeline was already going ({going[0].run_id})" if going else ""
            )
            event = pipeline_records.record_trigger(
                s, pipeline, kind, detail, dedupe_key, now, outcome
            )
        if event is None or going:
            return event
        return self._start(info, event)

    def _start(self, info: PipelineInfo, event: TriggerEvent) -> TriggerEvent:
        try:
            started = self.start(info.path, event.kind, event.detail)
        except UserFacingError as exc:
            outcome, run_id = f"not started: {exc}", None
        else:
            run_id = started if isinstance(started, str) else getattr(started, "run_id", None)
            outcome = "started" if run_id else "not started"
        with self.catalog.session_scope(write=True) as s:
            pipeline_records.set_trigger_outcome(s, event.id, run_id, outcome)
        return dataclasses.replace(event, pipeline_run_id=run_id, outcome=outcome)

    def _fire_new(self, pipeline: str, kind: str, detail: str, key: str) -> TriggerEvent | None:
        """:meth:`fire` unless ``key`` was recorded already (a read first: checks that find
        nothing new write nothing)."""
        with self.catalog.session_scope() as s:
            if pipeline_records.trigger_exists(s, key):
                return None
        return self.fire(pipeline, kind, detail, key)

    # -- what each pipeline listens to ----------------------------------------------------------

    def _pipelines(self) -> list[PipelineInfo]:
        with self.catalog.session_scope() as s:
            return pipeline_repo.list_pipelines(s)

    def _stage_datasets(self, info: PipelineInfo) -> frozenset[str]:
        """The datasets the pipeline's stages read at their newest version (the file is read
        again only when it changed; a file that is gone or broken reads none)."""
        from mlops_desktop.pipelines.spec import load_pipeline

        path = Path(info.path)
        try:
            mtime = path.stat().st_mtime_ns
        except OSError:
            return frozenset()
        known = self._datasets_of.get(info.path)
        if known is not None and known[0] == mtime:
            return known[1]
        try:
            pipeline = load_pipeline(path)
        except PipelineError as exc:
            log.warning("pipeline %s: its dataset triggers are off: %s", info.name, exc)
            names: frozenset[str] = frozenset()
        else:
            names = frozenset(
                d.name for st in pipeline.stages for d in st.datasets if d.version is None
            )
        self._datasets_of[info.path] = (mtime, names)
        return names

    def _reads(self, info: PipelineInfo, dataset: str) -> bool:
        return dataset in info.triggers.datasets or dataset in self._stage_datasets(info)

    def _monitor_pipelines(self) -> dict[str, set[str]]:
        """Monitor name -> the pipelines its alerts start (their triggers, its retrain)."""
        out: dict[str, set[str]] = {}
        for info in self._pipelines():
            for monitor in info.triggers.monitors:
                out.setdefault(monitor, set()).add(info.name)
        for monitor in self.monitors.list_monitors():
            ref = retrain_pipeline(monitor.retrain)
            if ref is None:
                continue
            workdir = monitor.retrain.workdir if monitor.retrain else None
            try:
                name = self.pipeline_named(ref, workdir)
            except PipelineError as exc:
                log.warning("monitor %s: its alerts start no pipeline: %s", monitor.name, exc)
                continue
            out.setdefault(monitor.name, set()).add(name)
        return out

    def pipeline_named(self, ref: str, workdir: str | None = None) -> str:
        """The catalog's name of the pipeline ``ref`` names: a pipeline the catalog knows, or
        the path of a pipeline file or folder (relative to ``workdir``), added to the catalog
        when it is not there yet.

        Raises:
            PipelineError: ``ref`` is neither, or the file is malformed.
        """
        with self.catalog.session_scope() as s:
            if pipeline_repo.get_pipeline(s, ref) is not None:
                return ref
        path = Path(workdir or ".", ref).expanduser()
        if not path.exists():
            raise PipelineError(
                f"The retrain command names pipeline {ref!r}, which is neither a pipeline the "
                "catalog knows nor a pipeline file or folder; run it once with `pipelines run "
                "FILE`, or give its path (pipeline:PATH)."
            )
        from mlops_desktop.pipelines.spec import load_pipeline

        pipeline = load_pipeline(path.resolve())
        with self.catalog.session_scope() as s:
            known = pipeline_repo.get_pipeline(s, pipeline.name)
        if known is not None and Path(known.path) != pipeline.path:
            raise PipelineError(
                f"The retrain command names {pipeline.path}, a pipeline called {pipeline.name} "
                f"like the one the catalog knows at {known.path}; give that name instead "
                "(pipeline:NAME), or another name in the file's `name:`."
            )
        if known is None:
            with self.catalog.session_scope(write=True) as s:
                pipeline_repo.save_pipeline(s, pipeline)
        return pipeline.name

    # -- events -------------------------------------------------------------------------------

    def on_dataset_version(self, dataset: str, number: int) -> list[TriggerEvent]:
        """Start the pipelines that read ``dataset`` for its new version ``number``."""
        return self._fired(
            self._fire_new(
                info.name, "dataset", f"{dataset} v{number}", _dataset_key(info, dataset, number)
            )
            for info in self._pipelines()
            if self._reads(info, dataset)
        )

    def on_alert(self, monitor: str, alert_id: int) -> list[TriggerEvent]:
        """Start the pipelines that an alert of ``monitor`` starts."""
        pipelines = sorted(self._monitor_pipelines().get(monitor, ()))
        return self._fired(
            self._fire_new(
                name, "monitor", alert_detail(monitor, alert_id), alert_key(name, alert_id)
            )
            for name in pipelines
        )

    def check_datasets(self) -> list[TriggerEvent]:
        """Fire for each dataset's newest version added after the pipeline was, once."""
        fired: list[TriggerEvent | None] = []
        for info in self._pipelines():
            names = set(info.triggers.datasets) | self._stage_datasets(info)
            for name in sorted(names):
                try:
                    newest = self.datasets.versions(name)[:1]
                except UserFacingError:
                    continue  # not registered (yet)
                if newest and newest[0].created_at > info.added_at:
                    number = newest[0].number
                    key = _dataset_key(info, name, number)
                    fired.append(self._fire_new(info.name, "dataset", f"{name} v{number}", key))
        return self._fired(fired)

    def check_alerts(self) -> list[TriggerEvent]:
        """Fire for each monitor's newest alert raised after the pipeline was added, once."""
        added = {info.name: info.added_at for info in self._pipelines()}
        fired: list[TriggerEvent | None] = []
        for monitor, pipelines in sorted(self._monitor_pipelines().items()):
            try:
                alerts = self.monitors.alerts(monitor)
            except UserFacingError:
                continue
            for name in sorted(pipelines):
                newer = [a for a in alerts if name in added and a.created_at > added[name]]
                if newer:
                    alert = max(newer, key=lambda a: a.id)
                    detail = alert_detail(monitor, alert.id)
                    fired.append(self._fire_new(name, "monitor", detail, alert_key(name, alert.id)))
        return self._fired(fired)

    def due(self, now: float | None = None) -> list[TriggerEvent]:
        """Fire each scheduled pipeline whose interval slot changed since it was added: slots
        are ``floor(epoch / interval)``, the same on every desktop, each fired once."""
        now = time.time() if now is None else now
        fired: list[TriggerEvent | None] = []
        for info in self._pipelines():
            every = info.triggers.schedule_s
            if not every or every <= 0:
                continue
            slot = math.floor(now / every)
            if slot <= math.floor(info.added_at / every):
                continue
            key = f"{info.name}:schedule:{slot}"
            fired.append(self._fire_new(info.name, "schedule", interval_words(every), key))
        return self._fired(fired)

    def check(self, now: float | None = None) -> list[TriggerEvent]:
        """Every kind of trigger: new dataset versions, new alerts, due schedules."""
        return [*self.check_datasets(), *self.check_alerts(), *self.due(now)]

    @staticmethod
    def _fired(events: Iterable[TriggerEvent | None]) -> list[TriggerEvent]:
        return [e for e in events if e is not None]


def retrain_pipeline(retrain: Any) -> str | None:
    """The pipeline a monitor's retrain spec names (its command is the one word
    ``pipeline:NAME`` or ``pipeline:PATH``), else None."""
    command = tuple(retrain.command) if retrain is not None else ()
    if len(command) == 1 and command[0].startswith(PIPELINE_PREFIX):
        return command[0][len(PIPELINE_PREFIX) :].strip() or None
    return None


def alert_key(pipeline: str, alert_id: int) -> str:
    """The dedupe key of an alert starting ``pipeline`` (one run per alert, on any desktop)."""
    return f"{pipeline}:alert:{alert_id}"


def alert_detail(monitor: str, alert_id: int) -> str:
    return f"alert {alert_id} of {monitor}"


def _dataset_key(info: PipelineInfo, dataset: str, number: int) -> str:
    return f"{info.name}:dataset:{dataset}:{number}"
