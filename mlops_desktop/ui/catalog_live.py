"""Live across desktops: the catalog's change feed as Qt signals on the GUI thread.

The feed (``services/catalog_changes.py``) calls back on its own thread; :class:`CatalogLive`
re-emits each change through a queued signal, gathers what arrives within
:data:`COALESCE_MS` and then tells the panes once: a burst of notifications (another desktop
ingesting ten runs, a command registering a model and moving its alias) is one reload per pane.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal

from mlops_desktop.core.catalog_changes import (
    AREA_DATASETS,
    AREA_JOBS,
    AREA_MODELS,
    AREA_MONITORS,
    AREA_PIPELINES,
    AREA_RUNS,
    RUNS,
    CatalogChange,
)
from mlops_desktop.services.catalog_changes import CatalogChangeService, ChangeWatch

COALESCE_MS = 200


class CatalogLive(QObject):
    """Tells the panes what other desktops and programs changed in the catalog.

    Signals:
        newRuns(frozenset[str]): runs another desktop ingested for the first time.
        runsChanged(frozenset[str]): runs another desktop ingested events of (after ``newRuns``).
        runsReload(): runs changed, which ones unknown (SQLite, a reconnect): reload them.
        modelsChanged(): a model version, alias or other model change: reload models.
        datasetsChanged(): a new dataset version: reload datasets.
        jobsChanged(): a job was submitted or changed state: reload jobs.
        monitorsChanged(): a monitor or its alerts changed: reload monitors.
        pipelinesChanged(): a pipeline, pipeline run, trigger or gate changed: reload pipelines.
        problem(str): the listener lost its connection ("" when it is back).
    """

    newRuns = Signal(object)
    runsChanged = Signal(object)
    runsReload = Signal()
    modelsChanged = Signal()
    datasetsChanged = Signal()
    jobsChanged = Signal()
    monitorsChanged = Signal()
    pipelinesChanged = Signal()
    problem = Signal(str)
    _heard = Signal(object)  # emitted on the feed's thread, delivered queued
    _problem_heard = Signal(str)

    def __init__(
        self,
        service: CatalogChangeService,
        coalesce_ms: int = COALESCE_MS,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._service = service
        self._watch: ChangeWatch | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(coalesce_ms)
        self._timer.timeout.connect(self._flush)
        self._heard.connect(self._on_heard)
        self._problem_heard.connect(self.problem)
        self._clear()
        self.changes_heard = 0  # how many changes arrived (tests, the status tooltip)

    @property
    def running(self) -> bool:
        return self._watch is not None

    def start(self) -> None:
        """Start hearing changes (the feed opens its connection on its own thread)."""
        if self._watch is None:
            self._watch = self._service.watch(self._heard.emit, self._problem_heard.emit)

    def stop(self) -> None:
        """Stop hearing changes; waits for the feed's thread (a fraction of a second)."""
        watch, self._watch = self._watch, None
        if watch is not None:
            watch.close()
        self._timer.stop()
        self._clear()

    # --- slots ---------------------------------------------------------------------------
    def _on_heard(self, change: CatalogChange) -> None:
        if self._watch is None:
            return  # queued before stop()
        self.changes_heard += 1
        if change.kind == RUNS and change.ids:
            self._run_ids |= change.ids
            self._new_ids |= change.new_ids
        else:
            self._areas |= change.areas
        if not self._timer.isActive():
            self._timer.start()

    def _flush(self) -> None:
        areas, run_ids, new_ids = self._areas, self._run_ids, self._new_ids
        self._clear()
        if AREA_RUNS in areas:
            self.runsReload.emit()
        else:
            if new_ids:
                self.newRuns.emit(frozenset(new_ids))
            if run_ids:
                self.runsChanged.emit(frozenset(run_ids))
        if AREA_MODELS in areas:
            self.modelsChanged.emit()
        if AREA_DATASETS in areas:
            self.datasetsChanged.emit()
        if AREA_JOBS in areas:
            self.jobsChanged.emit()
        if AREA_MONITORS in areas:
            self.monitorsChanged.emit()
        if AREA_PIPELINES in areas:
            self.pipelinesChanged.emit()

    def _clear(self) -> None:
        self._areas: set[str] = set()
        self._run_ids: set[str] = set()
        self._new_ids: set[str] = set()
