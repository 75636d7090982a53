"""Repository of the model registry's versions: their files, lookup, deletion, the audit trail.

Every function takes an open session (``Catalog.session_scope``) and returns core dataclasses,
never ORM rows. Functions that change something must run in a write session and write their
audit entry in it, so a change and its entry are committed together or not at all. New version
numbers are allocated while holding the model's row lock (``BEGIN IMMEDIATE`` on SQLite,
``SELECT ... FOR UPDATE`` on PostgreSQL), so two processes registering at once get 1 and 2.
Aliases, tags, descriptions and archiving are in :mod:`~mlops_desktop.catalog.model_labels`.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, delete, func, insert, select
from sqlalchemy.orm import Session

from mlops_desktop.catalog.change_feed import note_change
from mlops_desktop.catalog.model_schema import (
    model_alias_t,
    model_audit_t,
    model_file_t,
    model_t,
    model_tag_t,
    model_version_t,
)
from mlops_desktop.catalog.shared_queries import insert_batched, lock_named
from mlops_desktop.core.catalog_changes import ALIAS, MODEL, MODEL_VERSION
from mlops_desktop.core.errors import ModelNotFound
from mlops_desktop.core.models import AuditEntry, ModelFile, ModelSummary, ModelVersion
from mlops_desktop.tracking.who import host_name

_V = model_version_t.c
_A = model_alias_t.c
FILE_BATCH = 5_000


def model_id(s: Session, name: str) -> int | None:
    return s.execute(select(model_t.c.id).where(model_t.c.name == name)).scalar()


def _require_model(s: Session, name: str) -> int:
    mid = model_id(s, name)
    if mid is None:
        names = s.execute(select(model_t.c.name).order_by(model_t.c.name).limit(20)).scalars()
        known = ", ".join(names) or "none yet"
        raise ModelNotFound(f"No model is named {name!r} (models: {known}).")
    return mid


def lock_model(s: Session, name: str, create: bool = False) -> int:
    """The model's id, holding its row lock until the transaction ends (write sessions).

    Raises:
        ModelNotFound: no model is named ``name`` (and ``create`` is false).
    """
    mid = lock_named(s, model_t, name, create)
    return _require_model(s, name) if mid is None else mid


def add_audit(
    s: Session,
    mid: int,
    version: int | None,
    action: str,
    user: str,
    detail: dict[str, Any] | None = None,
    host: str | None = None,
) -> None:
    """Write an audit entry: ``user`` did ``action`` on the machine ``host`` (None: this
    machine, where the change is being made; "": not known)."""
    s.execute(
        insert(model_audit_t).values(
            model_id=mid,
            version=version,
            at=time.time(),
            user=user,
            action=action,
            detail=dict(detail or {}),
            host=(host_name() if host is None else host) or None,
        )
    )
    note_change(s, _change_kind(action), [mid])


def _change_kind(action: str) -> str:
    """The change-feed kind of an audited action (every change of a model is audited)."""
    if action.startswith("alias"):
        return ALIAS
    if action in ("created", "imported"):
        return MODEL_VERSION
    return MODEL


def add_version(
    s: Session,
    name: str,
    files: Sequence[ModelFile],
    fingerprint: str,
    *,
    run_id: str | None,
    source: str,
    user: str,
    description: str = "",
    tags: dict[str, str] | None = None,
    action: str = "created",
    detail: dict[str, Any] | None = None,
    host: str | None = None,
) -> ModelVersion:
    """Add the next version of ``name`` (creating the model) with its files, tags and audit;
    ``user`` registers it on the machine ``host`` (None: this one; "": not known)."""
    host = (host_name() if host is None else host) or None
    mid = lock_model(s, name, create=True)
    top = s.execute(select(func.max(_V.number)).where(_V.model_id == mid)).scalar()
    # a deleted version's number is never given again: the audit trail still names it
    gone = s.execute(
        select(func.max(model_audit_t.c.version)).where(model_audit_t.c.model_id == mid)
    ).scalar()
    number = max(int(top or 0), int(gone or 0)) + 1
    vid = s.execute(
        insert(model_version_t)
        .values(
            model_id=mid,
            number=number,
            fingerprint=fingerprint,
            run_id=run_id,
            source=source,
            created_at=time.time(),
            created_by=user,
            description=description,
            archived=False,
            host=host,
        )
        .returning(_V.id)
    ).scalar_one()
    rows = ({"version_id": vid, "path": f.path, "size": f.size, "digest": f.digest} for f in files)
    insert_batched(s, model_file_t, rows, FILE_BATCH)
    if tags:
        s.execute(
            insert(model_tag_t),
            [{"version_id": vid, "key": k, "value": str(v)} for k, v in tags.items()],
        )
    info = {"fingerprint": fingerprint, "source": source, **(detail or {})}
    if run_id:
        info["run"] = run_id
    add_audit(s, mid, number, action, user, info, host=host or "")
    note_change(s, MODEL_VERSION, [mid])
    return _hydrate(s, name, mid, [_row_by_id(s, vid)])[0]


def _row_by_id(s: Session, vid: int) -> Row[Any]:
    return s.execute(select(model_version_t).where(_V.id == vid)).one()


def _hydrate(s: Session, name: str, mid: int, rows: Sequence[Row[Any]]) -> list[ModelVersion]:
    """Versions of ``rows`` with their files, tags and aliases (three queries in all)."""
    ids = [int(r.id) for r in rows]
    files: dict[int, list[ModelFile]] = {i: [] for i in ids}
    tags: dict[int, dict[str, str]] = {i: {} for i in ids}
    aliases: dict[int, list[str]] = {i: [] for i in ids}
    if not ids:
        return []
    one = ids if len(ids) == 1 else None

    def scope(col: Any) -> Any:
        if one is not None:
            return col == one[0]
        return col.in_(select(_V.id).where(_V.model_id == mid))

    for vid, path, size, digest in s.execute(
        select(
            model_file_t.c.version_id,
            model_file_t.c.path,
            model_file_t.c.size,
            model_file_t.c.digest,
        )
        .where(scope(model_file_t.c.version_id))
        .order_by(model_file_t.c.path)
    ).all():
        if vid in files:
            files[vid].append(ModelFile(path, int(size), digest))
    for vid, key, value in s.execute(
        select(model_tag_t.c.version_id, model_tag_t.c.key, model_tag_t.c.value).where(
            scope(model_tag_t.c.version_id)
        )
    ).all():
        if vid in tags:
            tags[vid][key] = value
    for vid, alias in s.execute(
        select(_A.version_id, _A.alias).where(_A.model_id == mid).order_by(_A.alias)
    ).all():
        if vid in aliases:
            aliases[vid].append(alias)
    return [
        ModelVersion(
            name=name,
            version=int(r.number),
            fingerprint=r.fingerprint,
            run_id=r.run_id,
            source=r.source or "",
            created_at=float(r.created_at),
            created_by=r.created_by or "",
            description=r.description or "",
            aliases=aliases[int(r.id)],
            tags=tags[int(r.id)],
            archived=bool(r.archived),
            files=files[int(r.id)],
            size=sum(f.size for f in files[int(r.id)]),
            host=r.host,
        )
        for r in rows
    ]


def list_versions(s: Session, name: str, include_archived: bool = True) -> list[ModelVersion]:
    """Versions of ``name``, newest first (raises ModelNotFound)."""
    mid = _require_model(s, name)
    query = select(model_version_t).where(_V.model_id == mid).order_by(_V.number.desc())
    if not include_archived:
        query = query.where(_V.archived.is_(False))
    return _hydrate(s, name, mid, s.execute(query).all())


def _available(s: Session, name: str, mid: int) -> str:
    numbers = [int(n) for n in s.execute(select(_V.number).where(_V.model_id == mid)).scalars()]
    aliases = [str(a) for a in s.execute(select(_A.alias).where(_A.model_id == mid)).scalars()]
    shown = ", ".join(map(str, sorted(numbers)[-20:])) or "none"
    text = f"versions of {name!r}: {shown}"
    return text + (f"; aliases: {', '.join(sorted(aliases))}" if aliases else "; no aliases")


def find(
    s: Session, name: str, number: int | None = None, alias: str | None = None
) -> tuple[int, ModelVersion]:
    """(row id, version): by ``number``, by ``alias``, or the latest non-archived one.

    Raises:
        ModelNotFound: no such model, version or alias (the sentence lists what exists).
    """
    mid = _require_model(s, name)
    query = select(model_version_t).where(_V.model_id == mid)
    if alias is not None:
        vid = s.execute(select(_A.version_id).where(_A.model_id == mid, _A.alias == alias)).scalar()
        if vid is None:
            known = _available(s, name, mid)
            raise ModelNotFound(f"Model {name!r} has no alias {alias!r} ({known}).")
        query = query.where(_V.id == vid)
    elif number is not None:
        query = query.where(_V.number == number)
    else:
        query = query.where(_V.archived.is_(False)).order_by(_V.number.desc()).limit(1)
    row = s.execute(query).first()
    if row is None:
        what = f"no version {number}" if number is not None else "no version that is not archived"
        raise ModelNotFound(f"Model {name!r} has {what} ({_available(s, name, mid)}).")
    return int(row.id), _hydrate(s, name, mid, [row])[0]


def list_summaries(s: Session) -> list[ModelSummary]:
    """Every model by name with its latest non-archived version, count, aliases, last change."""
    stats = {
        mid: (int(n), top, last)
        for mid, n, top, last in s.execute(
            select(
                _V.model_id,
                func.count(),
                func.max(_V.number).filter(_V.archived.is_(False)),
                func.max(_V.created_at),
            ).group_by(_V.model_id)
        ).all()
    }
    audits = dict(
        s.execute(
            select(model_audit_t.c.model_id, func.max(model_audit_t.c.at)).group_by(
                model_audit_t.c.model_id
            )
        ).all()
    )
    aliases: dict[int, dict[str, int]] = {}
    for mid, alias, number in s.execute(
        select(_A.model_id, _A.alias, _V.number)
        .join(model_version_t, _V.id == _A.version_id)
        .order_by(_A.alias)
    ).all():
        aliases.setdefault(mid, {})[alias] = int(number)
    out = []
    for mid, name in s.execute(select(model_t.c.id, model_t.c.name).order_by(model_t.c.name)):
        n, top, last = stats.get(mid, (0, None, None))
        times = [t for t in (last, audits.get(mid)) if t is not None]
        out.append(
            ModelSummary(
                name=name,
                latest=None if top is None else int(top),
                versions=n,
                aliases=aliases.get(mid, {}),
                updated_at=max(times) if times else None,
            )
        )
    return out


def delete_version(s: Session, name: str, number: int, user: str) -> list[str]:
    """Delete a version, its files' rows, tags and aliases (an audit entry per alias removed).

    The caller decides whether aliases may be removed; returns the aliases that were removed.
    """
    mid = lock_model(s, name)
    vid, found = find(s, name, number)
    for alias in found.aliases:
        add_audit(s, mid, number, "alias_removed", user, {"alias": alias, "from": number})
    s.execute(delete(model_alias_t).where(_A.version_id == vid))
    s.execute(delete(model_tag_t).where(model_tag_t.c.version_id == vid))
    s.execute(delete(model_file_t).where(model_file_t.c.version_id == vid))
    s.execute(delete(model_version_t).where(_V.id == vid))
    add_audit(s, mid, number, "deleted", user, {"fingerprint": found.fingerprint})
    return list(found.aliases)


def history(s: Session, name: str, number: int | None = None) -> list[AuditEntry]:
    """The audit trail of a model (or one version of it), newest first."""
    mid = _require_model(s, name)
    query = select(model_audit_t).where(model_audit_t.c.model_id == mid)
    if number is not None:
        query = query.where(model_audit_t.c.version == number)
    rows = s.execute(query.order_by(model_audit_t.c.id.desc())).all()
    return [
        AuditEntry(
            at=float(r.at),
            user=r.user,
            model=name,
            version=r.version,
            action=r.action,
            detail=_shown_detail(r.detail),
            host=r.host,
        )
        for r in rows
    ]


ARCHIVED_CARD = "card"
"""The key of an "imported" audit entry's detail that keeps the archive's card and lineage."""


def _shown_detail(detail: Any) -> dict[str, Any]:
    """An audit entry's detail as the history shows it (the archive's card left out)."""
    if not isinstance(detail, dict):
        return {}
    return {k: v for k, v in detail.items() if k != ARCHIVED_CARD}


def archived_card(s: Session, name: str, number: int) -> dict[str, Any] | None:
    """The card and lineage the archive a version was imported from recorded, or None (not
    imported, or imported before the card was kept)."""
    mid = _require_model(s, name)
    detail = s.execute(
        select(model_audit_t.c.detail)
        .where(
            model_audit_t.c.model_id == mid,
            model_audit_t.c.version == number,
            model_audit_t.c.action == "imported",
        )
        .order_by(model_audit_t.c.id.desc())
        .limit(1)
    ).scalar()
    card = detail.get(ARCHIVED_CARD) if isinstance(detail, dict) else None
    return card if isinstance(card, dict) else None
