"""Spools written by hand with ``encode_event``, for catalog tests and benchmarks."""

from __future__ import annotations

import os
import socket
import time
import uuid
from pathlib import Path
from typing import Any

from mlops_desktop.tracking.home import EVENTS_FILENAME, run_spool_dir
from mlops_desktop.tracking.spool import encode_event


class SpoolBuilder:
    """Builds one run's spool event by event; :meth:`write` appends what is pending."""

    def __init__(self, home: Path, run_id: str | None = None) -> None:
        self.home = Path(home)
        self.run_id = run_id or uuid.uuid4().hex
        self.seq = 0
        self.pending: list[bytes] = []
        self.path = run_spool_dir(self.home, self.run_id) / EVENTS_FILENAME

    def event(self, kind: str, n: int = 1, **fields: Any) -> SpoolBuilder:
        ev = {"v": 1, "type": kind, "run": self.run_id, "seq": self.seq, "n": n, **fields}
        self.seq += n
        self.pending.append(encode_event(ev))
        return self

    def start(self, experiment: str = "exp", name: str = "run", **fields: Any) -> SpoolBuilder:
        base = {
            "experiment": experiment,
            "name": name,
            "started_at": time.time(),
            "command": "python train.py",
            "cwd": "/tmp",
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "target": "local",
        }
        base.update(fields)
        return self.event("start", **base)

    def params(self, **params: Any) -> SpoolBuilder:
        return self.event("params", params=params)

    def tags(self, **tags: str) -> SpoolBuilder:
        return self.event("tags", tags=tags)

    def metrics(self, cols: dict[str, tuple[list[int], list[float], list[float]]]) -> SpoolBuilder:
        n = sum(len(c[2]) for c in cols.values())
        return self.event("metrics", n=n, cols={k: [list(c) for c in v] for k, v in cols.items()})

    def series(self, key: str, values: list[float], first_step: int = 0) -> SpoolBuilder:
        steps = list(range(first_step, first_step + len(values)))
        return self.metrics({key: (steps, [time.time()] * len(values), values)})

    def end(self, status: str = "finished", error: str | None = None) -> SpoolBuilder:
        return self.event("end", status=status, ended_at=time.time(), error=error)

    def write(self) -> int:
        """Append pending lines to the spool; returns the bytes written."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = b"".join(self.pending)
        self.pending.clear()
        with open(self.path, "ab") as fh:
            fh.write(data)
        return len(data)

    def write_raw(self, data: bytes) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "ab") as fh:
            fh.write(data)


def write_simple_run(
    home: Path, points: int = 100, experiment: str = "exp", batch: int = 50, **params: Any
) -> SpoolBuilder:
    """A finished run with ``points`` points of "loss" in batches, written to the spool."""
    b = SpoolBuilder(home).start(experiment=experiment).params(**params).tags(team="vision")
    for first in range(0, points, batch):
        count = min(batch, points - first)
        b.series("loss", [1.0 / (i + 1) for i in range(first, first + count)], first_step=first)
    b.end()
    b.write()
    return b
