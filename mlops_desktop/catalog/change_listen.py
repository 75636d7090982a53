"""PostgreSQL's side of the change feed: ``LISTEN`` on a dedicated connection, in a thread.

The listener holds its own psycopg connection (autocommit, outside the engine's pool), waits for
notifications on :data:`~mlops_desktop.catalog.change_feed.CHANNEL` a fraction of a second at a
time (so that :meth:`PgChangeListener.close` returns at once), drops the echoes of its own
desktop, and hands every other change to its callback on the listener's thread. A dropped
connection (server restart, ``pg_terminate_backend``, network) is opened again with growing
waits; notifications sent meanwhile are lost, so the first change after a reconnect is
"unknown": the desktop reloads everything once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import URL

from mlops_desktop.catalog.change_feed import CHANNEL
from mlops_desktop.core.catalog_changes import CatalogChange, decode_payload

log = logging.getLogger(__name__)

WAIT_S = 0.2  # one wait for notifications; also how long close() may take
RETRY_FIRST_S = 0.2
RETRY_MAX_S = 5.0
CONNECT_TIMEOUT_S = 5


def listener_dsn(url: URL) -> str:
    """A libpq connection string for the catalog's ``postgresql+psycopg://`` URL."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


class PgChangeListener:
    """Hears other desktops' changes of one PostgreSQL catalog.

    Args:
        dsn: the catalog's libpq URL (``listener_dsn``).
        own_desktop: this desktop's id; notifications it sent are ignored.
        on_change: called on the listener's thread with each change heard.
        on_problem: called on the listener's thread with a sentence when the connection is
            lost or cannot be opened (once until it is back), and with "" when it is back.
    """

    def __init__(
        self,
        dsn: str,
        own_desktop: str,
        on_change: Callable[[CatalogChange], None],
        on_problem: Callable[[str], None] | None = None,
    ) -> None:
        self._dsn = dsn
        self._own = own_desktop
        self._on_change = on_change
        self._on_problem = on_problem or (lambda _text: None)
        self._stop = threading.Event()
        self._listening = threading.Event()
        self._thread: threading.Thread | None = None
        self.backend_pid: int | None = None  # the listening connection's server process
        self.connections = 0  # how many times it (re)connected

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name="catalog-change-listener", daemon=True
            )
            self._thread.start()

    def wait_listening(self, timeout: float) -> bool:
        """Wait until the connection listens (True) or ``timeout`` seconds pass (False)."""
        return self._listening.wait(timeout)

    def close(self) -> None:
        """Stop listening and wait for the thread (at most about :data:`WAIT_S`)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=CONNECT_TIMEOUT_S + 1)
            self._thread = None

    # --- the listener's thread -----------------------------------------------------------
    def _run(self) -> None:
        import psycopg

        retry = RETRY_FIRST_S
        told = False
        while not self._stop.is_set():
            try:
                conn = psycopg.connect(
                    self._dsn, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S
                )
            except psycopg.Error as exc:
                if not told:
                    told = True
                    self._on_problem(f"Live updates from other desktops paused: {_first(exc)}")
                self._stop.wait(retry)
                retry = min(retry * 2, RETRY_MAX_S)
                continue
            try:
                self._listen(conn, missed=self.connections > 0 or told)
                told, retry = False, RETRY_FIRST_S
            except psycopg.Error as exc:
                self._listening.clear()
                log.info("change listener lost its connection: %s", _first(exc))
                if not self._stop.is_set():
                    told = True
                    self._on_problem(f"Live updates from other desktops paused: {_first(exc)}")
            finally:
                self._listening.clear()
                _close_quietly(conn)

    def _listen(self, conn: Any, missed: bool) -> None:
        conn.execute(f"LISTEN {CHANNEL}")
        self.backend_pid = conn.info.backend_pid
        self.connections += 1
        self._listening.set()
        if missed:  # notifications sent while away are lost: reload everything once
            self._on_problem("")
            self._tell(CatalogChange.unknown())
        while not self._stop.is_set():
            for note in conn.notifies(timeout=WAIT_S):
                change = decode_payload(note.payload)
                if change.sender != self._own:
                    self._tell(change)
                if self._stop.is_set():
                    return

    def _tell(self, change: CatalogChange) -> None:
        try:
            self._on_change(change)
        except Exception:  # a receiver's bug must not end live updates
            log.exception("a catalog change receiver failed")


def _first(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _close_quietly(conn: Any) -> None:
    try:
        conn.close()
    except Exception:  # a broken connection may fail to close: nothing to keep
        log.debug("closing the change listener's connection failed", exc_info=True)
