"""The SSH executor: ships code and the tracking client, starts the launcher detached, follows
its spool over the multiplexed connection, cancels its process group.

Remote layout (see ``executor.py``): ``REMOTE_ROOT/<run id>/`` holds ``lib/mlops_desktop`` (the
stdlib tracking package), ``code/`` (the staged code), ``env.json``, ``job.json``, ``exit.json``,
``launcher.out`` and ``spool/``. Every value that reaches the remote shell is quoted with
:func:`shlex.quote`; ``~`` in the remote root or the interpreter expands remotely.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from mlops_desktop.compute import ssh_remote
from mlops_desktop.compute.ssh import SshClient
from mlops_desktop.core.compute import GpuInfo, HostInfo, RunSpec, chosen_python
from mlops_desktop.core.errors import HostError, HostKeyChanged, HostKeyUnconfirmed, JobError

SPOOL_FILES = ssh_remote.SPOOL_FILES
SYNC_CAP = ssh_remote.SYNC_CAP
_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
# The package's own __init__ travels with the tracking package: it imports only tracking/.
_INIT = (Path(__file__).resolve().parents[1] / "__init__.py").read_text(encoding="utf-8")
q = shlex.quote


def remote_path(path: str) -> str:
    """``path`` quoted for the remote shell, a leading ``~`` expanding to the remote home."""
    if path == "~":
        return '"$HOME"'
    if path.startswith("~/"):
        return '"$HOME"/' + q(path[2:])
    return q(path)


def _python(spec: RunSpec) -> str:
    """The interpreter: ``spec.python``, or ``<venv>/bin/python`` when it names a folder."""
    py = spec.python or "python3"
    if "python" not in py.rsplit("/", 1)[-1]:
        py = py.rstrip("/") + "/bin/python"
    return remote_path(py)


class SshExecutor:
    """Runs jobs on one SSH host. See :class:`mlops_desktop.compute.executor.Executor`."""

    def __init__(self, host: HostInfo, home: Path) -> None:
        self.host = host
        self.home = Path(home)
        self.client = SshClient(host, self.home)
        self.target = f"ssh:{host.name}"

    # -- start ------------------------------------------------------------------------------
    def start(
        self, run_id: str, spec: RunSpec, code_dir: Path | None, spool_dir: Path
    ) -> dict[str, Any]:
        """Create the run dir, ship the tracking package and code, start the launcher.

        Raises:
            JobError: a bad run id or environment name, or the launcher did not start.
            HostError: the host cannot be reached or used.
        """
        run_dir, cwd = self.stage(run_id, spec, code_dir, spool_dir)
        return self._launch(run_id, spec, run_dir, cwd)

    def stage(
        self, run_id: str, spec: RunSpec, code_dir: Path | None, spool_dir: Path
    ) -> tuple[str, str]:
        """Create ``REMOTE_ROOT/<run id>/spool``, ship ``lib/mlops_desktop``, ``env.json``
        and the code there (rsync, else tar); also used by the Slurm executor on a login node.

        Returns:
            (the remote run dir, absolute; the folder the command runs in).

        Raises:
            JobError: a bad run id.
            HostError: the host cannot be reached or used.
        """
        if not _RUN_ID.match(run_id):
            raise JobError(f"{run_id!r} is not a valid run id.")
        base = f"{remote_path(self.host.remote_root)}/{q(run_id)}"
        out = self.client.run_sh(
            f"mkdir -p -- {base}/spool && cd -- {base} && pwd -P && "
            "{ command -v rsync >/dev/null 2>&1 && echo rsync || echo none; }",
            timeout=30,
        ).stdout.decode()
        lines = out.strip().splitlines()
        if len(lines) < 2:
            raise HostError(f"{self.host.name}: could not create the run directory ({out!r}).")
        run_dir, remote_rsync = lines[-2], lines[-1] == "rsync"
        Path(spool_dir).mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="mlops-ship-") as tmp:
            stage = Path(tmp)
            pkg = stage / "lib" / "mlops_desktop"
            shutil.copytree(
                Path(__file__).resolve().parents[1] / "tracking",
                pkg / "tracking",
                ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
            )
            (pkg / "__init__.py").write_text(_INIT)
            (stage / "env.json").write_text(json.dumps(dict(spec.env)))
            code_name = "code"
            if code_dir is not None and Path(code_dir).name not in ("lib", "spool", "env.json"):
                code_name = Path(code_dir).name  # one rsync for package, env and code
                self._ship(stage, run_dir, remote_rsync, extra=Path(code_dir))
            else:
                self._ship(stage, run_dir, remote_rsync)
                if code_dir is not None:
                    self._ship(Path(code_dir), f"{run_dir}/code", remote_rsync)
        cwd = f"{run_dir}/{code_name}" if code_dir is not None else run_dir
        return run_dir, cwd

    def _ship(
        self, src: Path, remote_dir: str, remote_rsync: bool, extra: Path | None = None
    ) -> None:
        """Copy the contents of ``src`` (and the folder ``extra`` itself) into ``remote_dir``:
        rsync, else tar over ssh."""
        if extra is not None and not (remote_rsync and shutil.which("rsync")):
            self._ship(src, remote_dir, remote_rsync)
            self._ship(extra, f"{remote_dir}/{extra.name}", remote_rsync)
            return
        if remote_rsync and shutil.which("rsync"):
            argv = ["rsync", "-aR", "-s", "--exclude=__pycache__", "-e", self.client.ssh_command()]
            argv += [f"{src}/./"] + ([f"{extra.parent}/./{extra.name}"] if extra else [])
            argv += [self.client.rsync_destination(remote_dir + "/")]
            done = subprocess.run(argv, capture_output=True, text=True, timeout=600, check=False)
            if done.returncode != 0:
                if done.returncode in (12, 255):  # the connection failed: say why
                    self.client.raise_ssh_error(done.stderr)
                raise HostError(f"{self.host.name}: rsync failed: {done.stderr.strip()[-300:]}")
            return
        tar = subprocess.Popen(
            ["tar", "-C", str(src), "--exclude=__pycache__", "-cf", "-", "."],
            stdout=subprocess.PIPE,
        )
        script = f"mkdir -p -- {q(remote_dir)} && tar -C {q(remote_dir)} -xf -"
        assert tar.stdout is not None
        try:
            proc = subprocess.run(
                self.client.argv(shlex.join(["sh", "-c", script])),
                stdin=tar.stdout,
                capture_output=True,
                timeout=600,
                check=False,
            )
        finally:
            tar.stdout.close()
            tar.wait()
        if proc.returncode == 255:
            self.client.raise_ssh_error(proc.stderr.decode("utf-8", "replace"))
        if proc.returncode != 0 or tar.returncode != 0:
            raise HostError(f"{self.host.name}: copying with tar failed: {proc.stderr!r}")

    def _launch(self, run_id: str, spec: RunSpec, run_dir: str, cwd: str) -> dict[str, Any]:
        args = ["--run-id", run_id, "--run-dir", run_dir, "--spool", f"{run_dir}/spool"]
        args += ["--experiment", spec.experiment, "--target", self.target]
        args += ["--cwd", cwd, "--cleanup-grace", f"{max(spec.cancel_grace_s, 0.0):g}"]
        args += ["--env-file", f"{run_dir}/env.json"]
        if spec.name:
            args += ["--name", spec.name]
        if spec.parent_run_id:
            args += ["--parent-run-id", spec.parent_run_id]
        if chosen_python(spec):  # the command's python is the one the launcher runs with
            args.append("--command-python")
        if spec.gpu_indices:
            args += ["--gpu-indices", ",".join(str(int(i)) for i in spec.gpu_indices)]
        elif spec.gpus:
            args += ["--gpus", str(int(spec.gpus))]
        cmd = " ".join(
            [
                "setsid nohup env",
                q(f"PYTHONPATH={run_dir}/lib"),
                _python(spec),
                "-m mlops_desktop.tracking.launcher",
                shlex.join(args),
                "--",
                shlex.join(spec.command),
            ]
        )
        script = (
            f"cd {q(run_dir)} && {{ {cmd} </dev/null >{q(run_dir + '/launcher.out')} 2>&1 & }} "
            '&& p=$! && echo "$p" && cat "/proc/$p/stat" 2>/dev/null; exit 0'
        )
        out = self.client.run_sh(script, timeout=30).stdout.decode(errors="replace")
        lines = out.splitlines()
        if not lines or not lines[0].strip().isdigit():
            raise JobError(f"{self.host.name}: the launcher did not start ({out.strip()!r}).")
        pid = int(lines[0])
        ticks = ssh_remote.stat_ticks(lines[1]) if len(lines) > 1 else None
        return {
            "host": self.host.name,
            "run_id": run_id,
            "run_dir": run_dir,
            "pid": pid,
            "start_ticks": ticks,
        }

    # -- poll -------------------------------------------------------------------------------
    def poll(self, handle: dict[str, Any]) -> tuple[str, int | None, str]:
        """(state, exit code, detail) from job.json, exit.json and the launcher's liveness,
        read in one call over the master connection."""
        out = self.client.run_sh(ssh_remote.poll_script(handle), timeout=30, check=False).stdout
        return ssh_remote.poll_result(handle, out)

    # -- sync -------------------------------------------------------------------------------
    def sync(self, handle: dict[str, Any], spool_dir: Path) -> int:
        """Append the remote spool files' new bytes to ``spool_dir`` (local size = offset).

        Raises:
            HostError: the connection failed (bytes that arrived before are kept).
        """
        return ssh_remote.mirror_spool(self.client, handle["run_dir"] + "/spool", spool_dir)

    # -- cancel -----------------------------------------------------------------------------
    def cancel(self, handle: dict[str, Any], grace_s: float) -> None:
        """SIGTERM the launcher's process group, SIGKILL after ``grace_s``; verified empty.

        Raises:
            JobError: a process of the group survived.
        """
        script = ssh_remote.cancel_script(handle, grace_s)
        proc = self.client.run_sh(script, timeout=grace_s + 30, check=False)
        if proc.returncode == 4:
            raise JobError(f"{self.host.name}: processes of the run survived the kill.")

    # -- check ------------------------------------------------------------------------------
    def check(self, python: str = "python3") -> dict[str, Any]:
        """{host, reachable, python, gpus, disk_free, rsync[, error]} of the host.

        Raises:
            HostKeyUnconfirmed, HostKeyChanged: the host key is new or changed.
        """
        root = remote_path(self.host.remote_root)
        py = _python(RunSpec(command=[], python=python))
        script = (
            f"mkdir -p -- {root} 2>/dev/null; echo @python; {py} --version 2>&1; "
            "echo @rsync; command -v rsync; "
            f"echo @df; df -Pk -- {root} 2>/dev/null | tail -n 1; echo @gpus; "
            "nvidia-smi --query-gpu=index,name,memory.total,memory.used,utilization.gpu "
            "--format=csv,noheader,nounits 2>/dev/null; exit 0"
        )
        try:
            out = self.client.run_sh(script, timeout=30).stdout.decode(errors="replace")
        except (HostKeyUnconfirmed, HostKeyChanged):
            raise
        except HostError as exc:
            return {"host": self.host.name, "reachable": False, "python": None, "gpus": [],
                    "disk_free": None, "rsync": False, "error": str(exc)}  # fmt: skip
        parts = ssh_remote.sections(out)
        ver = re.search(r"Python (\S+)", parts.get("python", ""))
        df = parts.get("df", "").split()
        gpus: list[GpuInfo] = ssh_remote.parse_gpus(parts.get("gpus", ""))
        return {
            "host": self.host.name,
            "reachable": True,
            "python": ver.group(1) if ver else None,
            "gpus": [_gpu_dict(g) for g in gpus],
            "disk_free": int(df[3]) * 1024 if len(df) >= 4 and df[3].isdigit() else None,
            "rsync": bool(parts.get("rsync", "").strip()),
        }


def _gpu_dict(g: GpuInfo) -> dict[str, Any]:
    return {
        "index": g.index,
        "name": g.name,
        "memory_total": g.memory_total,
        "memory_used": g.memory_used,
        "utilization": g.utilization,
    }
