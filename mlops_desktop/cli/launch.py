"""The ``launch`` command: start a run on this machine, an SSH host or a Slurm cluster.

``launch --json`` prints {run, target, state}; ``jobs`` follows the run from there. Before
anything starts, the program, a ``python script.py``'s script and ``--python`` must exist on
the target (``--no-check`` skips that); a leading ``python``/``python3`` runs with ``--python``
on every target. ``launch`` waits (a few seconds at most) until the job left "starting"; one
that failed at once exits 2 with the reason.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlops_desktop.cli.commands import Arg, Commands, OneOf, key_value_pairs
from mlops_desktop.core.compute import JobInfo, RunSpec
from mlops_desktop.core.errors import JobError

if TYPE_CHECKING:
    from mlops_desktop.services.bundle import Services

LAUNCH = Commands()
SLURM_OPTIONS = ("partition", "time", "mem", "cpus")
CODE_HELP = (
    "ship git-tracked files plus changes (cwd), the folder with .gitignore respected (folder), "
    "or nothing (none; the default on local)"
)


def _gpu_indices(text: str | None) -> list[int] | None:
    if text is None:
        return None
    try:
        found = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise JobError(f"{text!r} is not a list of GPU indices like 0,1.") from None
    if not found:
        raise JobError("Give at least one GPU index, e.g. --gpu-indices 0.")
    return found


def spec_from_args(args: argparse.Namespace) -> RunSpec:
    """The RunSpec of ``launch``'s arguments.

    Raises:
        JobError: no command after ``--``, or a malformed ``--env`` or ``--gpu-indices``.
    """
    cmd = list(args.cmd)
    if cmd and cmd[0] == "--":
        cmd = cmd[1:]
    if not cmd:
        raise JobError("Give the command to run after --, e.g. `launch -- python train.py`.")
    slurm = {k: str(getattr(args, k)) for k in SLURM_OPTIONS if getattr(args, k) is not None}
    return RunSpec(
        command=cmd,
        target=args.target,
        code=args.code or ("none" if args.target == "local" else "folder"),
        workdir=str(Path(args.workdir or Path.cwd()).resolve()),
        env=key_value_pairs(args.env, JobError),
        python=args.python,
        gpus=max(args.gpus, 0) if args.gpu_indices is None else 0,
        gpu_indices=_gpu_indices(args.gpu_indices),
        experiment=args.experiment,
        name=args.name,
        datasets=list(args.dataset),
        slurm=slurm,
        cancel_grace_s=args.grace,
    )


def launched_document(job: JobInfo) -> dict[str, Any]:
    return {"run": job.run_id, "target": job.target, "state": job.state}


def launched_text(job: JobInfo) -> str:
    return f"Launched run {job.run_id} on {job.target} ({job.state})"


@LAUNCH.reply(
    "launch",
    help="start a run on this machine, an SSH host or Slurm",
    document=launched_document,
    text=launched_text,
    arguments=(
        Arg("--target", "-t", default="local", help="local, ssh:NAME or slurm:NAME"),
        OneOf(
            Arg("--gpus", type=int, default=0, metavar="K", help="how many GPUs"),
            Arg("--gpu-indices", default=None, metavar="0,1", help="these GPUs"),
        ),
        Arg("--experiment", "-e", default="Default"),
        Arg("--name", "-n", default=None),
        Arg("--code", choices=("cwd", "folder", "none"), default=None, help=CODE_HELP),
        Arg("--workdir", default=None, help="the code folder (default: current)"),
        Arg("--env", action="append", default=[], metavar="K=V", help="repeatable"),
        Arg(
            "--python",
            default="python3",
            help="interpreter or venv on the target; a command's leading python runs with it",
        ),
        Arg("--dataset", action="append", default=[], metavar="NAME@V"),
        Arg("--grace", type=float, default=30.0, help="cancel grace period, seconds"),
        Arg(
            "--no-check",
            action="store_true",
            help="skip checking that the program, script and --python exist on the target",
        ),
        *(Arg(f"--{option}", default=None, help=f"Slurm {option}") for option in SLURM_OPTIONS),
        Arg("cmd", nargs=argparse.REMAINDER, help="-- then the command and arguments"),
    ),
)
def launch(args: argparse.Namespace, services: Services) -> JobInfo:
    """Submit the run ``args`` describe; the job once it started (or queued).

    Raises:
        JobError: the launch failed at once (a bad interpreter, a command that cannot start):
            the reason, with exit status 2.
    """
    job = services.jobs.launch(spec_from_args(args), check=not args.no_check)
    job = services.jobs.wait_started(job.run_id)
    if job.state in ("failed", "lost"):
        why = job.detail or job.state
        raise JobError(f"Run {job.run_id} failed at once on {job.target}: {why}.")
    return job
