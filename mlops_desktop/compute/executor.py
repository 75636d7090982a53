"""The contract every target implements: local, SSH host, Slurm cluster.

Every target runs the same stdlib launcher (``python -m mlops_desktop.tracking.launcher``) next
to the run, in its run directory ``RUN_DIR``:

- ``RUN_DIR/spool/events.jsonl`` and ``RUN_DIR/spool/output.log``: the run's spool and log
  (locally ``RUN_DIR/spool`` *is* ``HOME/spool/<run id>``; remotely it is mirrored there by
  :meth:`Executor.sync`, byte for byte, from the offsets already copied);
- ``RUN_DIR/job.json``: written by the launcher, atomically, on every state change:
  ``{"state": "queued"|"running", "pid", "pgid", "start_ticks", "host", "gpus": [..],
  "queued_at", "started_at", "detail"}``;
- ``RUN_DIR/exit.json``: written atomically when the command ends:
  ``{"exit_code", "signal", "ended_at", "detail"}`` (``detail`` also goes to job.json right
  after; a poll in between reads it here).

``handle`` is the executor's own JSON-able record of a job (pid, start ticks, run dir, host,
Slurm job id...) that the service stores in the catalog, so a job is found again after the
app restarts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from mlops_desktop.core.compute import RunSpec


class Executor(Protocol):
    """A target that can start, watch, mirror and cancel jobs."""

    target: str  # "local", "ssh:NAME", "slurm:NAME"

    def start(
        self, run_id: str, spec: RunSpec, code_dir: Path | None, spool_dir: Path
    ) -> dict[str, Any]:
        """Start the launcher for ``run_id`` (detached: it survives the app) and return the
        handle. ``code_dir`` is a staged copy of the code to ship (None: run in place)."""
        ...

    def poll(self, handle: dict[str, Any]) -> tuple[str, int | None, str]:
        """(state, exit code, detail) now. A job whose process is gone without an exit
        record is "lost"; one whose pid was reused (start time differs) too."""
        ...

    def sync(self, handle: dict[str, Any], spool_dir: Path) -> int:
        """Copy new bytes of the remote spool and log into ``spool_dir`` (from its current
        sizes, so a dropped connection resumes with no gap and no duplicate). Returns bytes
        copied; local targets return 0."""
        ...

    def cancel(self, handle: dict[str, Any], grace_s: float) -> None:
        """SIGTERM the whole process group, then SIGKILL after ``grace_s``; no process of
        the group survives. Returns once it is done (call it off the GUI thread)."""
        ...
