"""Composition root of the GUI: settings, the catalog's services, QApplication, MainWindow."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtDBus import QDBusConnection
from PySide6.QtWidgets import QApplication, QMessageBox

from mlops_desktop.app_log import log_env_summary, setup_logging
from mlops_desktop.core.errors import UserFacingError
from mlops_desktop.services.bundle import Services
from mlops_desktop.services.experiments import ExperimentService
from mlops_desktop.settings import Settings
from mlops_desktop.single_instance import (
    InstanceNotAnswering,
    ShowRequest,
    StartClaim,
    claim_or_hand_over,
    instance_address,
)
from mlops_desktop.ui.catalog_live import CatalogLive
from mlops_desktop.ui.failures import FailureReporter
from mlops_desktop.ui.formatting import count_noun
from mlops_desktop.ui.icons import app_icon
from mlops_desktop.ui.instance_server import InstanceServer, show_request
from mlops_desktop.ui.live import IngestLoop
from mlops_desktop.ui.main_window import MainWindow
from mlops_desktop.ui.startup_probe import arm_quit_when_shown
from mlops_desktop.ui.tasks import TaskRunner

APP_DISPLAY_NAME = "MLOps Desktop"
ORGANIZATION = "mlops-desktop"
_PASSWORD = re.compile(r"(://[^:/@]+:)[^@]*@")
_log = logging.getLogger(__name__)


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
    return f"Connected: {count_noun(len(experiments), 'experiment')}, {count_noun(runs, 'run')}."


def build_main_window(
    services: Services,
    settings: Settings,
    catalog_url: str | None = None,
    start_ingest: bool = True,
    reporter: FailureReporter | None = None,
    tray_available: bool | None = None,
    notification_bus: QDBusConnection | None = None,
) -> MainWindow:
    """The main window with its task runner and live ingest loop (also used by tests).

    Args:
        services: the app's services; the window borrows them (close them after it).
        catalog_url: the catalog's URL as given (for the status bar); None: the home's.
        start_ingest: start the live ingest and jobs loops, and hearing other desktops'
            changes, now.
        reporter: where failures go (None: the runner's own).
        tray_available, notification_bus: stand-ins for the desktop's tray and session bus
            (tests; None: the desktop's own).

    Call ``window.shutdown()`` (closing the window does it) before the services are closed.
    """
    home = services.home
    services.experiments.keep_spools = settings.keep_spools
    runner = TaskRunner(reporter=reporter)
    ingest = IngestLoop(services.experiments, runner, settings.ingest_interval_s)
    catalog_live = CatalogLive(services.changes)
    window = MainWindow(
        services,
        settings,
        runner,
        ingest,
        catalog_text=describe_catalog(home, catalog_url or settings.catalog_url or None),
        test_connection=lambda url: test_catalog_connection(home, url),
        tray_available=tray_available,
        notification_bus=notification_bus,
        catalog_live=catalog_live,
    )
    runner.setParent(window)
    ingest.setParent(window)
    catalog_live.setParent(window)
    if start_ingest:
        ingest.start()
        catalog_live.start()
        window.pipeline_triggers.start()  # ends what an earlier app left, checks each minute
        for pane in window.panes.values():
            pane.start_live()  # remote jobs' spools are mirrored even while the pane is hidden
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


def run_gui(
    home: Path,
    catalog_url: str | None,
    argv: Sequence[str],
    settings: Settings | None = None,
    request: ShowRequest | None = None,
    address: str | None = None,
) -> int:
    """Open the app on ``home`` and run it until the window closes; returns the exit status.

    When the app already runs on ``home``, hand ``request`` over to it and return 0 at once.

    Args:
        settings: the home's settings when already loaded (None: load them).
        request: what to show once the window is up (a run, a model, a pane).
        address: where the app of this home listens (None: derived from home and catalog).
    """
    request = request or ShowRequest()
    claim = _claim(address or instance_address(home, catalog_url), request)
    if claim is None:
        return 0
    app = _application(argv)
    setup_logging(home)
    log_env_summary()
    server = InstanceServer(app)
    server.listen(claim)  # releases the claim; without a server the app runs on alone
    reporter = FailureReporter(app)
    reporter.install()
    try:
        return _run_window(
            app, home, catalog_url, settings or Settings.load(home), reporter, server, request
        )
    finally:
        reporter.uninstall()
        server.close()


def _claim(address: str, request: ShowRequest) -> StartClaim | None:
    """This start's claim on its home; None when a running app took ``request``.

    Raises:
        InstanceNotAnswering: an app runs on this home but does not answer.
    """
    try:
        return claim_or_hand_over(address, request)
    except InstanceNotAnswering:
        raise
    except Exception:  # the single-instance layer never keeps the app from starting
        _log.exception("The check for a running app failed; starting a new one")
        return StartClaim(address, None)


def _run_window(
    app: QApplication,
    home: Path,
    catalog_url: str | None,
    settings: Settings,
    reporter: FailureReporter,
    server: InstanceServer,
    request: ShowRequest,
) -> int:
    url = catalog_url or settings.catalog_url or None
    try:
        services = Services.open(home, url)  # fast: opening and migrating only
    except UserFacingError as exc:
        QMessageBox.critical(None, APP_DISPLAY_NAME, f"Cannot open the catalog.\n\n{exc}")
        return 1
    try:
        window = build_main_window(services, settings, url, reporter=reporter)
        # The window may live on hidden in the tray (and a dialog be the last one shown):
        # the app quits when the window closes for good, not when no window is shown.
        app.setQuitOnLastWindowClosed(False)
        window.closed.connect(app.quit)
        window.show()
        server.requestReceived.connect(lambda asked: show_request(window, asked))
        if request != ShowRequest():
            show_request(window, request)
        arm_quit_when_shown(app, window)
        code = app.exec()
        window.shutdown()
        return int(code)
    finally:
        services.close()


if __name__ == "__main__":  # pragma: no cover - manual start
    from mlops_desktop.settings import home_from

    raise SystemExit(run_gui(home_from(None), None, sys.argv))
