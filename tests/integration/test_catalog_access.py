"""Whether the catalog takes writes, asked of the PostgreSQL server when the app opens it."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from pg_fixture import reader_url

from mlops_desktop.services.bundle import Services

pytestmark = pytest.mark.system


def test_the_owner_may_write_and_a_select_only_role_may_not(pg_url: str, temp_home: Path) -> None:
    with Services.open(temp_home, pg_url) as owner:
        assert owner.access.writable and owner.access.reason == ""
    url = reader_url(pg_url)
    role = url.split("://", 1)[1].split("@", 1)[0]
    with Services.open(temp_home, url) as member:
        access = member.access
        assert not access.writable
        assert access.reason.startswith(f"Your catalog role {role} may read but not change")
        assert "write rights" in access.reason and access.reason.count(". ") == 0
        assert member.experiments.list_experiments() == []  # reading still works


def test_a_role_missing_update_on_one_table_is_read_only(pg_url: str, temp_home: Path) -> None:
    Services.open(temp_home, pg_url).close()
    url = reader_url(pg_url)
    dsn = pg_url.replace("postgresql+psycopg://", "postgresql://")
    role = url.split("://", 1)[1].split("@", 1)[0]
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'GRANT INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "{role}"')
        conn.execute(f'REVOKE UPDATE ON model_alias FROM "{role}"')
    with Services.open(temp_home, url) as member:
        assert not member.access.writable
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'GRANT UPDATE ON model_alias TO "{role}"')
    with Services.open(temp_home, url) as member:
        assert member.access.writable


def test_a_server_that_takes_no_writes_is_read_only(pg_url: str, temp_home: Path) -> None:
    Services.open(temp_home, pg_url).close()
    dsn = pg_url.replace("postgresql+psycopg://", "postgresql://")
    database = dsn.rsplit("/", 1)[1]
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'ALTER DATABASE "{database}" SET default_transaction_read_only = on')
    with Services.open(temp_home, pg_url) as services:
        assert not services.access.writable
        assert "takes no writes" in services.access.reason
