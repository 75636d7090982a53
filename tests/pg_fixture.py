"""A real PostgreSQL server for tests: ``initdb`` and ``pg_ctl`` on a temp dir, loopback port.

A pytest plugin module: conftests register it with ``pytest_plugins``. The server starts once per
session (as the ``postgres`` user when the tests run as root, since PostgreSQL refuses root);
every test that asks for ``pg_url`` gets a fresh database. ``catalog_url`` runs a test on SQLite
(``None``: the home's ``catalog.db``) and on PostgreSQL.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

PG_BIN = Path(os.environ.get("MLOPS_DESKTOP_PG_BIN", "/usr/lib/postgresql/15/bin"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_postgres(args: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *args]
    return args


def _run(args: list[str]) -> None:
    proc = subprocess.run(_as_postgres(args), capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")


def _system_missing(config: pytest.Config, what: str) -> None:
    """``system_missing`` of tests/conftest.py: skip locally, fail in CI."""
    root = config.pluginmanager.get_plugin(str(Path(__file__).with_name("conftest.py")))
    if root is None:  # pragma: no cover - the root conftest is always loaded
        pytest.skip(what)
    root.system_missing(what)


@pytest.fixture(scope="session")
def pg_server(pytestconfig: pytest.Config) -> Iterator[str]:
    """URL of the server's ``postgres`` database (``postgresql+psycopg://...``)."""
    initdb = PG_BIN / "initdb"
    if not initdb.exists() and shutil.which("initdb") is None:
        _system_missing(pytestconfig, f"PostgreSQL's initdb is not installed (looked in {PG_BIN})")
    if not initdb.exists():
        initdb = Path(shutil.which("initdb") or "initdb")
    pg_ctl = initdb.with_name("pg_ctl")
    base = Path(tempfile.mkdtemp(prefix="mlops-pg-"))
    if os.geteuid() == 0:
        shutil.chown(base, "postgres")
    data = base / "data"
    port = _free_port()
    _run([str(initdb), "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync"])
    opts = f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
    _run([str(pg_ctl), "-D", str(data), "-o", opts, "-l", str(base / "log"), "-w", "start"])
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            _as_postgres([str(pg_ctl), "-D", str(data), "-m", "fast", "-w", "stop"]),
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def pg_url(pg_server: str) -> str:
    """URL of a fresh, empty database on the session's server."""
    import psycopg

    name = "t_" + uuid.uuid4().hex[:12]
    dsn = pg_server.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return pg_server.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(params=["sqlite", "postgresql"])
def catalog_url(request: pytest.FixtureRequest) -> str | None:
    """The catalog to test on: None (SQLite in the home) or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return None
    return str(request.getfixturevalue("pg_url"))


def reader_url(pg_url: str) -> str:
    """The URL of a new role that may SELECT every table of ``pg_url``'s database and nothing
    else (a read-only lab member); call it once the catalog's tables exist."""
    import psycopg

    dsn = pg_url.replace("postgresql+psycopg://", "postgresql://")
    database = dsn.rsplit("/", 1)[1]
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE ROLE "r_{database}" LOGIN')
        conn.execute(f'GRANT SELECT ON ALL TABLES IN SCHEMA public TO "r_{database}"')
    return pg_url.replace("postgres@", f"r_{database}@")
