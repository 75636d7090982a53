"""The pane registry: each pane module registers its name, icon, order and factory.

The registry knows no pane. Each pane is a subpackage of ``mlops_desktop.ui.panes`` whose
``pane`` module calls :func:`register_pane` at import time; :func:`discover_panes` imports them.
A pane widget may offer ``refresh()`` (View > Refresh, F5), ``focus_filter()`` (Ctrl+F) and
``shutdown()`` (window closing); the main window calls them when present.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from mlops_desktop.services.experiments import ExperimentService
    from mlops_desktop.settings import Settings
    from mlops_desktop.ui.ingest_loop import IngestLoop
    from mlops_desktop.ui.tasks import TaskRunner


@dataclass
class PaneContext:
    """What a pane factory gets: the services and the app-wide objects it may subscribe to.

    Attributes:
        home: the app's home folder.
        settings: the live settings (Preferences edits this object, then saves it).
        runner: the TaskRunner every service call goes through.
        experiments: the experiment service.
        ingest: the live ingest loop (signals ``runsChanged``/``newRuns``), None in some tests.
        window: the main window (signals ``themeChanged``, ``settingsChanged``; ``show_status``).
        services: further services by name for later panes ("datasets", "models", ...).
    """

    home: Path
    settings: Settings
    runner: TaskRunner
    experiments: ExperimentService
    ingest: IngestLoop | None = None
    window: Any = None
    services: dict[str, Any] = field(default_factory=dict)


PaneFactory = Callable[[PaneContext], "QWidget"]


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
        factory: builds the pane's widget from a :class:`PaneContext`.
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
