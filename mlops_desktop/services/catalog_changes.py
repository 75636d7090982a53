"""Live across desktops: hear what other desktops and programs change in the shared catalog.

On PostgreSQL every ingest, new model version, alias move and new dataset version sends a
notification with its commit (``catalog/change_feed.py``); :meth:`CatalogChangeService.watch`
listens for them on a dedicated connection (``catalog/change_listen.py``), so another desktop's
change arrives within milliseconds. On SQLite it polls ``PRAGMA data_version`` twice a second
(``catalog/change_poll.py``): another program's commit (the command line, a second window on
another home sharing the file) is seen within half a second, its kind unknown.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from mlops_desktop.catalog.change_listen import PgChangeListener, listener_dsn
from mlops_desktop.catalog.change_poll import POLL_INTERVAL_S, SqliteChangePoller
from mlops_desktop.catalog.engine import Catalog
from mlops_desktop.core.catalog_changes import CatalogChange
from mlops_desktop.services.catalog_open import CatalogService


class ChangeWatch(Protocol):
    """A running feed of changes; :meth:`close` stops it and waits for its thread."""

    def close(self) -> None: ...


class CatalogChangeService(CatalogService):
    """Starts and stops the feeds of changes made to the catalog by others."""

    def __init__(self, catalog: Catalog, home: Path) -> None:
        super().__init__(catalog, home)
        self._watches: list[ChangeWatch] = []

    @property
    def how(self) -> str:
        """How changes are heard, for the docs and the status bar's tooltip."""
        if not self.catalog.is_sqlite:
            return "PostgreSQL LISTEN/NOTIFY"
        if self.catalog.sqlite_path is None:
            return "not at all (an in-memory catalog)"
        return f"PRAGMA data_version every {POLL_INTERVAL_S:g} s"

    def watch(
        self,
        on_change: Callable[[CatalogChange], None],
        on_problem: Callable[[str], None] | None = None,
        poll_interval_s: float = POLL_INTERVAL_S,
    ) -> ChangeWatch | None:
        """Start hearing changes made by others; None when this catalog cannot tell any.

        Args:
            on_change: called on a background thread with each change (never this desktop's
                own on PostgreSQL; on SQLite, an unknown change when another connection
                committed).
            on_problem: called on that thread with a sentence when the PostgreSQL listener
                lost its connection, and with "" when it is back.
            poll_interval_s: how often SQLite is looked at.
        """
        watch: PgChangeListener | SqliteChangePoller
        if not self.catalog.is_sqlite:
            dsn = listener_dsn(self.catalog.engine.url)
            watch = PgChangeListener(dsn, self.catalog.desktop_id, on_change, on_problem)
        else:
            path = self.catalog.sqlite_path
            if path is None:
                return None
            watch = SqliteChangePoller(self.catalog, path, on_change, poll_interval_s)
        watch.start()
        self._watches.append(watch)
        return watch

    def close(self) -> None:
        """Stop every feed this service started (the catalog stays open)."""
        watches, self._watches = self._watches, []
        for watch in watches:
            watch.close()
