"""The training-side tracking client: standard library only, so it ships to any host.

``start_run`` returns a :class:`Run` that buffers what a script logs and writes it to the
run's spool from a background thread; see :mod:`mlops_desktop.tracking.spool` for the format.
The module-level functions (:mod:`mlops_desktop.tracking.fluent`) are MLflow's.
"""

from __future__ import annotations

from mlops_desktop.tracking.fluent import (
    Experiment,
    active_run,
    end_run,
    log_artifact,
    log_artifacts,
    log_dict,
    log_metric,
    log_metrics,
    log_model,
    log_param,
    log_params,
    log_text,
    set_experiment,
    set_tag,
    set_tags,
    start_run,
)
from mlops_desktop.tracking.fluent_extras import (
    create_experiment,
    get_artifact_uri,
    get_experiment,
    get_experiment_by_name,
    last_active_run,
    log_figure,
    log_image,
    log_input,
    log_table,
)
from mlops_desktop.tracking.run import Run
from mlops_desktop.tracking.run_inputs import UnknownDatasetError
from mlops_desktop.tracking.tracking_uri import get_tracking_uri, set_tracking_uri

__all__ = [
    "Experiment",
    "Run",
    "UnknownDatasetError",
    "active_run",
    "create_experiment",
    "end_run",
    "get_artifact_uri",
    "get_experiment",
    "get_experiment_by_name",
    "get_tracking_uri",
    "last_active_run",
    "log_artifact",
    "log_artifacts",
    "log_dict",
    "log_figure",
    "log_image",
    "log_input",
    "log_metric",
    "log_metrics",
    "log_model",
    "log_param",
    "log_params",
    "log_table",
    "log_text",
    "set_experiment",
    "set_tag",
    "set_tags",
    "set_tracking_uri",
    "start_run",
]
