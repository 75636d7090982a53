"""What :class:`~mlops_desktop.services.compute.JobService` offers around a launch: the
command's check on its target before anything starts, following a launched job until it runs
or fails (with its log's last lines), what active jobs' runs use (one query), and why a Slurm
installed here does not answer. A mixin: the service supplies the catalog, targets and polls.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from mlops_desktop.catalog import job_usage
from mlops_desktop.catalog.engine import Catalog
from mlops_desktop.core.compute import JobInfo, JobUsage, RunSpec
from mlops_desktop.services import launch_checks, launch_runs
from mlops_desktop.services.compute_targets import TargetRegistry


class JobFollowing:
    """See the module docstring."""

    catalog: Catalog
    targets: TargetRegistry

    if TYPE_CHECKING:  # supplied by JobService

        def get(self, run_id: str) -> JobInfo: ...

        def logs(self, run_id: str, offset: int = 0) -> tuple[str, int]: ...

        def _update_all(self, jobs: list[JobInfo]) -> list[JobInfo]: ...

    def check_command(self, spec: RunSpec) -> None:
        """Check ``spec``'s program, script and interpreter on its target (ssh: one round trip).

        Raises:
            LaunchCheckFailed: one of them is missing there (the sentence says which).
            JobError, HostError: a bad spec, an unknown or unreachable target.
        """
        spec = launch_runs.checked_spec(spec, self.targets.validate)
        launch_checks.check_on_target(spec, self.targets.executor(spec.target))

    def wait_running(self, run_id: str, timeout_s: float = 2.0, settle_s: float = 0.0) -> JobInfo:
        """The job once it left "starting" and "queued" (and, with ``settle_s``, has run that
        many seconds, so a command that fails at once is seen failed), or after ``timeout_s``:
        the launch dialog follows a job with it until it runs or fails."""
        deadline = time.monotonic() + timeout_s
        job = self.get(run_id)
        pause = 0.05 if job.target == "local" else 1.0  # ssh and Slurm polls cost a round trip

        def waiting(job: JobInfo) -> bool:
            if job.state in ("starting", "queued"):
                return True
            since = job.started_at if job.started_at is not None else job.submitted_at
            return job.state == "running" and time.time() - since < settle_s

        while waiting(job) and time.monotonic() < deadline:
            time.sleep(pause)
            self._update_all([job])
            job = self.get(run_id)
        return job

    def log_tail(self, run_id: str, lines: int = 12) -> str:
        """The last ``lines`` lines of the job's log (mirrored first for a remote job)."""
        text, _offset = self.logs(run_id)
        return "\n".join(text.rstrip("\n").splitlines()[-lines:])

    def jobs_usage(self, run_ids: list[str]) -> dict[str, JobUsage]:
        """Run name and latest CPU, RAM and GPU use of these jobs' runs (one query)."""
        with self.catalog.session_scope() as s:
            return job_usage.jobs_usage(s, list(run_ids))

    def local_slurm_problem(self) -> tuple[str, str] | None:
        """(sentence, raw output) when a Slurm installed here does not answer ``sinfo`` (it is
        then left out of :meth:`hosts`); None when it answers or none is installed."""
        problem = self.targets.local_slurm_problem()
        return None if problem is None else (str(problem), problem.details)
