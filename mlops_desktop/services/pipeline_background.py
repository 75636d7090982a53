"""Pipeline runs going on in the background of this process: the runs a trigger started.

:meth:`BackgroundRuns.start` runs a pipeline on a thread of its own and returns as soon as the
pipeline run's row exists (or raises what stopped it before that: a malformed file, an unknown
target, a run of it already going). Each run can be cancelled; :meth:`BackgroundRuns.close`
waits for every one of them (after cancelling them, when asked), so no thread outlives the
services. Listeners hear every stage change and every run's end, from the run's thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from mlops_desktop.core.pipelines import PipelineRunInfo, StageRun

log = logging.getLogger(__name__)

Cancelled = Callable[[], bool]
StageHeard = Callable[[str, StageRun], None]  # (pipeline name, the stage's new state)
RunEnded = Callable[[PipelineRunInfo], None]
Started = Callable[[str], None]  # told the pipeline run's id once its row exists
# run(cancelled, started, on_stage) -> the pipeline run as it ended
RunPipeline = Callable[[Cancelled, Started, Callable[[StageRun], None]], PipelineRunInfo]


@dataclass
class _Going:
    pipeline: str
    stop: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None


@dataclass
class _Listener:
    on_stage: StageHeard | None
    on_end: RunEnded | None


class BackgroundRuns:
    """The pipeline runs this process walks on threads of their own (see the module doc)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._going: dict[str, _Going] = {}  # pipeline run id -> its thread and stop flag
        self._threads: list[threading.Thread] = []
        self._listeners: list[_Listener] = []

    def start(self, pipeline: str, run: RunPipeline) -> str:
        """Start ``run`` on a thread; its pipeline run's id once the row exists.

        Raises:
            Whatever ``run`` raised before the pipeline run existed (nothing goes on then).
        """
        going = _Going(pipeline)
        created = threading.Event()
        outcome: dict[str, object] = {}

        def started(run_id: str) -> None:
            with self._lock:
                self._going[run_id] = going
            outcome["run_id"] = run_id
            created.set()

        def on_stage(stage: StageRun) -> None:
            for listener in self._listening():
                if listener.on_stage is not None:
                    _tell(listener.on_stage, pipeline, stage)

        def walk() -> None:
            ended: PipelineRunInfo | None = None
            try:
                ended = run(going.stop.is_set, started, on_stage)
            except BaseException as exc:  # noqa: BLE001 - handed to the caller or logged
                if not created.is_set():
                    outcome["error"] = exc
                    created.set()
                    return
                log.exception("pipeline %s: its background run failed", pipeline)
            finally:
                with self._lock:
                    self._going = {k: v for k, v in self._going.items() if v is not going}
            if ended is not None:
                for listener in self._listening():
                    if listener.on_end is not None:
                        _tell(listener.on_end, ended)

        thread = threading.Thread(target=walk, name=f"pipeline-{pipeline}", daemon=False)
        going.thread = thread
        with self._lock:
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()
        created.wait()
        error = outcome.get("error")
        if isinstance(error, BaseException):
            thread.join()
            raise error
        return str(outcome["run_id"])

    def going(self) -> dict[str, str]:
        """{pipeline run id: pipeline name} of the runs going now."""
        with self._lock:
            return {run_id: g.pipeline for run_id, g in self._going.items()}

    def cancel(self, run_id: str | None = None) -> list[str]:
        """Ask the run ``run_id`` (None: every run) to stop; the ids asked."""
        with self._lock:
            asked = [(k, g) for k, g in self._going.items() if run_id in (None, k)]
        for _run_id, going in asked:
            going.stop.set()
        return [k for k, _ in asked]

    def wait(self, run_id: str | None = None, timeout_s: float | None = None) -> bool:
        """Wait for the run ``run_id`` (None: every run) to end; False on a timeout."""
        with self._lock:
            threads = (
                list(self._threads)
                if run_id is None
                else [g.thread for k, g in self._going.items() if k == run_id and g.thread]
            )
        for thread in threads:
            thread.join(timeout_s)
            if thread.is_alive():
                return False
        return True

    def listen(self, on_stage: StageHeard | None = None, on_end: RunEnded | None = None) -> None:
        """Hear every stage change and every end of the runs started here (on their threads:
        a listener must be quick and thread-safe, a Qt signal emitted queued, a print)."""
        with self._lock:
            self._listeners.append(_Listener(on_stage, on_end))

    def unlisten(self, on_stage: StageHeard | None = None, on_end: RunEnded | None = None) -> None:
        with self._lock:
            self._listeners = [
                x for x in self._listeners if (x.on_stage, x.on_end) != (on_stage, on_end)
            ]

    def close(self, cancel: bool = False) -> None:
        """Wait for every run to end (cancelling them first with ``cancel``)."""
        if cancel:
            self.cancel()
        self.wait()

    def _listening(self) -> list[_Listener]:
        with self._lock:
            return list(self._listeners)


def _tell(fn: Callable[..., None], *args: object) -> None:
    try:
        fn(*args)
    except Exception:  # a listener's bug must not stop the run
        log.exception("a listener of background pipeline runs failed")
