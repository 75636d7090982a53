"""A machine's CPU, memory, disk, network and processes from ``/proc``: standard library only.

Rates (CPU percent, bytes per second) are differences between two readings, so the first
reading of a :class:`HostMeter` or :class:`ProcessTable` has them None. Files are read with
``os.open``/``os.read`` (no buffered file objects): the agent reads a few hundred per second.
"""

from __future__ import annotations

import os
import pwd
import time
from dataclasses import dataclass
from typing import Any

PROC = "/proc"
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
SECTOR = 512  # /proc/diskstats counts 512-byte sectors whatever the device's
RUN_ID_MARK = b"MLOPS_DESKTOP_RUN_ID="
COMMAND_CHARS = 200
DISKS_REFRESH_S = 60.0


def read_bytes(path: str) -> bytes | None:
    """The whole file, or None when it cannot be read."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        chunks: list[bytes] = []
        while True:
            chunk = os.read(fd, 65536)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
    except OSError:
        return None
    finally:
        os.close(fd)


def _rate(now: float, before: float | None, elapsed: float) -> float | None:
    if before is None or elapsed <= 0:
        return None
    return max(0.0, (now - before) / elapsed)


def whole_disks() -> set[str]:
    """Block devices backed by hardware (``/sys/block/X/device``): no partitions, loop, dm, md."""
    try:
        names = os.listdir("/sys/block")
    except OSError:
        return set()
    return {n for n in names if os.path.exists(f"/sys/block/{n}/device")}


class HostMeter:
    """The host-wide figures of ``core.hardware.host_document`` (everything but GPUs and
    processes), as a dict of its keys."""

    def __init__(self) -> None:
        self._cpu: list[tuple[int, int]] | None = None  # (busy, total) ticks: all, then cores
        self._io: tuple[float, int, int, int, int] | None = None  # t, read, write, recv, sent
        self._disks = whole_disks()
        self._disks_at = time.monotonic()

    def read(self) -> dict[str, Any]:
        doc: dict[str, Any] = {}
        doc.update(self._read_cpu())
        doc["load"] = self._read_load()
        doc.update(self._read_memory())
        doc.update(self._read_io())
        return doc

    def _read_cpu(self) -> dict[str, Any]:
        raw = read_bytes(f"{PROC}/stat") or b""
        counts: list[tuple[int, int]] = []
        for line in raw.split(b"\n"):
            if not line.startswith(b"cpu"):
                break
            f = [int(x) for x in line.split()[1:9]]
            total = sum(f)
            counts.append((total - f[3] - f[4], total))  # idle and iowait are not busy
        before, self._cpu = self._cpu, counts
        if not before or len(before) != len(counts):
            return {"cpu_percent": None, "cpu_per_core": []}
        shares = []
        for (busy0, total0), (busy1, total1) in zip(before, counts, strict=True):
            span = total1 - total0
            shares.append(round(100.0 * (busy1 - busy0) / span, 1) if span > 0 else 0.0)
        return {"cpu_percent": shares[0], "cpu_per_core": shares[1:]}

    @staticmethod
    def _read_load() -> list[float] | None:
        raw = read_bytes(f"{PROC}/loadavg")
        return [float(x) for x in raw.split()[:3]] if raw else None

    @staticmethod
    def _read_memory() -> dict[str, Any]:
        info: dict[bytes, int] = {}
        for line in (read_bytes(f"{PROC}/meminfo") or b"").split(b"\n"):
            key, _, rest = line.partition(b":")
            if key in (b"MemTotal", b"MemAvailable", b"SwapTotal", b"SwapFree"):
                info[key] = int(rest.split()[0]) * 1024
        total, avail = info.get(b"MemTotal"), info.get(b"MemAvailable")
        swap_total, swap_free = info.get(b"SwapTotal"), info.get(b"SwapFree")
        return {
            "memory": {
                "used": total - avail if total is not None and avail is not None else None,
                "total": total,
            },
            "swap": {
                "used": swap_total - swap_free
                if swap_total is not None and swap_free is not None
                else None,
                "total": swap_total,
            },
        }

    def _read_io(self) -> dict[str, Any]:
        now = time.monotonic()
        if now - self._disks_at > DISKS_REFRESH_S:
            self._disks, self._disks_at = whole_disks(), now
        read = write = 0
        for line in (read_bytes(f"{PROC}/diskstats") or b"").split(b"\n"):
            f = line.split()
            if len(f) > 9 and f[2].decode() in self._disks:
                read += int(f[5]) * SECTOR
                write += int(f[9]) * SECTOR
        recv = sent = 0
        for line in (read_bytes(f"{PROC}/net/dev") or b"").split(b"\n")[2:]:
            name, _, rest = line.partition(b":")
            f = rest.split()
            if len(f) > 8 and name.strip() != b"lo":
                recv += int(f[0])
                sent += int(f[8])
        before, self._io = self._io, (now, read, write, recv, sent)
        elapsed = now - before[0] if before else 0.0
        b = before or (now, None, None, None, None)
        return {
            "disk": {
                "read_bps": _rate(read, b[1], elapsed),
                "write_bps": _rate(write, b[2], elapsed),
            },
            "net": {"recv_bps": _rate(recv, b[3], elapsed), "sent_bps": _rate(sent, b[4], elapsed)},
        }


@dataclass(slots=True)
class _Known:
    """What is kept of one process between readings (its identity: pid and start ticks)."""

    start: int
    ticks: int
    env_run: str | None
    command: str | None = None
    user: str | None = None


def env_run_id(pid: int) -> str | None:
    """``MLOPS_DESKTOP_RUN_ID`` of the process's environment, or None (absent, unreadable)."""
    raw = read_bytes(f"{PROC}/{pid}/environ")
    if not raw:
        return None
    at = raw.find(RUN_ID_MARK)
    while at > 0 and raw[at - 1] != 0:
        at = raw.find(RUN_ID_MARK, at + 1)
    if at < 0:
        return None
    end = raw.find(b"\0", at)
    value = raw[at + len(RUN_ID_MARK) : end if end >= 0 else None].decode("utf-8", "replace")
    return value or None


_users: dict[int, str] = {}


def user_name(uid: int) -> str:
    name = _users.get(uid)
    if name is None:
        try:
            name = pwd.getpwuid(uid).pw_name
        except KeyError:
            name = str(uid)
        _users[uid] = name
    return name


class ProcessTable:
    """The processes worth showing: those using a GPU or of a run, and the top N by CPU and by
    resident memory. ``environ`` is read once per new process (pid and start ticks)."""

    def __init__(self, max_processes: int = 20) -> None:
        self.max_processes = max_processes
        self._known: dict[int, _Known] = {}
        self._last = time.monotonic()

    def read(self, gpu_usage: dict[int, dict[str, Any]]) -> list[dict[str, Any]]:
        """Process documents (``core.hardware.process_document`` keys), busiest first."""
        now = time.monotonic()
        elapsed, self._last = now - self._last, now
        known = self._known
        seen: dict[int, _Known] = {}
        rows: list[tuple[int, int, int, float | None, int]] = []  # pid, ppid, rss, cpu, start
        try:
            names = os.listdir(PROC)
        except OSError:
            return []
        for name in names:
            if not name.isdigit():
                continue
            pid = int(name)
            raw = read_bytes(f"{PROC}/{name}/stat")
            if not raw:
                continue
            f = raw[raw.rfind(b")") + 2 :].split()
            if f[0] in (b"Z", b"X"):
                continue
            ppid, ticks, start, rss = int(f[1]), int(f[11]) + int(f[12]), int(f[19]), int(f[21])
            prev = known.get(pid)
            if prev is not None and prev.start == start:
                cpu = (ticks - prev.ticks) / CLK_TCK / elapsed * 100 if elapsed > 0 else None
                prev.ticks = ticks
            else:
                cpu = None
                kernel = pid == 2 or ppid == 2
                prev = _Known(start, ticks, None if kernel else env_run_id(pid))
            seen[pid] = prev
            rows.append((pid, ppid, rss * PAGE_SIZE, cpu, start))
        self._known = seen
        n = self.max_processes
        chosen = {r[0] for r in rows if r[0] in gpu_usage or seen[r[0]].env_run}
        chosen.update(r[0] for r in sorted(rows, key=lambda r: -(r[3] or 0.0))[:n])
        chosen.update(r[0] for r in sorted(rows, key=lambda r: -r[2])[:n])
        docs = [self._document(r, seen[r[0]], gpu_usage.get(r[0])) for r in rows if r[0] in chosen]
        docs.sort(key=lambda d: (-(d["cpu_percent"] or 0.0), -(d["rss"] or 0)))
        return docs

    @staticmethod
    def _document(
        row: tuple[int, int, int, float | None, int], k: _Known, gpu: dict[str, Any] | None
    ) -> dict[str, Any]:
        pid, ppid, rss, cpu, _start = row
        if k.command is None:
            raw = read_bytes(f"{PROC}/{pid}/cmdline") or b""
            command = raw.replace(b"\0", b" ").strip().decode("utf-8", "replace")
            if not command:
                stat = read_bytes(f"{PROC}/{pid}/stat") or b""
                command = "[" + stat[stat.find(b"(") + 1 : stat.rfind(b")")].decode() + "]"
            k.command = command[:COMMAND_CHARS]
        if k.user is None:
            try:
                k.user = user_name(os.stat(f"{PROC}/{pid}").st_uid)
            except OSError:
                k.user = ""
        return {
            "pid": pid,
            "user": k.user,
            "command": k.command,
            "cpu_percent": round(cpu, 1) if cpu is not None else None,
            "rss": rss,
            "ppid": ppid,
            "gpu_memory": gpu["gpu_memory"] if gpu else None,
            "gpus": list(gpu["gpus"]) if gpu else [],
            "sm_share": gpu["sm_share"] if gpu else None,
            "env_run": k.env_run,
            "run": None,
        }
