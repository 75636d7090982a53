"""A cheap scan of every process: pid, parent, CPU time, resident memory, start time.

On Linux it reads one ``/proc/PID/stat`` per process with raw ``os.read`` (about 10 µs each);
elsewhere it asks psutil for the same fields. Details (user, command line, environment) are read
only for the few processes a sample reports, and cached per (pid, start time), so pid reuse is
never confused with the old process.
"""

from __future__ import annotations

import os
import pwd
import sys
from typing import NamedTuple

import psutil

RUN_ENV = "MLOPS_DESKTOP_RUN_ID"
COMMAND_CHARS = 200
_PROC = "/proc"
_LINUX = sys.platform.startswith("linux") and os.path.isdir(_PROC)
_TICKS = os.sysconf("SC_CLK_TCK") if _LINUX else 100
_PAGE = os.sysconf("SC_PAGE_SIZE") if _LINUX else 4096


class ProcStat(NamedTuple):
    """One process in a scan: CPU seconds so far, resident bytes, and its start (an opaque,
    per-process constant that tells a reused pid apart)."""

    pid: int
    ppid: int
    cpu_s: float
    rss: int
    start: float
    comm: str


def scan() -> dict[int, ProcStat]:
    """Every process now (those that vanish or refuse are left out)."""
    return _scan_proc() if _LINUX else _scan_psutil()


def _scan_proc() -> dict[int, ProcStat]:
    found: dict[int, ProcStat] = {}
    for name in os.listdir(_PROC):
        if not name.isdigit():
            continue
        try:
            fd = os.open(f"/proc/{name}/stat", os.O_RDONLY)
        except OSError:
            continue
        try:
            data = os.read(fd, 1024)
        except OSError:
            continue
        finally:
            os.close(fd)
        close = data.rfind(b")")
        f = data[close + 2 :].split(b" ", 22)
        if len(f) < 22:
            continue
        pid = int(name)
        found[pid] = ProcStat(
            pid,
            int(f[1]),
            (int(f[11]) + int(f[12])) / _TICKS,
            int(f[21].split(b" ", 1)[0]) * _PAGE,
            float(f[19]),
            data[data.find(b"(") + 1 : close].decode(errors="replace"),
        )
    return found


def _scan_psutil() -> dict[int, ProcStat]:
    found: dict[int, ProcStat] = {}
    attrs = ["pid", "ppid", "cpu_times", "memory_info", "create_time", "name"]
    for proc in psutil.process_iter(attrs):
        info = proc.info
        times, mem = info.get("cpu_times"), info.get("memory_info")
        if times is None or mem is None:
            continue
        found[info["pid"]] = ProcStat(
            info["pid"],
            int(info.get("ppid") or 0),
            float(times.user + times.system),
            int(mem.rss),
            float(info.get("create_time") or 0.0),
            str(info.get("name") or ""),
        )
    return found


class ProcDetails(NamedTuple):
    user: str
    command: str
    env_run: str | None


class DetailCache:
    """User, command line and run id (from the environment) per (pid, start), read once."""

    def __init__(self) -> None:
        self._cache: dict[tuple[int, float], ProcDetails] = {}
        self._users: dict[int, str] = {}
        self._env: dict[tuple[int, float], str | None] = {}

    def env_run(self, stat: ProcStat) -> str | None:
        """The process's ``MLOPS_DESKTOP_RUN_ID``, None when absent or unreadable (cached)."""
        key = (stat.pid, stat.start)
        if key not in self._env:
            self._env[key] = _read_env_run(stat.pid)
        return self._env[key]

    def details(self, stat: ProcStat) -> ProcDetails:
        key = (stat.pid, stat.start)
        got = self._cache.get(key)
        if got is None:
            command = _read_command(stat.pid) or f"[{stat.comm}]"
            got = ProcDetails(self._user(stat.pid), command, self.env_run(stat))
            self._cache[key] = got
        return got

    def forget_gone(self, alive: dict[int, ProcStat]) -> None:
        """Drop the cache entries of processes that are not in ``alive``."""
        for cache in (self._cache, self._env):
            for key in [k for k in cache if (s := alive.get(k[0])) is None or s.start != k[1]]:
                del cache[key]

    def user_of(self, pid: int) -> str:
        """The user name of ``pid``'s owner ("" when gone)."""
        return self._user(pid)

    def _user(self, pid: int) -> str:
        try:
            uid = os.stat(f"/proc/{pid}").st_uid if _LINUX else None
        except OSError:
            return ""
        if uid is None:
            try:
                return str(psutil.Process(pid).username())
            except (psutil.Error, OSError):
                return ""
        name = self._users.get(uid)
        if name is None:
            try:
                name = pwd.getpwuid(uid).pw_name
            except KeyError:
                name = str(uid)
            self._users[uid] = name
        return name


def _read_command(pid: int) -> str:
    try:
        if _LINUX:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                raw = f.read(COMMAND_CHARS * 4)
            text = raw.rstrip(b"\0").replace(b"\0", b" ").decode(errors="replace")
        else:
            text = " ".join(psutil.Process(pid).cmdline())
    except (OSError, psutil.Error):
        return ""
    return text if len(text) <= COMMAND_CHARS else text[: COMMAND_CHARS - 1] + "…"


def _read_env_run(pid: int) -> str | None:
    try:
        if _LINUX:
            with open(f"/proc/{pid}/environ", "rb") as f:
                raw = f.read()
            for item in raw.split(b"\0"):
                if item.startswith(RUN_ENV.encode() + b"="):
                    return item.split(b"=", 1)[1].decode(errors="replace") or None
            return None
        return psutil.Process(pid).environ().get(RUN_ENV) or None
    except (OSError, psutil.Error):
        return None  # AccessDenied (another user's process) or gone: fine
