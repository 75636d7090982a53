"""Inspect a model file in a separate, sandboxed process.

The app never unpickles a model itself: :func:`inspect_model` starts
``python -m mlops_desktop.models.inspect_child PATH`` through
:func:`~mlops_desktop.models.sandbox.run_sandboxed` (hard limits, an empty environment, an
empty temp folder as working directory, and where bubblewrap or user namespaces work no network,
a read-only file system and a PID namespace that nothing outlives).
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path
from typing import Any

from mlops_desktop.core.errors import ModelError
from mlops_desktop.core.models import InspectResult
from mlops_desktop.models.sandbox import run_sandboxed
from mlops_desktop.tracking.model_folder import (
    DESCRIPTION_FILE,
    ModelFolderError,
    read_description,
    read_requirements,
)


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


def inspect_model(
    path: Path, timeout_s: float = 30.0, *, allow_unsandboxed: bool = False
) -> InspectResult:
    """Load a model file (``.joblib``, ``.pkl``, ``.pickle``, ``.pt``, ``.pth``) or a model
    folder (``MLmodel``) elsewhere and describe it.

    Args:
        path: the model file or folder.
        timeout_s: seconds the child may take; then it and everything it started is killed.
        allow_unsandboxed: load it without isolation when no sandbox works here.

    Raises:
        SandboxUnavailableError: no sandbox works here and ``allow_unsandboxed`` is false.
        ModelError: the path is missing, loading failed (the child's last error line is in
            the message), took too long, or produced no readable answer.
    """
    path = Path(path).absolute()
    if not path.exists():
        raise ModelError(f"{path} does not exist; there is nothing to inspect.")
    started = time.monotonic()
    returncode, out, err = _run_child(path, timeout_s, allow_unsandboxed)
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
    description = _description(path)
    return InspectResult(
        type=str(answer["type"]),
        module=str(answer.get("module", "")),
        params=params if isinstance(params, dict) else {},
        summary=str(answer.get("summary", "")),
        seconds=seconds,
        flavor=str(description.get("flavor") or ""),
        description=description,
    )


def _description(path: Path) -> dict[str, Any]:
    """The ``MLmodel`` description of a model folder (JSON or simple YAML: read here, safely),
    with its requirements file's lines when the description has none; {} for a bare file."""
    if not (path.is_dir() and (path / DESCRIPTION_FILE).is_file()):
        return {}
    try:
        description = read_description(path)
    except (ModelFolderError, OSError):
        return {}
    if not description.get("requirements"):
        description["requirements"] = read_requirements(path)
    return description


def _run_child(
    path: Path, timeout_s: float, allow_unsandboxed: bool
) -> tuple[int | None, bytes, bytes]:
    """Run the loader on ``path`` in an empty temp folder; (exit status, stdout, stderr)."""
    with tempfile.TemporaryDirectory(prefix="mlops-inspect-") as cwd:
        return run_sandboxed(
            "mlops_desktop.models.inspect_child",
            path,
            cwd,
            timeout_s,
            "Loading the model",
            readable=[path],
            allow_unsandboxed=allow_unsandboxed,
        )
