"""Starting a run: a new id and spool, or the one a launcher prepared for this process."""

from __future__ import annotations

import os
import shlex
import sys
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mlops_desktop.tracking import lifecycle
from mlops_desktop.tracking.home import RUN_ID_ENV, SPOOL_ENV, resolve_home, run_spool_dir
from mlops_desktop.tracking.machine import machine_identity
from mlops_desktop.tracking.names import generate_run_name
from mlops_desktop.tracking.run import Run
from mlops_desktop.tracking.validate import check_key, check_mapping, check_tag_key
from mlops_desktop.tracking.who import host_name, os_user

TARGET_ENV = "MLOPS_DESKTOP_TARGET"
EXPERIMENT_ENV = "MLOPS_DESKTOP_EXPERIMENT"  # set by the launcher: the launch's experiment
RUN_NAME_ENV = "MLOPS_DESKTOP_RUN_NAME"  # set by the launcher: the launch's run name
OUTPUT_CAPTURED_ENV = "MLOPS_DESKTOP_OUTPUT_CAPTURED"  # "1": the launcher logs stdout/stderr
SYSTEM_METRICS_ENV = "MLOPS_DESKTOP_SYSTEM_METRICS"  # "0": no system metrics for runs by hand
SYSTEM_INTERVAL_ENV = "MLOPS_DESKTOP_SYSTEM_INTERVAL"  # seconds between system samples
DEFAULT_SYSTEM_INTERVAL = 1.0
DEFAULT_EXPERIMENT = "Default"
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
        "host": host_name(),
        "user": os_user(),
        "machine": machine_identity(),
        "target": os.environ.get(TARGET_ENV) or "local",
    }


def start_run(
    experiment: str | None = None,
    name: str | None = None,
    params: Mapping[str, Any] | None = None,
    tags: Mapping[str, Any] | None = None,
    *,
    home: str | os.PathLike[str] | None = None,
    capture_env: bool = True,
    capture_output: bool = True,
    system_metrics: bool = True,
    parent_run_id: str | None = None,
    experiment_from_parent: bool = False,
    attach: bool = True,
) -> Run:
    """Start a run (use it as a context manager to end it).

    A process launched by the app carries ``MLOPS_DESKTOP_RUN_ID`` (and
    ``MLOPS_DESKTOP_SPOOL``, the run's spool folder); its first ``start_run`` attaches to
    that run instead of making a new id.

    Args:
        experiment: the experiment's name; by default the launch's (when the app launched
            this process) or "Default".
        name: a readable name; by default the launch's, else a generated one such as
            ``brave-otter-42``.
        params: parameters to record at once.
        tags: tags to set at once.
        home: the app home; by default ``MLOPS_DESKTOP_HOME`` or the platform's data folder.
        capture_env: record git state, packages and hardware (in a background thread).
        capture_output: copy stdout and stderr into the run's ``output.log``.
        system_metrics: sample this process and its children (CPU, memory, and the GPUs they
            use when NVML is there) into the run's ``system.jsonl`` every
            ``MLOPS_DESKTOP_SYSTEM_INTERVAL`` seconds (default 1) while the run lasts.
            ``MLOPS_DESKTOP_SYSTEM_METRICS=0`` turns it off too. A run the app launched is
            sampled by its launcher instead, never twice.
        parent_run_id: the run this one is a child of (recorded in the start event).
        experiment_from_parent: the caller named no experiment: the catalog puts the run in
            its parent's experiment when it knows the parent (``experiment`` is the fallback).
        attach: False never attaches to the launcher's run (a child of it, started in a
            process of the launched job, is a run of its own).
    """
    global _attached
    home_dir = resolve_home(home)
    env_id = os.environ.get(RUN_ID_ENV, "").strip()
    attaching = attach and bool(env_id) and not _attached
    if experiment is None:  # the launch's, for its run and for children of it
        of_launch = attaching or (parent_run_id is not None and parent_run_id == env_id)
        experiment = (os.environ.get(EXPERIMENT_ENV) if of_launch else None) or DEFAULT_EXPERIMENT
    if name is None:
        name = (os.environ.get(RUN_NAME_ENV) if attaching else None) or generate_run_name()
    check_key(experiment, "experiment")
    check_key(name, "run")
    if tags is not None:
        check_mapping(tags, "tags")
        for key in tags:
            check_tag_key(key)  # refused before anything starts
    if attaching and os.environ.get(OUTPUT_CAPTURED_ENV) == "1":
        capture_output = False  # the launcher already writes stdout/stderr to the run's log
    if attaching:
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
    event = _start_event(experiment, name)
    if parent_run_id:
        event["parent_run_id"] = parent_run_id
        event["experiment_from_parent"] = experiment_from_parent
    run._start(event, params, tags, capture_env, capture_output)
    if system_metrics and not attaching and os.environ.get(SYSTEM_METRICS_ENV, "1") != "0":
        run._start_system_metrics(_system_interval())
    return run


def attaches_next() -> bool:
    """Whether the next run started in this process attaches to the launcher's run."""
    return bool(os.environ.get(RUN_ID_ENV, "").strip()) and not _attached


def launched_run_id() -> str | None:
    """The run id the launcher gave this process (``MLOPS_DESKTOP_RUN_ID``), or None."""
    return os.environ.get(RUN_ID_ENV, "").strip() or None


def _system_interval() -> float:
    try:
        seconds = float(os.environ.get(SYSTEM_INTERVAL_ENV, DEFAULT_SYSTEM_INTERVAL))
    except ValueError:
        return DEFAULT_SYSTEM_INTERVAL
    return seconds if seconds > 0 else DEFAULT_SYSTEM_INTERVAL


def active_run() -> Run | None:
    """The most recently started run of this process that has not ended, or None."""
    return lifecycle.active_run()
