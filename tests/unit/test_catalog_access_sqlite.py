"""Whether a SQLite catalog takes writes: its file and its folder must be writable.

Root passes every permission check (only a read-only mount stops it), so the read-only cases
are skipped when the tests run as root, as in CI's containers; they run for any other user.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlops_desktop.catalog.access import sqlite_file_access
from mlops_desktop.catalog.engine import CATALOG_FILENAME
from mlops_desktop.core.errors import CatalogNotWritable
from mlops_desktop.services.bundle import Services

as_root = pytest.mark.skipif(
    hasattr(os, "geteuid") and os.geteuid() == 0,
    reason="root may write a read-only file or folder: permissions cannot make it read-only",
)


@pytest.fixture
def made_catalog(temp_home: Path) -> Iterator[Path]:
    Services.open(temp_home).close()
    path = temp_home / CATALOG_FILENAME
    yield path
    path.chmod(0o644)
    temp_home.chmod(0o755)


def test_a_catalog_in_a_writable_home_is_writable(made_catalog: Path) -> None:
    with Services.open(made_catalog.parent) as services:
        assert services.access.writable and services.access.reason == ""


@as_root
def test_a_read_only_catalog_file_is_read_only_and_still_readable(made_catalog: Path) -> None:
    made_catalog.chmod(0o444)
    with Services.open(made_catalog.parent) as services:
        assert not services.access.writable
        assert f"{made_catalog} is read-only for you" in services.access.reason
        assert services.experiments.list_experiments() == []


@as_root
def test_a_read_only_folder_makes_the_catalog_read_only(made_catalog: Path) -> None:
    made_catalog.parent.chmod(0o555)
    access = sqlite_file_access(made_catalog)
    assert not access.writable
    assert f"folder {made_catalog.parent} is read-only" in access.reason
    # With no WAL files left next to it, SQLite cannot even read there: one sentence says so.
    with pytest.raises(CatalogNotWritable, match="The catalog is read-only"):
        Services.open(made_catalog.parent)
