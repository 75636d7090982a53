"""GUI fixtures: runs written as spools by hand, a real ExperimentService, a task runner."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from gui_spools import write_run

from mlops_desktop.services.bundle import Services
from mlops_desktop.services.experiments import ExperimentService

pytest_plugins = ["pg_fixture"]  # a real PostgreSQL server (``tests/pg_fixture.py``)


@pytest.fixture
def home(temp_home: Path) -> Path:
    return temp_home


@pytest.fixture
def services(home: Path) -> Iterator[Services]:
    opened = Services.open(home)
    yield opened
    opened.close()


@pytest.fixture
def service(services: Services) -> ExperimentService:
    return services.experiments


@pytest.fixture
def runner(qtbot: Any) -> Iterator[Any]:
    from mlops_desktop.ui.tasks import TaskRunner

    task_runner = TaskRunner()
    yield task_runner
    assert task_runner.shutdown()


@pytest.fixture
def three_experiments(home: Path, service: ExperimentService) -> dict[str, list[str]]:
    """digits: 6 runs (acc 0.5..1.0), cifar: 3 runs, tabular: 1 running run; ingested."""
    ids: dict[str, list[str]] = {"digits": [], "cifar": [], "tabular": []}
    t0 = time.time() - 1000
    for i in range(6):
        acc = 0.5 + i * 0.1
        ids["digits"].append(
            write_run(
                home,
                "digits",
                f"digits-{i}",
                params={"lr": 0.01 * (i + 1), "depth": i},
                metrics={"acc": [acc / 2, acc], "loss": [1.0, 1 - acc]},
                log=f"epoch 1 of digits-{i}\nepoch 2 of digits-{i}\n",
                started_at=t0 + i,
            )
        )
    for i in range(3):
        ids["cifar"].append(
            write_run(
                home,
                "cifar",
                f"cifar-{i}",
                params={"lr": 0.1},
                metrics={"acc": [math.nan]},
                started_at=t0 + 10 + i,
            )
        )
    ids["tabular"].append(write_run(home, "tabular", "live", status=None, started_at=t0 + 20))
    service.ingest()
    return ids


@pytest.fixture(autouse=True)
def _restore_theme(qapp: Any) -> Iterator[None]:
    """Undo a test's theme change: app palette, colour-scheme request, pyqtgraph colours."""
    import pyqtgraph as pg
    from PySide6.QtGui import QGuiApplication

    palette = qapp.palette()
    options = {k: pg.getConfigOption(k) for k in ("background", "foreground")}
    yield
    hints = QGuiApplication.styleHints()
    if hasattr(hints, "unsetColorScheme"):
        hints.unsetColorScheme()
    qapp.setPalette(palette)
    pg.setConfigOptions(**options)
