"""The one door to the database: engine set-up, ``session_scope`` and error translation.

SQLite runs in WAL mode with ``synchronous=NORMAL``, foreign keys on and a 30 s busy timeout;
pysqlite's own transaction handling is switched off so that a write transaction starts with
``BEGIN IMMEDIATE`` (it takes the write lock at once instead of failing on upgrade) and a read
one with a plain ``BEGIN``. PostgreSQL (``postgresql+psycopg://``) runs the same code.

Errors are split: the user's environment (locked, disk full, read-only, server down) becomes
:class:`~mlops_desktop.core.errors.CatalogUnavailable` with a plain sentence; anything else is a
bug and propagates unchanged.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from sqlalchemy.orm import Session

from mlops_desktop.catalog.change_feed import send_noted_changes, start_noting
from mlops_desktop.core.access import WRITABLE, CatalogAccess
from mlops_desktop.core.errors import CatalogNotWritable, CatalogUnavailable

BUSY_TIMEOUT_S = 30.0
CATALOG_FILENAME = "catalog.db"

_ENVIRONMENT_ERRORS: tuple[tuple[str, str], ...] = (
    (
        "database is locked",
        "The catalog is locked by another program for too long. "
        "Close other MLOps Desktop windows or commands using it and try again.",
    ),
    (
        "database table is locked",
        "The catalog is locked by another program for too long. "
        "Close other MLOps Desktop windows or commands using it and try again.",
    ),
    (
        "disk i/o error",
        "The catalog could not be read or written because of a disk error. "
        "Check the disk holding the catalog and free some space.",
    ),
    (
        "database or disk is full",
        "The disk holding the catalog is full. Free some space and try again.",
    ),
    ("no space left", "The disk holding the catalog is full. Free some space and try again."),
    (
        "readonly database",
        "The catalog is read-only. Check the file and folder permissions "
        "of the catalog, or open a catalog you may write to.",
    ),
    (
        "read-only",
        "The catalog is read-only. Check the permissions of the catalog, "
        "or open a catalog you may write to.",
    ),
    (
        "permission denied",  # PostgreSQL, SQLSTATE 42501: a role without write rights
        "Your catalog role may read but not change the catalog (PostgreSQL: permission "
        "denied). Ask the catalog's owner for write rights, or browse without changing.",
    ),
    (
        "unable to open database file",
        "The catalog file cannot be opened. Check that its "
        "folder exists and that you may read and write it.",
    ),
    (
        "file is not a database",
        "The catalog file is not a SQLite database, or it is damaged. Move it aside (nothing "
        "else in the home is touched) and a new catalog is made; your runs' spools are ingested "
        "again into it.",
    ),
    (
        "database disk image is malformed",
        "The catalog file is damaged. Move it aside and a new catalog is made; your runs' "
        "spools are ingested again into it.",
    ),
    (
        "connection refused",
        "The catalog's database server refuses connections. "
        "Check that PostgreSQL is running and the catalog URL is right.",
    ),
    (
        "could not connect",
        "The catalog's database server cannot be reached. "
        "Check that PostgreSQL is running and the catalog URL is right.",
    ),
    (
        "connection failed",
        "The catalog's database server cannot be reached. "
        "Check that PostgreSQL is running and the catalog URL is right.",
    ),
    (
        "server closed the connection",
        "The connection to the catalog's database server was lost. Check the server and try again.",
    ),
    (
        "terminating connection",
        "The catalog's database server closed the connection. Check the server and try again.",
    ),
    (
        "too many clients",
        "The catalog's database server has too many connections. "
        "Close other programs using it and try again.",
    ),
)


# Errors of a catalog that can still be read: a full disk, a read-only file or folder.
_NOT_WRITABLE = (
    "database or disk is full",
    "no space left",
    "readonly database",
    "read-only",
    "permission denied",
)


def environment_problem(exc: BaseException) -> str | None:
    """The sentence for an error caused by the environment, or None for a bug."""
    if not isinstance(exc, DBAPIError) or isinstance(exc.orig, type(None)):
        return None
    text = str(exc.orig).lower()
    for needle, sentence in _ENVIRONMENT_ERRORS:
        if needle in text:
            return f"{sentence} ({str(exc.orig).strip().splitlines()[0]})"
    if exc.connection_invalidated:
        return "The connection to the catalog was lost. Check the database server and try again."
    return None


@contextmanager
def translate_errors() -> Iterator[None]:
    """Turn environment errors of the database into :class:`CatalogUnavailable`."""
    try:
        yield
    except DBAPIError as exc:
        sentence = environment_problem(exc)
        if sentence is None:
            raise
        text = str(exc.orig).lower()
        if any(needle in text for needle in _NOT_WRITABLE):
            raise CatalogNotWritable(sentence) from exc
        raise CatalogUnavailable(sentence) from exc


def catalog_url_for(home: Path, url: str | None) -> URL:
    """The catalog's URL: ``url`` when given, else ``HOME/catalog.db``.

    Raises:
        CatalogUnavailable: ``url`` is not a database URL this program can use.
    """
    if url:
        try:
            parsed = make_url(url)
            parsed.get_dialect()
        except (ArgumentError, NoSuchModuleError) as exc:
            raise CatalogUnavailable(
                f"{url!r} is not a catalog URL this program can use. Give a SQLite file "
                "(sqlite:////path/catalog.db) or a PostgreSQL server "
                "(postgresql+psycopg://user@host:5432/dbname)."
            ) from exc
        return parsed
    return URL.create("sqlite+pysqlite", database=str(Path(home) / CATALOG_FILENAME))


def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None  # we emit BEGIN ourselves
    cur = dbapi_conn.cursor()
    cur.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA temp_store=MEMORY")
    cur.execute("PRAGMA cache_size=-32768")
    cur.close()


def _sqlite_begin(conn: Any) -> None:
    mode = conn.get_execution_options().get("sqlite_begin", "")
    conn.exec_driver_sql(f"BEGIN {mode}".strip())


def make_engine(url: URL) -> Engine:
    """An engine for ``url`` with the catalog's connection settings."""
    if url.get_backend_name() == "sqlite":
        engine = create_engine(
            url,
            connect_args={"timeout": BUSY_TIMEOUT_S, "check_same_thread": False},
            pool_size=8,
            max_overflow=8,
            pool_pre_ping=False,
        )
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    try:
        return create_engine(url, pool_size=5, max_overflow=10, pool_pre_ping=True)
    except ImportError as exc:
        raise CatalogUnavailable(
            f"The database driver for {url.drivername!r} is not installed ({exc.name}). "
            "For PostgreSQL, install psycopg (pip install 'mlops-desktop[postgres]') and use "
            "a postgresql+psycopg:// URL."
        ) from exc


class OwnCommitWatcher(Protocol):
    """Told around each of this catalog's own write commits (SQLite's change poll)."""

    def before_own_commit(self) -> None: ...

    def after_own_commit(self) -> None: ...


class Catalog:
    """An open catalog: its engine and the one transaction door, :meth:`session_scope`.

    Attributes:
        desktop_id: this open catalog's id in the change feed's notifications, so that its
            own listener knows its own changes (one per process and catalog).
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        self.is_sqlite = self.dialect == "sqlite"
        self.schema_upgraded = False  # set by ensure_schema when this process ran migrations
        self.desktop_id = uuid.uuid4().hex[:16]
        self.commit_watchers: list[OwnCommitWatcher] = []
        # Whether this desktop may change the catalog, found when the services open it
        # (catalog.access.probe_access); background writers step aside when it may not.
        self.access: CatalogAccess = WRITABLE

    @property
    def sqlite_path(self) -> Path | None:
        """The SQLite file, or None for a server database or an in-memory one."""
        db = self.engine.url.database
        if not self.is_sqlite or not db or db == ":memory:" or db.startswith("file:"):
            return None
        return Path(db)

    @contextmanager
    def session_scope(self, write: bool = False) -> Iterator[Session]:
        """One transaction, committed on success and rolled back on error.

        Args:
            write: the transaction writes; on SQLite it starts with ``BEGIN IMMEDIATE``.

        Raises:
            CatalogUnavailable: the database is locked, full, read-only or unreachable.
        """
        with translate_errors(), self.engine.connect() as conn:
            if self.is_sqlite:
                conn.execution_options(sqlite_begin="IMMEDIATE" if write else "")
            session = Session(bind=conn, expire_on_commit=False, autoflush=False)
            if not self.is_sqlite:
                start_noting(session)
            watchers = list(self.commit_watchers) if self.is_sqlite else []
            raw = conn.connection.dbapi_connection if watchers else None
            changes_at_start = raw.total_changes if raw is not None else 0
            told: list[OwnCommitWatcher] = []
            try:
                with session.begin():
                    yield session
                    if not self.is_sqlite:
                        send_noted_changes(session, self.desktop_id)  # delivered on commit
                    if raw is not None and (write or raw.total_changes != changes_at_start):
                        # it holds the write lock: nobody else can commit until it does
                        told = watchers
                        for watcher in told:
                            watcher.before_own_commit()
            finally:
                session.close()
                for watcher in told:
                    watcher.after_own_commit()

    def dispose(self) -> None:
        self.engine.dispose()
