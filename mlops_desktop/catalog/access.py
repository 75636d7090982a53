"""Ask, once at open time, whether the catalog takes writes: the server's privileges on
PostgreSQL, the file's and its folder's permissions on SQLite.

Cheap by design: one query on PostgreSQL, two ``access`` calls on SQLite. A catalog that says
it is writable can still refuse a write later (a full disk); that stays a
:class:`~mlops_desktop.core.errors.CatalogNotWritable` sentence at the time.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import Text

from mlops_desktop.catalog.engine import Catalog, translate_errors
from mlops_desktop.catalog.schema import Base
from mlops_desktop.core.access import WRITABLE, CatalogAccess

_ASK_OWNER = "ask the catalog's owner for write rights, or browse without changing"

# Per catalog table: may the role add and change rows? Plus a server or replica that is
# read-only as a whole (default_transaction_read_only, a hot standby).
_PG_PROBE = text(
    """
    SELECT current_user,
           current_setting('transaction_read_only') = 'on',
           COALESCE(array_agg(t ORDER BY t) FILTER (
               WHERE to_regclass(t) IS NOT NULL
                 AND NOT (has_table_privilege(t, 'INSERT') AND has_table_privilege(t, 'UPDATE'))
           ), ARRAY[]::text[])
    FROM unnest(:tables) AS t
    """
).bindparams(bindparam("tables", type_=ARRAY(Text)))


def probe_access(catalog: Catalog) -> CatalogAccess:
    """Whether ``catalog`` takes writes, with the reason when it does not.

    Raises:
        CatalogUnavailable: the server cannot be reached (PostgreSQL).
    """
    if catalog.is_sqlite:
        path = catalog.sqlite_path
        return WRITABLE if path is None else sqlite_file_access(path)
    return _postgres_access(catalog)


def sqlite_file_access(path: Path) -> CatalogAccess:
    """Whether the SQLite file and its folder may be written by this process (its journal
    and WAL files live next to it). Root passes any permission check but a read-only mount."""
    folder = path.parent
    if path.exists() and not os.access(path, os.W_OK):
        return CatalogAccess.read_only(
            f"The catalog file {path} is read-only for you: change its permissions to "
            "store anything, or browse without changing."
        )
    if not os.access(folder, os.W_OK):
        return CatalogAccess.read_only(
            f"The catalog's folder {folder} is read-only for you: change its permissions to "
            "store anything, or browse without changing."
        )
    return WRITABLE


def _postgres_access(catalog: Catalog) -> CatalogAccess:
    tables = sorted(Base.metadata.tables)
    with translate_errors(), catalog.engine.connect() as conn:
        user, server_read_only, denied = conn.execute(_PG_PROBE, {"tables": tables}).one()
        conn.rollback()
    if server_read_only:
        return CatalogAccess.read_only(
            "The catalog's database server takes no writes (it is read-only or a replica): "
            "browse without changing, or point the app at the primary server."
        )
    if denied:
        return CatalogAccess.read_only(
            f"Your catalog role {user} may read but not change the catalog: {_ASK_OWNER}."
        )
    return WRITABLE
