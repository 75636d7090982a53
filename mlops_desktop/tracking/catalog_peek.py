"""Quick read-only looks into the home's SQLite catalog, with the standard library only.

A training script may ask whether a dataset version exists (``use_dataset``) or whether an
experiment does (``get_experiment_by_name``) before anything it logged is ingested. These
reads open ``HOME/catalog.db`` (or the SQLite file ``settings.json`` names) read-only with a
short busy timeout, so they never block the script for more than about 100 ms and never
write. When the catalog is PostgreSQL, missing or unreadable, :class:`CatalogUnreadable` says
why, and the caller decides what to do.
"""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlparse

CATALOG_FILENAME = "catalog.db"
SETTINGS_FILENAME = "settings.json"
BUSY_TIMEOUT_S = 0.1
_VERSION = re.compile(r"[vV]?(\d+)")


class CatalogUnreadable(Exception):
    """The catalog cannot be read from here (the message says why, as a clause)."""


def catalog_file(home: Path) -> Path:
    """The SQLite file of the home's catalog.

    Raises:
        CatalogUnreadable: ``settings.json`` points the catalog at a server (PostgreSQL).
    """
    url = ""
    try:
        raw = json.loads((home / SETTINGS_FILENAME).read_text(encoding="utf-8"))
        if isinstance(raw, dict):
            url = str(raw.get("catalog_url") or raw.get("catalog") or "")
    except (OSError, ValueError):
        pass
    if not url:
        return home / CATALOG_FILENAME
    parsed = urlparse(url)
    if parsed.scheme.split("+")[0] != "sqlite":
        raise CatalogUnreadable(f"the catalog is a {parsed.scheme.split('+')[0]} server")
    path = url.split("///", 1)[1].split("?", 1)[0] if "///" in url else ""
    if not path or path == ":memory:":
        raise CatalogUnreadable(f"the catalog URL {url!r} names no file")
    return Path(unquote(path))


def query(home: Path, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Rows of one SELECT on the home's catalog, opened read-only.

    Raises:
        CatalogUnreadable: no catalog file, a server catalog, or a locked or damaged file.
    """
    file = catalog_file(home)
    if not file.is_file():
        raise CatalogUnreadable(f"there is no catalog at {file} yet")
    uri = f"file:{quote(str(file))}?mode=ro"
    try:
        con = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_S, check_same_thread=False)
    except sqlite3.Error as exc:
        raise CatalogUnreadable(f"{file} cannot be opened ({exc})") from None
    try:
        return con.execute(sql, args).fetchall()
    except sqlite3.Error as exc:
        raise CatalogUnreadable(f"{file} cannot be read ({exc})") from None
    finally:
        con.close()


def version_number(version: str) -> int | None:
    """The number of ``"v2"`` or ``"2"``; None for anything else."""
    match = _VERSION.fullmatch(version.strip())
    return int(match.group(1)) if match else None


def dataset_versions(home: Path, name: str) -> list[int] | None:
    """The version numbers of dataset ``name``, oldest first; None when it is not registered.

    Raises:
        CatalogUnreadable: the catalog cannot be read.
    """
    found = query(home, "SELECT id FROM dataset WHERE name = ?", (name,))
    if not found:
        return None
    rows = query(
        home,
        "SELECT number FROM dataset_version WHERE dataset_id = ? ORDER BY number",
        (found[0][0],),
    )
    return [int(r[0]) for r in rows]


def dataset_names(home: Path, limit: int = 10) -> list[str]:
    """Up to ``limit`` registered dataset names, sorted (for an error message)."""
    rows = query(home, "SELECT name FROM dataset ORDER BY name LIMIT ?", (limit + 1,))
    return [str(r[0]) for r in rows]


def experiment_exists(home: Path, name: str) -> bool:
    """Whether the catalog holds experiment ``name`` (raises CatalogUnreadable)."""
    return bool(query(home, "SELECT 1 FROM experiment WHERE name = ?", (name,)))


def home_from_uri(uri: str) -> Path | None:
    """The folder a ``file:`` URI or a plain path names; None for any other scheme."""
    parsed = urlparse(uri)
    if parsed.scheme == "file":
        host = "" if parsed.netloc in ("", "localhost") else parsed.netloc
        return Path(unquote(host + parsed.path)).expanduser()
    if not parsed.scheme or len(parsed.scheme) == 1:  # a plain path (C: on Windows)
        return Path(uri).expanduser()
    return None
