"""Create and upgrade the catalog's schema with Alembic, safely from many processes at once.

Opening a catalog first checks ``alembic_version`` (cheap, no Alembic import); only when it is
not at :data:`HEAD` does it take a lock and run the migrations. The lock makes eight processes
opening a fresh catalog at once create the schema exactly once: a file lock next to a SQLite
file (``catalog.db.lock``), ``pg_advisory_lock`` on PostgreSQL.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, text

from mlops_desktop.catalog.engine import Catalog
from mlops_desktop.core.errors import CatalogUnavailable

HEAD = "0013"  # the newest revision in migrations/versions (a test keeps them equal)
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_PG_LOCK_KEY = 0x6D6C6F7073  # "mlops"


def current_revision(conn: Connection) -> str | None:
    """The catalog's schema revision, or None for a fresh database."""
    if not conn.dialect.has_table(conn, "alembic_version"):
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def ensure_schema(catalog: Catalog) -> None:
    """Bring the catalog's schema to :data:`HEAD`, creating it in a fresh database.

    Raises:
        CatalogUnavailable: the catalog is newer than this program, or cannot be written.
    """
    with catalog.engine.connect() as conn:
        rev = current_revision(conn)
        conn.rollback()
    if rev == HEAD:
        return
    _check_not_newer(rev)
    if catalog.is_sqlite:
        path = catalog.sqlite_path
        with _file_lock(path.with_name(path.name + ".lock") if path else None):
            _upgrade_locked(catalog)
    else:
        with catalog.engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _PG_LOCK_KEY})
            conn.commit()
            try:
                _upgrade_locked(catalog, conn)
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _PG_LOCK_KEY})
                conn.commit()


def _check_not_newer(rev: str | None) -> None:
    if rev is not None and rev > HEAD:
        raise CatalogUnavailable(
            f"The catalog was made by a newer MLOps Desktop (schema {rev}, this one knows "
            f"{HEAD}). Update MLOps Desktop to open it."
        )


def _upgrade_locked(catalog: Catalog, conn: Connection | None = None) -> None:
    from alembic import command
    from alembic.config import Config

    own = conn is None
    if conn is None:
        conn = catalog.engine.connect()
    try:
        rev = current_revision(conn)
        conn.rollback()
        if rev == HEAD:
            return
        _check_not_newer(rev)
        if catalog.is_sqlite:
            # WAL is a property of the file: set it once, here, under the lock.
            # (on the raw connection: the pragma fails inside a transaction).
            conn.connection.dbapi_connection.execute("PRAGMA journal_mode=WAL")  # type: ignore[union-attr]
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
        conn.commit()
        catalog.schema_upgraded = True
    finally:
        if own:
            conn.close()


@contextmanager
def _file_lock(path: Path | None) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created if needed); no lock when path is None."""
    if path is None:
        yield
        return
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise CatalogUnavailable(
            f"The catalog cannot be set up because {path.parent} is not writable ({exc}). "
            "Check the folder's permissions or choose another catalog."
        ) from exc
    try:
        if sys.platform == "win32":
            import msvcrt

            while True:
                try:
                    msvcrt.locking(fd, msvcrt.LK_LOCK, 1)
                    break
                except OSError:
                    continue
            try:
                yield
            finally:
                os.lseek(fd, 0, os.SEEK_SET)
                msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
