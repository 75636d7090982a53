"""Inspect a model file in a separate, time- and memory-limited process.

The app never unpickles a model itself: :func:`inspect_model` starts
``python -m mlops_desktop.models.inspect_child PATH`` in a new process group, with stdin
closed, an empty temp folder as working directory (so nothing next to the model is imported),
single-threaded math libraries and a 4 GiB address-space limit that the child sets first.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from mlops_desktop.core.errors import ModelError
from mlops_desktop.core.models import InspectResult

MEMORY_LIMIT = 4 << 30
_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def _kill(proc: subprocess.Popen[bytes]) -> None:
    if hasattr(os, "killpg"):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        proc.kill()


def _last_json(stdout: str) -> dict[str, Any] | None:
    for line in reversed(stdout.splitlines()):
        line = line.strip()
        if line.startswith("{") and line.endswith("}"):
            try:
                value = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(value, dict):
                return value
    return None


def _last_line(text: str) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return lines[-1][:500] if lines else ""


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    for var in _THREAD_VARS:
        env[var] = "1"
    env["MLOPS_DESKTOP_INSPECT_MEMORY"] = str(MEMORY_LIMIT)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def inspect_model(path: Path, timeout_s: float = 30.0) -> InspectResult:
    """Load a ``.joblib``/``.pkl``/``.pickle`` model (or the first one in a folder) elsewhere.

    Args:
        path: the model file or folder.
        timeout_s: seconds the child may take; then its whole process group is killed.

    Raises:
        ModelError: the path is missing, loading failed (the child's last error line is in
            the message), took too long, or produced no readable answer.
    """
    path = Path(path).absolute()
    if not path.exists():
        raise ModelError(f"{path} does not exist; there is nothing to inspect.")
    started = time.monotonic()
    returncode, out, err = _run_child(path, timeout_s)
    seconds = time.monotonic() - started
    answer = _last_json(out.decode("utf-8", "replace"))
    if answer is not None and "error" in answer:
        raise ModelError(f"The model could not be loaded: {answer['error']}")
    if returncode != 0 or answer is None or "type" not in answer:
        why = _last_line(err.decode("utf-8", "replace"))
        why = why or f"the loader exited with status {returncode}"
        if returncode is not None and returncode < 0:
            why = f"the loader was killed by signal {-returncode} ({why})"
        raise ModelError(f"The model could not be loaded: {why}")
    params = answer.get("params")
    return InspectResult(
        type=str(answer["type"]),
        module=str(answer.get("module", "")),
        params=params if isinstance(params, dict) else {},
        summary=str(answer.get("summary", "")),
        seconds=seconds,
    )


def _run_child(path: Path, timeout_s: float) -> tuple[int | None, bytes, bytes]:
    """Run the loader on ``path`` in an empty temp folder; (exit status, stdout, stderr)."""
    with tempfile.TemporaryDirectory(prefix="mlops-inspect-") as cwd:
        return run_sandboxed(
            "mlops_desktop.models.inspect_child", path, cwd, timeout_s, "Loading the model"
        )


def run_sandboxed(
    module: str, argument: Path, cwd: str, timeout_s: float, doing: str
) -> tuple[int | None, bytes, bytes]:
    """Run ``python -m module argument`` in ``cwd`` with the child's limits and environment;
    (exit status, stdout, stderr).

    Its whole process group is killed when it ends, times out (ModelError naming ``doing``) or
    the wait is interrupted, so nothing the model's code started outlives it.
    """
    cmd = [sys.executable, "-m", module, str(argument)]
    proc = subprocess.Popen(
        cmd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=cwd,
        env=_child_env(),
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        _kill(proc)
        proc.communicate()
        raise ModelError(f"{doing} took longer than {timeout_s:g} s; it was stopped.") from None
    except BaseException:
        _kill(proc)
        proc.communicate()
        raise
    finally:
        if hasattr(os, "killpg"):  # anything the model's code left running
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
    return proc.returncode, out, err
