"""Prediction logs a serving process writes for a monitor: standard library only.

``log_predictions(monitor, features, predictions, labels=None)`` appends one JSON line per
call to ``HOME/predictions/MONITOR/HOST-PID-START.jsonl`` (one file per writing process, so
processes never interleave) and fsyncs it::

    {"v": 1, "seq": 7, "t": 1800000000.5, "rows": [{"x": 1.0, "prediction": 0, "label": 1}]}

``seq`` increases by one per line of a file; the app ingests lines exactly once by (file, seq)
and remembers the byte offset it read to. A torn last line (the writer was killed mid-write)
is left alone until it is complete.
"""

from __future__ import annotations

import json
import os
import re
import socket
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from mlops_desktop.tracking.home import resolve_home

PREDICTIONS_DIRNAME = "predictions"
PREDICTION_KEY = "prediction"
LABEL_KEY = "label"
_SAFE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_lock = threading.Lock()
_files: dict[tuple[str, str], tuple[Any, int]] = {}  # (home, monitor) -> (file, next seq)


def predictions_dir(home: Path, monitor: str) -> Path:
    """The folder of a monitor's prediction logs."""
    return Path(home) / PREDICTIONS_DIRNAME / monitor


def _rows(
    features: Mapping[str, Sequence[Any]] | Sequence[Mapping[str, Any]],
    predictions: Sequence[Any],
    labels: Sequence[Any] | None,
) -> list[dict[str, Any]]:
    if isinstance(features, Mapping):
        keys = list(features)
        n = len(features[keys[0]]) if keys else len(predictions)
        if any(len(features[k]) != n for k in keys):
            raise ValueError("every feature column must have as many values as the others")
        rows = [{k: features[k][i] for k in keys} for i in range(n)]
    else:
        rows = [dict(r) for r in features]
    if len(predictions) != len(rows):
        raise ValueError(f"{len(rows)} feature rows but {len(predictions)} predictions")
    if labels is not None and len(labels) != len(rows):
        raise ValueError(f"{len(rows)} feature rows but {len(labels)} labels")
    for i, row in enumerate(rows):
        row[PREDICTION_KEY] = predictions[i]
        if labels is not None:
            row[LABEL_KEY] = labels[i]
    return rows


def _open(home: Path, monitor: str) -> tuple[Any, int]:
    folder = predictions_dir(home, monitor)
    folder.mkdir(parents=True, exist_ok=True)
    host = re.sub(r"[^A-Za-z0-9_-]", "_", socket.gethostname())[:40] or "host"
    name = f"{host}-{os.getpid()}-{time.time_ns()}.jsonl"
    return open(folder / name, "ab", buffering=0), 0  # noqa: SIM115 (kept open per process)


def log_predictions(
    monitor: str,
    features: Mapping[str, Sequence[Any]] | Sequence[Mapping[str, Any]],
    predictions: Sequence[Any],
    labels: Sequence[Any] | None = None,
    *,
    home: str | os.PathLike[str] | None = None,
) -> int:
    """Append predictions (and labels when known) for ``monitor``; written and fsync'd on return.

    Args:
        monitor: the monitor's name (``monitors add NAME --predictions``).
        features: a list of dicts (one per row) or a dict of lists (one per column).
        predictions: one per row; stored as the column "prediction".
        labels: one per row, or None; stored as the column "label".
        home: the app's home (default: ``MLOPS_DESKTOP_HOME`` or the platform's).

    Returns:
        The line's sequence number in this process's log file.

    Raises:
        ValueError: the monitor name is unsafe, or the lengths differ.
    """
    if not _SAFE.match(monitor):
        raise ValueError(f"{monitor!r} is not a monitor name (letters, digits, '.', '_', '-').")
    rows = _rows(features, predictions, labels)
    root = resolve_home(home)
    with _lock:
        key = (str(root), monitor)
        if key not in _files:
            _files[key] = _open(root, monitor)
        f, seq = _files[key]
        line = {"v": 1, "seq": seq, "t": time.time(), "rows": rows}
        data = (json.dumps(line, separators=(",", ":"), default=str) + "\n").encode("utf-8")
        f.write(data)
        os.fsync(f.fileno())
        _files[key] = (f, seq + 1)
    return seq


def read_prediction_lines(
    path: Path, offset: int
) -> tuple[list[tuple[int, float, list[dict[str, Any]]]], int, list[str]]:
    """Complete lines of a prediction log from byte ``offset``: ``(seq, time, rows)`` each,
    the offset after the last complete line, and one sentence per skipped bad line."""
    with open(path, "rb") as f:
        f.seek(offset)
        data = f.read()
    end = data.rfind(b"\n") + 1  # a torn last line stays for later
    out: list[tuple[int, float, list[dict[str, Any]]]] = []
    problems: list[str] = []
    for number, raw in enumerate(data[:end].splitlines()):
        if not raw.strip():
            continue
        try:
            line = json.loads(raw)
            out.append((int(line["seq"]), float(line["t"]), list(line["rows"])))
        except (ValueError, KeyError, TypeError):
            problems.append(f"{path.name}: line {number + 1} after byte {offset} is not a log line")
    return out, offset + end, problems
