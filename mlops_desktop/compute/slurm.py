"""The Slurm executor: runs go through ``sbatch --parsable``, state comes from ``squeue`` and
``scontrol`` (``sacct`` where accounting exists), cancel is ``scancel``.

Every Slurm command goes through a :class:`CommandRunner`. For the local cluster (address
"local") that is :func:`run_local`, which runs it here with the environment's ``SLURM_CONF``;
the run directory and the spool live on the filesystem the cluster shares with this machine
(``HOME/jobs/<run id>`` and ``HOME/spool/<run id>``), so :meth:`SlurmExecutor.sync` copies
nothing. A cluster with an SSH address is driven through its login node
(:mod:`~mlops_desktop.compute.slurm_remote`): commands over the SSH connection with the
cluster's ``env``, the run dir under its ``remote_root``, the spool mirrored like an SSH host's.
See ``executor.py`` for the contract and the run-dir layout.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from mlops_desktop.compute import slurm_script
from mlops_desktop.compute.slurm_info import SlurmInfo
from mlops_desktop.compute.slurm_remote import RemoteRunDirs, SshRunner
from mlops_desktop.core.compute import HostInfo, RunSpec
from mlops_desktop.core.errors import HostError, JobError

CANCEL_MARKER = "cancel.json"
EXIT_FILE = "exit.json"
SCRIPT_FILE = "job.sbatch"
LAUNCHER_MARGIN_S = 3.0  # past the grace, for the launcher to record the end and exit

_ACTIVE = {
    "PENDING": "queued",
    "REQUEUED": "queued",
    "REQUEUE_HOLD": "queued",
    "REQUEUE_FED": "queued",
    "CONFIGURING": "starting",
    "RUNNING": "running",
    "COMPLETING": "running",
    "SUSPENDED": "running",
    "STOPPED": "running",
    "SIGNALING": "running",
    "STAGE_OUT": "running",
    "RESIZING": "running",
}


class CommandRunner(Protocol):
    """Runs an argv (here or on a login node) and returns (exit code, stdout, stderr)."""

    def __call__(self, argv: Sequence[str], timeout: float = 30.0) -> tuple[int, str, str]: ...


def run_local(argv: Sequence[str], timeout: float = 30.0) -> tuple[int, str, str]:
    """Run a Slurm command on this machine (``SLURM_CONF`` comes from the environment).

    Raises:
        HostError: the command is not installed or did not answer in time.
    """
    try:
        proc = subprocess.run(
            list(argv), capture_output=True, text=True, timeout=timeout, env=os.environ.copy()
        )
    except FileNotFoundError as exc:
        raise HostError(f"Slurm's {argv[0]} is not installed on this machine") from exc
    except subprocess.TimeoutExpired as exc:
        raise HostError(f"Slurm's {argv[0]} did not answer within {timeout:.0f} s") from exc
    return proc.returncode, proc.stdout, proc.stderr


class SlurmExecutor(SlurmInfo):
    """Starts, watches and cancels runs as Slurm jobs on ``cluster``.

    Args:
        cluster: the cluster (``kind`` "slurm"; ``address`` "local" or a login node's
            ``[user@]host[:port]``, whose ``env`` the Slurm commands there run with).
        home: the app home; local run dirs go to ``home/jobs``, spools to ``home/spool``.
        runner: runs Slurm's commands; by default here through :func:`run_local`, or on the
            login node over SSH.
    """

    def __init__(self, cluster: HostInfo, home: Path, runner: CommandRunner | None = None) -> None:
        self.remote: RemoteRunDirs | None = None
        if cluster.address != "local":
            self.remote = RemoteRunDirs(cluster, Path(home))
            runner = runner or SshRunner(self.remote.client, cluster.env)
        super().__init__(runner or run_local)
        self.cluster = cluster
        self.home = Path(home)
        self.target = f"slurm:{cluster.name}"
        self._accounting: bool | None = None

    def run_dir(self, run_id: str) -> Path:
        """Where a run's batch script, job.json, exit.json and Slurm output go."""
        return self.home / "jobs" / run_id

    def start(
        self, run_id: str, spec: RunSpec, code_dir: Path | None, spool_dir: Path
    ) -> dict[str, Any]:
        """Write the batch script into the run dir and submit it; returns the handle.

        Raises:
            JobError: a bad spec, or Slurm refused the job.
            HostError: the cluster (or its login node) cannot be reached.
        """
        if self.remote is not None:
            remote_dir, remote_script = self.remote.prepare(
                run_id, spec, code_dir, spool_dir, self.target
            )
            return self._submit(Path(remote_dir), remote_script)
        run_dir = self.run_dir(run_id)
        cwd = code_dir or (Path(spec.workdir) if spec.workdir else None)
        script = slurm_script.batch_script(
            run_id, spec, run_dir, spool_dir, cwd=cwd, target=self.target
        )
        run_dir.mkdir(parents=True, exist_ok=True)
        spool_dir.mkdir(parents=True, exist_ok=True)
        script_path = run_dir / SCRIPT_FILE
        script_path.write_text(script)
        return self._submit(run_dir, str(script_path))

    def _submit(self, run_dir: Path, script_path: str) -> dict[str, Any]:
        argv = ["sbatch", "--parsable"]
        if not slurm_script.path_is_safe(run_dir):
            argv.append(slurm_script.output_option(run_dir))
        rc, out, err = self.runner([*argv, script_path], timeout=60.0)
        job_id = out.strip().splitlines()[-1].split(";")[0].strip() if out.strip() else ""
        if rc != 0 or not job_id.isdigit():
            raise JobError(f"Slurm refused the job: {(err or out).strip() or f'exit code {rc}'}")
        return {"slurm_job_id": job_id, "run_dir": str(run_dir), "cluster": self.cluster.name}

    def poll(self, handle: dict[str, Any]) -> tuple[str, int | None, str]:
        """(state, exit code, detail): squeue, then scontrol, then sacct; exit.json decides."""
        job_id = str(handle["slurm_job_id"])
        run_dir = Path(handle["run_dir"])
        slurm_state, reason = self._squeue_state(job_id)
        if slurm_state in _ACTIVE:
            state = _ACTIVE[slurm_state]
            detail = f"Slurm job {job_id}"
            if state == "queued" and reason and reason != "None":
                detail += f": {reason}"
            elif slurm_state not in ("RUNNING", "PENDING", "CONFIGURING"):
                detail += f": {slurm_state}"
            return state, None, detail
        slurm_exit: int | None = None
        if slurm_state is None:
            slurm_state, slurm_exit = self._scontrol_state(job_id)
        if slurm_state is None or slurm_state in _ACTIVE:
            acct_state, acct_exit = self._sacct_state(job_id)
            if acct_state is not None:
                slurm_state, slurm_exit = acct_state, acct_exit
        if slurm_state in _ACTIVE:
            return _ACTIVE[slurm_state], None, f"Slurm job {job_id}"
        return self._final_state(job_id, run_dir, slurm_state, slurm_exit)

    def _final_state(
        self, job_id: str, run_dir: Path, slurm_state: str | None, slurm_exit: int | None
    ) -> tuple[str, int | None, str]:
        if self.remote is not None:
            exit_record, marked = self.remote.records(str(run_dir), EXIT_FILE, CANCEL_MARKER)
        else:
            exit_record, marked = (
                _read_json(run_dir / EXIT_FILE),
                (run_dir / CANCEL_MARKER).exists(),
            )
        cancelled = slurm_state == "CANCELLED" or marked
        where = f"Slurm job {job_id}" + (f": {slurm_state}" if slurm_state else "")
        if exit_record is not None:
            code = _launcher_exit_code(exit_record, slurm_exit)
            if cancelled:
                return "cancelled", code, where
            if slurm_state in (None, "COMPLETED", "FAILED") and code == 0:
                return "finished", 0, where
            return "failed", code, where
        if cancelled:
            return "cancelled", slurm_exit, where
        if slurm_state is None:
            return "lost", None, f"Slurm job {job_id} is gone and left no exit record"
        if slurm_state == "COMPLETED" and slurm_exit == 0:
            return "finished", 0, where
        return "failed", slurm_exit, where + " (the launcher left no exit record)"

    def sync(self, handle: dict[str, Any], spool_dir: Path) -> int:
        """Mirror the login node's ``RUN_DIR/spool`` into ``spool_dir`` (see
        :func:`ssh_remote.mirror_spool`); locally nothing to copy: the spool is written
        straight into ``HOME/spool/<run id>``.

        Raises:
            HostError: the login node cannot be reached (bytes that arrived are kept).
        """
        if self.remote is not None:
            return self.remote.sync(str(handle["run_dir"]), spool_dir)
        return 0

    def cancel(self, handle: dict[str, Any], grace_s: float) -> None:
        """SIGTERM every process of the job (the launcher forwards it to the command's group
        and KILLs the group's stragglers after its cleanup grace), then SIGKILL every process
        Slurm still tracks after ``grace_s`` (plus a small margin); returns once Slurm no
        longer runs it. A marker in the run dir makes :meth:`poll` say "cancelled".

        Raises:
            JobError: Slurm refused to cancel it, or it still runs after the kill.
        """
        job_id = str(handle["slurm_job_id"])
        run_dir = Path(handle["run_dir"])
        if self.remote is not None:
            self.remote.mark_cancelled(str(run_dir), CANCEL_MARKER, time.time())
        elif run_dir.is_dir():
            _write_json(run_dir / CANCEL_MARKER, {"requested_at": time.time()})
        state, _ = self._squeue_state(job_id)
        if state not in _ACTIVE:
            return
        if _ACTIVE[state] == "queued":  # nothing runs yet: a pending job takes no signal
            self.runner(["scancel", job_id])
            if self._wait_gone(job_id, 30.0):
                return
        rc, _, err = self.runner(["scancel", "--signal=TERM", "--full", job_id])
        if rc != 0 and not self._wait_gone(job_id, 0.0):
            raise JobError(f"Slurm refused to cancel job {job_id}: {err.strip()}")
        # The launcher TERMs the command's group, KILLs what is left after its cleanup grace
        # (the spec's cancel_grace_s), writes exit.json and ends the job; give it that long.
        if self._wait_gone(job_id, grace_s + LAUNCHER_MARGIN_S):
            return
        self.runner(["scancel", "--signal=KILL", "--full", job_id])
        self.runner(["scancel", job_id])
        if not self._wait_gone(job_id, 60.0):
            raise JobError(f"Slurm job {job_id} still runs after it was killed")

    def _wait_gone(self, job_id: str, timeout: float) -> bool:
        """Whether the job left the queue (not pending, running or completing) in time."""
        deadline = time.monotonic() + timeout
        while True:
            state, _ = self._squeue_state(job_id)
            if state not in _ACTIVE:
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.2)

    def _squeue_state(self, job_id: str) -> tuple[str | None, str]:
        rc, out, _ = self.runner(["squeue", "-h", "-j", job_id, "-o", "%T|%r"])
        line = out.strip().splitlines()[0] if rc == 0 and out.strip() else ""
        if not line:
            return None, ""
        state, _, reason = line.partition("|")
        return state.strip().split()[0].rstrip("+"), reason.strip()

    def _scontrol_state(self, job_id: str) -> tuple[str | None, int | None]:
        rc, out, _ = self.runner(["scontrol", "-o", "show", "job", job_id])
        match = re.search(r"\bJobState=(\S+)", out) if rc == 0 else None
        if match is None:
            return None, None
        code = re.search(r"\bExitCode=(\d+):(\d+)", out)
        return match.group(1), _exit_code(code.group(1), code.group(2)) if code else None

    def _sacct_state(self, job_id: str) -> tuple[str | None, int | None]:
        if self._accounting is False:
            return None, None
        rc, out, err = self.runner(
            ["sacct", "-n", "-P", "-X", "-j", job_id, "-o", "State,ExitCode"]
        )
        if rc != 0 or "disabled" in err.lower() or "disabled" in out.lower():
            self._accounting = False
            return None, None
        self._accounting = True
        for line in out.strip().splitlines():
            state, _, exit_code = line.partition("|")
            code, _, sig = exit_code.partition(":")
            if state.strip():
                return state.split()[0].rstrip("+"), _exit_code(code, sig or "0")
        return None, None


def _exit_code(code: str, sig: str) -> int | None:
    """Slurm's ``code:signal`` as one number: the code, or minus the signal that killed it."""
    if not code.isdigit() or not sig.isdigit():
        return None
    return -int(sig) if int(sig) else int(code)


def _launcher_exit_code(record: dict[str, Any], slurm_exit: int | None) -> int | None:
    """The command's exit code from exit.json: its code, or minus the signal that ended it."""
    code, sig = record.get("exit_code"), record.get("signal")
    if isinstance(code, int):
        return code
    if isinstance(sig, int):
        return -sig
    return slurm_exit


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _write_json(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data))
    os.replace(tmp, path)
