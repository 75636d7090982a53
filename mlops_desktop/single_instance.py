"""One app per home: where the running app listens, and handing a second start over to it.

Standard library only: a second ``mlops-desktop`` start asks the first one before it imports Qt,
SQLAlchemy or the catalog, so it can hand over and exit within a few hundred milliseconds. The
first app listens with ``QLocalServer`` (:mod:`mlops_desktop.ui.instance_server`) on a Unix
socket whose path this module derives from the home (and a ``--catalog`` given on the command
line): two homes are two apps.

The wire format is one JSON object per line each way: the request
(``{"protocol": 1, "show_run": ..., "show_model": ..., "pane": ...}``), then the answer
``{"ok": true}`` once the running app took it.

A start that finds nobody listening *claims* the home: it holds an exclusive lock (``flock``,
which the kernel drops when a process dies, even by ``kill -9``) until its server listens, so two
starts at the same moment cannot both become the first. A socket file left by a crashed app
refuses the connection; only then is it removed (by the server, before it listens).
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import socket
import struct
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from mlops_desktop.core.errors import UserFacingError

PROTOCOL = 1
ANSWER_TIMEOUT_S = 5.0
"""How long a second start waits for the running app's answer once connected."""
LOCK_TIMEOUT_S = 30.0
"""How long a start waits for another start of the same home to finish claiming it."""
_LOCK_POLL_S = 0.02
_MAX_LINE = 64 * 1024

_log = logging.getLogger(__name__)


class InstanceNotAnswering(UserFacingError):
    """The app already runs on this home but did not take the request in time."""


@dataclass(frozen=True)
class ShowRequest:
    """What a start asked for on its command line; all None: just bring the window forward.

    Attributes:
        show_run: a run id or unique id prefix to select in the Experiments pane.
        show_model: a model reference (``NAME``, ``NAME@ALIAS``, ``NAME:VERSION``).
        pane: the name of a pane to show ("Jobs").
    """

    show_run: str | None = None
    show_model: str | None = None
    pane: str | None = None

    def to_line(self) -> bytes:
        """The request as one line of JSON."""
        document = {"protocol": PROTOCOL, **asdict(self)}
        return json.dumps(document, separators=(",", ":")).encode() + b"\n"

    @classmethod
    def from_line(cls, line: bytes) -> ShowRequest:
        """Read a request line; raises ValueError when it is not one."""
        document = json.loads(line.decode("utf-8"))
        if not isinstance(document, dict):
            raise ValueError("a request is a JSON object")
        fields = {}
        for key in ("show_run", "show_model", "pane"):
            value = document.get(key)
            if value is not None and not isinstance(value, str):
                raise ValueError(f"{key} is not a string")
            fields[key] = value or None
        return cls(**fields)


def instance_address(home: Path, catalog_option: str | None = None) -> str:
    """Where the app of ``home`` listens: a socket path unique to the user, the resolved home
    and a ``--catalog`` URL given on the command line (None: the home's own catalog).

    The socket lives in ``$XDG_RUNTIME_DIR`` (private to the user) when there is one, else in
    ``$TMPDIR`` or ``/tmp``; the name carries the user id, and a socket of another user is
    never talked to (its owner is checked with ``SO_PEERCRED``).
    """
    key = f"{os.path.realpath(home)}\n{catalog_option or ''}"
    digest = hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()[:24]
    uid = os.getuid() if hasattr(os, "getuid") else 0
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    folder = runtime if runtime and os.path.isdir(runtime) else os.environ.get("TMPDIR") or "/tmp"

    return os.path.join(folder, f"mlops-desktop-{uid}-{digest}")


class StartClaim:
    """This process is the first app on its home: it holds the start lock until its server
    listens (:meth:`release`), and may remove a socket file left by a crashed app."""

    def __init__(self, address: str, lock_fd: int | None) -> None:
        self.address = address
        self._lock_fd = lock_fd

    @property
    def locked(self) -> bool:
        return self._lock_fd is not None

    def release(self) -> None:
        """Let other starts of this home look for the server (call it once it listens)."""
        _held.pop(self.address, None)
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # closing drops the flock
            self._lock_fd = None


_held: dict[str, StartClaim] = {}
"""Claims this process holds, by address: the early check and the GUI share one."""


def claim_or_hand_over(
    address: str,
    request: ShowRequest,
    answer_timeout_s: float = ANSWER_TIMEOUT_S,
    lock_timeout_s: float = LOCK_TIMEOUT_S,
) -> StartClaim | None:
    """Hand ``request`` to the app listening at ``address`` (None: it took it, so exit), or
    claim the home for this process when no app answers there.

    Never fails on its own account: whatever goes wrong with sockets or locks is logged and
    this process starts as the first app.

    Raises:
        InstanceNotAnswering: an app listens at ``address`` but did not take the request.
    """
    held = _held.get(address)
    if held is not None:
        return held
    if sys.platform == "win32":  # named pipes need Qt: each start is its own app there
        return StartClaim(address, None)
    lock_fd = _lock(address + ".lock", lock_timeout_s)
    try:
        connection = _connect(address)
        if connection is not None:
            with connection:
                _exchange(connection, request, answer_timeout_s)
            _unlock(lock_fd)
            return None
    except BaseException:
        _unlock(lock_fd)
        raise
    claim = StartClaim(address, lock_fd)
    _held[address] = claim
    return claim


def _connect(address: str) -> socket.socket | None:
    """A connection to the app at ``address``; None when nobody of this user listens there."""
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    connection.settimeout(2.0)
    try:
        connection.connect(address)
    except (FileNotFoundError, ConnectionRefusedError):  # nobody, or a crashed app's file
        connection.close()
        return None
    except OSError as exc:
        _log.warning("Cannot reach a running app at %s (%s): starting a new one", address, exc)
        connection.close()
        return None
    if not _same_user(connection):
        _log.warning("The socket %s belongs to another user: starting without it", address)
        connection.close()
        return None
    return connection


def _same_user(connection: socket.socket) -> bool:
    """True when the peer runs as this user (always True where the kernel cannot say)."""
    option = getattr(socket, "SO_PEERCRED", None)
    if option is None or not hasattr(os, "getuid"):
        return True
    try:
        credentials = connection.getsockopt(socket.SOL_SOCKET, option, struct.calcsize("3i"))
    except OSError:
        return True
    _pid, uid, _gid = struct.unpack("3i", credentials)
    return bool(uid == os.getuid())


def _exchange(connection: socket.socket, request: ShowRequest, timeout_s: float) -> None:
    """Send ``request`` and wait for the running app's answer."""
    deadline = time.monotonic() + timeout_s
    answer = b""
    try:
        connection.sendall(request.to_line())
        while not answer.endswith(b"\n") and len(answer) < _MAX_LINE:
            connection.settimeout(max(0.001, deadline - time.monotonic()))
            chunk = connection.recv(4096)
            if not chunk:
                break
            answer += chunk
        if json.loads(answer.decode()).get("ok") is True:
            return
    except (OSError, ValueError, AttributeError) as exc:
        _log.warning("The running app did not answer the hand-over: %s", exc)
    raise InstanceNotAnswering(
        f"MLOps Desktop already runs on this home but did not answer within {timeout_s:g} s; "
        "wait until its window responds and start it again, or close it first."
    )


def _lock(path: str, timeout_s: float) -> int | None:
    """An exclusive flock on ``path``, waited for up to ``timeout_s``; None when there is none
    to be had (the start goes on without it)."""
    import fcntl

    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        _log.warning("Cannot create the start lock %s: %s", path, exc)
        return None
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES) or time.monotonic() > deadline:
                _log.warning("Cannot take the start lock %s: %s", path, exc)
                os.close(fd)
                return None
        time.sleep(_LOCK_POLL_S)


def _unlock(fd: int | None) -> None:
    if fd is not None:
        os.close(fd)
