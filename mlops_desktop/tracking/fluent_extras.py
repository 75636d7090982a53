"""More of MLflow's module-level API: figures, images, tables, inputs, experiments, URIs.

Each ``log_*`` function logs to the active run (starting one when none is), like the ones in
:mod:`mlops_desktop.tracking.fluent`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mlops_desktop.tracking import catalog_peek, fluent
from mlops_desktop.tracking.home import resolve_home
from mlops_desktop.tracking.run import Run
from mlops_desktop.tracking.run_info import artifact_uri
from mlops_desktop.tracking.tracking_uri import tracking_home
from mlops_desktop.tracking.validate import check_key


def log_figure(
    figure: Any, artifact_file: str, *, save_kwargs: Mapping[str, Any] | None = None
) -> None:
    """Store a matplotlib or plotly figure in the active run (see :meth:`Run.log_figure`)."""
    fluent._current().log_figure(figure, artifact_file, save_kwargs=save_kwargs)


def log_image(
    image: Any,
    artifact_file: str | None = None,
    key: str | None = None,
    step: int | None = None,
    timestamp: float | None = None,
    synchronous: bool | None = None,
) -> None:
    """Store a numpy or PIL image in the active run (see :meth:`Run.log_image`)."""
    fluent._current().log_image(image, artifact_file, key, step, timestamp, synchronous)


def log_table(data: Any, artifact_file: str) -> None:
    """Store a dict of columns or a DataFrame as a JSON table (see :meth:`Run.log_table`)."""
    fluent._current().log_table(data, artifact_file)


def log_input(
    dataset: Any, context: str | None = None, tags: Mapping[str, Any] | None = None
) -> None:
    """Record a dataset the active run used (see :meth:`Run.log_input`)."""
    fluent._current().log_input(dataset, context, tags)


def last_active_run() -> Run | None:
    """The active run, else the run of this process that was started last, or None."""
    return fluent.active_run() or fluent.last_started_run()


def get_artifact_uri(artifact_path: str | None = None) -> str:
    """``runs:/<run id>[/<artifact_path>]`` of the active run (starting one when none is)."""
    return artifact_uri(fluent._current().id, artifact_path)


def get_experiment_by_name(name: str) -> fluent.Experiment | None:
    """The experiment ``name``, when this process started runs in it or set it, or the
    catalog holds it; None otherwise (and when the catalog cannot be read)."""
    check_key(name, "experiment")
    if name in fluent.known_experiments():
        return fluent.experiment_named(name)
    try:
        found = catalog_peek.experiment_exists(resolve_home(tracking_home()), name)
    except catalog_peek.CatalogUnreadable:
        return None
    return fluent.experiment_named(name) if found else None


def get_experiment(experiment_id: str) -> fluent.Experiment | None:
    """The experiment of that id (here: its name), as :func:`get_experiment_by_name`."""
    return get_experiment_by_name(experiment_id)


def create_experiment(
    name: str, artifact_location: str | None = None, tags: Mapping[str, Any] | None = None
) -> str:
    """Make ``name`` known to this process (it reaches the catalog with its first run);
    returns its id, which is its name. ``artifact_location`` and ``tags`` are ignored."""
    fluent.known_experiments().add(check_key(name, "experiment"))
    return name
