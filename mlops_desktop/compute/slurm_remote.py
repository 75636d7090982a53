"""A Slurm cluster reached through its login node over SSH: the remote half of the executor.

Slurm's commands run on the login node through :meth:`SshClient.run` (every argument quoted),
prefixed with ``env K=V ...`` when the cluster's :attr:`HostInfo.env` asks for it (e.g.
``SLURM_CONF``). The run directory is made like the SSH executor's (``REMOTE_ROOT/<run id>`` with
``lib/mlops_desktop``, the code and ``spool/``, shipped by :meth:`SshExecutor.stage`); the batch
script is piped into ``cat``; ``exit.json`` and the cancel marker are read in one call; the spool,
on the cluster's filesystem, is mirrored into ``HOME/spool/<run id>`` by
:func:`ssh_remote.mirror_spool`, exactly as for an SSH host.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mlops_desktop.compute import slurm_script, ssh_remote
from mlops_desktop.compute.ssh import SshClient
from mlops_desktop.compute.ssh_executor import SshExecutor
from mlops_desktop.core.compute import HostInfo, RunSpec
from mlops_desktop.core.errors import HostError

SCRIPT_FILE = "job.sbatch"
q = shlex.quote


class SshRunner:
    """Runs Slurm commands on the login node (a :class:`~.slurm.CommandRunner`).

    Args:
        client: the login node's SSH client.
        env: variables set for every command with ``env K=V`` (values quoted like the rest).
    """

    def __init__(self, client: SshClient, env: dict[str, str] | None = None) -> None:
        self.client = client
        self.prefix = ["env", *(f"{k}={v}" for k, v in env.items())] if env else []

    def __call__(self, argv: Sequence[str], timeout: float = 30.0) -> tuple[int, str, str]:
        """(exit code, stdout, stderr) of ``argv`` on the login node.

        Raises:
            HostError: the login node cannot be reached or did not answer in time.
        """
        proc = self.client.run([*self.prefix, *argv], timeout=timeout, check=False)
        if proc.returncode == 127:
            raise HostError(f"{self.client.host.name}: Slurm's {argv[0]} is not installed there")
        decode = lambda b: b.decode("utf-8", "replace")  # noqa: E731
        return proc.returncode, decode(proc.stdout), decode(proc.stderr)


class RemoteRunDirs:
    """Run directories of a cluster's jobs on its login node's filesystem.

    Args:
        cluster: the cluster (an SSH address, ``remote_root`` for its run dirs).
        home: the app home (known_hosts, master connections).
    """

    def __init__(self, cluster: HostInfo, home: Path) -> None:
        self.ssh = SshExecutor(cluster, home)
        self.client = self.ssh.client

    def prepare(
        self, run_id: str, spec: RunSpec, code_dir: Path | None, spool_dir: Path, target: str
    ) -> tuple[str, str]:
        """Make the run dir, ship the tracking package and code, write the batch script.

        Returns:
            (the remote run dir, the remote batch script's path).

        Raises:
            JobError: a bad run id, Slurm setting or environment name.
            HostError: the login node cannot be reached or used.
        """
        run_dir, cwd = self.ssh.stage(run_id, spec, code_dir, spool_dir)
        script = slurm_script.batch_script(
            run_id,
            spec,
            Path(run_dir),
            Path(run_dir) / "spool",
            cwd=Path(cwd),
            target=target,
            pythonpath=Path(run_dir) / "lib",
        )
        path = f"{run_dir}/{SCRIPT_FILE}"
        self.client.run_sh(f"cat > {q(path)}", timeout=30, input=script.encode())
        return run_dir, path

    def records(
        self, run_dir: str, exit_file: str, marker: str
    ) -> tuple[dict[str, Any] | None, bool]:
        """(``exit.json`` or None, whether the cancel marker exists), read in one call."""
        sep = ssh_remote.SEP
        script = (
            f"cd {q(run_dir)} 2>/dev/null || exit 0; cat {q(exit_file)} 2>/dev/null; "
            f"echo; echo {sep}; [ -e {q(marker)} ] && echo cancel; exit 0"
        )
        out = self.client.run_sh(script, timeout=30, check=False).stdout.decode("utf-8", "replace")
        record_text, _, rest = out.partition(sep)
        try:
            record = json.loads(record_text)
        except ValueError:
            record = None
        return (record if isinstance(record, dict) else None), rest.strip() == "cancel"

    def mark_cancelled(self, run_dir: str, marker: str, requested_at: float) -> None:
        """Write the cancel marker (atomically) into the run dir when it exists."""
        tmp = f"{marker}.tmp"
        body = json.dumps({"requested_at": requested_at})
        self.client.run_sh(
            f"cd {q(run_dir)} 2>/dev/null || exit 0; "
            f"printf '%s\\n' {q(body)} > {q(tmp)} && mv -f -- {q(tmp)} {q(marker)}",
            timeout=30,
        )

    def sync(self, run_dir: str, spool_dir: Path) -> int:
        """Mirror ``RUN_DIR/spool`` into ``spool_dir`` from the local sizes on.

        Raises:
            HostError: the connection failed (bytes that arrived before are kept).
        """
        return ssh_remote.mirror_spool(self.client, run_dir + "/spool", spool_dir)
