"""GPU leases: one ``flock`` per GPU, held by the launcher for the whole life of its command.

The lock directory (default ``/tmp/mlops-desktop-gpu-locks``, mode 1777 like ``/tmp``) holds
``gpu<i>.lock`` (mode 666) per GPU; a launcher holds ``LOCK_EX`` on the ones it leased and
writes ``{"run", "pid", "host", "since"}`` into them, so two runs, from two app instances or
two users, never get the same GPU, and a lease ends when its launcher dies, whatever killed it.

Waiting launchers queue with backfill: each holds a ``queue/<time>-<pid>.ticket`` file locked
while it waits. A later waiter tries to lease while earlier ones wait (a run wanting 1 GPU
starts while one wanting 2 waits for them), until the earliest live waiter has waited longer
than ``MLOPS_DESKTOP_GPU_BACKFILL_S`` seconds (default 300): from then on nobody jumps it, so
a big run is never starved. ``MLOPS_DESKTOP_GPU_BACKFILL_S=0`` is strict first-come order.

GPUs come from ``nvidia-smi``, or, when ``MLOPS_DESKTOP_FAKE_GPUS`` is set, from fake ones
(the test edge): ``"2"`` (two GPUs of 16000 MiB, none used), ``"2:8000"`` (count:MiB) or a JSON
list of ``{"memory_total": MiB, "memory_used": MiB, "name": ..., "utilization": %}``, with
optional ``"power"`` (W) and ``"temperature"`` (degrees C) so energy can be integrated.
Standard library only.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_LOCK_DIR = "/tmp/mlops-desktop-gpu-locks"
FAKE_GPUS_ENV = "MLOPS_DESKTOP_FAKE_GPUS"
FAKE_MIB = 16000
BACKFILL_ENV = "MLOPS_DESKTOP_GPU_BACKFILL_S"
DEFAULT_BACKFILL_S = 300.0
_SMI_QUERY = "index,name,memory.total,memory.used,utilization.gpu,power.draw,temperature.gpu"


@dataclass(frozen=True)
class GpuStat:
    """One GPU now; memory in MiB."""

    index: int
    name: str
    memory_total: int
    memory_used: int
    utilization: float | None = None
    power: float | None = None  # W
    temperature: float | None = None  # degrees C

    @property
    def memory_free(self) -> int:
        return self.memory_total - self.memory_used


def optional_float(value: object) -> float | None:
    """A number of a fake GPU's spec or an ``nvidia-smi`` field; None for "[N/A]" and such."""
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def fake_gpus(spec: str) -> list[GpuStat]:
    """The GPUs that ``MLOPS_DESKTOP_FAKE_GPUS=spec`` describes."""
    spec = spec.strip()
    if spec.startswith("["):
        return [
            GpuStat(
                i,
                str(g.get("name", "Fake GPU")),
                int(g.get("memory_total", FAKE_MIB)),
                int(g.get("memory_used", 0)),
                float(g.get("utilization", 0.0)),
                optional_float(g.get("power")),
                optional_float(g.get("temperature")),
            )
            for i, g in enumerate(json.loads(spec))
        ]
    count, _, mib = spec.partition(":")
    total = int(mib) if mib else FAKE_MIB
    return [GpuStat(i, "Fake GPU", total, 0, 0.0) for i in range(int(count or 0))]


def query_gpus() -> list[GpuStat]:
    """This host's GPUs (fake ones when ``MLOPS_DESKTOP_FAKE_GPUS`` is set; [] without any)."""
    fake = os.environ.get(FAKE_GPUS_ENV)
    if fake is not None:
        return fake_gpus(fake)
    try:
        out = subprocess.run(
            ["nvidia-smi", f"--query-gpu={_SMI_QUERY}", "--format=csv,noheader,nounits"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    gpus = []
    for line in out.splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) < 5:
            continue
        util = optional_float(parts[4])  # None for "[N/A]"
        power = optional_float(parts[5]) if len(parts) > 5 else None
        temperature = optional_float(parts[6]) if len(parts) > 6 else None
        with contextlib.suppress(ValueError):
            gpus.append(
                GpuStat(
                    int(parts[0]), parts[1], int(parts[2]), int(parts[3]), util, power, temperature
                )
            )
    return gpus


def ensure_lock_dir(lock_dir: str | os.PathLike[str] | None = None) -> Path:
    """The lock directory, created shared (mode 1777) when missing."""
    path = Path(lock_dir or DEFAULT_LOCK_DIR)
    if not path.is_dir():
        path.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(OSError):
            os.chmod(path, 0o1777)
    return path


def _open_shared(path: Path) -> int:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    with contextlib.suppress(OSError):
        if os.fstat(fd).st_uid == os.getuid():
            os.fchmod(fd, 0o666)
    return fd


def lock_path(lock_dir: Path, index: int) -> Path:
    return lock_dir / f"gpu{index}.lock"


class GpuLease:
    """GPUs leased to one run; :meth:`release` (or the process's death) frees them."""

    def __init__(self, run_id: str, held: dict[int, int]) -> None:
        self.run_id = run_id
        self._held = held  # index -> locked fd

    @property
    def indices(self) -> list[int]:
        return sorted(self._held)

    def release(self) -> None:
        for fd in self._held.values():
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
                fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
        self._held = {}


def try_lease(
    run_id: str,
    count: int = 0,
    indices: list[int] | None = None,
    min_free_mb: int = 0,
    lock_dir: str | os.PathLike[str] | None = None,
) -> tuple[GpuLease | None, str]:
    """Lease ``count`` GPUs (or exactly ``indices``) now, or none: (lease or None, why not).

    Raises:
        ValueError: more GPUs (or an index) than this host has: waiting would never end.
    """
    directory = ensure_lock_dir(lock_dir)
    gpus = {g.index: g for g in query_gpus()}
    wanted = list(indices) if indices else []
    need = len(wanted) if wanted else count
    if wanted and not set(wanted) <= set(gpus):
        raise ValueError(f"GPU {sorted(set(wanted) - set(gpus))} not found on this host")
    if need > len(gpus):
        raise ValueError(f"{need} GPUs wanted but this host has {len(gpus)}")
    candidates = wanted or sorted(gpus)
    held: dict[int, int] = {}
    too_full = 0
    for index in candidates:
        if len(held) == need:
            break
        if gpus[index].memory_free < min_free_mb:
            too_full += 1
            if wanted:
                break
            continue
        fd = _open_shared(lock_path(directory, index))
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            if wanted:
                break
            continue
        note = {
            "run": run_id,
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "since": time.time(),
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(note).encode(), 0)
        held[index] = fd
    if len(held) == need:
        return GpuLease(run_id, held), ""
    GpuLease(run_id, held).release()
    what = f"GPUs {wanted}" if wanted else f"{need} GPU{'s' if need != 1 else ''}"
    low = f", {too_full} with under {min_free_mb} MiB free" if too_full else ""
    return None, f"waiting for {what} (of {len(gpus)}{low})"


def read_leases(lock_dir: str | os.PathLike[str] | None = None) -> dict[int, str]:
    """{GPU index: run id} of the leases held now in ``lock_dir``."""
    return {i: str(note.get("run", "?")) for i, note in read_lease_notes(lock_dir).items()}


def read_lease_notes(lock_dir: str | os.PathLike[str] | None = None) -> dict[int, dict[str, Any]]:
    """{GPU index: the holder's note ``{"run", "pid", "host", "since"}``} of the leases held
    now in ``lock_dir`` (``{"run": "?"}`` when the note cannot be read)."""
    directory = Path(lock_dir or DEFAULT_LOCK_DIR)
    leases: dict[int, dict[str, Any]] = {}
    try:
        names = os.listdir(directory)
    except OSError:
        return leases
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
        try:
            note = json.loads(raw)
            leases[int(name[3:-5])] = {**note, "run": str(note["run"])}
        except (ValueError, KeyError, TypeError):
            leases[int(name[3:-5])] = {"run": "?"}
    return leases


class QueueTicket:
    """A waiting launcher's place in line (a locked ticket file; stale ones are removed)."""

    def __init__(self, lock_dir: str | os.PathLike[str] | None = None) -> None:
        self.dir = ensure_lock_dir(lock_dir) / "queue"
        if not self.dir.is_dir():
            self.dir.mkdir(exist_ok=True)
            with contextlib.suppress(OSError):
                os.chmod(self.dir, 0o1777)
        self.name = f"{time.time_ns():020d}-{os.getpid()}.ticket"
        self._fd = _open_shared(self.dir / self.name)
        fcntl.flock(self._fd, fcntl.LOCK_EX)

    def first_in_line(self) -> bool:
        """Whether no older ticket of a live waiter exists."""
        return self.oldest_waiter() is None

    def may_try(self, backfill_s: float | None = None) -> bool:
        """Whether this waiter may try to lease now: it is first in line, or the oldest
        earlier live waiter has waited less than ``backfill_s`` (default: the environment's
        :func:`backfill_limit_s`), so this one may backfill around it."""
        oldest = self.oldest_waiter()
        if oldest is None:
            return True
        limit = backfill_limit_s() if backfill_s is None else backfill_s
        return time.time_ns() - oldest < limit * 1e9

    def oldest_waiter(self) -> int | None:
        """When (ns) the oldest earlier live waiter queued; None when this one is first."""
        for name in sorted(os.listdir(self.dir)):
            if name >= self.name:
                return None
            try:
                fd = os.open(self.dir / name, os.O_RDONLY)
            except OSError:
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except OSError:  # an older waiter is alive
                stamp = name.split("-", 1)[0]
                return int(stamp) if stamp.isdigit() else 0
            finally:
                os.close(fd)
            with contextlib.suppress(OSError):
                os.unlink(self.dir / name)  # its waiter died
        return None

    def close(self) -> None:
        if self._fd >= 0:
            with contextlib.suppress(OSError):
                os.unlink(self.dir / self.name)
            os.close(self._fd)
            self._fd = -1


def backfill_limit_s() -> float:
    """How long (s) the earliest waiter may be jumped by later ones that fit
    (``MLOPS_DESKTOP_GPU_BACKFILL_S``, default 300; 0: strict first-come order)."""
    try:
        value = float(os.environ.get(BACKFILL_ENV, DEFAULT_BACKFILL_S))
    except ValueError:
        return DEFAULT_BACKFILL_S
    return value if value >= 0 else DEFAULT_BACKFILL_S
