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
from mlops_desktop.tracking.run import Run

__all__ = [
    "Experiment",
    "Run",
    "active_run",
    "end_run",
    "log_artifact",
    "log_artifacts",
    "log_dict",
    "log_metric",
    "log_metrics",
    "log_model",
    "log_param",
    "log_params",
    "log_text",
    "set_experiment",
    "set_tag",
    "set_tags",
    "start_run",
]
