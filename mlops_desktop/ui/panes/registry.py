"""The pane registry: each pane registers its name, icon, order and factory; the base class.

The registry knows no pane. Each pane is a subpackage of ``mlops_desktop.ui.panes`` whose
``pane`` module calls :func:`register_pane` at import time; :func:`discover_panes` imports them.
Every pane derives from :class:`Pane`, so the main window asks each the same questions
(refresh, focus the filter, save and restore its layout, shut down) without guessing.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QByteArray, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QSplitter, QWidget

from mlops_desktop.ui.navigation import AppEvents, Navigator

if TYPE_CHECKING:
    from mlops_desktop.services.bundle import Services
    from mlops_desktop.settings import Settings
    from mlops_desktop.ui.catalog_live import CatalogLive
    from mlops_desktop.ui.live import IngestLoop
    from mlops_desktop.ui.pipeline_triggers import PipelineTriggerLoop
    from mlops_desktop.ui.read_only import WriteGuard
    from mlops_desktop.ui.tasks import TaskRunner


class Pane(QWidget):
    """A pane of the main window. Every method has a default that does nothing.

    Attributes:
        navigator: where the pane asks to show another pane's place (a fresh one, serving
            nothing, when the pane runs without a main window).
        events: theme and settings changes, and the way to the status bar.

    Signals:
        selectionChanged(): what :meth:`selection_state` returns may have changed (the window
            saves its state a moment later).
    """

    selectionChanged = Signal()

    def __init__(
        self,
        navigator: Navigator | None = None,
        events: AppEvents | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.navigator = navigator or Navigator(self)
        self.events = events or AppEvents(self)

    def refresh(self) -> None:
        """Reload what the pane shows (View > Refresh, F5)."""

    def focus_filter(self) -> None:
        """Put the keyboard focus in the pane's filter box (Ctrl+F)."""

    def start_live(self) -> None:
        """Start live work that runs even while the pane is hidden (the app calls it at start)."""

    def write_controls(self) -> list[QAction | QWidget]:
        """The actions, buttons and editors that change the catalog (disabled, with the
        reason, when the catalog takes no writes)."""
        return []

    def enter_read_only(self, guard: WriteGuard) -> None:
        """The catalog takes no writes: disable :meth:`write_controls` (before
        :meth:`start_live`); a pane with live work that writes also stops it here."""
        guard.guard(*self.write_controls())

    def shutdown(self) -> None:
        """Stop timers and live work (the window is closing)."""

    def layout_splitters(self) -> list[QSplitter]:
        """The splitters whose sizes are kept from one session to the next."""
        return []

    def save_state(self) -> str | None:
        """The pane's layout to restore next time; None: nothing to keep."""
        splitters = self.layout_splitters()
        if not splitters:
            return None
        return "|".join(bytes(s.saveState().toBase64().data()).decode() for s in splitters)

    def restore_state(self, state: str) -> None:
        """Put back a layout :meth:`save_state` returned (one of another shape is ignored)."""
        splitters = self.layout_splitters()
        parts = state.split("|")
        if len(parts) == len(splitters):
            for splitter, part in zip(splitters, parts):
                splitter.restoreState(QByteArray.fromBase64(part.encode()))

    def selection_state(self) -> dict[str, Any]:
        """What is chosen in the pane (plain JSON values), to choose again next time."""
        return {}

    def restore_selection(self, state: dict[str, Any]) -> None:
        """Choose again what :meth:`selection_state` returned; what no longer exists (or a
        value of the wrong type) is passed over quietly."""


@dataclass
class PaneContext:
    """What a pane factory gets: the services and the app-wide objects it may subscribe to.

    Attributes:
        home: the app's home folder.
        settings: the live settings (Preferences edits this object, then saves it).
        services: the app's services on one catalog.
        runner: the TaskRunner every service call goes through.
        navigator: where a pane asks to show a place of another pane (and serves its own).
        events: theme and settings changes, and the way to the status bar.
        ingest: the live ingest loop (signals ``runsChanged``/``newRuns``), None in some tests.
        catalog_live: what other desktops change in the catalog (signals ``runsChanged``,
            ``modelsChanged``...), None in some tests.
        pipeline_triggers: the app's trigger loop (signals ``stageChanged``, ``runEnded`` of
            the pipeline runs triggers started), None in some tests.
    """

    home: Path
    settings: Settings
    services: Services
    runner: TaskRunner
    navigator: Navigator
    events: AppEvents
    ingest: IngestLoop | None = None
    catalog_live: CatalogLive | None = None
    pipeline_triggers: PipelineTriggerLoop | None = None


PaneFactory = Callable[[PaneContext], Pane]


@dataclass(frozen=True)
class PaneSpec:
    """One registered pane."""

    name: str
    icon: str  # a resource name: ``ui/resources/<icon>.svg``
    order: int
    factory: PaneFactory


_PANES: dict[str, PaneSpec] = {}


def register_pane(name: str, icon: str, order: int, factory: PaneFactory) -> None:
    """Add a pane, or replace the one of the same name.

    Args:
        name: shown in the navigation bar and the View menu.
        icon: resource name of its SVG icon.
        order: position in the navigation bar (lower first).
        factory: builds the pane from a :class:`PaneContext`.
    """
    _PANES[name] = PaneSpec(name, icon, order, factory)


def unregister_pane(name: str) -> None:
    """Remove a pane (tests)."""
    _PANES.pop(name, None)


def registered_panes() -> list[PaneSpec]:
    """Every registered pane, in navigation order."""
    return sorted(_PANES.values(), key=lambda spec: (spec.order, spec.name))


def discover_panes() -> list[PaneSpec]:
    """Import the ``pane`` module of every pane subpackage so panes register; return them."""
    package = importlib.import_module("mlops_desktop.ui.panes")
    for info in pkgutil.iter_modules(package.__path__):
        if info.ispkg and not info.name.startswith("_"):
            importlib.import_module(f"{package.__name__}.{info.name}.pane")
    return registered_panes()
