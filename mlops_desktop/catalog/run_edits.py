"""Editing runs: rename, set and remove tags, move to the trash, restore, empty the trash.

A trashed run keeps every row; only ``run.deleted_at`` is set, and listings leave it out.
Only ended runs go to the trash (a running run is refused: its writer would keep logging).
Emptying the trash deletes the runs' rows for good, except runs that model versions were
registered from: those stay in the trash so the versions' lineage holds. The runs' files in
the artifact store are left to ``models gc``, which keeps every blob a model version uses.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from mlops_desktop.catalog.change_feed import note_change
from mlops_desktop.catalog.model_schema import model_t, model_version_t
from mlops_desktop.catalog.run_queries import resolve_run_id
from mlops_desktop.catalog.schema import (
    artifact_t,
    chunk_t,
    experiment_t,
    ingest_state_t,
    latest_t,
    param_t,
    run_input_t,
    run_t,
    tag_t,
)
from mlops_desktop.catalog.upsert import upsert
from mlops_desktop.catalog.writes import PARENT_TAGS, parent_from_tags
from mlops_desktop.core.catalog_changes import RUNS
from mlops_desktop.core.errors import RunEditError
from mlops_desktop.core.run_edits import ENDED_STATUSES, EmptiedTrash, KeptRun, TrashedRun
from mlops_desktop.tracking.validate import tag_key_problem

MAX_NAME = 255
_CHILDREN = (chunk_t, latest_t, param_t, tag_t, artifact_t, run_input_t)


def _label(rid: str, name: str | None) -> str:
    return f"{rid[:8]} ({name})" if name else rid[:8]


def rename(s: Session, run_id: str, name: str) -> str:
    """Give a run a new name; returns the run's full id.

    Raises:
        RunNotFound: no such run.
        RunEditError: the name is blank, too long or holds a line break.
    """
    new = name.strip()
    if not new:
        raise RunEditError("A run's name cannot be empty; give a name with a visible character.")
    if len(new) > MAX_NAME:
        raise RunEditError(f"A run's name can be at most {MAX_NAME} characters long.")
    if any(c in new for c in "\r\n\0"):
        raise RunEditError("A run's name must be one line: remove the line breaks.")
    rid = resolve_run_id(s, run_id)
    s.execute(update(run_t).where(run_t.c.id == rid).values(name=new))
    note_change(s, RUNS, [rid])  # other desktops reload the run
    return rid


def set_tags(s: Session, run_id: str, tags: dict[str, str]) -> str:
    """Set (add or replace) tags of a run; returns the run's full id.

    Raises:
        RunNotFound: no such run.
        RunEditError: a key is not a valid tag key.
    """
    for key in tags:
        problem = tag_key_problem(key)
        if problem is not None:
            raise RunEditError(problem)
    rid = resolve_run_id(s, run_id)
    rows = [{"run_id": rid, "key": k, "value": str(v)} for k, v in tags.items()]
    upsert(s, tag_t, rows, ["run_id", "key"])
    if any(key in PARENT_TAGS for key in tags):
        _sync_parent(s, rid)
    note_change(s, RUNS, [rid])
    return rid


def _sync_parent(s: Session, rid: str) -> None:
    """Set ``run.parent_run_id`` from the run's parent tags after they changed."""
    tags = dict(
        s.execute(
            select(tag_t.c.key, tag_t.c.value).where(
                tag_t.c.run_id == rid, tag_t.c.key.in_(PARENT_TAGS)
            )
        ).all()
    )
    s.execute(
        update(run_t).where(run_t.c.id == rid).values(parent_run_id=parent_from_tags(rid, tags))
    )


def remove_tags(s: Session, run_id: str, keys: Iterable[str]) -> str:
    """Remove tags of a run; returns the run's full id.

    Raises:
        RunNotFound: no such run.
        RunEditError: the run has no tag of one of the keys.
    """
    rid = resolve_run_id(s, run_id)
    wanted = list(dict.fromkeys(keys))
    have = set(
        s.execute(
            select(tag_t.c.key).where(tag_t.c.run_id == rid, tag_t.c.key.in_(wanted))
        ).scalars()
    )
    missing = [k for k in wanted if k not in have]
    if missing:
        raise RunEditError(f"Run {rid[:8]} has no tag {missing[0]!r}; see its tags with runs show.")
    s.execute(delete(tag_t).where(tag_t.c.run_id == rid, tag_t.c.key.in_(wanted)))
    if any(key in PARENT_TAGS for key in wanted):
        _sync_parent(s, rid)
    note_change(s, RUNS, [rid])
    return rid


def _resolve_all(s: Session, run_ids: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(resolve_run_id(s, r) for r in run_ids))


def descendants(s: Session, run_ids: Iterable[str], trashed_at: float | None = None) -> list[str]:
    """The ids of the children of these runs, their children and so on (not the runs
    themselves), parents before children: those outside the trash, or with ``trashed_at``
    those moved to the trash at that time."""
    seen = set(run_ids)
    found: list[str] = []
    level = list(seen)
    while level:
        where: list[Any] = [run_t.c.parent_run_id.in_(level)]
        if trashed_at is None:
            where.append(run_t.c.deleted_at.is_(None))
        else:
            where.append(run_t.c.deleted_at == trashed_at)
        rows = s.execute(select(run_t.c.id).where(*where).order_by(run_t.c.started_at, run_t.c.id))
        level = [rid for (rid,) in rows if rid not in seen]
        seen.update(level)
        found.extend(level)
    return found


def move_to_trash(s: Session, run_ids: Iterable[str], now: float | None = None) -> list[str]:
    """Move ended runs and their child runs to the trash (all or none); returns their full
    ids, the runs named first, then the children that go with them.

    Runs already in the trash stay there with their first time.

    Raises:
        RunNotFound: one of the runs does not exist.
        RunEditError: one of the runs or of their children has not ended yet.
    """
    named = _resolve_all(s, run_ids)
    ids = named + [rid for rid in descendants(s, named) if rid not in named]
    rows = s.execute(
        select(run_t.c.id, run_t.c.name, run_t.c.status).where(run_t.c.id.in_(ids))
    ).all()
    for rid, name, status in rows:
        if status not in ENDED_STATUSES:
            child = "" if rid in named else ", a child of a run to move with it,"
            raise RunEditError(
                f"Run {_label(rid, name)}{child} is still {status}; stop it first (or wait "
                "until it ends), then move it to the trash."
            )
    when = time.time() if now is None else now
    s.execute(
        update(run_t)
        .where(run_t.c.id.in_(ids), run_t.c.deleted_at.is_(None))
        .values(deleted_at=when)
    )
    note_change(s, RUNS)  # no ids: runs left the listing, other desktops reload it
    return ids


def restore(s: Session, run_ids: Iterable[str]) -> list[str]:
    """Take runs out of the trash (all or none), with the child runs that went to the trash
    with them; returns their full ids, the runs named first.

    Raises:
        RunNotFound: one of the runs does not exist.
        RunEditError: one of the runs is not in the trash.
    """
    named = _resolve_all(s, run_ids)
    rows = s.execute(
        select(run_t.c.id, run_t.c.name).where(run_t.c.id.in_(named), run_t.c.deleted_at.is_(None))
    ).first()
    if rows is not None:
        raise RunEditError(f"Run {_label(rows[0], rows[1])} is not in the trash.")
    ids = list(named)
    for rid, when in s.execute(select(run_t.c.id, run_t.c.deleted_at).where(run_t.c.id.in_(named))):
        ids += [c for c in descendants(s, [rid], trashed_at=when) if c not in ids]
    s.execute(update(run_t).where(run_t.c.id.in_(ids)).values(deleted_at=None))
    note_change(s, RUNS)  # runs came back to the listing
    return ids


def trashed_runs(s: Session) -> list[TrashedRun]:
    """The runs in the trash, most recently trashed first."""
    rows = s.execute(
        select(
            run_t.c.id,
            experiment_t.c.name,
            run_t.c.name,
            run_t.c.status,
            run_t.c.started_at,
            run_t.c.deleted_at,
        )
        .join(experiment_t, experiment_t.c.id == run_t.c.experiment_id)
        .where(run_t.c.deleted_at.is_not(None))
        .order_by(run_t.c.deleted_at.desc(), run_t.c.id)
    ).all()
    return [
        TrashedRun(rid, exp, name or "", status, float(started), float(deleted))
        for rid, exp, name, status, started, deleted in rows
    ]


def delete_trashed(s: Session) -> EmptiedTrash:
    """Delete the trashed runs' rows for good, except runs model versions came from.

    The ``ingest_state`` rows stay: the caller removes them once the runs' spools are gone,
    so an ingest in between never reads a spool again as a new run.
    """
    trashed = s.execute(
        select(run_t.c.id, run_t.c.name).where(run_t.c.deleted_at.is_not(None)).order_by(run_t.c.id)
    ).all()
    names = {rid: name or "" for rid, name in trashed}
    used: dict[str, list[str]] = {}
    if names:
        for rid, model, number in _versions_by_run(s, list(names)):
            used.setdefault(rid, []).append(f"{model} v{number}")
    kept = [
        KeptRun(
            rid,
            names[rid],
            f"model versions were registered from it ({', '.join(versions)}); it stays in the "
            "trash so their lineage holds",
        )
        for rid, versions in used.items()
    ]
    gone = [rid for rid in names if rid not in used]
    if gone:
        for table in _CHILDREN:
            s.execute(delete(table).where(table.c.run_id.in_(gone)))
        s.execute(delete(run_t).where(run_t.c.id.in_(gone)))
        note_change(s, RUNS)
    return EmptiedTrash(deleted=gone, kept=kept)


def _versions_by_run(s: Session, run_ids: list[str]) -> list[tuple[str, str, int]]:
    """(run id, model, version) of model versions registered from any of the runs."""
    v = model_version_t.c
    rows = s.execute(
        select(v.run_id, model_t.c.name, v.number)
        .join(model_t, model_t.c.id == v.model_id)
        .where(v.run_id.in_(run_ids))
        .order_by(v.run_id, model_t.c.name, v.number)
    ).all()
    return [(str(rid), str(model), int(number)) for rid, model, number in rows]


def forget_ingest_state(s: Session, run_ids: Iterable[str]) -> None:
    """Drop the ingest positions of deleted runs whose spools are gone."""
    ids = list(run_ids)
    if ids:
        s.execute(delete(ingest_state_t).where(ingest_state_t.c.run_id.in_(ids)))


def command_and_folder(s: Session, run_id: str) -> tuple[str, str]:
    """The command line a run recorded and the folder it ran in ("" when unknown)."""
    row = s.execute(select(run_t.c.command, run_t.c.cwd).where(run_t.c.id == run_id)).first()
    return ("", "") if row is None else (row[0] or "", row[1] or "")
