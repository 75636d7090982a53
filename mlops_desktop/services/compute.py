"""JobService: launch runs on targets, watch them, cancel them, manage hosts.

Synchronous and possibly slow (ssh, Slurm): the GUI calls it on worker threads only. Every job
is a ``job`` row holding its executor's handle, so a new service (after an app restart, or in
another process) finds running jobs again and follows them to the end. :meth:`refresh` polls
remote targets on one daemon thread per target with a deadline, so a hanging host never blocks
the others; their spools are mirrored into ``HOME/spool/<run id>`` for the ingester.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlops_desktop.catalog import job_repo
from mlops_desktop.catalog.engine import Catalog
from mlops_desktop.compute.codeship import stage_code
from mlops_desktop.core.compute import (
    TERMINAL_STATES,
    GpuInfo,
    HostInfo,
    HostKeyChange,
    JobInfo,
    RunSpec,
)
from mlops_desktop.core.errors import HostError, JobError
from mlops_desktop.services import (
    compute_hosts,
    job_changes,
    launch_checks,
    launch_datasets,
    launch_runs,
)
from mlops_desktop.services import compute_targets as targets
from mlops_desktop.services.catalog_open import CatalogService, open_catalog
from mlops_desktop.services.compute_follow import JobFollowing
from mlops_desktop.services.log_text import read_log_text
from mlops_desktop.tracking.home import LOG_FILENAME, run_spool_dir
from mlops_desktop.tracking.names import generate_run_name
from mlops_desktop.tracking.who import host_name, os_user

if TYPE_CHECKING:
    from mlops_desktop.services.datasets import DatasetService

_log = logging.getLogger(__name__)
REMOTE_POLL_TIMEOUT_S = 15.0
STARTING_LOST_S = 600.0  # a job with no handle this long after launch was never started
JOBS_DIRNAME = "jobs"


class JobService(CatalogService, JobFollowing):
    """Facade over executors, the jobs table and the host inventory. Thread-safe."""

    def __init__(self, catalog: Catalog, home: Path, gpu_lock_dir: Path | None = None) -> None:
        """``gpu_lock_dir``: the local GPU lease folder (default: the machine-wide one)."""
        super().__init__(catalog, home)
        self.targets = targets.TargetRegistry(self.home, gpu_lock_dir)
        self._busy: set[str] = set()  # remote targets whose poll thread has not returned
        self._cancelling: set[str] = set()
        self._lock = threading.Lock()

    @classmethod
    def open(
        cls, home: Path, catalog_url: str | None = None, gpu_lock_dir: Path | None = None
    ) -> JobService:
        """Open (creating and migrating if needed) the catalog of ``home`` or ``catalog_url``."""
        return cls(open_catalog(Path(home), catalog_url), Path(home), gpu_lock_dir)

    def close(self) -> None:
        """Close executors' connections and dispose of the catalog's (even if that fails)."""
        try:
            self.targets.close()
        finally:
            super().close()

    # -- launching -------------------------------------------------------------------------

    def launch(self, spec: RunSpec, check: bool = True) -> JobInfo:
        """Create the run id, stage the code, start the job; returns at once (state
        "queued", "starting" or "running"), the run in the catalog as "queued" already.

        ``check``: refuse a command whose program, script or interpreter is missing on the
        target (see :mod:`.launch_checks`) before anything starts.

        Raises:
            LaunchCheckFailed: the check found the program, script or interpreter missing.
            JobError: a bad spec, or the target refused to start the job.
            HostError: the target's host is unknown or cannot be reached.
        """
        spec = launch_runs.checked_spec(spec, self.targets.validate)
        if check:
            command = launch_checks.check_on_target(spec, self.targets.executor(spec.target))
        else:
            command = launch_checks.unchecked_command(spec)
        spec = dataclasses.replace(spec, command=command)
        if not spec.name:  # one name for the queued run, the job and the launcher
            spec = dataclasses.replace(spec, name=generate_run_name())
        datasets = self._datasets(spec)
        executor = self.targets.executor(spec.target)
        run_id = uuid.uuid4().hex
        run_dir = self.home / JOBS_DIRNAME / run_id
        code_dir = stage_code(spec, run_dir / "code")
        service = self._dataset_service()
        launched = launch_datasets.provide(service, spec, datasets, run_dir, code_dir)
        if datasets and spec.target != "local" and code_dir is None:
            code_dir = run_dir / "code"  # only the data travels; the run starts in it
        spool_dir = run_spool_dir(self.home, run_id)
        now = time.time()
        job = JobInfo(
            run_id=run_id,
            target=spec.target,
            state="starting",
            submitted_at=now,
            gpus=list(spec.gpu_indices or []),
            command=list(spec.command),
            experiment=spec.experiment,
            name=spec.name or "",
            user=os_user(),
            host=host_name(),
        )
        with self.catalog.session_scope(write=True) as s:
            job_repo.insert_job(s, job, dataclasses.asdict(spec))
        launch_runs.record_queued(self.catalog, run_id, spec, now)
        try:
            handle = executor.start(run_id, launched, code_dir, spool_dir)
        except Exception as exc:
            self._write(run_id, state="failed", ended_at=time.time(), detail=f"not started: {exc}")
            launch_runs.end_run(self.catalog, self.get(run_id))
            if isinstance(exc, (JobError, HostError)):
                raise
            raise JobError(f"The job could not be started on {spec.target}: {exc}") from exc
        self._write(run_id, handle=handle)
        return self._update_one(self.get(run_id)) or self.get(run_id)

    def _datasets(self, spec: RunSpec) -> list[launch_datasets.LaunchDataset]:
        """The spec's dataset versions, resolved and checked before anything starts."""
        if not spec.datasets:
            return []
        return launch_datasets.resolve(self._dataset_service(), spec.datasets)

    def _dataset_service(self) -> DatasetService:
        from mlops_desktop.services.datasets import DatasetService

        return DatasetService(self.catalog, self.home)

    # -- reading ---------------------------------------------------------------------------

    def jobs(self, active_only: bool = False) -> list[JobInfo]:
        """Jobs, newest first."""
        with self.catalog.session_scope() as s:
            return job_repo.list_jobs(s, active_only)

    def get(self, run_id: str) -> JobInfo:
        """The job of ``run_id`` (or a unique prefix of at least 4 characters)."""
        with self.catalog.session_scope() as s:
            job = job_repo.get_job(s, job_repo.resolve_job_id(s, run_id))
        if job is None:  # pragma: no cover - resolve_job_id found it
            raise JobError(f"No job has the id {run_id!r}.")
        return job

    def spec(self, run_id: str) -> RunSpec:
        """The RunSpec a job was launched with."""
        with self.catalog.session_scope() as s:
            data = job_repo.get_spec(s, job_repo.resolve_job_id(s, run_id))
        names = {f.name for f in dataclasses.fields(RunSpec)}
        return RunSpec(**{k: v for k, v in data.items() if k in names})

    # -- watching --------------------------------------------------------------------------

    def refresh(self) -> list[JobInfo]:
        """Poll every active job, mirror remote spools into the home, record state changes;
        returns the jobs whose state changed. The app calls it about every second.

        On a catalog that takes no writes it polls nothing: the desktops that launched the
        jobs record their states."""
        if not self.catalog.access.writable:
            return []
        by_target: dict[str, list[JobInfo]] = {}
        for job in self.jobs(active_only=True):
            if job.run_id not in self._cancelling:
                by_target.setdefault(job.target, []).append(job)
        changed: list[JobInfo] = []
        threads: list[tuple[threading.Thread, list[JobInfo]]] = []
        for target, jobs in by_target.items():
            if target == "local":
                changed.extend(self._update_all(jobs))
                continue
            with self._lock:
                if target in self._busy:
                    continue  # still hanging from an earlier refresh
                self._busy.add(target)
            out: list[JobInfo] = []
            t = threading.Thread(
                target=self._remote_worker,
                args=(target, jobs, out),
                daemon=True,
                name=f"jobs-refresh-{target}",
            )
            t.start()
            threads.append((t, out))
        deadline = time.monotonic() + REMOTE_POLL_TIMEOUT_S
        for t, out in threads:
            t.join(max(0.0, deadline - time.monotonic()))
            if not t.is_alive():
                changed.extend(out)
            else:
                _log.warning(
                    "%s did not answer within %.0f s; its jobs are polled again later",
                    t.name.removeprefix("jobs-refresh-"),
                    REMOTE_POLL_TIMEOUT_S,
                )
        for job in changed:
            detail = f" ({job.detail})" if job.detail else ""
            _log.info("Job %s on %s: %s%s", job.run_id, job.target, job.state, detail)
        return changed

    def _remote_worker(self, target: str, jobs: list[JobInfo], out: list[JobInfo]) -> None:
        try:
            out.extend(self._update_all(jobs))
        finally:
            with self._lock:
                self._busy.discard(target)

    def _update_all(self, jobs: list[JobInfo]) -> list[JobInfo]:
        changed = []
        for job in jobs:
            try:
                new = self._update_one(job)
            except (HostError, OSError) as exc:
                if job.detail != f"unreachable: {exc}":
                    self._write(job.run_id, detail=f"unreachable: {exc}")
                continue
            if new is not None:
                changed.append(new)
        return changed

    def _update_one(self, job: JobInfo) -> JobInfo | None:
        """Poll and mirror one job, write what changed; the new JobInfo when its state did."""
        if job.state in TERMINAL_STATES:
            return None
        if not job.handle:  # launch() died between its row and the executor's answer
            if time.time() - job.submitted_at < STARTING_LOST_S:
                return None
            self._write(job.run_id, state="lost", detail="the launch never completed")
            return self.get(job.run_id)
        executor = self.targets.executor(job.target)
        state, exit_code, detail = executor.poll(job.handle)
        if job.target != "local":
            executor.sync(job.handle, run_spool_dir(self.home, job.run_id))
        changes = job_changes.after_poll(job, state, exit_code, detail)
        if not changes:
            return None
        self._write(job.run_id, **changes)
        if "state" not in changes:
            return None
        new = self.get(job.run_id)
        if new.state in TERMINAL_STATES:
            launch_runs.end_run(self.catalog, new)
        return new

    def wait_started(self, run_id: str, timeout_s: float = launch_runs.START_WAIT_S) -> JobInfo:
        """The job once it left "starting" (queued, running or ended), or after ``timeout_s``:
        what ``launch`` reports, so a launch that failed at once says why."""
        deadline = time.monotonic() + timeout_s
        job = self.get(run_id)
        while job.state == "starting" and time.monotonic() < deadline:
            time.sleep(0.02)
            self._update_all([job])
            job = self.get(run_id)
        return job

    def _write(self, run_id: str, **changes: Any) -> None:
        with self.catalog.session_scope(write=True) as s:
            job_repo.update_job(s, run_id, **changes)

    def cancel(self, run_id: str, grace_s: float | None = None) -> JobInfo:
        """SIGTERM the job's processes, SIGKILL after ``grace_s`` (default: the spec's); the
        job ends "cancelled" with no process left. Ended jobs are returned as they are."""
        job = self.get(run_id)
        if job.state in TERMINAL_STATES:
            return job
        grace = self.spec(job.run_id).cancel_grace_s if grace_s is None else grace_s
        with self._lock:
            self._cancelling.add(job.run_id)
        try:
            executor = self.targets.executor(job.target)
            if job.handle:
                executor.cancel(job.handle, max(0.0, grace))
                _state, exit_code, _detail = executor.poll(job.handle)
                if job.target != "local":
                    executor.sync(job.handle, run_spool_dir(self.home, job.run_id))
            else:
                exit_code = None
            self._write(
                job.run_id,
                state="cancelled",
                ended_at=time.time(),
                exit_code=exit_code,
                detail="cancelled",
            )
            launch_runs.end_run(self.catalog, self.get(job.run_id))
        finally:
            with self._lock:
                self._cancelling.discard(job.run_id)
        return self.get(job.run_id)

    def logs(self, run_id: str, offset: int = 0) -> tuple[str, int]:
        """Log text from ``offset`` (mirrored first for remote jobs); (text, next offset)."""
        job = self.get(run_id)
        if job.target != "local" and job.handle:
            try:
                self.targets.executor(job.target).sync(
                    job.handle, run_spool_dir(self.home, job.run_id)
                )
            except (HostError, OSError):
                pass  # show what was mirrored so far
        return read_log_text(run_spool_dir(self.home, job.run_id) / LOG_FILENAME, offset)

    def follow(self, run_id: str, poll_s: float = 0.5) -> Iterator[str]:
        """Yield new log text until the job ends (for ``jobs logs --follow``)."""
        run_id = self.get(run_id).run_id
        offset = 0
        while True:
            job = self.get(run_id)
            if job.run_id not in self._cancelling:
                self._update_all([job])
            ended = self.get(run_id).state in TERMINAL_STATES
            text, offset = self.logs(run_id, offset)
            if text:
                yield text
            if ended:
                return
            time.sleep(poll_s)

    # -- hosts -----------------------------------------------------------------------------

    def hosts(self) -> list[HostInfo]:
        """Hosts added in the app and hosts of ~/.ssh/config, and Slurm clusters."""
        return self.targets.hosts()

    def add_host(
        self,
        name: str,
        ssh: str,
        identity: str | None = None,
        accept_host_key: str | None = None,
        kind: str = "ssh",
        env: dict[str, str] | None = None,
    ) -> HostInfo:
        """Add an SSH host (or a Slurm login node with ``kind="slurm"``; ``env`` is the
        environment of its Slurm commands). A new host's key must be confirmed: without
        ``accept_host_key`` this raises HostKeyUnconfirmed carrying the fingerprint to show."""
        return self.targets.add_host(name, ssh, identity, accept_host_key, kind, env)

    def remove_host(self, name: str, force: bool = False) -> dict[str, object]:
        """Remove a host and its known_hosts entries (see :func:`compute_hosts.remove_host`)."""
        return compute_hosts.remove_host(self, name, force)

    def rekey_host(self, name: str, accept_host_key: str | None = None) -> HostKeyChange:
        """Accept a host's new key (see :func:`compute_hosts.rekey_host`)."""
        return compute_hosts.rekey_host(self.targets, name, accept_host_key)

    def check_host(self, name: str) -> dict[str, object]:
        """{reachable, python, gpus: [...], disk_free, rsync, error}."""
        host = self.targets.host(name)
        executor: Any = self.targets.executor(f"{host.kind}:{name}")
        info = executor.cluster_info() if host.kind == "slurm" else executor.check()
        if dataclasses.is_dataclass(info) and not isinstance(info, type):
            info = dataclasses.asdict(info)
        return dict(info)

    def gpus(self, target: str = "local") -> list[GpuInfo]:
        """GPUs of a target with their use and leases."""
        kind, name = targets.parse_target(target)
        if kind == "local":
            from mlops_desktop.compute.gpus import list_gpus

            return list(list_gpus(self.targets.gpu_lock_dir))
        return targets.gpu_infos(self.check_host(name).get("gpus"))
