"""SQLite's side of the change feed: ``PRAGMA data_version`` on a held connection, polled.

``data_version`` of a connection changes whenever *another* connection committed, and reading it
costs a few microseconds, so a poll every half second is cheap. SQLite cannot tell what changed:
a change is reported as unknown (reload runs, models and datasets).

This process's own pool connections are "other connections" too; so that a desktop does not
reload after each of its own ingests, the poller is told around each of the catalog's own write
commits (:class:`~mlops_desktop.catalog.engine.OwnCommitWatcher`): just before the commit, while
our transaction holds the write lock and nobody else can commit, a changed version means someone
else committed since the last look (reported at the next poll); just after it, the version is
taken as the new baseline. A commit by another program in the microseconds between our commit
and that read is reported with the next change instead.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

from mlops_desktop.catalog.engine import Catalog
from mlops_desktop.core.catalog_changes import CatalogChange

log = logging.getLogger(__name__)

POLL_INTERVAL_S = 0.5


class SqliteChangePoller:
    """Reports commits of other connections to one SQLite catalog file.

    Args:
        catalog: the open catalog (its own write commits are not reported).
        path: the catalog's file.
        on_change: called on the poller's thread with :meth:`CatalogChange.unknown`.
        interval_s: how often to look.
    """

    def __init__(
        self,
        catalog: Catalog,
        path: Path,
        on_change: Callable[[CatalogChange], None],
        interval_s: float = POLL_INTERVAL_S,
    ) -> None:
        self._catalog = catalog
        self._on_change = on_change
        self._interval = interval_s
        self._lock = threading.Lock()
        # never waits on a lock: a busy read counts as "maybe changed", never blocks a writer
        self._conn = sqlite3.connect(str(path), timeout=0, check_same_thread=False)
        self._conn.isolation_level = None
        self._baseline = self._read()
        self._missed = False  # another connection committed before one of our own commits
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._catalog.commit_watchers.append(self)
            self._thread = threading.Thread(
                target=self._run, name="catalog-change-poll", daemon=True
            )
            self._thread.start()

    def close(self) -> None:
        """Stop polling, wait for the thread and close the held connection."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self in self._catalog.commit_watchers:
            self._catalog.commit_watchers.remove(self)
        with self._lock:
            self._conn.close()

    def changed(self) -> bool:
        """Whether another connection committed since the last call (one look)."""
        with self._lock:
            version = self._read()
            if version is None:  # could not look this time: look again at the next poll
                return False
            changed = self._missed or version != self._baseline
            self._baseline, self._missed = version, False
        return changed

    # --- told by the catalog's session_scope, on the writing thread ----------------------
    def before_own_commit(self) -> None:
        with self._lock:
            version = self._read()
            if version is None or version != self._baseline:
                self._missed = True
            self._baseline = version

    def after_own_commit(self) -> None:
        with self._lock:
            self._baseline = self._read()

    # --- the poller's thread -------------------------------------------------------------
    def _read(self) -> int | None:
        try:
            return int(self._conn.execute("PRAGMA data_version").fetchall()[0][0])
        except sqlite3.Error as exc:  # locked, closed, gone: say "changed" and look again
            log.debug("PRAGMA data_version failed: %s", exc)
            return None

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            if self.changed():
                try:
                    self._on_change(CatalogChange.unknown())
                except Exception:  # a receiver's bug must not end live updates
                    log.exception("a catalog change receiver failed")
