"""The local target: runs the launcher detached on this machine.

A job's run directory is ``HOME/jobs/<run id>`` (``job.json``, ``exit.json``, ``env.json``,
``launcher.log``); its spool is ``HOME/spool/<run id>`` itself (``--spool``), so the app's
ingester reads it with no copy. The handle is ``{"pid", "start_ticks", "run_dir",
"spool_dir"}``: the launcher leads the job's process group, and pid plus start ticks tell it
apart from a later process that got the same pid.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from mlops_desktop.core.compute import RunSpec
from mlops_desktop.core.errors import JobError
from mlops_desktop.tracking import procs
from mlops_desktop.tracking.home import resolve_home
from mlops_desktop.tracking.launcher import PACKAGE_ROOT

POLL_S = 0.05
LAUNCHER_EXIT_S = 3.0  # after SIGKILLing the command, how long the launcher gets to record it


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


class LocalExecutor:
    """Start, watch and cancel jobs on this machine (see :class:`~.executor.Executor`).

    Args:
        home: the app home (default: ``MLOPS_DESKTOP_HOME`` or the platform's).
        lock_dir: the GPU lock directory (default ``/tmp/mlops-desktop-gpu-locks``).
        gpu_min_free_mb: a GPU with less free memory is not leased.
        sample_interval: seconds between hardware samples of a run.
    """

    target = "local"

    def __init__(
        self,
        home: str | os.PathLike[str] | None = None,
        lock_dir: str | os.PathLike[str] | None = None,
        gpu_min_free_mb: int = 0,
        sample_interval: float = 5.0,
    ) -> None:
        self.home = resolve_home(home)
        self.lock_dir = lock_dir
        self.gpu_min_free_mb = gpu_min_free_mb
        self.sample_interval = sample_interval
        self._children: dict[int, subprocess.Popen[bytes]] = {}  # reaped by poll and cancel

    def run_dir(self, run_id: str) -> Path:
        return self.home / "jobs" / run_id

    def launcher_argv(self, run_id: str, spec: RunSpec, cwd: str, spool_dir: Path) -> list[str]:
        """The launcher's command line for ``spec`` (argv, never a shell string)."""
        run_dir = self.run_dir(run_id)
        argv = [sys.executable, "-m", "mlops_desktop.tracking.launcher", "--run-id", run_id]
        argv += ["--run-dir", str(run_dir), "--spool", str(spool_dir), "--cwd", cwd]
        argv += ["--experiment", spec.experiment, "--target", self.target]
        argv += ["--sample-interval", str(self.sample_interval)]
        argv += ["--cleanup-grace", f"{max(spec.cancel_grace_s, 0.0):g}"]
        if spec.name:
            argv += ["--name", spec.name]
        if spec.parent_run_id:
            argv += ["--parent-run-id", spec.parent_run_id]
        if spec.gpu_indices:
            argv += ["--gpu-indices", ",".join(map(str, spec.gpu_indices))]
        elif spec.gpus > 0:
            argv += ["--gpus", str(spec.gpus)]
        if spec.gpu_indices or spec.gpus > 0:
            argv += ["--gpu-min-free-mb", str(self.gpu_min_free_mb)]
            if self.lock_dir is not None:
                argv += ["--gpu-lock-dir", str(self.lock_dir)]
        if spec.env:
            argv += ["--env-file", str(run_dir / "env.json")]
        return [*argv, "--", *spec.command]

    def start(
        self, run_id: str, spec: RunSpec, code_dir: Path | None, spool_dir: Path
    ) -> dict[str, Any]:
        """Start the launcher in a new session and return the handle at once."""
        if not spec.command:
            raise JobError("The run has no command to launch.")
        run_dir = self.run_dir(run_id)
        run_dir.mkdir(parents=True, exist_ok=True)
        spool_dir.mkdir(parents=True, exist_ok=True)
        if spec.env:
            (run_dir / "env.json").write_text(json.dumps(dict(spec.env)), encoding="utf-8")
        cwd = str(code_dir or spec.workdir or os.getcwd())
        env = dict(os.environ)
        env["PYTHONPATH"] = PACKAGE_ROOT + (
            os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else ""
        )
        env.pop("MLOPS_DESKTOP_RUN_ID", None)  # the launcher sets the run's own
        with open(run_dir / "launcher.log", "ab") as log:
            try:
                proc = subprocess.Popen(
                    self.launcher_argv(run_id, spec, cwd, spool_dir),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=log,
                    env=env,
                    cwd=str(run_dir),
                    start_new_session=True,
                    close_fds=True,
                )
            except OSError as exc:
                raise JobError(f"Cannot start the local launcher: {exc}") from exc
        self._children[proc.pid] = proc
        ticks: float | None = procs.start_ticks(proc.pid)
        if ticks is None:
            ticks = _create_time(proc.pid)
        return {
            "pid": proc.pid,
            "start_ticks": ticks,
            "run_dir": str(run_dir),
            "spool_dir": str(spool_dir),
        }

    def _alive(self, handle: dict[str, Any]) -> bool:
        pid = int(handle["pid"])
        child = self._children.get(pid)
        if child is not None and child.poll() is not None:
            del self._children[pid]
            return False
        if procs.has_proc():
            return procs.process_alive(pid, handle.get("start_ticks"))
        created = _create_time(pid)
        return created is not None and abs(created - float(handle["start_ticks"])) < 1.0

    def poll(self, handle: dict[str, Any]) -> tuple[str, int | None, str]:
        run_dir = Path(handle["run_dir"])
        alive = self._alive(handle)
        ended = _read_json(run_dir / "exit.json")
        job = _read_json(run_dir / "job.json") or {}
        if ended is not None:
            code = ended.get("exit_code")
            state = job.get("state") if job.get("state") in ("cancelled", "failed") else None
            detail = str(job.get("detail") or ended.get("detail") or "")
            if state == "cancelled":
                return "cancelled", code, detail
            if code == 0:
                return "finished", 0, ""
            if ended.get("signal") is not None:
                return state or "failed", None, detail or f"killed by signal {ended['signal']}"
            return "failed", code, detail or f"exit code {code}"
        if alive:
            return str(job.get("state") or "starting"), None, str(job.get("detail") or "")
        if procs.has_proc() and procs.start_ticks(int(handle["pid"])) is not None:
            return "lost", None, f"pid {handle['pid']} now belongs to another process"
        return "lost", None, "the launcher ended without recording an exit"

    def sync(self, handle: dict[str, Any], spool_dir: Path) -> int:
        return 0

    def cancel(self, handle: dict[str, Any], grace_s: float) -> None:
        """SIGTERM the group, SIGKILL after ``grace_s``; returns when no process of it is left.

        Raises:
            JobError: a process of the group survived SIGKILL (uninterruptible sleep).
        """
        pgid = int(handle["pid"])
        if not self._alive(handle) and procs.start_ticks(pgid) is not None:
            return  # the pid now leads something else: not ours to signal
        _signal_group(pgid, signal.SIGTERM)
        if not self._wait_gone(pgid, grace_s):
            for pid in procs.group_members(pgid):  # the command first: the launcher records it
                if pid != pgid:
                    _kill(pid, signal.SIGKILL)
            if not self._wait_gone(pgid, LAUNCHER_EXIT_S):
                _signal_group(pgid, signal.SIGKILL)
                if not self._wait_gone(pgid, 5.0):
                    left = procs.group_members(pgid)
                    raise JobError(f"Processes {left} of the job survived SIGKILL.")
        self._alive(handle)  # reap our own launcher

    def _wait_gone(self, pgid: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while True:
            child = self._children.get(pgid)
            if child is not None:
                child.poll()
            if not procs.group_members(pgid) if procs.has_proc() else not _group_exists(pgid):
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(POLL_S)


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass
    except PermissionError as exc:
        raise JobError(f"Not allowed to signal the job's processes: {exc}") from exc


def _kill(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except OSError:
        pass


def _group_exists(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def _create_time(pid: int) -> float | None:
    """The process's start time (epoch seconds) through psutil, where there is no /proc."""
    try:
        import psutil

        return float(psutil.Process(pid).create_time())
    except Exception:
        return None
