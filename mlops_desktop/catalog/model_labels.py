"""Repository of what labels a registered model version: aliases, tags, its description, and
whether it is archived.

Every function runs in a write session, holds the model's row lock (see
:func:`~mlops_desktop.catalog.model_repo.lock_model`) and writes its audit entry in the same
transaction; a change to what a version already has is no change and writes no entry.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from mlops_desktop.catalog.model_repo import add_audit, find, lock_model
from mlops_desktop.catalog.model_schema import model_alias_t, model_tag_t, model_version_t
from mlops_desktop.catalog.upsert import upsert

_V = model_version_t.c
_A = model_alias_t.c


def set_alias(
    s: Session, name: str, number: int, alias: str, user: str, note: dict[str, Any] | None = None
) -> None:
    """Point ``alias`` at version ``number``, moving it from another version if needed;
    ``note`` adds why to the audit entry's detail (e.g. the pipeline run a person approved)."""
    mid = lock_model(s, name)
    vid, _ = find(s, name, number)
    current = s.execute(
        select(_A.id, _V.number)
        .join(model_version_t, _V.id == _A.version_id)
        .where(_A.model_id == mid, _A.alias == alias)
    ).first()
    if current is None:
        s.execute(insert(model_alias_t).values(model_id=mid, alias=alias, version_id=vid))
        add_audit(s, mid, number, "alias_set", user, {**(note or {}), "alias": alias, "to": number})
    elif int(current.number) != number:
        s.execute(update(model_alias_t).where(_A.id == current.id).values(version_id=vid))
        detail = {**(note or {}), "alias": alias, "from": int(current.number), "to": number}
        add_audit(s, mid, number, "alias_moved", user, detail)


def remove_alias(
    s: Session, name: str, alias: str, user: str, note: dict[str, Any] | None = None
) -> None:
    mid = lock_model(s, name)
    _, found = find(s, name, alias=alias)
    s.execute(delete(model_alias_t).where(_A.model_id == mid, _A.alias == alias))
    detail = {**(note or {}), "alias": alias, "from": found.version}
    add_audit(s, mid, found.version, "alias_removed", user, detail)


def set_tag(s: Session, name: str, number: int, key: str, value: str, user: str) -> None:
    mid = lock_model(s, name)
    vid, found = find(s, name, number)
    if found.tags.get(key) == value:
        return
    upsert(s, model_tag_t, [{"version_id": vid, "key": key, "value": value}], ["version_id", "key"])
    detail: dict[str, Any] = {"key": key, "value": value}
    if key in found.tags:
        detail["old"] = found.tags[key]
    add_audit(s, mid, number, "tag_set", user, detail)


def remove_tag(s: Session, name: str, number: int, key: str, user: str) -> bool:
    """Remove a tag; False when the version has no such tag (nothing is recorded)."""
    mid = lock_model(s, name)
    vid, found = find(s, name, number)
    if key not in found.tags:
        return False
    s.execute(delete(model_tag_t).where(model_tag_t.c.version_id == vid, model_tag_t.c.key == key))
    add_audit(s, mid, number, "tag_removed", user, {"key": key, "value": found.tags[key]})
    return True


def describe(s: Session, name: str, number: int, text: str, user: str) -> None:
    """Replace the version's description (Markdown)."""
    _set_column(s, name, number, user, "description", text, "described", {"chars": len(text)})


def set_archived(s: Session, name: str, number: int, archived: bool, user: str) -> None:
    action = "archived" if archived else "unarchived"
    _set_column(s, name, number, user, "archived", archived, action, {})


def _set_column(
    s: Session,
    name: str,
    number: int,
    user: str,
    column: str,
    value: Any,
    action: str,
    detail: dict[str, Any],
) -> None:
    """Set a ``model_version`` column that :class:`ModelVersion` has by the same name, with an
    audit entry ``action``, unless the version has ``value`` already."""
    mid = lock_model(s, name)
    vid, found = find(s, name, number)
    if getattr(found, column) == value:
        return
    s.execute(update(model_version_t).where(_V.id == vid).values({column: value}))
    add_audit(s, mid, number, action, user, detail)
