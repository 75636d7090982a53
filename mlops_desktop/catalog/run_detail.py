"""One run in full, its metric series and its notes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from mlops_desktop.catalog.artifacts import blob_path_or_none
from mlops_desktop.catalog.chunk_codec import decode_column
from mlops_desktop.catalog.run_queries import resolve_run_id, summaries
from mlops_desktop.catalog.schema import artifact_t, chunk_t, latest_t, run_input_t, run_t
from mlops_desktop.core.errors import MetricNotFound, RunNotFound
from mlops_desktop.core.run_errors import FAILED_STATUSES, LOG_TAIL_BYTES, run_error
from mlops_desktop.core.runs import ArtifactRef, GitInfo, MetricSeries, RunDetail
from mlops_desktop.tracking.home import LOG_FILENAME, run_spool_dir


def git_info(raw: Any) -> GitInfo | None:
    """A :class:`GitInfo` from the ``git`` dict of an env event (missing fields defaulted)."""
    if not isinstance(raw, dict):
        return None
    diff: str = raw["diff"] if isinstance(raw.get("diff"), str) else ""
    return GitInfo(
        commit=raw.get("commit"),
        branch=raw.get("branch"),
        dirty=bool(raw.get("dirty", False)),
        diff=diff,
        diff_bytes=int(raw.get("diff_bytes", len(diff.encode("utf-8")))),
        diff_truncated=bool(raw.get("diff_truncated", False)),
        cap_bytes=int(raw.get("cap_bytes", 0)),
        repo_root=raw.get("repo_root"),
    )


def run_detail(s: Session, home: Path, run_id: str) -> RunDetail:
    rid = resolve_run_id(s, run_id)
    summary = summaries(s, run_ids=[rid])[0]
    command, notes, git, env, pid, host, stored_error, deleted_at = s.execute(
        select(
            run_t.c.command,
            run_t.c.notes,
            run_t.c.git,
            run_t.c.env,
            run_t.c.pid,
            run_t.c.host,
            run_t.c.error,
            run_t.c.deleted_at,
        ).where(run_t.c.id == rid)
    ).one()
    counts = dict(
        s.execute(select(latest_t.c.key, latest_t.c.count).where(latest_t.c.run_id == rid)).all()
    )
    datasets: list[dict[str, Any]] = []
    for name, version, path in s.execute(
        select(run_input_t.c.dataset, run_input_t.c.version, run_input_t.c.path)
        .where(run_input_t.c.run_id == rid)
        .order_by(run_input_t.c.seq, run_input_t.c.id)
    ).all():
        # the command line and use_dataset may both name one version: list it once
        same = next((d for d in datasets if (d["name"], d["version"]) == (name, version)), None)
        if same is None:
            datasets.append({"name": name, "version": version, "path": path})
        elif not same["path"]:
            same["path"] = path
    artifacts = []
    for name, digest, size in s.execute(
        select(artifact_t.c.name, artifact_t.c.digest, artifact_t.c.size)
        .where(artifact_t.c.run_id == rid)
        .order_by(artifact_t.c.name)
    ).all():
        blob = blob_path_or_none(home, digest)
        artifacts.append(ArtifactRef(name, digest, int(size), str(blob) if blob else ""))
    log = run_spool_dir(Path(home), rid) / LOG_FILENAME
    parent_name, children = _family(s, rid, summary.parent_run_id)
    return RunDetail(
        summary=summary,
        command=command or "",
        notes=notes or "",
        metric_counts={k: int(v) for k, v in counts.items()},
        git=git_info(git),
        env=env if isinstance(env, dict) else {},
        datasets=datasets,
        artifacts=artifacts,
        log_path=str(log) if log.exists() else None,
        pid=pid,
        host=host,
        error=run_error(stored_error, summary.status, _log_tail(log, summary.status)),
        deleted_at=deleted_at,
        parent_name=parent_name,
        children=children,
    )


def _family(
    s: Session, rid: str, parent: str | None
) -> tuple[str | None, tuple[tuple[str, str], ...]]:
    """The parent's name (None when it is not in the catalog) and the (id, name) of the
    run's children outside the trash, oldest first."""
    parent_name = None
    if parent is not None:
        parent_name = s.execute(select(run_t.c.name).where(run_t.c.id == parent)).scalar()
    rows = s.execute(
        select(run_t.c.id, run_t.c.name)
        .where(run_t.c.parent_run_id == rid, run_t.c.deleted_at.is_(None))
        .order_by(run_t.c.started_at, run_t.c.id)
    ).all()
    return parent_name, tuple((str(cid), name or "") for cid, name in rows)


def _log_tail(log: Path, status: str) -> str:
    """The end of a failed or killed run's log (where its error is), else nothing."""
    if status not in FAILED_STATUSES:
        return ""
    try:
        with open(log, "rb") as fh:
            size = fh.seek(0, 2)
            fh.seek(max(0, size - LOG_TAIL_BYTES))
            return fh.read().decode("utf-8", "replace")
    except OSError:
        return ""


def metric_keys(s: Session, run_ids: list[str]) -> list[str]:
    if not run_ids:
        return []
    rows = s.execute(
        select(latest_t.c.key).where(latest_t.c.run_id.in_(run_ids)).distinct()
    ).scalars()
    return sorted(rows)


def metric_series(s: Session, run_id: str, key: str) -> MetricSeries:
    """The whole series, concatenated from its chunks in sequence order (writable arrays)."""
    rid = resolve_run_id(s, run_id)
    rows = s.execute(
        select(chunk_t.c.n, chunk_t.c.steps, chunk_t.c.timestamps, chunk_t.c["values"])
        .where(chunk_t.c.run_id == rid, chunk_t.c.key == key)
        .order_by(chunk_t.c.seq_first)
    ).all()
    if not rows:
        raise MetricNotFound(f"Run {rid[:8]} has no metric {key!r}.")
    steps = [decode_column(r.steps, r.n) for r in rows]
    times = [decode_column(r.timestamps, r.n) for r in rows]
    values = [decode_column(r.values, r.n) for r in rows]
    return MetricSeries(
        run_id=rid,
        key=key,
        steps=np.frombuffer(bytearray().join(steps), dtype="<i8"),
        timestamps=np.frombuffer(bytearray().join(times), dtype="<f8"),
        values=np.frombuffer(bytearray().join(values), dtype="<f8"),
    )


# Where a chart stopped reading a series: (seq_first, n) of the last chunk it read.
MetricCursor = tuple[int, int]


def metric_series_after(
    s: Session, run_id: str, key: str, after: MetricCursor | None = None
) -> tuple[MetricSeries, MetricCursor]:
    """The points of a series logged after ``after``, and the cursor to read on from.

    ``after=None`` reads the whole series. Chunks are written once and never grow, so only
    chunks that start after the cursor's chunk are read; should that chunk ever hold more
    points than when it was read (``n`` grew), it is read again and only its new points kept.
    With nothing new, the series is empty and the cursor unchanged.

    Raises:
        RunNotFound: no such run.
        MetricNotFound: ``after`` is None and the run has no such metric.
    """
    rid = resolve_run_id(s, run_id)
    query = select(
        chunk_t.c.seq_first, chunk_t.c.n, chunk_t.c.steps, chunk_t.c.timestamps, chunk_t.c["values"]
    ).where(chunk_t.c.run_id == rid, chunk_t.c.key == key)
    if after is not None:
        last_seq, last_n = after
        query = query.where(
            (chunk_t.c.seq_first > last_seq)
            | ((chunk_t.c.seq_first == last_seq) & (chunk_t.c.n > last_n))
        )
    rows = s.execute(query.order_by(chunk_t.c.seq_first)).all()
    if not rows and after is None:
        raise MetricNotFound(f"Run {rid[:8]} has no metric {key!r}.")
    steps, times, values = bytearray(), bytearray(), bytearray()
    for r in rows:
        skip = after[1] if after is not None and r.seq_first == after[0] else 0
        steps += memoryview(decode_column(r.steps, r.n))[skip * 8 :]
        times += memoryview(decode_column(r.timestamps, r.n))[skip * 8 :]
        values += memoryview(decode_column(r.values, r.n))[skip * 8 :]
    cursor = (int(rows[-1].seq_first), int(rows[-1].n)) if rows else after
    assert cursor is not None
    series = MetricSeries(
        run_id=rid,
        key=key,
        steps=np.frombuffer(steps, dtype="<i8"),
        timestamps=np.frombuffer(times, dtype="<f8"),
        values=np.frombuffer(values, dtype="<f8"),
    )
    return series, cursor


def set_notes(s: Session, run_id: str, notes: str) -> None:
    rid = resolve_run_id(s, run_id)
    result = s.execute(update(run_t).where(run_t.c.id == rid).values(notes=notes))
    if result.rowcount == 0:  # type: ignore[attr-defined]
        raise RunNotFound(f"No run has the id {run_id!r}.")
