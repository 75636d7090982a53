"""Who holds each GPU lease on this machine: the launcher's note in the held lock file.

The lock files and their notes are :mod:`mlops_desktop.tracking.gpu_leases`'s; a file nobody
holds is free, whatever it still says.
"""

from __future__ import annotations

import os
from typing import Any

from mlops_desktop.core.hardware import GpuLeaseHolder
from mlops_desktop.tracking.gpu_leases import read_lease_notes


def lease_holders(lock_dir: str | os.PathLike[str] | None = None) -> dict[int, GpuLeaseHolder]:
    """{GPU index: holder} of the leases held now (``user`` left empty)."""
    return {index: _holder(note) for index, note in read_lease_notes(lock_dir).items()}


def _holder(note: dict[str, Any]) -> GpuLeaseHolder:
    pid, since = note.get("pid"), note.get("since")
    return GpuLeaseHolder(
        run=str(note.get("run", "?")),
        pid=pid if isinstance(pid, int) and not isinstance(pid, bool) else None,
        since=float(since) if isinstance(since, (int, float)) else None,
    )
