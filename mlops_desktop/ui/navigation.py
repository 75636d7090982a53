"""Typed navigation between panes, and the app-wide events panes subscribe to.

A pane never calls another pane or the main window by name. It asks the :class:`Navigator` to
go somewhere (``navigator.show_run(run_id)``); the pane that serves that kind of place said so
when it was built (``navigator.serve(ShowRun, pane, handler)``), and the navigator brings that
pane to the front and hands it the request. Adding a place (a monitor, an alert) is one request
class, one method here, and one ``serve`` call in the pane that shows it. Without a main window
(a pane in a test, or embedded) nothing serves a request and it is dropped quietly.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from mlops_desktop.core.notices import Notice

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ShowExperiment:
    """The Experiments pane with one experiment chosen."""

    name: str


@dataclass(frozen=True)
class ShowRun:
    """The Experiments pane with one run selected."""

    run_id: str


@dataclass(frozen=True)
class ShowMonitor:
    """The Monitors pane's Drift tab with one monitor selected."""

    name: str


@dataclass(frozen=True)
class ShowDataset:
    """The Datasets pane with one dataset chosen, at ``version`` (None: the latest)."""

    name: str
    version: str | None = None


@dataclass(frozen=True)
class ShowModel:
    """The Models pane with one model chosen, at ``version`` (None: the newest)."""

    name: str
    version: int | None = None


@dataclass(frozen=True)
class ShowJob:
    """The Jobs pane with the job of one run selected."""

    run_id: str


@dataclass(frozen=True)
class RegisterModel:
    """The Models pane's register dialog, filled in with a run's artifact."""

    run_id: str = ""
    artifact: str = ""


@dataclass(frozen=True)
class OpenLaunchDialog:
    """The Jobs pane's launch dialog (Run > Launch…)."""


@dataclass(frozen=True)
class OpenHostsDialog:
    """The Jobs pane's host manager (Run > Hosts…), with ``host`` selected if given."""

    host: str = ""


@dataclass(frozen=True)
class ShowPipeline:
    """The Pipelines pane with one pipeline chosen, and one of its runs (None: none)."""

    name: str
    run_id: str | None = None


@dataclass(frozen=True)
class OpenAddPipeline:
    """The Pipelines pane's file dialog to add a pipeline (File > Add pipeline…)."""


Request = (
    ShowRun
    | ShowExperiment
    | ShowMonitor
    | ShowDataset
    | ShowModel
    | ShowJob
    | RegisterModel
    | OpenLaunchDialog
    | OpenHostsDialog
    | ShowPipeline
    | OpenAddPipeline
)
R = TypeVar("R")


class Navigator(QObject):
    """Routes navigation requests to the pane that serves them.

    Signals:
        navigated(object): a request was handed to its pane (after it was brought to the front).
    """

    navigated = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._routes: dict[type, tuple[QWidget, Callable[[Any], object]]] = {}
        self._bring_to_front: Callable[[QWidget], None] = lambda _pane: None

    def set_pane_switcher(self, bring_to_front: Callable[[QWidget], None]) -> None:
        """How to show a pane (the main window's stack); panes are not switched without one."""
        self._bring_to_front = bring_to_front

    def serve(self, kind: type[R], pane: QWidget, handler: Callable[[R], object]) -> None:
        """Let ``pane`` handle requests of ``kind`` (the last pane to serve a kind wins)."""
        self._routes[kind] = (pane, handler)

    def serves(self, kind: type) -> bool:
        """True when some pane handles requests of ``kind``."""
        return kind in self._routes

    def go(self, request: Request) -> object | None:
        """Bring the serving pane to the front and hand it ``request``; returns its answer
        (a dialog it opened, say), or None when no pane serves that kind of request."""
        route = self._routes.get(type(request))
        if route is None:
            _log.debug("No pane serves %r", request)
            return None
        pane, handler = route
        self._bring_to_front(pane)
        answer = handler(request)
        self.navigated.emit(request)
        return answer

    # --- the places, by name -------------------------------------------------------------
    def show_run(self, run_id: str) -> None:
        self.go(ShowRun(run_id))

    def show_experiment(self, name: str) -> None:
        self.go(ShowExperiment(name))

    def show_monitor(self, name: str) -> None:
        self.go(ShowMonitor(name))

    def show_dataset(self, name: str, version: str | None = None) -> None:
        self.go(ShowDataset(name, version or None))

    def show_model(self, name: str, version: int | None = None) -> None:
        self.go(ShowModel(name, version))

    def show_job(self, run_id: str) -> None:
        self.go(ShowJob(run_id))

    def register_model(self, run_id: str = "", artifact: str = "") -> object | None:
        return self.go(RegisterModel(run_id, artifact))

    def open_launch_dialog(self) -> object | None:
        return self.go(OpenLaunchDialog())

    def open_hosts_dialog(self, host: str = "") -> object | None:
        return self.go(OpenHostsDialog(host))

    def show_pipeline(self, name: str, run_id: str | None = None) -> None:
        self.go(ShowPipeline(name, run_id))

    def open_add_pipeline(self) -> object | None:
        return self.go(OpenAddPipeline())


class AppEvents(QObject):
    """What happens app-wide that panes may follow, and their way to the status bar.

    Signals:
        themeChanged(bool): the effective theme changed; True for dark.
        settingsChanged(): Preferences saved new settings.
        statusMessage(str, int): a short message for the status bar, and for how long (ms).
        notification(str, str): something a person should know even while working in another
            window (title, text), of no particular kind.
        notices(list[Notice]): things to tell the person (a run ended, a job was lost, GPUs
            idle, a monitor alert); the main window's notification centre delivers them.
        idleRunsChanged(object): {run id: why} of running runs whose GPUs stay idle.
    """

    themeChanged = Signal(bool)
    settingsChanged = Signal()
    statusMessage = Signal(str, int)
    notification = Signal(str, str)
    notices = Signal(object)
    idleRunsChanged = Signal(object)

    def notify(self, title: str, text: str) -> None:
        """Tell the person ``text`` (the status bar, and the desktop's notifications)."""
        self.notification.emit(title, text)

    def post_notices(self, notices: list[Notice]) -> None:
        """Tell the person ``notices`` (as the kinds turned on in Preferences allow)."""
        if notices:
            self.notices.emit(list(notices))

    def show_status(self, text: str, timeout_ms: int = 5000) -> None:
        """Show ``text`` in the status bar for ``timeout_ms`` (nothing without a window)."""
        self.statusMessage.emit(text, timeout_ms)
