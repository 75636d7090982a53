"""Collecting what arrived for a monitor since its last check, and cutting it into windows.

Sources: files dropped into a folder (CSV, TSV, Parquet, JSON Lines; processed once each in
name order; a file that changes after it was processed is not processed again), new versions
of a dataset (each version newer than the last one processed), or prediction logs written with
``mlops.log_predictions`` (ingested exactly once by file and sequence number).

Windows: one per file or dataset version by default; with ``window_rows`` the new rows are cut
into windows of that many rows, the rest waiting (stored as Arrow IPC bytes) for more; with
``window_s`` (prediction logs) a window spans that many seconds from the first logged row and
closes once a newer row or the clock passes its end.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa

from mlops_desktop.catalog import monitor_repo as repo
from mlops_desktop.catalog.engine import Catalog
from mlops_desktop.catalog.monitor_repo import MonitorRecord, Seen
from mlops_desktop.services.monitor_tables import dataset_version_table, read_file
from mlops_desktop.tracking.predictions import predictions_dir, read_prediction_lines

TABLE_SUFFIXES = (".csv", ".tsv", ".parquet", ".pq", ".jsonl", ".ndjson")


@dataclass
class WindowData:
    """The rows of one window to check, or why there are none."""

    source: str
    table: pa.Table | None
    start: float
    end: float
    problem: str | None = None


@dataclass
class Collected:
    """What one check found: windows, what they consumed, the partial window left."""

    windows: list[WindowData] = field(default_factory=list)
    consumed: list[Seen] = field(default_factory=list)
    pending: Any = repo.KEEP
    state: dict[str, Any] | None = None  # new config["state"] when it changed


def _ipc(table: pa.Table | None) -> bytes | None:
    if table is None or table.num_rows == 0:
        return None
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue().to_pybytes())


def _from_ipc(data: bytes | None) -> pa.Table | None:
    if not data:
        return None
    return pa.ipc.open_stream(pa.py_buffer(data)).read_all()


def _folder_batches(folder: Path, seen: dict[str, Seen]) -> tuple[list[WindowData], list[Seen]]:
    if not folder.is_dir():
        return [], []
    out: list[WindowData] = []
    consumed: list[Seen] = []
    for path in sorted(folder.iterdir(), key=lambda p: p.name):
        if not path.is_file() or path.suffix.lower() not in TABLE_SUFFIXES:
            continue
        key = f"file:{path.name}"
        if key in seen:
            continue
        st = path.stat()
        table, problem = read_file(path)
        out.append(WindowData(path.name, table, st.st_mtime, st.st_mtime, problem))
        consumed.append(Seen(key, st.st_size, st.st_mtime))
    return out, consumed


def _dataset_batches(
    datasets: Any, name: str, seen: dict[str, Seen]
) -> tuple[list[WindowData], list[Seen]]:
    done = [int(k.rsplit("@v", 1)[1]) for k in seen if k.startswith("dataset:") and "@v" in k]
    last = max(done, default=0)
    out: list[WindowData] = []
    consumed: list[Seen] = []
    for version in sorted(datasets.versions(name), key=lambda v: v.number):
        if version.number <= last:
            continue
        label = f"{name}@{version.version}"
        table, problem = dataset_version_table(datasets, name, version.version)
        out.append(WindowData(label, table, version.created_at, version.created_at, problem))
        consumed.append(Seen(f"dataset:{name}@v{version.number}", version.bytes))
    return out, consumed


def _concat(parts: list[pa.Table]) -> pa.Table:
    return pa.concat_tables(parts, promote_options="permissive")


def cut_rows(
    batches: list[WindowData], pending: pa.Table | None, rows: int, earlier: list[str] | None = None
) -> tuple[list[WindowData], pa.Table | None, list[str]]:
    """Windows of ``rows`` rows from the pending rows and the new batches; the rest pending.
    A batch that cannot be read, or whose columns do not fit the pending rows, is a window of
    its own with its problem. ``earlier``: the sources of the pending rows (returned for the
    rows left)."""
    out: list[WindowData] = []
    sources: list[str] = list(earlier or ["(earlier rows)"]) if pending is not None else []
    start: float | None = None
    for b in batches:
        if b.table is None:
            out.append(b)
            continue
        try:
            pending = b.table if pending is None else _concat([pending, b.table])
        except (pa.ArrowInvalid, pa.ArrowTypeError) as e:
            out.append(WindowData(b.source, None, b.start, b.end, _fit_problem(b.source, e)))
            continue
        sources.append(b.source)
        start = b.start if start is None else start
        while pending is not None and pending.num_rows >= rows:
            begin = b.start if start is None else start
            out.append(WindowData(", ".join(sources), pending.slice(0, rows), begin, b.end))
            rest = pending.slice(rows)
            pending = rest if rest.num_rows else None
            sources, start = ([b.source], b.end) if pending is not None else ([], None)
    return out, pending, sources


def _fit_problem(source: str, e: Exception) -> str:
    first = str(e).splitlines()[0] if str(e) else type(e).__name__
    return f"{source} does not fit the rows before it ({first}); it was skipped."


def collect(
    catalog: Catalog, datasets: Any, home: Path, record: MonitorRecord, now: float | None = None
) -> Collected:
    """Read what arrived for ``record`` and cut it into windows (nothing is stored here)."""
    config = record.config
    seen = repo.seen(catalog, record.name)
    if record.current == "predictions":
        return _prediction_windows(catalog, home, record, now if now is not None else time.time())
    if record.current.startswith("folder:"):
        batches, consumed = _folder_batches(Path(record.current[7:]), seen)
    elif record.current.startswith("dataset:"):
        batches, consumed = _dataset_batches(datasets, record.current[8:], seen)
    else:
        return Collected()
    rows = config.get("window_rows")
    if not rows:
        return Collected(batches, consumed)
    pending_before = _from_ipc(repo.load_pending(catalog, record.name))
    state = dict(config.get("state") or {})
    windows, pending, sources = cut_rows(
        batches, pending_before, int(rows), state.get("pending_sources")
    )
    state["pending_sources"] = sources
    return Collected(windows, consumed, _ipc(pending), state)


def ingest_predictions(catalog: Catalog, home: Path, name: str) -> list[str]:
    """Store the complete new lines of the monitor's prediction logs, exactly once; problems."""
    folder = predictions_dir(home, name)
    if not folder.is_dir():
        return []
    seen = repo.seen(catalog, name)
    problems: list[str] = []
    for path in sorted(folder.glob("*.jsonl")):
        key = f"log:{path.name}"
        before = seen.get(key)
        offset = before.offset if before else 0
        size = path.stat().st_size
        if size <= offset:
            continue
        lines, end, bad = read_prediction_lines(path, offset)
        problems += bad
        if end == offset:
            continue
        stored = [(seq, t, orjson.dumps(rows).decode()) for seq, t, rows in lines]
        repo.add_predictions(catalog, name, path.name, stored, Seen(key, size, 0.0, end))
    return problems


def _prediction_windows(
    catalog: Catalog, home: Path, record: MonitorRecord, now: float
) -> Collected:
    ingest_predictions(catalog, home, record.name)
    state = dict(record.config.get("state") or {})
    after = int(state.get("prediction_id", 0))
    lines = repo.predictions_after(catalog, record.name, after)
    if not lines:
        return Collected()
    # (line id, time, row, last row of its line?); rows of a line cut by a window are skipped
    rows: list[tuple[int, float, dict[str, Any], bool]] = []
    for pid, t, data in lines:
        line = list(orjson.loads(data))
        skip = int(state.get("skip", 0)) if pid == state.get("partial_id") else 0
        rows += [(pid, t, r, i == len(line) - 1) for i, r in enumerate(line) if i >= skip]
    groups: list[list[tuple[int, float, dict[str, Any], bool]]] = []
    if record.config.get("window_rows"):
        n = int(record.config["window_rows"])
        groups = [rows[i : i + n] for i in range(0, len(rows) - n + 1, n)]
    elif record.config.get("window_s"):
        span = float(record.config["window_s"])
        origin = float(state.setdefault("origin", rows[0][1]))
        newest = max(now, rows[-1][1])
        by_bucket: dict[int, list[tuple[int, float, dict[str, Any], bool]]] = {}
        for r in rows:
            by_bucket.setdefault(int((r[1] - origin) // span), []).append(r)
        groups = [g for k, g in sorted(by_bucket.items()) if origin + (k + 1) * span <= newest]
    else:
        groups = [rows]
    out: list[WindowData] = []
    for g in groups:
        if not g:
            continue
        table = pa.Table.from_pylist([r[2] for r in g])
        out.append(WindowData("predictions", table, g[0][1], g[-1][1]))
        pid, last_of_line = g[-1][0], g[-1][3]
        if last_of_line:
            state["prediction_id"], state["partial_id"], state["skip"] = pid, None, 0
        else:
            used = sum(1 for r in g if r[0] == pid)
            if state.get("partial_id") == pid:
                used += int(state.get("skip", 0))
            state["prediction_id"], state["partial_id"], state["skip"] = pid - 1, pid, used
    return Collected(out, state=state)
