"""The live ingest on a full disk: one status-bar message, no bug report, no spam (issue 11)."""

from __future__ import annotations

from typing import Any

from mlops_desktop.core.errors import CatalogNotWritable
from mlops_desktop.services.experiments import IngestReport
from mlops_desktop.ui.live import IngestLoop
from mlops_desktop.ui.status_bar import AppStatusBar


class FullDiskService:
    """Stands in for the ExperimentService: the disk fills up, then space comes back."""

    def __init__(self) -> None:
        self.full = True
        self.calls = 0

    def ingest(self) -> IngestReport:
        self.calls += 1
        if self.full:
            raise CatalogNotWritable(
                "The disk holding the catalog is full. Free some space and try again."
            )
        return IngestReport()


def test_a_full_disk_is_said_once_in_the_status_bar(qtbot: Any, runner: Any) -> None:
    service = FullDiskService()
    loop = IngestLoop(service, runner, 60)  # type: ignore[arg-type]
    bar = AppStatusBar()
    qtbot.addWidget(bar)
    loop.problem.connect(bar.show_problem)
    said: list[str] = []
    loop.problem.connect(said.append)
    for expected_calls in (1, 2, 3):
        handle = loop.ingest_now()
        assert handle is not None
        qtbot.waitUntil(lambda n=expected_calls: service.calls == n and not loop.in_flight)
    assert len(said) == 1, said
    assert "disk holding the catalog is full" in said[0]
    assert "already stored" in said[0] and "Ingest failed" not in said[0]
    assert bar.currentMessage() == said[0]
    service.full = False
    loop.ingest_now()
    qtbot.waitUntil(lambda: service.calls == 4 and not loop.in_flight)
    assert loop.last_ingest_at is not None
    loop.deleteLater()
