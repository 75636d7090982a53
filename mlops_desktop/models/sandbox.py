"""The sandbox of the child that loads (inspects or scores) a model file.

Loading a pickle runs code chosen by whoever made the file, so the child runs with:

* hard limits (soft = hard, so it cannot raise them): address space, CPU time, file size,
  processes, no core files; the child sets them before it reads the model;
* an empty environment: a minimal ``PATH``, ``PYTHONPATH`` for this package, ``HOME`` and
  ``TMPDIR`` in its own temp folder, ``LANG=C.UTF-8`` and single-threaded math libraries;
* with ``bwrap`` (bubblewrap): no network, a read-only view of the whole file system but its
  temp folder (the model and table read-only, a private ``/tmp``), no capabilities, and a new
  PID namespace: when the child ends, every process it started is killed by the kernel;
* with ``unshare`` (util-linux, unprivileged user namespaces): no network, no capabilities
  outside the namespace and the same PID namespace, but the file system stays writable where
  the user can write;
* with neither, no isolation at all: :class:`SandboxUnavailableError` unless the caller allows
  it (``--no-sandbox`` in the CLI, a question in the GUI).

The mechanism is probed once per process (``MLOPS_DESKTOP_SANDBOX=bwrap|unshare|none`` forces
one). :func:`run_sandboxed` is the one way the app starts such a child.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path

from mlops_desktop.core.errors import ModelError, SandboxUnavailableError
from mlops_desktop.tracking.package_root import package_root

SANDBOX_ENV = "MLOPS_DESKTOP_SANDBOX"
MECHANISMS = ("bwrap", "unshare", "none")
MEMORY_LIMIT = 4 << 30
FILE_SIZE_LIMIT = 1 << 30
EXTRA_PROCESSES = 256
LIMITS_ENV = "MLOPS_DESKTOP_CHILD_LIMITS"
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
CHILD_ENV_NAMES = (
    "PATH",
    "HOME",
    "TMPDIR",
    "LANG",
    "PYTHONPATH",
    "PYTHONDONTWRITEBYTECODE",
    "PYTHONNOUSERSITE",
    LIMITS_ENV,
    "SYSTEMROOT",
    *THREAD_VARS,
)
NO_SANDBOX = (
    "No sandbox can isolate the model's loader here (bubblewrap, `bwrap`, is not installed and "
    "unprivileged user namespaces are not allowed), so the model's code would run with your "
    "rights, network and files; install bubblewrap, or pass --no-sandbox to load a model you "
    "trust without isolation."
)

_probed: dict[str, bool] = {}
_lock = threading.Lock()


def _bwrap_args(cwd: str, readable: Sequence[Path]) -> list[str]:
    args = ["bwrap", "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL"]
    args += ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"]
    for folder in _hidden_runtime():
        args += ["--ro-bind", folder, folder]
    args += ["--bind", cwd, cwd]
    for path in readable:
        args += ["--ro-bind", str(Path(path).resolve()), str(path)]
    # the private /tmp itself read-only too (its bind mounts keep their own modes)
    return [*args, "--remount-ro", "/tmp", "--chdir", cwd, "--"]


def _unshare_args() -> list[str]:
    namespaces = ["--user", "--map-root-user", "--net", "--pid", "--fork", "--mount-proc"]
    return ["unshare", *namespaces, "--kill-child", "--"]


def _hidden_runtime() -> list[str]:
    """The interpreter's and this package's folders that a private /tmp would hide."""
    tmp = Path("/tmp")
    seen: list[str] = []
    for raw in (sys.prefix, sys.base_prefix, Path(sys.executable).parent, _package_root()):
        path = Path(raw).resolve()
        if path.is_relative_to(tmp) and path != tmp and str(path) not in seen:
            seen.append(str(path))
    return seen


def _package_root() -> str:
    return package_root()


def works(name: str) -> bool:
    """Whether the mechanism ``name`` can start a sandboxed process here (probed once)."""
    if name == "none":
        return True
    with _lock:
        if name not in _probed:
            _probed[name] = _probe(name)
        return _probed[name]


def _probe(name: str) -> bool:
    if shutil.which(name) is None or not sys.platform.startswith("linux"):
        return False
    true = shutil.which("true") or "/bin/true"
    try:
        with tempfile.TemporaryDirectory(prefix="mlops-sandbox-probe-") as cwd:
            prefix = _bwrap_args(cwd, ()) if name == "bwrap" else _unshare_args()
            done = subprocess.run(
                [*prefix, true],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                cwd=cwd,
                timeout=10,
                check=False,
            )
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


def mechanism() -> str:
    """ "bwrap", "unshare" or "none": the forced one, else the first that works here."""
    forced = os.environ.get(SANDBOX_ENV, "").strip().lower()
    if forced:
        if forced not in MECHANISMS:
            raise SandboxUnavailableError(
                f"{SANDBOX_ENV}={forced!r} is not a sandbox; use bwrap, unshare or none."
            )
        if not works(forced):
            raise SandboxUnavailableError(
                f"{SANDBOX_ENV}={forced} was asked for, but {forced} cannot start a sandbox on "
                "this machine; unset it to use whatever works."
            )
        return forced
    return next(m for m in MECHANISMS if works(m))


def child_limits(timeout_s: float) -> dict[str, int]:
    """The hard limits the child sets on itself (``RLIMIT_`` names without the prefix)."""
    limits = {
        "AS": MEMORY_LIMIT,
        "CPU": int(timeout_s * 2) + 5,
        "FSIZE": FILE_SIZE_LIMIT,
        "CORE": 0,
    }
    own = _own_processes()
    if own is not None:
        limits["NPROC"] = own + EXTRA_PROCESSES
    return limits


def _own_processes() -> int | None:
    """How many processes this user runs now (RLIMIT_NPROC counts them all), or None."""
    if not sys.platform.startswith("linux"):
        return None
    uid = os.getuid()
    count = 0
    with contextlib.suppress(OSError):
        for entry in os.scandir("/proc"):
            if entry.name.isdigit():
                with contextlib.suppress(OSError):
                    count += entry.stat().st_uid == uid
    return count or None


def child_env(cwd: str, timeout_s: float) -> dict[str, str]:
    """The child's whole environment: only what the loader needs."""
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": cwd,
        "TMPDIR": cwd,
        "LANG": "C.UTF-8",
        "PYTHONPATH": _package_root(),
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONNOUSERSITE": "1",
        LIMITS_ENV: json.dumps(child_limits(timeout_s)),
    }
    if os.name == "nt" and "SYSTEMROOT" in os.environ:  # pragma: no cover - Windows
        env["SYSTEMROOT"] = os.environ["SYSTEMROOT"]
    env.update(dict.fromkeys(THREAD_VARS, "1"))
    return env


def run_sandboxed(
    module: str,
    argument: Path,
    cwd: str,
    timeout_s: float,
    doing: str,
    *,
    readable: Sequence[Path] = (),
    allow_unsandboxed: bool = False,
) -> tuple[int | None, bytes, bytes]:
    """Run ``python -m module argument`` in the sandbox, in ``cwd`` (its only writable folder);
    (exit status, stdout, stderr).

    Args:
        readable: files and folders the child reads (the model, the table), bound read-only.
        allow_unsandboxed: run without isolation when no sandbox works here.

    Raises:
        SandboxUnavailableError: no sandbox works here and ``allow_unsandboxed`` is false.
        ModelError: the child took longer than ``timeout_s`` (named by ``doing``).
    """
    how = mechanism()
    if how == "none" and not allow_unsandboxed:
        raise SandboxUnavailableError(NO_SANDBOX)
    prefix = _bwrap_args(cwd, readable) if how == "bwrap" else []
    prefix = _unshare_args() if how == "unshare" else prefix
    cmd = [*prefix, sys.executable, "-m", module, str(argument)]
    proc = subprocess.Popen(
        cmd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=cwd,
        env=child_env(cwd, timeout_s),
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        proc.communicate()
        raise ModelError(f"{doing} took longer than {timeout_s:g} s; it was stopped.") from None
    except BaseException:
        _kill_group(proc)
        proc.communicate()
        raise
    finally:
        _kill_group(proc)  # anything the model's code left running (outside a PID namespace)
    return proc.returncode, out, err


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    if hasattr(os, "killpg"):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        proc.kill()
