"""The ``jobs`` commands: list launched runs, cancel one, print or follow its log.

``jobs list --json`` prints [{run, target, state, experiment, name, command, gpus,
submitted_at, started_at, ended_at, elapsed_s, exit_code, detail}].
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import TYPE_CHECKING, Any

from mlops_desktop.cli.commands import Arg, Commands
from mlops_desktop.cli.exit_codes import ExitCode
from mlops_desktop.cli.output import iso_time, printable
from mlops_desktop.cli.session import open_services
from mlops_desktop.core.compute import TERMINAL_STATES, JobInfo

if TYPE_CHECKING:
    from mlops_desktop.services.bundle import Services

JOBS = Commands("jobs", help="list, cancel and read launched runs")
RECENT_JOBS = 20
COMMAND_SHOWN = 60


def job_document(job: JobInfo) -> dict[str, Any]:
    """A job for ``jobs list|cancel --json``: ``run`` is the run id (as ``launch`` prints it)."""
    elapsed = None
    if job.started_at is not None:
        end = job.ended_at if job.ended_at is not None else time.time()
        elapsed = round(end - job.started_at, 3)
    return {
        "run": job.run_id,
        "target": job.target,
        "state": job.state,
        "experiment": job.experiment,
        "name": job.name,
        "command": list(job.command),
        "gpus": list(job.gpus),
        "submitted_at": iso_time(job.submitted_at),
        "started_at": iso_time(job.started_at),
        "ended_at": iso_time(job.ended_at),
        "elapsed_s": elapsed,
        "exit_code": job.exit_code,
        "detail": job.detail,
        "user": job.user,
        "host": job.host,
    }


def jobs_document(jobs: list[JobInfo]) -> list[dict[str, Any]]:
    return [job_document(j) for j in jobs]


def job_line(job: JobInfo) -> str:
    """One job as a tab-separated line: run, target, state, GPUs, elapsed, exit, command."""
    doc = job_document(job)
    elapsed = "" if doc["elapsed_s"] is None else f"{doc['elapsed_s']:.0f}s"
    gpus = ",".join(str(g) for g in job.gpus) or "-"
    code = "" if job.exit_code is None else f"exit {job.exit_code}"
    cmd = printable(" ".join(job.command))
    if len(cmd) > COMMAND_SHOWN:
        cmd = cmd[: COMMAND_SHOWN - 3] + "..."
    fields = [job.run_id[:12], job.target, job.state, gpus, elapsed, code]
    return "\t".join([*map(printable, fields), cmd])


def jobs_text(jobs: list[JobInfo]) -> str:
    if not jobs:
        return "No jobs yet. Start one with `mlops-desktop launch -- python train.py`."
    return "\n".join(job_line(j) for j in jobs)


def cancelled_text(job: JobInfo) -> str:
    return f"Run {printable(job.run_id)} is {printable(job.state)}."


@JOBS.reply(
    "list",
    help="jobs, newest first (active ones and recent ones)",
    document=jobs_document,
    text=jobs_text,
    arguments=(Arg("--all", action="store_true", help="every job ever launched"),),
)
def list_jobs(args: argparse.Namespace, services: Services) -> list[JobInfo]:
    """Active jobs and the most recent ones (every one with ``--all``), newest first."""
    services.jobs.refresh()
    found = services.jobs.jobs()
    if args.all:
        return found
    active = [j for j in found if j.state not in TERMINAL_STATES]
    recent = [j for j in found[:RECENT_JOBS] if j not in active]
    return sorted(active + recent, key=lambda j: -j.submitted_at)


@JOBS.reply(
    "cancel",
    help="SIGTERM, then SIGKILL after the grace period",
    document=job_document,
    text=cancelled_text,
    arguments=(
        Arg("run"),
        Arg("--grace", type=float, default=None, help="seconds (default: the spec's)"),
    ),
)
def cancel_job(args: argparse.Namespace, services: Services) -> JobInfo:
    return services.jobs.cancel(args.run, args.grace)


@JOBS.handler(
    "logs",
    help="a job's output (Ctrl-C stops following, not the job)",
    arguments=(Arg("run"), Arg("--follow", "-f", action="store_true")),
)
def print_logs(args: argparse.Namespace) -> int:
    """Print a job's log; with ``--follow``, keep printing until it ends (or Ctrl-C)."""
    with open_services(args) as services:
        if args.follow:
            chunks = services.jobs.follow(args.run)
        else:
            text, _offset = services.jobs.logs(args.run)
            chunks = iter([text])
        for chunk in chunks:
            sys.stdout.write(chunk)
            sys.stdout.flush()
    return ExitCode.OK
