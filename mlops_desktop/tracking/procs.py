"""Process facts from ``/proc`` with the standard library only (the launcher travels to hosts).

On systems without ``/proc`` the functions return None or empty results; callers fall back
to what they can (the local executor uses psutil there).
"""

from __future__ import annotations

import os
import time

PROC = "/proc"
CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _stat_fields(pid: int) -> list[str] | None:
    """Fields of ``/proc/<pid>/stat`` from field 3 (state) on, or None when unreadable."""
    try:
        with open(f"{PROC}/{pid}/stat", "rb") as fh:
            raw = fh.read().decode("ascii", "replace")
    except OSError:
        return None
    end = raw.rfind(")")  # the command name may hold spaces and parentheses
    return raw[end + 2 :].split() if end >= 0 else None


def has_proc() -> bool:
    """Whether this system has a Linux-style ``/proc``."""
    return os.path.exists(f"{PROC}/self/stat")


def start_ticks(pid: int) -> int | None:
    """When ``pid`` started, in clock ticks since boot (field 22 of its stat), or None."""
    fields = _stat_fields(pid)
    return int(fields[19]) if fields else None


def own_start_ticks() -> float:
    """This process's start ticks, or the wall time where there is no ``/proc``."""
    ticks = start_ticks(os.getpid())
    return float(ticks) if ticks is not None else time.time()


def is_zombie(pid: int) -> bool:
    fields = _stat_fields(pid)
    return bool(fields) and fields[0] in ("Z", "X")  # type: ignore[index]


def process_alive(pid: int, ticks: float | None = None) -> bool:
    """Whether ``pid`` runs (not a zombie) and, given ``ticks``, started at those ticks."""
    fields = _stat_fields(pid)
    if fields is None:
        if has_proc():
            return False
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except OSError:
            return True
        return True
    if fields[0] in ("Z", "X"):
        return False
    return ticks is None or int(fields[19]) == int(ticks)


def group_members(pgid: int) -> list[int]:
    """Live (non-zombie) processes whose process group is ``pgid``."""
    found: list[int] = []
    try:
        names = os.listdir(PROC)
    except OSError:
        return found
    for name in names:
        if not name.isdigit():
            continue
        fields = _stat_fields(int(name))
        if fields and int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
            found.append(int(name))
    return found


def group_usage(pgid: int, exclude: int | None = None) -> tuple[int, int]:
    """(CPU ticks used so far, resident bytes) summed over the group's live processes."""
    ticks = rss = 0
    for pid in group_members(pgid):
        if pid == exclude:
            continue
        fields = _stat_fields(pid)
        if not fields:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime + stime
        rss += int(fields[21]) * PAGE_SIZE
    return ticks, rss


def _children(pid: int) -> list[int] | None:
    """Children of ``pid`` from ``/proc/PID/task/*/children`` ([] when it is gone), or None
    where the kernel does not offer those files."""
    try:
        tids = os.listdir(f"{PROC}/{pid}/task")
    except OSError:
        return []
    kids: list[int] = []
    for tid in tids:
        try:
            with open(f"{PROC}/{pid}/task/{tid}/children", "rb") as fh:
                kids.extend(int(k) for k in fh.read().split())
        except FileNotFoundError:
            if not os.path.exists(f"{PROC}/{pid}/task/{tid}"):
                continue  # the thread ended meanwhile
            return None
        except (OSError, ValueError):
            continue
    return kids


def tree_usage(root: int) -> tuple[int, int, list[int]]:
    """(CPU ticks, resident bytes, pids) of ``root`` and its live descendants.

    Follows the ``children`` files from ``root`` down: a few reads, not one per process of the
    machine (a sampler thread in a busy Python process gets the GIL back once per read). Where
    the kernel lacks those files, every process's stat is read instead.
    """
    ticks = rss = 0
    found: list[int] = []
    todo = [root]
    while todo:
        pid = todo.pop()
        fields = _stat_fields(pid)
        if not fields or fields[0] in ("Z", "X"):
            continue
        kids = _children(pid)
        if kids is None:
            return _tree_usage_by_scan(root)
        found.append(pid)
        ticks += int(fields[11]) + int(fields[12])
        rss += int(fields[21]) * PAGE_SIZE
        todo.extend(kids)
    return ticks, rss, found


def _tree_usage_by_scan(root: int) -> tuple[int, int, list[int]]:
    children: dict[int, list[int]] = {}
    usage: dict[int, tuple[int, int]] = {}
    try:
        names = os.listdir(PROC)
    except OSError:
        return 0, 0, []
    for name in names:
        if not name.isdigit():
            continue
        fields = _stat_fields(int(name))
        if not fields or fields[0] in ("Z", "X"):
            continue
        pid = int(name)
        children.setdefault(int(fields[1]), []).append(pid)
        usage[pid] = (int(fields[11]) + int(fields[12]), int(fields[21]) * PAGE_SIZE)
    ticks = rss = 0
    found: list[int] = []
    todo = [root] if root in usage else []
    while todo:
        pid = todo.pop()
        found.append(pid)
        ticks += usage[pid][0]
        rss += usage[pid][1]
        todo.extend(children.get(pid, ()))
    return ticks, rss, found
