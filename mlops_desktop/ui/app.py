"""Composition root of the GUI: settings, the catalog's services, QApplication, MainWindow."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QApplication, QMessageBox

from mlops_desktop.core.errors import UserFacingError
from mlops_desktop.services.compute import JobService
from mlops_desktop.services.datasets import DatasetService
from mlops_desktop.services.experiments import ExperimentService
from mlops_desktop.services.models import ModelService
from mlops_desktop.settings import Settings
from mlops_desktop.ui.icons import app_icon
from mlops_desktop.ui.ingest_loop import IngestLoop
from mlops_desktop.ui.main_window import MainWindow
from mlops_desktop.ui.tasks import TaskRunner

APP_DISPLAY_NAME = "MLOps Desktop"
ORGANIZATION = "mlops-desktop"
_log = logging.getLogger(__name__)
_PASSWORD = re.compile(r"(://[^:/@]+:)[^@]*@")


def describe_catalog(home: Path, catalog_url: str | None) -> str:
    """Where the catalog is, for the status bar; a password in the URL is masked."""
    if not catalog_url:
        return f"SQLite: {home / 'catalog.db'}"
    return _PASSWORD.sub(r"\1***@", catalog_url)


def test_catalog_connection(home: Path, catalog_url: str) -> str:
    """Open a catalog, count its experiments, close it (runs on a worker thread).

    Raises:
        UserFacingError: the catalog cannot be reached or read.
    """
    service = ExperimentService.open(home, catalog_url or None)
    try:
        experiments = service.list_experiments()
    finally:
        service.close()
    runs = sum(e.run_count for e in experiments)
    return f"Connected: {len(experiments)} experiments, {runs} runs."


def default_services(service: ExperimentService, home: Path) -> dict[str, Any]:
    """The further services of the panes, sharing ``service``'s catalog.

    They borrow the catalog: closing ``service`` closes it once for all of them.
    """
    services: dict[str, Any] = {}
    try:
        services["datasets"] = DatasetService(service.catalog, home)
    except (NotImplementedError, UserFacingError) as exc:  # the pane says it is unavailable
        _log.warning("Datasets are unavailable: %s", exc)
    try:
        services["models"] = ModelService(service.catalog, home)
    except (NotImplementedError, UserFacingError) as exc:  # the pane says it is unavailable
        _log.warning("Models are unavailable: %s", exc)
    try:
        services["jobs"] = JobService(service.catalog, home)
    except (NotImplementedError, UserFacingError) as exc:  # the pane says it is unavailable
        _log.warning("Jobs are unavailable: %s", exc)
    return services


def build_main_window(
    service: ExperimentService,
    settings: Settings,
    home: Path,
    catalog_url: str | None = None,
    start_ingest: bool = True,
    services: dict[str, Any] | None = None,
) -> MainWindow:
    """The main window with its task runner and live ingest loop (also used by tests).

    Args:
        services: further services by name ("datasets", ...); None builds the default ones
            on ``service``'s catalog.

    Call ``window.shutdown()`` (closing the window does it) before the service is closed.
    """
    if services is None:
        services = default_services(service, home)
    runner = TaskRunner()
    ingest = IngestLoop(service, runner, settings.ingest_interval_s)
    window = MainWindow(
        service,
        settings,
        home,
        runner,
        ingest,
        catalog_text=describe_catalog(home, catalog_url or settings.catalog_url or None),
        test_connection=lambda url: test_catalog_connection(home, url),
        services=services,
    )
    runner.setParent(window)
    ingest.setParent(window)
    if start_ingest:
        ingest.start()
        jobs = window.panes.get("Jobs")
        if jobs is not None and hasattr(jobs, "start_live"):
            jobs.start_live()  # remote jobs' spools are mirrored even while the pane is hidden
    return window


def _application(argv: Sequence[str]) -> QApplication:
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(list(argv))
    app.setApplicationName(ORGANIZATION)
    app.setApplicationDisplayName(APP_DISPLAY_NAME)
    app.setOrganizationName(ORGANIZATION)
    app.setDesktopFileName(ORGANIZATION)
    app.setWindowIcon(app_icon())
    app.setStyle("Fusion")
    return app


def run_gui(home: Path, catalog_url: str | None, argv: Sequence[str]) -> int:
    """Open the app on ``home`` and run it until the window closes; returns the exit status."""
    app = _application(argv)
    settings = Settings.load(home)
    url = catalog_url or settings.catalog_url or None
    try:
        service = ExperimentService.open(home, url)  # fast: opening and migrating only
    except UserFacingError as exc:
        QMessageBox.critical(None, APP_DISPLAY_NAME, f"Cannot open the catalog.\n\n{exc}")
        return 1
    try:
        window = build_main_window(service, settings, home, url)
        window.show()
        code = app.exec()
        window.shutdown()
        return int(code)
    finally:
        service.close()


if __name__ == "__main__":  # pragma: no cover - manual start
    from mlops_desktop.settings import home_from

    raise SystemExit(run_gui(home_from(None), None, sys.argv))
