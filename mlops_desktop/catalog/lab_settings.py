"""Reading and writing the catalog's own settings (the ``lab_setting`` table)."""

from __future__ import annotations

import time

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from mlops_desktop.catalog.lab_schema import lab_setting_t
from mlops_desktop.catalog.upsert import upsert

STORE_KEY = "store"


def get_setting(s: Session, key: str) -> str | None:
    """The value of ``key``, or None when the catalog records none."""
    value = s.execute(select(lab_setting_t.c.value).where(lab_setting_t.c.key == key)).scalar()
    return None if value is None else str(value)


def set_setting(s: Session, key: str, value: str | None, by: str | None) -> None:
    """Record ``value`` for ``key`` (None removes the row)."""
    if value is None:
        s.execute(delete(lab_setting_t).where(lab_setting_t.c.key == key))
        return
    upsert(
        s,
        lab_setting_t,
        [{"key": key, "value": value, "updated_at": time.time(), "updated_by": by}],
        ["key"],
    )
