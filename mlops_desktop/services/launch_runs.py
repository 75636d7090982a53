"""What ``JobService.launch`` checks and records around the executor's start.

- The command is checked on its target before anything starts (see
  :mod:`mlops_desktop.services.launch_checks`), so a typo fails at once with the reason.
- The run is recorded as ``queued`` in the catalog before ``launch`` returns, and ended from
  its job's state when the job ends before the run's own end arrives (see
  :mod:`mlops_desktop.catalog.queued_runs`).
"""

from __future__ import annotations

import dataclasses
import os
import re
import shlex
from collections.abc import Callable
from pathlib import Path

from mlops_desktop.catalog import queued_runs
from mlops_desktop.catalog.engine import Catalog
from mlops_desktop.core.compute import JobInfo, RunSpec
from mlops_desktop.core.errors import JobError
from mlops_desktop.tracking.validate import env_name_problem, env_value_problem
from mlops_desktop.tracking.who import os_user

# how long ``launch`` (the command) waits for a job to leave "starting"; a launch that failed
# at once (a bad interpreter, a command that cannot start) is reported instead of "(lost)"
START_WAIT_S = 3.0
_RUN_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def checked_spec(spec: RunSpec, validate_target: Callable[[str], str]) -> RunSpec:
    """``spec`` checked, with its target normalised, workdir resolved and GPU count set.

    Raises:
        JobError: a malformed command, GPU count or indices, or grace period.
        HostError: the target is unknown (from ``validate_target``).
    """
    cmd = spec.command
    if not isinstance(cmd, list) or not cmd or not all(isinstance(c, str) for c in cmd):
        raise JobError("Give the command to run, e.g. `launch -- python train.py`.")
    if not cmd[0].strip():
        raise JobError("The command's program name is empty.")
    if spec.gpus < 0:
        raise JobError("The number of GPUs cannot be negative.")
    if spec.gpu_indices is not None and any(i < 0 for i in spec.gpu_indices):
        raise JobError("GPU indices are 0, 1, 2, ...")
    if spec.cancel_grace_s < 0:
        raise JobError("The cancel grace period cannot be negative.")
    parent = spec.parent_run_id
    if parent is not None and not _RUN_ID.fullmatch(parent):
        raise JobError(f"{parent!r} is not a run id (letters, digits, - and _; 64 at most).")
    for name, value in spec.env.items():  # the launcher owns MLOPS_DESKTOP_RUN_ID & co
        problem = env_name_problem(name) or env_value_problem(name, value)
        if problem:
            raise JobError(problem)
    target = validate_target(spec.target)
    workdir = str(Path(spec.workdir or os.getcwd()).resolve())
    gpus = len(spec.gpu_indices) if spec.gpu_indices else spec.gpus
    return dataclasses.replace(spec, target=target, workdir=workdir, gpus=gpus)


def record_queued(catalog: Catalog, run_id: str, spec: RunSpec, at: float) -> None:
    """Record the launched run as ``queued`` (name, experiment and parent of ``spec``)."""
    with catalog.session_scope(write=True) as s:
        queued_runs.insert_queued_run(
            s,
            run_id,
            spec.experiment,
            spec.name or "",
            shlex.join(spec.command),
            spec.workdir or "",
            spec.target,
            at,
            os_user(),
            spec.parent_run_id,
        )


def end_run(catalog: Catalog, job: JobInfo) -> None:
    """End ``job``'s run from the job's end when the run's own end has not arrived (a queued
    run; for a remote target also a running one: its liveness is the job's)."""
    with catalog.session_scope(write=True) as s:
        queued_runs.end_run_of_job(
            s,
            job.run_id,
            job.state,
            job.ended_at or job.submitted_at,
            job.detail,
            mirrored=job.target != "local",
        )
