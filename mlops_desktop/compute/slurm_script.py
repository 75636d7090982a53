"""The batch script a Slurm job runs: ``#SBATCH`` options from the spec, then the launcher.

``#SBATCH`` lines are read by sbatch, not by a shell, so their values are validated against a
small alphabet instead of quoted; everything after them is shell and goes through
:func:`shlex.quote`.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from mlops_desktop.core.compute import RunSpec, chosen_python
from mlops_desktop.core.errors import JobError
from mlops_desktop.tracking.package_root import package_root as tracking_package_root

LAUNCHER_MODULE = "mlops_desktop.tracking.launcher"

# Slurm option of each RunSpec.slurm key, and the values it accepts.
SLURM_OPTIONS: dict[str, tuple[str, re.Pattern[str], str]] = {
    "partition": ("--partition", re.compile(r"[A-Za-z0-9_.\-]+(,[A-Za-z0-9_.\-]+)*"), "debug,gpu"),
    "time": ("--time", re.compile(r"(\d+-)?\d+(:\d+){0,2}|UNLIMITED|INFINITE"), "1-02:00:00"),
    "mem": ("--mem", re.compile(r"\d+[KMGT]?"), "16G"),
    "cpus": ("--cpus-per-task", re.compile(r"[1-9]\d{0,4}"), "8"),
}
_SAFE_PATH = re.compile(r"[A-Za-z0-9_./+\-@]+")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def package_root() -> Path:
    """The folder to put on ``PYTHONPATH`` so ``mlops_desktop.tracking`` imports on a node."""
    return Path(tracking_package_root())


def slurm_options(spec: RunSpec) -> list[str]:
    """``--option=value`` for the spec's GPUs and its ``slurm`` settings.

    Raises:
        JobError: an unknown key or a value with characters Slurm does not take.
    """
    options: list[str] = []
    if spec.gpu_indices:
        raise JobError("a Slurm job asks for a number of GPUs; Slurm picks which ones")
    if spec.gpus < 0:
        raise JobError(f"a job cannot ask for {spec.gpus} GPUs")
    if spec.gpus:
        options.append(f"--gres=gpu:{int(spec.gpus)}")
    for key, value in spec.slurm.items():
        if key not in SLURM_OPTIONS:
            known = ", ".join(SLURM_OPTIONS)
            raise JobError(f"unknown Slurm setting {key!r}; the settings are {known}")
        flag, pattern, example = SLURM_OPTIONS[key]
        value = str(value).strip()
        if not pattern.fullmatch(value):
            raise JobError(f"Slurm {key} {value!r} is not valid (write it like {example!r})")
        options.append(f"{flag}={value}")
    return options


def output_option(run_dir: Path) -> str:
    """``--output`` for the job's own log (stdout and stderr of the batch script)."""
    return f"--output={run_dir}/slurm-%j.out"


def path_is_safe(path: Path) -> bool:
    """Whether ``path`` can stand in an ``#SBATCH`` line as it is (no spaces, quotes, %...)."""
    return bool(_SAFE_PATH.fullmatch(str(path)))


def job_name(run_id: str) -> str:
    """The Slurm job name of a run: ``mlops-`` and the first 8 characters of its id."""
    short = re.sub(r"[^A-Za-z0-9]", "", run_id)[:8]
    return f"mlops-{short or 'run'}"


def batch_script(
    run_id: str,
    spec: RunSpec,
    run_dir: Path,
    spool_dir: Path,
    *,
    cwd: Path | None,
    target: str,
    pythonpath: Path | None = None,
) -> str:
    """The text of the batch script that runs ``spec.command`` under the launcher.

    Args:
        run_id: the run the job creates.
        spec: the run spec (command, env, python, GPUs, slurm settings...).
        run_dir: the job's run directory (job.json, exit.json, slurm-<id>.out).
        spool_dir: where the run's spool goes (``HOME/spool/<run id>``).
        cwd: the folder the command runs in, or None for the run directory.
        target: "slurm:NAME", recorded in the run.
        pythonpath: the folder with the ``mlops_desktop`` package (default: this one's).

    Raises:
        JobError: an invalid Slurm setting, environment name or empty command.
    """
    if not spec.command:
        raise JobError("the job has no command to run")
    lines = ["#!/bin/bash", f"#SBATCH --job-name={job_name(run_id)}"]
    if path_is_safe(run_dir):
        lines.append(f"#SBATCH {output_option(run_dir)}")
    lines += [f"#SBATCH {opt}" for opt in slurm_options(spec)]
    lines.append("")
    root = shlex.quote(str(pythonpath or package_root()))
    lines.append(f'export PYTHONPATH={root}"${{PYTHONPATH:+:$PYTHONPATH}}"')
    for name, value in spec.env.items():
        if not _ENV_NAME.fullmatch(name):
            raise JobError(f"{name!r} is not a valid environment variable name")
        lines.append(f"export {name}={shlex.quote(str(value))}")
    python = chosen_python(spec)
    argv = [python or spec.python or "python3", "-m", LAUNCHER_MODULE, "--no-lease"]
    if python:  # the command's python is the one the launcher runs with
        argv.append("--command-python")
    argv += ["--run-id", run_id, "--run-dir", str(run_dir), "--spool", str(spool_dir)]
    argv += ["--experiment", spec.experiment, "--target", target]
    if spec.name:
        argv += ["--name", spec.name]
    if spec.parent_run_id:
        argv += ["--parent-run-id", spec.parent_run_id]
    argv += ["--cleanup-grace", f"{max(spec.cancel_grace_s, 0.0):g}"]
    argv += ["--cwd", str(cwd or run_dir), "--", *spec.command]
    lines.append("exec " + " ".join(shlex.quote(a) for a in argv))
    return "\n".join(lines) + "\n"
