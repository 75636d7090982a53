"""Helpers of the hardware stream tests: an update recorder that waits on a condition, and the
agent processes running on this machine."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from mlops_desktop.core.hardware import HostUpdate


class Recorder:
    """Collects updates; waits on a condition, never a bare sleep."""

    def __init__(self) -> None:
        self.updates: list[HostUpdate] = []
        self._cond = threading.Condition()

    def __call__(self, update: HostUpdate) -> None:
        with self._cond:
            self.updates.append(update)
            self._cond.notify_all()

    def wait_for(self, pred: Callable[[list[HostUpdate]], bool], timeout: float = 30.0) -> None:
        with self._cond:
            assert self._cond.wait_for(lambda: pred(self.updates), timeout), self.updates[-5:]

    def samples(self) -> list[HostUpdate]:
        return [u for u in self.updates if u.sample is not None]


def samples(updates: list[HostUpdate]) -> int:
    return sum(u.sample is not None for u in updates)


def agent_pids(marker: str) -> list[int]:
    """Running hw_agent processes whose PYTHONPATH contains ``marker``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes()
            env = (entry / "environ").read_bytes()
        except OSError:
            continue
        if b"mlops_desktop.tracking.hw_agent" in cmd and marker.encode() in env:
            found.append(int(entry.name))
    return found


def wait_gone(marker: str, timeout: float = 10.0) -> list[int]:
    deadline = time.monotonic() + timeout
    while (left := agent_pids(marker)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left
