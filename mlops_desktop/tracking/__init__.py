"""The training-side tracking client: standard library only, so it ships to any host.

``start_run`` returns a :class:`Run` that buffers what a script logs and writes it to the
run's spool from a background thread; see :mod:`mlops_desktop.tracking.spool` for the format.
The module-level functions (:mod:`mlops_desktop.tracking.fluent`) are MLflow's.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the names below are imported on first use (see __getattr__)
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
    from mlops_desktop.tracking.tracking_uri import (
        get_tracking_uri,
        set_tracking_uri,
    )

_HOME_OF = {
    "Experiment": "fluent",
    "Run": "run",
    "UnknownDatasetError": "run_inputs",
    "active_run": "fluent",
    "create_experiment": "fluent_extras",
    "end_run": "fluent",
    "get_artifact_uri": "fluent_extras",
    "get_experiment": "fluent_extras",
    "get_experiment_by_name": "fluent_extras",
    "get_tracking_uri": "tracking_uri",
    "last_active_run": "fluent_extras",
    "log_artifact": "fluent",
    "log_artifacts": "fluent",
    "log_dict": "fluent",
    "log_figure": "fluent_extras",
    "log_image": "fluent_extras",
    "log_input": "fluent_extras",
    "log_metric": "fluent",
    "log_metrics": "fluent",
    "log_model": "fluent",
    "log_param": "fluent",
    "log_params": "fluent",
    "log_table": "fluent_extras",
    "log_text": "fluent",
    "set_experiment": "fluent",
    "set_tag": "fluent",
    "set_tags": "fluent",
    "set_tracking_uri": "tracking_uri",
    "start_run": "fluent",
}
"""The module of this package each public name lives in."""


def __getattr__(name: str) -> Any:
    """The public names, imported on first use, so that a light module of this package
    (``tracking.home``, say) is imported without the whole client."""
    if name not in _HOME_OF:
        raise AttributeError(f"module 'mlops_desktop.tracking' has no attribute {name!r}")
    module = importlib.import_module(f"{__name__}.{_HOME_OF[name]}")
    value = getattr(module, name)
    globals()[name] = value  # the next use is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


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
