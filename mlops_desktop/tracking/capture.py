"""What a run ran on: code (git), interpreter, packages, OS and hardware.

Everything here is best effort: a failing probe records its error string under
``env["errors"]`` and never fails the run. Subprocesses always run with a timeout.
"""

from __future__ import annotations

import os
import platform
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

DIFF_CAP_BYTES = 1 << 20
TIMEOUT_S = 10.0
_UNTRACKED_HEADER = "\n# Untracked files (not in the diff above):\n"


def _run(cmd: list[str], cwd: str | None = None, timeout: float = TIMEOUT_S) -> str:
    """Stdout of ``cmd`` as text; raises on a non-zero exit, a timeout or a missing program."""
    proc = subprocess.run(
        cmd,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=timeout,
        check=False,
    )
    if proc.returncode != 0:
        lines = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        detail = f": {lines[0]}" if lines else ""
        raise RuntimeError(f"{' '.join(cmd[:2])} exited with {proc.returncode}{detail}")
    return proc.stdout.decode("utf-8", "replace")


def _cap_utf8(text: str, cap_bytes: int) -> tuple[str, int, bool]:
    """``text`` cut to at most ``cap_bytes`` UTF-8 bytes, its full size and whether it was cut."""
    data = text.encode("utf-8")
    if len(data) <= cap_bytes:
        return text, len(data), False
    return data[:cap_bytes].decode("utf-8", "ignore"), len(data), True


def capture_git(
    path: str | os.PathLike[str], cap_bytes: int = DIFF_CAP_BYTES
) -> dict[str, Any] | None:
    """The git state of the repository holding ``path``, or None outside a repository.

    The diff is ``git diff HEAD`` (staged and unstaged changes of tracked files) followed by
    a list of untracked files; ``dirty`` is true when either is non-empty. The keys match
    ``core.runs.GitInfo``.

    Raises:
        RuntimeError, OSError, subprocess.TimeoutExpired: git failed in a way that is not
            "not a repository" (the caller records the error).
    """
    cwd = os.fspath(path)
    if shutil.which("git") is None:
        raise RuntimeError("git is not installed")
    try:
        root = _run(["git", "rev-parse", "--show-toplevel"], cwd).strip()
    except RuntimeError:
        return None  # not a repository
    try:
        commit: str | None = _run(["git", "rev-parse", "--verify", "HEAD"], root).strip()
    except RuntimeError:
        commit = None  # no commit yet
    branch: str | None = None
    try:
        branch = _run(["git", "symbolic-ref", "--short", "-q", "HEAD"], root).strip() or None
    except RuntimeError:
        branch = None  # detached HEAD
    if commit is not None:
        diff = _run(["git", "diff", "HEAD", "--no-color", "--no-ext-diff"], root)
    else:
        diff = _run(["git", "diff", "--cached", "--no-color", "--no-ext-diff"], root)
    untracked = _run(["git", "ls-files", "--others", "--exclude-standard", "-z"], root)
    names = [n for n in untracked.split("\0") if n]
    text = diff
    if names:
        text += _UNTRACKED_HEADER + "".join(f"#   {n}\n" for n in names)
    capped, size, truncated = _cap_utf8(text, cap_bytes)
    return {
        "commit": commit,
        "branch": branch,
        "dirty": bool(diff.strip() or names),
        "diff": capped,
        "diff_bytes": size,
        "diff_truncated": truncated,
        "cap_bytes": cap_bytes,
        "repo_root": root,
    }


def _cpu() -> dict[str, Any]:
    model = None
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if line.startswith(("model name", "Hardware", "cpu model")):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"model": model or platform.processor() or None, "logical": os.cpu_count()}


def parse_nvidia_smi(text: str) -> list[dict[str, Any]]:
    """Rows of ``nvidia-smi --query-gpu=index,name,memory.total,driver_version`` (csv)."""
    gpus = []
    for line in text.splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) < 4 or not parts[0].isdigit():
            continue
        try:
            memory = int(float(parts[2]))
        except ValueError:
            memory = None
        gpus.append(
            {
                "index": int(parts[0]),
                "name": parts[1],
                "memory_total_mib": memory,
                "driver": parts[3],
            }
        )
    return gpus


def _gpus() -> list[dict[str, Any]]:
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return []
    query = "--query-gpu=index,name,memory.total,driver_version"
    return parse_nvidia_smi(_run([exe, query, "--format=csv,noheader,nounits"], timeout=5.0))


def _packages() -> dict[str, str]:
    from importlib import metadata

    found: dict[str, str] = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"] if dist.metadata else None
        if name and name not in found:
            found[name] = dist.version
    return dict(sorted(found.items(), key=lambda kv: kv[0].lower()))


def code_dir() -> Path:
    """Where the run's code lives: a Python script's folder, else the working directory.

    An installed command (a console-script wrapper in a ``bin`` folder, say ``mlops-desktop``
    or ``jupyter``) is not the run's code: its folder's git state would describe the
    environment's installation, so the working directory is used then.
    """
    script = sys.argv[0] if sys.argv else ""
    if script.endswith(".py") and os.path.isfile(script):
        return Path(script).resolve().parent
    return Path.cwd()


def capture_environment(code_path: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """The ``env`` event's fields: ``{"env": {...}, "git": {...} or None}``."""
    errors: dict[str, str] = {}
    env: dict[str, Any] = {
        "argv": list(sys.argv),
        "python": {
            "version": platform.python_version(),
            "implementation": platform.python_implementation(),
            "executable": sys.executable,
        },
        "hostname": socket.gethostname(),
    }
    probes = {
        "platform": lambda: {
            "system": platform.system(),
            "release": platform.release(),
            "machine": platform.machine(),
            "platform": platform.platform(),
        },
        "cpu": _cpu,
        "gpus": _gpus,
        "packages": _packages,
    }
    for key, probe in probes.items():
        try:
            env[key] = probe()
        except Exception as exc:
            env[key] = [] if key == "gpus" else None
            errors[key] = f"{type(exc).__name__}: {exc}"
    git = None
    try:
        git = capture_git(code_path if code_path is not None else code_dir())
    except Exception as exc:
        errors["git"] = f"{type(exc).__name__}: {exc}"
    env["errors"] = errors
    return {"env": env, "git": git}
