"""MLflow's module-level API: ``import mlops_desktop as mlflow`` runs an MLflow script.

The functions keep MLflow's names and arguments (``start_run(run_name=..., nested=True)``,
``log_metric(key, value, step)``, ``log_artifact(path, "plots")``...) over a stack of
active runs per thread. A ``log_*`` call with no active run starts one (as MLflow does); it
ends with the process. ``start_run`` also takes this package's own arguments
(``experiment=``, ``name=``, ``params=``...) and returns the :class:`Run` either way.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mlops_desktop.tracking import lifecycle, start
from mlops_desktop.tracking.home import resolve_home, run_spool_dir
from mlops_desktop.tracking.run import Run, end_status
from mlops_desktop.tracking.tracking_uri import tracking_home
from mlops_desktop.tracking.validate import check_key

if TYPE_CHECKING:
    from mlops_desktop.tracking.model_log import ModelInfo

PARENT_TAG = "mlops.parent_run_id"
MLFLOW_PARENT_TAG = "mlflow.parentRunId"
NOTE_TAG = "mlflow.note.content"

_local = threading.local()
_experiment: str | None = None
_known_experiments: set[str] = set()  # set, created or run in by this process
_last_started: Run | None = None


@dataclass(frozen=True)
class Experiment:
    """What :func:`set_experiment` returns; ``experiment_id`` is the name, which
    ``start_run(experiment_id=...)`` accepts. ``artifact_location`` is MLflow's reference
    form (artifacts live in the home's content-addressed store)."""

    experiment_id: str
    name: str
    artifact_location: str = ""
    lifecycle_stage: str = "active"
    tags: dict[str, str] = field(default_factory=dict)


def experiment_named(name: str) -> Experiment:
    """The :class:`Experiment` record of ``name``."""
    return Experiment(name, name, f"experiments:/{name}")


def known_experiments() -> set[str]:
    """Names of experiments this process set, created or started runs in."""
    return _known_experiments


def last_started_run() -> Run | None:
    """The run this process started last (ended or not), or None."""
    return _last_started


def _stack() -> list[Run]:
    try:
        return _local.stack  # type: ignore[no-any-return]
    except AttributeError:
        _local.stack = []
        return _local.stack  # type: ignore[no-any-return]


def _live_stack() -> list[Run]:
    stack = _stack()
    stack[:] = [run for run in stack if not run.ended]
    return stack


def parent_run_id(tags: Mapping[str, str]) -> str | None:
    """The parent of a run from its tags: ours, or MLflow's ``mlflow.parentRunId``."""
    return tags.get(PARENT_TAG) or tags.get(MLFLOW_PARENT_TAG) or None


def set_experiment(
    experiment_name: str | None = None, experiment_id: str | None = None
) -> Experiment:
    """Make ``experiment_name`` the experiment of runs started later without one."""
    global _experiment
    name = experiment_name if experiment_name is not None else experiment_id
    if name is None:
        raise ValueError("set_experiment needs an experiment_name")
    _experiment = check_key(name, "experiment")
    _known_experiments.add(_experiment)
    return experiment_named(_experiment)


def start_run(
    run_id: str | None = None,
    experiment_id: str | None = None,
    run_name: str | None = None,
    nested: bool = False,
    parent_run_id: str | None = None,
    tags: Mapping[str, Any] | None = None,
    description: str | None = None,
    log_system_metrics: bool | None = None,
    *,
    experiment_name: str | None = None,
    experiment: str | None = None,
    name: str | None = None,
    params: Mapping[str, Any] | None = None,
    home: str | os.PathLike[str] | None = None,
    capture_env: bool | None = None,
    capture_output: bool | None = None,
    system_metrics: bool | None = None,
) -> Run:
    """Start a run and make it the active one (use it as a context manager to end it).

    MLflow's arguments: ``run_name``, ``experiment_id`` or ``experiment_name`` (an
    experiment's name), ``tags``, ``description``, ``log_system_metrics``, ``nested``
    (a child of the active run, in its experiment unless told otherwise, tagged
    ``mlops.parent_run_id``) and ``run_id`` (the run the app launched this process for, or
    a run still active here). This package's: ``experiment``, ``name``, ``params``, ``home``,
    ``capture_env``, ``capture_output`` and ``system_metrics`` (see
    :func:`mlops_desktop.tracking.start.start_run`). A first positional argument that is not
    a known run id is taken as the experiment's name, as before.

    A call with any of this package's own arguments may start a run beside an active one
    (runs side by side, as before); a call with MLflow's arguments only refuses to, unless
    ``nested`` is set, as MLflow does.

    Raises:
        RuntimeError: a run is already active in this thread and ``nested`` is not set.
        ValueError: ``run_id`` names no run this process can resume.
    """
    global _last_started
    stack = _live_stack()
    own = (experiment, name, params, home, capture_env, capture_output, system_metrics)
    side_by_side = any(arg is not None for arg in own)
    if run_id is not None:
        resumed = next((run for run in lifecycle.active_runs() if run.id == run_id), None)
        if resumed is not None:
            if resumed not in stack:
                stack.append(resumed)
            return resumed
        if run_id != start.launched_run_id() or not start.attaches_next():
            _refuse_unknown_run(run_id, home if home is not None else tracking_home())
            experiment = run_id if experiment is None else experiment  # start_run("experiment")
            side_by_side = True
    if stack and not nested and not side_by_side:
        raise RuntimeError(
            f"Run {stack[-1].id} is already active. End it with end_run() first, or start "
            "this one with start_run(nested=True) to make it a child run."
        )
    parent = stack[-1] if stack and nested else None
    experiment = next(
        (e for e in (experiment, experiment_name, experiment_id) if e is not None), None
    )
    parent_id = parent_run_id or (parent.id if parent is not None else None)
    from_parent = experiment is None and parent_id is not None
    # a child of the launched run (say, in a worker process of the job) is a run of its own
    attach = parent_id is None or parent_id != start.launched_run_id()
    if experiment is None and not (attach and start.attaches_next()):
        experiment = parent.experiment if parent is not None else _experiment
    if home is None:
        home = tracking_home()
    all_tags = dict(tags or {})
    if parent_id:
        all_tags[PARENT_TAG] = parent_id
    if description is not None:
        all_tags[NOTE_TAG] = description
    run = start.start_run(
        experiment,
        run_name if name is None else name,
        params,
        all_tags or None,
        home=home,
        capture_env=capture_env is not False,
        capture_output=capture_output is not False,
        system_metrics=(system_metrics is not False)
        if log_system_metrics is None
        else log_system_metrics,
        parent_run_id=parent_id,
        experiment_from_parent=from_parent,
        attach=attach,
    )
    stack.append(run)
    _known_experiments.add(run.experiment)
    _last_started = run
    return run


def _refuse_unknown_run(run_id: Any, home: str | os.PathLike[str] | None) -> None:
    """Raise when ``run_id`` is a run id (32 hex digits, or a run's spool in the home)."""
    if not isinstance(run_id, str):
        raise TypeError(f"run_id must be a string, got {type(run_id).__name__}")
    is_id = len(run_id) == 32 and all(c in "0123456789abcdef" for c in run_id)
    if not is_id:
        try:
            is_id = run_spool_dir(resolve_home(home), run_id).is_dir()
        except (ValueError, OSError):
            is_id = False
    if is_id:
        raise ValueError(
            f"Run {run_id} cannot be resumed here: start_run(run_id=...) continues only a run "
            "still active in this process or the one the app launched it for; start a new "
            "run without run_id instead."
        )


def active_run() -> Run | None:
    """The active run of this thread (the innermost nested one), else the most recent run
    of the process that has not ended, or None."""
    stack = _live_stack()
    return stack[-1] if stack else lifecycle.active_run()


def end_run(status: str = "FINISHED") -> None:
    """End the active run of this thread (nothing happens when there is none).

    ``status`` is MLflow's "FINISHED", "FAILED" or "KILLED" (any case).
    """
    stack = _live_stack()
    if stack:
        stack.pop().end(end_status(status))


def _current() -> Run:
    stack = getattr(_local, "stack", None)
    if stack:
        run = stack[-1]
        if run._events_open:
            return run
    live = _live_stack()
    return live[-1] if live else start_run()


def log_metric(
    key: str, value: float, step: int | None = None, timestamp: float | None = None
) -> None:
    """Log a metric point to the active run (starting one when none is)."""
    _current().log_metric(key, value, step, timestamp)


def log_metrics(
    metrics: Mapping[str, float], step: int | None = None, timestamp: float | None = None
) -> None:
    """Log several metrics at one step to the active run."""
    _current().log_metrics(metrics, step, timestamp)


def log_param(key: str, value: Any) -> Any:
    """Log a parameter to the active run; returns the value, as MLflow does."""
    _current().log_param(key, value)
    return value


def log_params(params: Mapping[str, Any]) -> None:
    """Log several parameters to the active run."""
    _current().log_params(params)


def set_tag(key: str, value: Any) -> None:
    """Set a tag on the active run."""
    _current().set_tag(key, value)


def set_tags(tags: Mapping[str, Any]) -> None:
    """Set several tags on the active run."""
    _current().set_tags(tags)


def log_artifact(local_path: str | os.PathLike[str], artifact_path: str | None = None) -> None:
    """Log a file (or folder) to the active run, in the folder ``artifact_path`` if given."""
    _current().log_artifact(local_path, artifact_path)


def log_artifacts(local_dir: str | os.PathLike[str], artifact_path: str | None = None) -> None:
    """Log the files under ``local_dir`` to the active run, under ``artifact_path``."""
    _current().log_artifacts(local_dir, artifact_path)


def log_dict(dictionary: Mapping[str, Any], artifact_file: str) -> None:
    """Store a dictionary as JSON in the active run's artifact ``artifact_file``."""
    _current().log_dict(dictionary, artifact_file)


def log_text(text: str, artifact_file: str) -> None:
    """Store text in the active run's artifact ``artifact_file``."""
    _current().log_text(text, artifact_file)


def log_model(
    model: Any,
    name: str | None = None,
    *,
    flavor: str | None = None,
    input_example: Any = None,
    signature: Any = None,
    registered_model_name: str | None = None,
    requirements: Any = None,
    export: bool = False,
    artifact_path: str | None = None,
) -> ModelInfo:
    """Log ``model`` as the model folder ``name/`` of the active run (MLflow's older
    ``artifact_path=`` names it too); see :func:`mlops_desktop.tracking.model_log.log_model`."""
    from mlops_desktop.tracking.model_log import log_model as log_to_run

    folder = name if name is not None else artifact_path
    if folder is None:
        raise TypeError("log_model needs the model folder's name, e.g. log_model(model, 'model')")
    return log_to_run(
        _current(),
        model,
        folder,
        flavor=flavor,
        input_example=input_example,
        signature=signature,
        registered_model_name=registered_model_name,
        requirements=requirements,
        export=export,
    )
