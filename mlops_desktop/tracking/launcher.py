"""The launcher: runs one command as a tracked run, next to it, on any target (stdlib only).

::

    python -m mlops_desktop.tracking.launcher --run-id ID --run-dir DIR [--spool DIR]
        [--experiment E] [--name N] [--parent-run-id P] [--target T] [--gpus K | --gpu-indices 0,2]
        [--gpu-min-free-mb M] [--gpu-lock-dir D] [--no-lease] [--cwd PATH]
        [--env-file FILE] [--sample-interval S] [--cleanup-grace S] -- CMD ARG...

The caller starts it detached (a new session: the launcher leads the run's process group).
Files it writes (see :mod:`mlops_desktop.compute.executor`):

- ``DIR/job.json`` (atomically, on each change): state "starting" → "queued" (waiting for
  GPUs; ``detail`` says for what) → "running" → "finished" | "failed" | "cancelled"; with pid
  and pgid (the launcher's), ``start_ticks`` (of the launcher), host, gpus, child_pid, times.
- ``DIR/exit.json`` (atomically, when the command and every process of its group are gone):
  ``{"exit_code", "signal", "ended_at"}``; then the launcher exits with the command's code
  (128 + N for a signal).
- ``SPOOL/events.jsonl``: a ``start`` event before the command starts and an ``end`` event
  after it ended (sequence numbers continue after what the script itself wrote). The two never
  overlap the script's own tracking client, which resumes numbering after ``start``.
- ``RUN_DIR/datasets.json``: the launch's datasets (``MLOPS_DESKTOP_DATASETS`` of the env
  file, relative to ``--cwd``) with absolute paths; each is recorded as a ``dataset`` event
  right after ``start``.
- ``MLOPS_DESKTOP_RUN_TAGS`` of the env file (a JSON object, e.g. ``{"monitor": "m"}`` from a
  retrain) is recorded as a ``tags`` event right after ``start`` and not passed to the command.
- ``SPOOL/system.jsonl``: the hardware the run used (``sys/cpu_percent``, ``sys/rss_mb`` of the
  process group, ``sys/gpu<i>_util`` and ``sys/gpu<i>_mem_mb`` of leased GPUs), sampled by a
  thread while the command runs. A second spool with its own sequence numbers, because the
  script's client numbers ``events.jsonl`` in memory and a shared file would collide; the
  ingester keeps a separate ingest state for it (key ``<run id>/system``).
- ``SPOOL/output.log``: the command's stdout and stderr.

The command gets ``MLOPS_DESKTOP_RUN_ID``, ``MLOPS_DESKTOP_SPOOL``, ``MLOPS_DESKTOP_TARGET``,
``MLOPS_DESKTOP_DATASETS`` (when launched with datasets) and
``PYTHONPATH`` led by the folder that holds this package, so ``mlops_desktop.start_run()``
attaches to the run. SIGTERM (or SIGINT, SIGHUP) to the launcher is forwarded to the group.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from mlops_desktop.tracking import datasets_manifest, gpu_leases, procs
from mlops_desktop.tracking.home import EVENTS_FILENAME, LOG_FILENAME
from mlops_desktop.tracking.machine import machine_identity
from mlops_desktop.tracking.package_root import package_root
from mlops_desktop.tracking.sampler import SYSTEM_FILENAME, SystemSampler, append_event
from mlops_desktop.tracking.who import os_user

QUEUE_POLL_S = 0.5
RUN_TAGS_ENV = "MLOPS_DESKTOP_RUN_TAGS"
_PYTHON_NAME = re.compile(r"python(\d+(\.\d+)*)?")  # what --command-python replaces
PACKAGE_ROOT = package_root()  # on the command's PYTHONPATH (the bundle's python/ when frozen)


def write_json_atomic(path: Path, data: dict[str, Any], sync: bool = False) -> None:
    """Write ``data`` to ``path`` through a temp file and ``os.replace``."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(data, fh)
        if sync:
            fh.flush()
            os.fsync(fh.fileno())
    os.replace(tmp, path)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m mlops_desktop.tracking.launcher")
    p.add_argument("--run-id", required=True)
    p.add_argument("--run-dir", required=True, type=Path)
    p.add_argument("--spool", type=Path, help="spool folder (default RUN_DIR/spool)")
    p.add_argument("--experiment", default="Default")
    p.add_argument("--name", default=None)
    p.add_argument("--parent-run-id", default=None, help="the run this one is a child of")
    p.add_argument("--target", default="local")
    gpu = p.add_mutually_exclusive_group()
    gpu.add_argument("--gpus", type=int, default=0)
    gpu.add_argument("--gpu-indices", default=None, help="comma-separated, e.g. 0,2")
    p.add_argument("--gpu-min-free-mb", type=int, default=0)
    p.add_argument("--gpu-lock-dir", default=None)
    p.add_argument("--no-lease", action="store_true", help="keep CUDA_VISIBLE_DEVICES (Slurm)")
    p.add_argument("--cwd", default=None)
    p.add_argument("--env-file", type=Path, help="JSON object of extra environment variables")
    p.add_argument("--sample-interval", type=float, default=5.0)
    p.add_argument("--cleanup-grace", type=float, default=10.0)
    p.add_argument(
        "--command-python",
        action="store_true",
        help="run a command starting with python/python3 with this launcher's interpreter",
    )
    p.add_argument("command", nargs=argparse.REMAINDER)
    args = p.parse_args(argv)
    if args.command and args.command[0] == "--":
        args.command = args.command[1:]
    if not args.command:
        p.error("no command given after --")
    if args.command_python and _PYTHON_NAME.fullmatch(args.command[0]):
        args.command = [sys.executable, *args.command[1:]]
    return args


class Launcher:
    """One run's launch: lease, start, watch, record. See the module docstring."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.run_dir: Path = args.run_dir
        self.spool: Path = args.spool or args.run_dir / "spool"
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.spool.mkdir(parents=True, exist_ok=True)
        self.pid = os.getpid()
        self.run_name = (
            args.name or _run_name()
        )  # one name for the launcher's and the script's start
        if os.getpgid(0) != self.pid:  # not started in a new session: lead a group of our own
            os.setpgid(0, 0)
        self.job: dict[str, Any] = {
            "state": "starting",
            "pid": self.pid,
            "pgid": os.getpgid(0),
            "start_ticks": procs.own_start_ticks(),
            "host": socket.gethostname(),
            "gpus": [],
            "queued_at": time.time(),
            "started_at": None,
            "child_pid": None,
            "detail": "",
        }
        self.child: subprocess.Popen[bytes] | None = None
        self.stop_signal: int | None = None
        self.lease: gpu_leases.GpuLease | None = None

    def set_state(self, state: str, **fields: Any) -> None:
        self.job.update(state=state, **fields)
        write_json_atomic(self.run_dir / "job.json", self.job)

    def _on_signal(self, signum: int, _frame: Any) -> None:
        first = self.stop_signal is None
        self.stop_signal = self.stop_signal or signum
        if self.child is not None and first:
            for pid in procs.group_members(self.job["pgid"]) or [self.child.pid]:
                if pid != self.pid:
                    try:
                        os.kill(pid, signal.SIGTERM)
                    except OSError:
                        pass

    def event(self, kind: str, **fields: Any) -> None:
        append_event(self.spool / EVENTS_FILENAME, self.args.run_id, kind, fields)

    def acquire_gpus(self) -> list[int] | None:
        """Lease the GPUs wanted (queueing until free); None when cancelled while waiting."""
        a = self.args
        indices = [int(i) for i in a.gpu_indices.split(",") if i.strip()] if a.gpu_indices else []
        if a.no_lease or not (indices or a.gpus > 0):
            return []
        ticket = gpu_leases.QueueTicket(a.gpu_lock_dir)
        try:
            while self.stop_signal is None:
                why = "waiting for earlier queued runs"
                if ticket.may_try():
                    self.lease, why = gpu_leases.try_lease(
                        a.run_id, a.gpus, indices, a.gpu_min_free_mb, a.gpu_lock_dir
                    )
                    if self.lease is not None:
                        return self.lease.indices
                if self.job["state"] != "queued" or self.job["detail"] != why:
                    self.set_state("queued", detail=why)
                time.sleep(QUEUE_POLL_S)
        finally:
            ticket.close()
        return None

    def child_env(self, gpus: list[int]) -> dict[str, str]:
        a = self.args
        env = dict(os.environ)
        if a.env_file:
            env.update({str(k): str(v) for k, v in json.loads(a.env_file.read_text()).items()})
        env["MLOPS_DESKTOP_RUN_ID"] = a.run_id
        env["MLOPS_DESKTOP_SPOOL"] = str(self.spool)
        env["MLOPS_DESKTOP_TARGET"] = a.target
        env["MLOPS_DESKTOP_EXPERIMENT"] = a.experiment  # start_run() without one joins the launch's
        env["MLOPS_DESKTOP_RUN_NAME"] = self.run_name
        env["MLOPS_DESKTOP_OUTPUT_CAPTURED"] = "1"  # stdout/stderr already go to output.log
        old = env.get("PYTHONPATH")
        env["PYTHONPATH"] = PACKAGE_ROOT + (os.pathsep + old if old else "")
        if not a.no_lease:
            env["CUDA_VISIBLE_DEVICES"] = ",".join(map(str, gpus))
        return env

    def datasets(self, env: dict[str, str], cwd: str) -> dict[str, dict[str, str]]:
        """The launch's dataset manifest (``MLOPS_DESKTOP_DATASETS`` of the env file, relative
        to ``cwd``), installed as ``RUN_DIR/datasets.json`` with ``env`` pointed at it."""
        source = env.get(datasets_manifest.MANIFEST_ENV)
        if not source:
            return {}
        path = datasets_manifest.install_manifest(source, cwd, self.run_dir)
        env[datasets_manifest.MANIFEST_ENV] = str(path)
        return datasets_manifest.read_manifest(path)

    def run(self) -> int:
        a = self.args
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, self._on_signal)
        self.set_state("starting")
        try:
            gpus = self.acquire_gpus()
        except ValueError as exc:
            return self.finish(None, 2, f"cannot lease GPUs: {exc}")
        if gpus is None:
            return self.finish(None, None, "cancelled while queued")
        if a.no_lease:
            visible = os.environ.get("CUDA_VISIBLE_DEVICES", "")
            gpus = [int(g) for g in visible.split(",") if g.strip().isdigit()]
        env = self.child_env(gpus)
        cwd = a.cwd or os.getcwd()
        try:
            datasets = self.datasets(env, cwd)
        except (OSError, ValueError) as exc:
            return self.finish(None, 2, f"cannot read the run's dataset manifest: {exc}")
        started = time.time()
        self.start_event(started)
        for name, item in datasets.items():  # the launch's inputs, before the script writes
            self.event("dataset", name=name, version=item["version"] or None, path=None, at=started)
        tags = _run_tags(env.pop(RUN_TAGS_ENV, ""))
        if tags:
            self.event("tags", tags=tags)
        problem = self.start_child(env, cwd)
        if problem:
            return self.finish(started, 127, problem)
        return self.finish(started, self.watch_child(started, gpus), "")

    def start_event(self, started: float) -> None:
        """The run's ``start`` event (also for a run that never got to start its command)."""
        a = self.args
        parent = {"parent_run_id": a.parent_run_id} if a.parent_run_id else {}
        self.event(
            "start",
            experiment=a.experiment,
            name=self.run_name,
            command=shlex.join(a.command),
            cwd=a.cwd or os.getcwd(),
            pid=self.pid,
            host=self.job["host"],
            user=os_user(),
            machine=machine_identity(),
            target=a.target,
            started_at=started,
            **parent,
        )

    def start_child(self, env: dict[str, str], cwd: str) -> str:
        """Start the command with its output appended to the run's log; why not, or ""."""
        command = self.args.command
        log = os.open(self.spool / LOG_FILENAME, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            self.child = subprocess.Popen(
                command, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log
            )
        except OSError as exc:
            os.write(log, f"cannot start {command[0]!r}: {exc}\n".encode())
            return f"cannot start the command: {exc}"
        finally:
            os.close(log)
        return ""

    def watch_child(self, started: float, gpus: list[int]) -> int:
        """Record the run as running and sample its hardware until the command ends and its
        group is cleaned up; the command's exit code."""
        child = self.child
        assert child is not None, "start_child() first"
        self.set_state("running", started_at=started, gpus=gpus, child_pid=child.pid, detail="")
        sampler = SystemSampler(
            self.spool / SYSTEM_FILENAME,
            self.args.run_id,
            self.job["pgid"],
            self.pid,
            gpus,
            self.args.sample_interval,
        )
        sampler.start()
        try:
            code = child.wait()
            self.cleanup_group()
        finally:
            sampler.stop()
        return code

    def cleanup_group(self) -> None:
        """TERM, then KILL after the grace, what the command left running in its group."""
        deadline = time.monotonic() + self.args.cleanup_grace
        sent: set[int] = set()
        while True:
            left = [p for p in procs.group_members(self.job["pgid"]) if p != self.pid]
            if not left:
                return
            late = time.monotonic() > deadline
            for pid in left:
                if late or pid not in sent:
                    try:
                        os.kill(pid, signal.SIGKILL if late else signal.SIGTERM)
                    except OSError:
                        pass
                    sent.add(pid)
            time.sleep(0.05)

    def finish(self, started: float | None, code: int | None, error: str) -> int:
        """Record the end (spool), release the leases, then exit.json and job.json; the code."""
        ended = time.time()
        sig = -code if code is not None and code < 0 else None
        if sig is None and code is None:
            sig = self.stop_signal
        if started is None:  # never ran: still account for the run
            self.start_event(ended)
        if self.stop_signal is not None and code != 0:  # a cancel: killed, whatever the code
            status, state = "killed", "cancelled"
            name = signal.Signals(self.stop_signal).name
            error = error or f"killed by {name}" + (f" (exit code {code})" if code else "")
        elif code == 0:
            status, state = "finished", "finished"
        elif sig is not None:
            status, state = "killed", "cancelled" if self.stop_signal else "failed"
            error = error or f"killed by signal {sig}"
        else:
            status, state = "failed", "failed"
            error = error or f"exit code {code}"
        self.event("end", status=status, ended_at=ended, error=error or None)
        if self.lease is not None:  # before exit.json: a job seen as ended holds no GPU
            self.lease.release()
            self.lease = None
        write_json_atomic(
            self.run_dir / "exit.json",
            {
                "exit_code": None if sig is not None else code,
                "signal": sig,
                "ended_at": ended,
                "detail": error or "",  # job.json gets it next: a poll between sees it here
            },
            sync=True,
        )
        self.set_state(state, detail=error)
        return 128 + sig if sig is not None else (code or 0)


def _run_tags(text: str) -> dict[str, str]:
    """The launch's run tags (a JSON object of strings); none when absent or unreadable."""
    try:
        value = json.loads(text) if text else {}
    except ValueError:
        return {}
    if not isinstance(value, dict):
        return {}
    return {str(k)[:255]: str(v) for k, v in value.items() if str(k)}


def _run_name() -> str:
    from mlops_desktop.tracking.names import generate_run_name

    return generate_run_name()


def main(argv: list[str] | None = None) -> int:
    return Launcher(parse_args(argv)).run()


if __name__ == "__main__":
    sys.exit(main())
