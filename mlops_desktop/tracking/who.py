"""Who did something, and where: the OS user and the machine's host name. Standard library only.

Runs, dataset versions, model versions, alias moves, monitors and jobs record both, so a lab
sharing one catalog sees who made what. A process without a login name (some containers, a
service with no passwd entry) is "unknown", never an error.
"""

from __future__ import annotations

import getpass
import os
import socket

UNKNOWN_USER = "unknown"
FIELD_LEN = 255  # the catalog's user and host columns


def os_user() -> str:
    """The OS user running this process: ``getpass.getuser()``, else the uid, else "unknown"."""
    try:
        name = getpass.getuser()
    except Exception:  # no USER/LOGNAME and no passwd entry for the uid
        uid = getattr(os, "getuid", None)
        name = f"uid{uid()}" if uid is not None else ""
    return (name or UNKNOWN_USER)[:FIELD_LEN]


def host_name() -> str:
    """This machine's host name (``socket.gethostname()``), "" when it has none."""
    try:
        return socket.gethostname()[:FIELD_LEN]
    except OSError:
        return ""


def who_fields(event: dict[str, object]) -> tuple[str | None, str | None]:
    """``(user, host)`` of a spool event or document: each a non-empty text, else None."""
    user, host = event.get("user"), event.get("host")
    return (
        user[:FIELD_LEN] if isinstance(user, str) and user else None,
        host[:FIELD_LEN] if isinstance(host, str) and host else None,
    )
