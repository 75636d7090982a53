"""Repository of the monitor tables: monitors, windows, alerts, what each has consumed, and
logged predictions. Works on SQLite and PostgreSQL alike; every function is one transaction.

A check stores its windows, what it consumed and the partial window left over in one
transaction (:func:`save_check`), so a crash mid-check neither loses nor repeats a file.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, select, update

from mlops_desktop.catalog import monitor_codec as codec
from mlops_desktop.catalog.change_feed import note_change
from mlops_desktop.catalog.engine import Catalog
from mlops_desktop.catalog.monitor_schema import (
    monitor_alert_t,
    monitor_prediction_t,
    monitor_seen_t,
    monitor_t,
    monitor_window_t,
)
from mlops_desktop.catalog.upsert import insert_ignore, upsert
from mlops_desktop.core.catalog_changes import MONITORS
from mlops_desktop.core.drift import Alert, DriftWindow

_M = monitor_t.c
_W = monitor_window_t.c
_A = monitor_alert_t.c
_S = monitor_seen_t.c
_P = monitor_prediction_t.c
KEEP: Any = object()  # save_check(pending=KEEP) leaves the stored partial window as it is


@dataclass(frozen=True, slots=True)
class MonitorRecord:
    """A monitor row without its summary and partial window."""

    name: str
    target: str
    reference: str
    current: str
    config: dict[str, Any]
    created_at: float
    user: str | None = None  # who made the monitor (None: not recorded)
    host: str | None = None  # on which machine


@dataclass(frozen=True, slots=True)
class MonitorCounts:
    """What lists show beside a monitor: windows, open alerts, the newest window's drift."""

    windows: int = 0
    open_alerts: int = 0
    last_drift: bool = False


@dataclass(frozen=True, slots=True)
class Seen:
    """Something consumed: ``key`` "file:NAME", "dataset:NAME@vN" or "log:FILE"."""

    key: str
    size: int = 0
    mtime: float = 0.0
    offset: int = 0


@dataclass(frozen=True, slots=True)
class StoredWindow:
    """A window to store, with its per-column distributions (``{column: document}``)."""

    window: DriftWindow
    distributions: dict[str, Any] = field(default_factory=dict)


def add_monitor(catalog: Catalog, record: MonitorRecord, summary: str) -> None:
    with catalog.session_scope(write=True) as s:
        s.execute(
            monitor_t.insert().values(
                name=record.name,
                target=record.target,
                reference=record.reference,
                current=record.current,
                config=codec.dumps(record.config),
                summary=summary,
                pending=None,
                created_at=record.created_at,
                user=record.user or None,
                host=record.host or None,
            )
        )
        note_change(s, MONITORS, [record.name])  # other desktops reload their monitors


def _record(row: Any) -> MonitorRecord:
    return MonitorRecord(
        row.name,
        row.target,
        row.reference,
        row.current,
        codec.loads(row.config, {}),
        row.created_at,
        row.user,
        row.host,
    )


_RECORD_COLS = (
    _M.name,
    _M.target,
    _M.reference,
    _M.current,
    _M.config,
    _M.created_at,
    _M.user,
    _M.host,
)


def get_monitor(catalog: Catalog, name: str) -> MonitorRecord | None:
    with catalog.session_scope() as s:
        row = s.execute(select(*_RECORD_COLS).where(_M.name == name)).first()
    return None if row is None else _record(row)


def list_monitors(catalog: Catalog) -> list[MonitorRecord]:
    with catalog.session_scope() as s:
        rows = s.execute(select(*_RECORD_COLS).order_by(_M.name)).all()
    return [_record(r) for r in rows]


def set_config(catalog: Catalog, name: str, config: dict[str, Any]) -> None:
    with catalog.session_scope(write=True) as s:
        s.execute(update(monitor_t).where(_M.name == name).values(config=codec.dumps(config)))
        note_change(s, MONITORS, [name])


def counts(catalog: Catalog) -> dict[str, MonitorCounts]:
    """Windows, open alerts and the newest window's dataset drift of every monitor."""
    out: dict[str, MonitorCounts] = {}
    with catalog.session_scope() as s:
        n_windows: dict[str, int] = dict(
            s.execute(select(_W.monitor, func.count()).group_by(_W.monitor)).all()
        )
        n_open: dict[str, int] = dict(
            s.execute(
                select(_A.monitor, func.count())
                .where(_A.acknowledged_at.is_(None))
                .group_by(_A.monitor)
            ).all()
        )
        newest = select(_W.monitor, func.max(_W.idx).label("idx")).group_by(_W.monitor).subquery()
        last = s.execute(
            select(_W.monitor, _W.report).join(
                newest, (newest.c.monitor == _W.monitor) & (newest.c.idx == _W.idx)
            )
        ).all()
    for name, report in last:
        doc = codec.loads(report, {}) or {}
        out[name] = MonitorCounts(
            int(n_windows.get(name, 0)), int(n_open.get(name, 0)), bool(doc.get("dataset_drift"))
        )
    for name, n in n_open.items():
        if name not in out:
            out[name] = MonitorCounts(int(n_windows.get(name, 0)), int(n), False)
    return out


def remove_monitor(catalog: Catalog, name: str) -> None:
    with catalog.session_scope(write=True) as s:
        for t in (monitor_prediction_t, monitor_seen_t, monitor_alert_t, monitor_window_t):
            s.execute(delete(t).where(t.c.monitor == name))
        s.execute(delete(monitor_t).where(_M.name == name))
        note_change(s, MONITORS, [name])


def load_summary(catalog: Catalog, name: str) -> str:
    with catalog.session_scope() as s:
        return str(s.execute(select(_M.summary).where(_M.name == name)).scalar_one_or_none() or "")


def load_pending(catalog: Catalog, name: str) -> bytes | None:
    with catalog.session_scope() as s:
        value = s.execute(select(_M.pending).where(_M.name == name)).scalar_one_or_none()
    return None if value is None else bytes(value)


def seen(catalog: Catalog, name: str) -> dict[str, Seen]:
    with catalog.session_scope() as s:
        rows = s.execute(
            select(_S.key, _S.size, _S.mtime, _S.offset).where(_S.monitor == name)
        ).all()
    return {r.key: Seen(r.key, int(r.size), float(r.mtime), int(r.offset)) for r in rows}


def _seen_rows(name: str, items: Iterable[Seen], now: float) -> list[dict[str, Any]]:
    return [
        {
            "monitor": name,
            "key": x.key,
            "size": x.size,
            "mtime": x.mtime,
            "offset": x.offset,
            "seen_at": now,
        }
        for x in items
    ]


def next_window_index(catalog: Catalog, name: str) -> int:
    with catalog.session_scope() as s:
        top = s.execute(select(func.max(_W.idx)).where(_W.monitor == name)).scalar_one_or_none()
    return 0 if top is None else int(top) + 1


def save_check(
    catalog: Catalog,
    name: str,
    windows: Sequence[StoredWindow],
    consumed: Sequence[Seen] = (),
    pending: Any = KEEP,
) -> None:
    """Store new windows, what was consumed and the partial window left, in one transaction.

    Args:
        pending: Arrow IPC bytes of the rows waiting for a full window, None for none, or
            :data:`KEEP` to leave what is stored.
    """
    now = time.time()
    with catalog.session_scope(write=True) as s:
        if windows:
            s.execute(
                monitor_window_t.insert(),
                [
                    {
                        "monitor": name,
                        "idx": w.window.index,
                        "start": w.window.start,
                        "end": w.window.end,
                        "rows": w.window.rows,
                        "source": w.window.source,
                        "report": codec.report_text(w.window.report),
                        "performance": codec.dumps(w.window.performance),
                        "problem": w.window.problem,
                        "distributions": codec.dumps(w.distributions),
                    }
                    for w in windows
                ],
            )
        upsert(s, monitor_seen_t, _seen_rows(name, consumed, now), keys=("monitor", "key"))
        if pending is not KEEP:
            s.execute(update(monitor_t).where(_M.name == name).values(pending=pending))
        if windows:  # what the Monitors pane shows changed
            note_change(s, MONITORS, [name])


def _window(name: str, row: Any) -> DriftWindow:
    return DriftWindow(
        monitor=name,
        index=int(row.idx),
        rows=int(row.rows),
        start=float(row.start),
        end=float(row.end),
        source=row.source,
        report=codec.report_from(codec.loads(row.report)),
        performance={k: float(v) for k, v in (codec.loads(row.performance, {}) or {}).items()},
        problem=row.problem,
    )


_WINDOW_COLS = (_W.idx, _W.rows, _W.start, _W.end, _W.source, _W.report, _W.performance, _W.problem)


def windows(catalog: Catalog, name: str) -> list[DriftWindow]:
    """The monitor's windows, oldest first."""
    with catalog.session_scope() as s:
        rows = s.execute(select(*_WINDOW_COLS).where(_W.monitor == name).order_by(_W.idx)).all()
    return [_window(name, r) for r in rows]


def window_distributions(catalog: Catalog, name: str, index: int) -> dict[str, Any] | None:
    """``{column: distribution document}`` stored with a window, or None without the window."""
    with catalog.session_scope() as s:
        text = s.execute(
            select(_W.distributions).where(_W.monitor == name, _W.idx == index)
        ).scalar_one_or_none()
    return None if text is None else dict(codec.loads(text, {}) or {})


def _alert(row: Any) -> Alert:
    return Alert(
        id=int(row.id),
        monitor=row.monitor,
        window=int(row.window),
        reason=row.reason,
        created_at=float(row.created_at),
        evidence=dict(codec.loads(row.evidence, {}) or {}),
        acknowledged_at=None if row.acknowledged_at is None else float(row.acknowledged_at),
        retrain_run=row.retrain_run,
    )


_ALERT_COLS = (
    _A.id,
    _A.monitor,
    _A.window,
    _A.reason,
    _A.created_at,
    _A.evidence,
    _A.acknowledged_at,
    _A.retrain_run,
)


def add_alert(
    catalog: Catalog, name: str, window: int, rule: str, reason: str, evidence: dict[str, Any]
) -> Alert:
    now = time.time()
    with catalog.session_scope(write=True) as s:
        result = s.execute(
            monitor_alert_t.insert()
            .values(
                monitor=name,
                window=window,
                rule=rule,
                reason=reason,
                created_at=now,
                evidence=codec.dumps(evidence),
            )
            .returning(_A.id)
        )
        alert_id = int(result.scalar_one())
        note_change(s, MONITORS, [name])
    return Alert(alert_id, name, window, reason, now, dict(evidence))


def alerts(catalog: Catalog, name: str | None = None, open_only: bool = False) -> list[Alert]:
    """Alerts, oldest first."""
    query = select(*_ALERT_COLS)
    if name is not None:
        query = query.where(_A.monitor == name)
    if open_only:
        query = query.where(_A.acknowledged_at.is_(None))
    with catalog.session_scope() as s:
        rows = s.execute(query.order_by(_A.id)).all()
    return [_alert(r) for r in rows]


def open_rules(catalog: Catalog, name: str) -> set[str]:
    """The rules of the monitor's open alerts."""
    with catalog.session_scope() as s:
        found = s.execute(
            select(_A.rule).where(_A.monitor == name, _A.acknowledged_at.is_(None))
        ).scalars()
        return set(found)


def get_alert(catalog: Catalog, alert_id: int) -> Alert | None:
    with catalog.session_scope() as s:
        row = s.execute(select(*_ALERT_COLS).where(_A.id == alert_id)).first()
    return None if row is None else _alert(row)


def acknowledge(catalog: Catalog, alert_id: int, at: float | None = None) -> Alert | None:
    """Mark an alert acknowledged (once: a second call keeps the first time)."""
    with catalog.session_scope(write=True) as s:
        s.execute(
            update(monitor_alert_t)
            .where(_A.id == alert_id, _A.acknowledged_at.is_(None))
            .values(acknowledged_at=time.time() if at is None else at)
        )
        note_change(s, MONITORS)
    return get_alert(catalog, alert_id)


def set_retrain_run(catalog: Catalog, alert_id: int, run_id: str) -> None:
    with catalog.session_scope(write=True) as s:
        s.execute(update(monitor_alert_t).where(_A.id == alert_id).values(retrain_run=run_id))
        note_change(s, MONITORS)


def add_predictions(
    catalog: Catalog,
    name: str,
    file: str,
    lines: Sequence[tuple[int, float, str]],
    consumed: Seen,
) -> None:
    """Store logged prediction lines ``(seq, time, rows JSON)`` of one log file and the file's
    new offset; a line stored before (same file and seq) is ignored, so ingest is exactly once.
    """
    now = time.time()
    with catalog.session_scope(write=True) as s:
        for seq, t, data in lines:
            insert_ignore(
                s,
                monitor_prediction_t,
                {"monitor": name, "file": file, "seq": seq, "time": t, "data": data},
                keys=("monitor", "file", "seq"),
            )
        upsert(s, monitor_seen_t, _seen_rows(name, [consumed], now), keys=("monitor", "key"))


def predictions_after(catalog: Catalog, name: str, after_id: int) -> list[tuple[int, float, str]]:
    """Stored prediction lines ``(id, time, rows JSON)`` with an id above ``after_id``, by id."""
    with catalog.session_scope() as s:
        rows = s.execute(
            select(_P.id, _P.time, _P.data)
            .where(_P.monitor == name, _P.id > after_id)
            .order_by(_P.id)
        ).all()
    return [(int(r.id), float(r.time), str(r.data)) for r in rows]
