"""Starting a run: a new id and spool, or the one a launcher prepared for this process."""

from __future__ import annotations

import os
import shlex
import socket
import sys
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mlops_desktop.tracking import lifecycle
from mlops_desktop.tracking.home import RUN_ID_ENV, SPOOL_ENV, resolve_home, run_spool_dir
from mlops_desktop.tracking.names import generate_run_name
from mlops_desktop.tracking.run import Run
from mlops_desktop.tracking.validate import check_key

TARGET_ENV = "MLOPS_DESKTOP_TARGET"
_attached = False


def _start_event(experiment: str, name: str) -> dict[str, Any]:
    return {
        "type": "start",
        "experiment": experiment,
        "name": name,
        "started_at": time.time(),
        "command": shlex.join([sys.executable, *sys.argv]),
        "cwd": os.getcwd(),
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "target": os.environ.get(TARGET_ENV) or "local",
    }


def start_run(
    experiment: str = "default",
    name: str | None = None,
    params: Mapping[str, Any] | None = None,
    tags: Mapping[str, Any] | None = None,
    *,
    home: str | os.PathLike[str] | None = None,
    capture_env: bool = True,
    capture_output: bool = True,
) -> Run:
    """Start a run (use it as a context manager to end it).

    A process launched by the app carries ``MLOPS_DESKTOP_RUN_ID`` (and
    ``MLOPS_DESKTOP_SPOOL``, the run's spool folder); its first ``start_run`` attaches to
    that run instead of making a new id.

    Args:
        experiment: the experiment's name.
        name: a readable name; by default a generated one such as ``brave-otter-42``.
        params: parameters to record at once.
        tags: tags to set at once.
        home: the app home; by default ``MLOPS_DESKTOP_HOME`` or the platform's data folder.
        capture_env: record git state, packages and hardware (in a background thread).
        capture_output: copy stdout and stderr into the run's ``output.log``.
    """
    global _attached
    check_key(experiment, "experiment")
    if name is None:
        name = generate_run_name()
    check_key(name, "run")
    home_dir = resolve_home(home)
    env_id = os.environ.get(RUN_ID_ENV, "").strip()
    if env_id and not _attached:
        if not env_id.replace("-", "").replace("_", "").isalnum():
            raise ValueError(f"{RUN_ID_ENV}={env_id!r} is not a valid run id")
        _attached = True
        run_id = env_id
        spool = os.environ.get(SPOOL_ENV, "").strip()
        spool_dir = Path(spool).expanduser() if spool else run_spool_dir(home_dir, run_id)
    else:
        run_id = uuid.uuid4().hex
        spool_dir = run_spool_dir(home_dir, run_id)
    run = Run(run_id, experiment, name, spool_dir, home_dir)
    run._start(_start_event(experiment, name), params, tags, capture_env, capture_output)
    return run


def active_run() -> Run | None:
    """The most recently started run of this process that has not ended, or None."""
    return lifecycle.active_run()
