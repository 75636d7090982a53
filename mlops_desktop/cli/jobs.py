"""The Compute commands: ``launch``, ``jobs list|cancel|logs`` and ``hosts add|list|check``.

JSON keys follow ../shared/INTERFACES.md: ``launch --json`` prints {run, target, state};
``jobs list --json`` prints [{run, target, state, experiment, name, command, gpus,
submitted_at, started_at, ended_at, elapsed_s, exit_code, detail}].
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from mlops_desktop.core.compute import TERMINAL_STATES
from mlops_desktop.core.errors import HostKeyUnconfirmed, JobError

EXIT_USER_ERROR = 2
RECENT_JOBS = 20


def add_jobs_parsers(sub: Any) -> None:
    """Add ``launch``, ``jobs`` and ``hosts`` to the subparsers ``sub``."""
    la = sub.add_parser("launch", help="start a run on this machine, an SSH host or Slurm")
    la.add_argument("--target", "-t", default="local", help="local, ssh:NAME or slurm:NAME")
    gpus = la.add_mutually_exclusive_group()
    gpus.add_argument("--gpus", type=int, default=0, metavar="K", help="how many GPUs")
    gpus.add_argument("--gpu-indices", default=None, metavar="0,1", help="these GPUs")
    la.add_argument("--experiment", "-e", default="Default")
    la.add_argument("--name", "-n", default=None)
    la.add_argument(
        "--code",
        choices=("cwd", "folder", "none"),
        default=None,
        help="ship git-tracked files plus changes (cwd), the folder with .gitignore "
        "respected (folder), or nothing (none; the default on local)",
    )
    la.add_argument("--workdir", default=None, help="the code folder (default: current)")
    la.add_argument("--env", action="append", default=[], metavar="K=V", help="repeatable")
    la.add_argument("--python", default="python3", help="interpreter or venv on the target")
    la.add_argument("--dataset", action="append", default=[], metavar="NAME@V")
    la.add_argument("--grace", type=float, default=30.0, help="cancel grace period, seconds")
    for opt in ("partition", "time", "mem", "cpus"):
        la.add_argument(f"--{opt}", default=None, help=f"Slurm {opt}")
    la.add_argument("--json", action="store_true")
    la.add_argument("cmd", nargs=argparse.REMAINDER, help="-- then the command and arguments")

    jobs = sub.add_parser("jobs", help="list, cancel and read launched runs")
    js = jobs.add_subparsers(dest="jobs_command", metavar="ACTION", required=True)
    jl = js.add_parser("list", help="jobs, newest first (active ones and recent ones)")
    jl.add_argument("--all", action="store_true", help="every job ever launched")
    jl.add_argument("--json", action="store_true")
    jc = js.add_parser("cancel", help="SIGTERM, then SIGKILL after the grace period")
    jc.add_argument("run")
    jc.add_argument("--grace", type=float, default=None, help="seconds (default: the spec's)")
    jc.add_argument("--json", action="store_true")
    jg = js.add_parser("logs", help="a job's output (Ctrl-C stops following, not the job)")
    jg.add_argument("run")
    jg.add_argument("--follow", "-f", action="store_true")

    hosts = sub.add_parser("hosts", help="SSH hosts and Slurm clusters")
    hs = hosts.add_subparsers(dest="hosts_command", metavar="ACTION", required=True)
    ha = hs.add_parser("add", help="add an SSH host (or a Slurm login node with --slurm)")
    ha.add_argument("name")
    ha.add_argument("--ssh", required=True, metavar="[USER@]HOST[:PORT]")
    ha.add_argument("--identity", default=None, metavar="FILE")
    ha.add_argument("--accept-host-key", default=None, metavar="SHA256:...")
    ha.add_argument("--slurm", action="store_true", help="the host is a Slurm login node")
    ha.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="K=V",
        help="environment of the cluster's Slurm commands, e.g. SLURM_CONF=/etc/slurm/x.conf",
    )
    ha.add_argument("--json", action="store_true")
    hl = hs.add_parser("list", help="hosts and clusters")
    hl.add_argument("--json", action="store_true")
    hc = hs.add_parser("check", help="reachability, Python, GPUs, disk, rsync")
    hc.add_argument("name")
    hc.add_argument("--json", action="store_true")


def _pairs(items: list[str]) -> dict[str, str]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise JobError(f"{item!r} is not KEY=VALUE.")
        out[key] = value
    return out


def _indices(text: str | None) -> list[int] | None:
    if text is None:
        return None
    try:
        found = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise JobError(f"{text!r} is not a list of GPU indices like 0,1.") from None
    if not found:
        raise JobError("Give at least one GPU index, e.g. --gpu-indices 0.")
    return found


def spec_from_args(args: argparse.Namespace) -> Any:
    """The RunSpec of ``launch``'s arguments."""
    from mlops_desktop.core.compute import RunSpec

    cmd = list(args.cmd)
    if cmd and cmd[0] == "--":
        cmd = cmd[1:]
    if not cmd:
        raise JobError("Give the command to run after --, e.g. `launch -- python train.py`.")
    code = args.code or ("none" if args.target == "local" else "folder")
    slurm = {k: str(getattr(args, k)) for k in ("partition", "time", "mem", "cpus")}
    return RunSpec(
        command=cmd,
        target=args.target,
        code=code,
        workdir=str(Path(args.workdir or Path.cwd()).resolve()),
        env=_pairs(args.env),
        python=args.python,
        gpus=max(args.gpus, 0) if args.gpu_indices is None else 0,
        gpu_indices=_indices(args.gpu_indices),
        experiment=args.experiment,
        name=args.name,
        datasets=list(args.dataset),
        slurm={k: v for k, v in slurm.items() if v != "None"},
        cancel_grace_s=args.grace,
    )


def cmd_compute(args: argparse.Namespace, home: Path) -> int:
    """Run ``launch``, ``jobs`` or ``hosts``; returns the exit status."""
    from mlops_desktop.cli.format import ingest_first
    from mlops_desktop.services.bundle import Services

    with Services.open(home, args.catalog or None) as services:
        ingest_first(services.experiments)
        if args.command == "launch":
            return _launch(args, services.jobs)
        if args.command == "jobs":
            return _jobs(args, services.jobs)
        return _hosts(args, services.jobs)


def _launch(args: argparse.Namespace, jobs: Any) -> int:
    from mlops_desktop.cli import format as fmt

    job = jobs.launch(spec_from_args(args))
    if args.json:
        print(fmt.dumps({"run": job.run_id, "target": job.target, "state": job.state}))
    else:
        print(f"Launched run {job.run_id} on {job.target} ({job.state})")
    return 0


def _jobs(args: argparse.Namespace, jobs: Any) -> int:
    from mlops_desktop.cli import format as fmt

    if args.jobs_command == "list":
        jobs.refresh()
        found = jobs.jobs()
        if not args.all:
            active = [j for j in found if j.state not in TERMINAL_STATES]
            recent = [j for j in found[:RECENT_JOBS] if j not in active]
            found = sorted(active + recent, key=lambda j: -j.submitted_at)
        if args.json:
            print(fmt.dumps([fmt.job_doc(j) for j in found]))
        elif not found:
            print("No jobs yet. Start one with `mlops-desktop launch -- python train.py`.")
        else:
            print("\n".join(fmt.job_line(j) for j in found))
        return 0
    if args.jobs_command == "cancel":
        job = jobs.cancel(args.run, args.grace)
        if args.json:
            print(fmt.dumps(fmt.job_doc(job)))
        else:
            print(f"Run {job.run_id} is {job.state}.")
        return 0
    if not args.follow:
        text, _offset = jobs.logs(args.run)
        sys.stdout.write(text)
        sys.stdout.flush()
        return 0
    try:
        for chunk in jobs.follow(args.run):
            sys.stdout.write(chunk)
            sys.stdout.flush()
    except KeyboardInterrupt:
        return 130  # stops following; the job runs on
    return 0


def _hosts(args: argparse.Namespace, jobs: Any) -> int:
    from mlops_desktop.cli import format as fmt

    if args.hosts_command == "add":
        try:
            host = jobs.add_host(
                args.name,
                args.ssh,
                identity=args.identity,
                accept_host_key=args.accept_host_key,
                kind="slurm" if args.slurm else "ssh",
                env=_pairs(args.env) or None,
            )
        except HostKeyUnconfirmed as exc:
            print(
                f"mlops-desktop: {args.name} ({args.ssh}) offers the host key {exc.fingerprint}. "
                f"If that is right, confirm it with: mlops-desktop hosts add {args.name} "
                f"--ssh {args.ssh} --accept-host-key {exc.fingerprint}",
                file=sys.stderr,
            )
            return EXIT_USER_ERROR
        print(
            fmt.dumps(fmt.host_doc(host)) if args.json else f"Added {host.kind} host {host.name}."
        )
        return 0
    if args.hosts_command == "list":
        hosts = jobs.hosts()
        if args.json:
            print(fmt.dumps([fmt.host_doc(h) for h in hosts]))
        elif not hosts:
            print("No hosts yet. Add one with `mlops-desktop hosts add NAME --ssh USER@HOST`.")
        else:
            print("\n".join(f"{h.name}\t{h.kind}\t{h.address}" for h in hosts))
        return 0
    info = jobs.check_host(args.name)
    if args.json:
        print(fmt.dumps(info))
    else:
        print(fmt.kv_text(info))
    return 0 if info.get("reachable", True) else EXIT_USER_ERROR
