"""This machine's identity: its machine id plus its boot id, never its hostname alone.

Clones, containers and a loopback SSH host can share a hostname with this machine; a run's
liveness is judged by a local pid check only when the run's ``machine`` (recorded in its start
event) is this one's (:func:`machine_identity`). Standard library only.
"""

from __future__ import annotations

import functools
import socket

MACHINE_ID_FILES = ("/etc/machine-id", "/var/lib/dbus/machine-id")
BOOT_ID_FILE = "/proc/sys/kernel/random/boot_id"


def _first_line(path: str) -> str:
    try:
        with open(path, encoding="ascii", errors="replace") as fh:
            return fh.readline().strip()
    except OSError:
        return ""


@functools.cache
def machine_identity() -> str:
    """``"<machine id>:<boot id>"`` (a reboot is another identity: pids start over), or
    ``"host:<hostname>"`` where the machine id cannot be read."""
    machine = next((m for m in map(_first_line, MACHINE_ID_FILES) if m), "")
    if not machine:
        return f"host:{socket.gethostname()}"
    return f"{machine}:{_first_line(BOOT_ID_FILE) or '-'}"
