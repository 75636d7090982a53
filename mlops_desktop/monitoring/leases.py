"""Who holds each GPU lease on this machine: the launcher's note in the held lock file.

The lock files are :mod:`mlops_desktop.tracking.gpu_leases`'s; a file nobody holds is free,
whatever it still says.
"""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path

from mlops_desktop.core.hardware import GpuLeaseHolder
from mlops_desktop.tracking.gpu_leases import DEFAULT_LOCK_DIR


def lease_holders(lock_dir: str | os.PathLike[str] | None = None) -> dict[int, GpuLeaseHolder]:
    """{GPU index: holder} of the leases held now (``user`` left empty)."""
    directory = Path(lock_dir or DEFAULT_LOCK_DIR)
    try:
        names = os.listdir(directory)
    except OSError:
        return {}
    held: dict[int, GpuLeaseHolder] = {}
    for name in names:
        if not (name.startswith("gpu") and name.endswith(".lock") and name[3:-5].isdigit()):
            continue
        try:
            fd = os.open(directory / name, os.O_RDONLY)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            fcntl.flock(fd, fcntl.LOCK_UN)
            continue  # nobody holds it
        except OSError:
            raw = os.pread(fd, 4096, 0)
        finally:
            os.close(fd)
        held[int(name[3:-5])] = _holder(raw)
    return held


def _holder(raw: bytes) -> GpuLeaseHolder:
    try:
        note = json.loads(raw)
        pid, since = note.get("pid"), note.get("since")
        return GpuLeaseHolder(
            run=str(note["run"]),
            pid=pid if isinstance(pid, int) else None,
            since=float(since) if isinstance(since, (int, float)) else None,
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        return GpuLeaseHolder(run="?")
