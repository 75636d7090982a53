"""A tracked run: what a training script logs to, through a buffer, into its spool."""

from __future__ import annotations

import os
import sys
import threading
import time
import traceback
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from mlops_desktop.tracking import lifecycle
from mlops_desktop.tracking.capture import capture_environment
from mlops_desktop.tracking.home import EVENTS_FILENAME, LOG_FILENAME
from mlops_desktop.tracking.output import OutputCapture
from mlops_desktop.tracking.run_artifacts import ArtifactLogging
from mlops_desktop.tracking.run_info import (
    RunData,
    RunInfo,
    artifact_uri,
    changed_param_message,
    param_text,
)
from mlops_desktop.tracking.run_inputs import DatasetInputs
from mlops_desktop.tracking.run_media import MediaLogging
from mlops_desktop.tracking.spool import END_STATUSES
from mlops_desktop.tracking.validate import (
    MAX_STEP,
    MIN_STEP,
    EndedBuffer,
    check_key,
    check_mapping,
    check_tag_key,
    default_step_overflow,
    first_step,
    metric_step,
    metric_time,
    metric_value,
    param_value,
)
from mlops_desktop.tracking.writer import WAKE_AT, BufferedSpool, leave_signals_to_main_thread

if TYPE_CHECKING:
    from mlops_desktop.tracking.model_log import ModelInfo

CAPTURE_WAIT_S = 10.0


def end_status(status: Any) -> Any:
    """A status in the spool's spelling: MLflow's "FINISHED", "FAILED" and "KILLED" (any case)
    become "finished", "failed" and "killed"; anything else is returned as it is."""
    return status.lower() if isinstance(status, str) else status


_time = time.time


class Run(ArtifactLogging, MediaLogging, DatasetInputs):
    """One run of a training script. Create it with :func:`start_run`.

    Logging methods validate their arguments at once (raising TypeError or ValueError at the
    call site) and only append to an in-memory buffer; a daemon thread writes the spool.
    Metric logging is safe from several threads; default steps of one key are then not
    guaranteed to be unique.

    Attributes:
        id: the run id (32 hex digits, or the launcher's id).
        experiment: the experiment's name.
        name: the run's readable name.
        spool_dir: the folder holding ``events.jsonl`` and ``output.log``.
        home: the app home whose artifact store receives logged files.
    """

    def __init__(
        self, run_id: str, experiment: str, name: str, spool_dir: Path, home: Path
    ) -> None:
        self.id = run_id
        self.experiment = experiment
        self.name = name
        self.spool_dir = spool_dir
        self.home = home
        self.status = "running"
        self._steps: dict[str, int] = {}
        self._lock = threading.RLock()
        self._ending = False
        self._interrupted = False
        self._events_open = True
        self._capture_thread: threading.Thread | None = None
        self._output: OutputCapture | None = None
        self._sampler: Any = None  # a SystemSampler for a run started by hand
        self.started_at: float | None = None
        self.ended_at: float | None = None
        spool_dir.mkdir(parents=True, exist_ok=True)
        self._spool = BufferedSpool(spool_dir / EVENTS_FILENAME, run_id)
        self._buffer: Any = self._spool.buffer
        self._params: dict[str, Any] = dict(self._spool.resumed_params)
        self._tags: dict[str, str] = {}

    @property
    def events_path(self) -> Path:
        return self.spool_dir / EVENTS_FILENAME

    @property
    def log_path(self) -> Path:
        return self.spool_dir / LOG_FILENAME

    @property
    def info(self) -> RunInfo:
        """The run's id, name, experiment, status and times as MLflow's ``run.info`` has them."""
        return RunInfo(
            self.id,
            self.name,
            self.experiment,
            self.status.upper(),
            start_time=None if self.started_at is None else int(self.started_at * 1000),
            end_time=None if self.ended_at is None else int(self.ended_at * 1000),
            artifact_uri=artifact_uri(self.id),
            user_id=os.environ.get("USER") or os.environ.get("USERNAME") or "",
        )

    @property
    def data(self) -> RunData:
        """What this process logged, as MLflow's ``run.data``: params and tags (strings) and
        the last value of each metric (waits until the points logged so far are written)."""
        if self._events_open:
            self._spool.flush(5.0)
        return RunData(
            params={k: param_text(v) for k, v in self._params.items()},
            metrics=dict(self._spool.latest_metrics),
            tags=dict(self._tags),
        )

    @property
    def ended(self) -> bool:
        return self.status != "running"

    def __repr__(self) -> str:
        return f"<Run {self.id} {self.experiment}/{self.name} {self.status}>"

    # -- metrics (the hot path) -------------------------------------------------------------

    def log_metric(
        self, key: str, value: float, step: int | None = None, timestamp: float | None = None
    ) -> None:
        """Record one point of metric ``key``.

        Args:
            key: the metric's name (a non-empty string).
            value: a real number (int, float, numpy scalar...); NaN and infinities are kept.
                Booleans are refused.
            step: an integer; by default one more than this key's last step (0 at first).
            timestamp: seconds since the epoch; by default now.

        Raises:
            TypeError, ValueError: a bad key, value, step or timestamp.
            RuntimeError: the run has ended.
        """
        if type(value) is not float:
            value = metric_value(key, value)
        steps = self._steps
        if step is None:
            try:
                step = steps[key]
            except (KeyError, TypeError):
                step = first_step(key)
            if step > MAX_STEP:
                default_step_overflow(key, step)
        else:
            if type(step) is not int or not MIN_STEP <= step < MAX_STEP:
                step = metric_step(key, step)
            try:
                known = key in steps
            except TypeError:
                known = False
            if not known:
                first_step(key)
        steps[key] = step + 1
        buffer = self._buffer
        buffer.append(
            (key, step, _time() if timestamp is None else metric_time(key, timestamp), value)
        )
        if len(buffer) >= WAKE_AT:
            self._spool.wake()

    def log_metrics(
        self, metrics: Mapping[str, float], step: int | None = None, timestamp: float | None = None
    ) -> None:
        """Record several metrics at one step and time (see :meth:`log_metric`).

        All values are checked before any is recorded.
        """
        check_mapping(metrics, "metrics")
        ts = _time() if timestamp is None else metric_time("metrics", timestamp)
        if step is not None:
            step = metric_step("metrics", step)
        steps = self._steps
        points = []
        for key, value in metrics.items():
            if type(value) is not float:
                value = metric_value(key, value)
            if step is None:
                try:
                    s = steps[key]
                except (KeyError, TypeError):
                    s = first_step(key)
                if s > MAX_STEP:
                    default_step_overflow(key, s)
            else:
                s = step
                first_step(key)
            points.append((key, s, ts, value))
        for key, s, _, _ in points:
            steps[key] = s + 1
        buffer = self._buffer
        buffer.extend(points)
        if len(buffer) >= WAKE_AT:
            self._spool.wake()

    # -- everything else ----------------------------------------------------------------------

    def _put(self, event: dict[str, Any]) -> None:
        if not self._events_open:
            raise RuntimeError(f"run {self.id} has ended")
        self._spool.put_event(event)

    def log_param(self, key: str, value: Any) -> None:
        """Record a parameter (str, int, float, bool or None; anything else as its str).

        Raises:
            ValueError: ``key`` was logged to this run before with another value (as in
                MLflow; the same value again is fine).
        """
        self.log_params({key: value})

    def log_params(self, params: Mapping[str, Any]) -> None:
        """Record several parameters at once (none when one would change a logged value)."""
        check_mapping(params, "params")
        clean = {check_key(k, "param"): param_value(k, v) for k, v in params.items()}
        logged = self._params
        for key, value in clean.items():
            if key in logged and param_text(logged[key]) != param_text(value):
                raise ValueError(changed_param_message(self.id, key, logged[key], value))
        if clean:
            self._put({"type": "params", "params": clean})
            logged.update(clean)

    def set_tag(self, key: str, value: Any) -> None:
        """Set a tag; the value is stored as a string."""
        self.set_tags({key: value})

    def set_tags(self, tags: Mapping[str, Any]) -> None:
        """Set several tags at once."""
        check_mapping(tags, "tags")
        clean = {check_tag_key(k): str(v) for k, v in tags.items()}
        if clean:
            self._put({"type": "tags", "tags": clean})
            self._tags.update(clean)

    def log_model(self, model: Any, name: str, **options: Any) -> ModelInfo:
        """Log ``model`` as the model folder ``name/`` of this run; see
        :func:`mlops_desktop.tracking.model_log.log_model` for the options."""
        from mlops_desktop.tracking.model_log import log_model

        return log_model(self, model, name, **options)

    def flush(self, timeout: float | None = None) -> None:
        """Return once everything logged before the call is written and fsync'd.

        Raises:
            OSError: the spool cannot be written.
            TimeoutError: not done within ``timeout`` seconds.
        """
        if not self._spool.flush(timeout):
            raise TimeoutError(f"flushing run {self.id} took longer than {timeout} s")

    # -- the end ------------------------------------------------------------------------------

    def end(self, status: str = "finished", error: str | None = None) -> None:
        """End the run: record the status, write and fsync everything, restore the streams.

        ``status`` is "finished", "failed" or "killed", in any case (MLflow's "FAILED" too).

        Ending an ended run does nothing.
        """
        status = end_status(status)
        if status not in END_STATUSES:
            raise ValueError(f"status must be one of {sorted(END_STATUSES)}, got {status!r}")
        with self._lock:
            if self._ending:
                return
            self._ending = True
        self._finish(status, error, from_signal=False)

    def _end_from_signal(self, error: str) -> bool:
        """End as killed from a signal handler; False when an end is already under way."""
        with self._lock:
            if self._ending:
                return False
            self._ending = True
        self._finish("killed", error, from_signal=True)
        return True

    def _finish(self, status: str, error: str | None, from_signal: bool) -> None:
        if self._sampler is not None:
            self._sampler.stop(timeout=1.0 if from_signal else 5.0)
        capture = self._capture_thread
        if capture is not None:
            capture.join(1.0 if from_signal else CAPTURE_WAIT_S)
        with self._lock:
            self._events_open = False
            self._buffer = EndedBuffer(self.id)
            self.status = status
            self.ended_at = _time()
            end = {"type": "end", "status": status, "ended_at": self.ended_at, "error": error}
            self._spool.put_event(end)
        done = self._spool.close(timeout=10.0 if from_signal else 60.0, wake=not from_signal)
        if self._output is not None:
            self._output.stop()
        lifecycle.unregister(self)
        if not done or self._spool.error is not None:
            why = self._spool.error or "the writer did not finish in time"
            print(
                f"mlops_desktop: run {self.id}: not all events reached {self.events_path}: {why}",
                file=sys.__stderr__,
            )
        lifecycle.exit_if_deferred()

    def __enter__(self) -> Run:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._ending:
            return
        if exc is None:
            self.end("finished")
        elif isinstance(exc, KeyboardInterrupt):
            self.end("killed", error="KeyboardInterrupt")
        elif isinstance(exc, SystemExit) and exc.code in (0, None):
            self.end("finished")
        else:
            text = "".join(traceback.format_exception(exc_type, exc, tb))
            if self._output is not None:
                self._output.write_log(text)
            self.end("failed", error=text)

    # -- the start ----------------------------------------------------------------------------

    def _start(
        self,
        start_event: dict[str, Any],
        params: Mapping[str, Any] | None,
        tags: Mapping[str, Any] | None,
        capture_env: bool,
        capture_output: bool,
    ) -> None:
        self._put(start_event)
        started = start_event.get("started_at")
        self.started_at = started if isinstance(started, float) else _time()
        if params:
            self.log_params(params)
        if tags:
            self.set_tags(tags)
        if capture_output:
            self._output = OutputCapture(str(self.log_path))
            self._output.start()
        if capture_env:
            self._capture_thread = threading.Thread(
                target=self._capture_env, name=f"mlops-capture-{self.id[:8]}", daemon=True
            )
            self._capture_thread.start()
        lifecycle.register(self)

    def _start_system_metrics(self, interval: float) -> None:
        """Sample this process and its descendants into ``system.jsonl`` until the end."""
        from mlops_desktop.tracking.sampler import SYSTEM_FILENAME, SystemSampler

        self._sampler = SystemSampler(
            self.spool_dir / SYSTEM_FILENAME, self.id, None, None, None, interval, root=os.getpid()
        )
        self._sampler.start()

    def _capture_env(self) -> None:
        leave_signals_to_main_thread()
        try:
            fields = capture_environment()
        except Exception as exc:
            fields = {"env": {"errors": {"capture": f"{type(exc).__name__}: {exc}"}}, "git": None}
        with self._lock:
            if self._events_open:
                self._spool.put_event({"type": "env", **fields})
