"""Run artifacts go to the lab store as they are ingested, on the runner.

The ingest loop says which runs logged artifacts in each pass; their artifacts are uploaded
(when a store is set) one batch at a time, never on the GUI thread and never in the way of the
next ingest. A store that cannot be reached is logged once and left for ``store sync``.
"""

from __future__ import annotations

from PySide6.QtCore import QObject

from mlops_desktop.core.run_changes import IngestChanges
from mlops_desktop.services.lab_store import LabStoreService
from mlops_desktop.ui.tasks import TaskHandle, TaskRunner, TaskState


def upload_artifacts(store: LabStoreService, run_ids: list[str], *, state: TaskState) -> None:
    store.upload_run_artifacts(run_ids)


class ArtifactUploader(QObject):
    """Uploads the artifacts of the runs an ingest pass stored artifacts for.

    Attributes:
        handle: the upload under way, if any (the next batch waits for it).
    """

    def __init__(
        self, store: LabStoreService, runner: TaskRunner, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._store = store
        self._runner = runner
        self._pending: set[str] = set()
        self.handle: TaskHandle | None = None

    def on_ingest_changes(self, changes: IngestChanges) -> None:
        """Slot for the ingest loop's ``changes``."""
        self._pending.update(rid for rid, change in changes.runs.items() if change.artifacts)
        self._start()

    def _start(self) -> None:
        if self.handle is not None or not self._pending:
            return
        batch, self._pending = sorted(self._pending), set()
        self.handle = self._runner.submit(upload_artifacts, self._store, batch)
        self.handle.finished.connect(self._on_finished)

    def _on_finished(self) -> None:
        self.handle = None
        self._start()
