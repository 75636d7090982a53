"""MLOps Desktop: a desktop workbench for the whole machine-learning life cycle.

The package itself exposes the tracking API a training script uses::

    import mlops_desktop as mlops

    with mlops.start_run(experiment="digits", params={"lr": 0.01}) as run:
        run.log_metric("loss", 0.42, step=1)

MLflow's module-level functions work too (``import mlops_desktop as mlflow``):
``set_experiment``, ``start_run(run_name=..., nested=...)``, ``log_param(s)``,
``log_metric(s)``, ``set_tag(s)``, ``log_artifact(s)``, ``log_dict``, ``log_text``,
``log_figure``, ``log_image``, ``log_table``, ``log_input``, ``active_run``,
``last_active_run``, ``end_run``, ``get_tracking_uri``/``set_tracking_uri``,
``get_experiment_by_name``, ``get_artifact_uri``, ``autolog``, ``log_model`` and
``load_model``; and ``mlflow.sklearn``, ``mlflow.pytorch`` and ``mlflow.models``.

Every name is imported on first use: ``import mlops_desktop`` (which every ``mlops-desktop``
command does first) costs nothing until a name is used, so a second start of the app hands
over to the first quickly. The tracking names come from :mod:`mlops_desktop.tracking`
(standard library only), so scripts can run on SSH hosts and Slurm nodes without the app's
dependencies; ``load_model`` needs the catalog.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the names below are imported on first use (see __getattr__)
    from mlops_desktop.tracking import (
        Experiment,
        Run,
        UnknownDatasetError,
        active_run,
        create_experiment,
        end_run,
        get_artifact_uri,
        get_experiment,
        get_experiment_by_name,
        get_tracking_uri,
        last_active_run,
        log_artifact,
        log_artifacts,
        log_dict,
        log_figure,
        log_image,
        log_input,
        log_metric,
        log_metrics,
        log_model,
        log_param,
        log_params,
        log_table,
        log_text,
        set_experiment,
        set_tag,
        set_tags,
        set_tracking_uri,
        start_run,
    )
    from mlops_desktop.tracking.autolog import autolog
    from mlops_desktop.tracking.datasets_manifest import dataset_path
    from mlops_desktop.tracking.predictions import log_predictions

__version__ = "0.1.0"

_HOME_OF = {
    "autolog": "mlops_desktop.tracking.autolog",
    "dataset_path": "mlops_desktop.tracking.datasets_manifest",
    "log_predictions": "mlops_desktop.tracking.predictions",
    # needs the catalog; by name, so the layers below that import this package stay clear
    "load_model": "mlops_desktop.model_loading",
}
"""Where each public name lives when it is not in :mod:`mlops_desktop.tracking`."""

_SUBMODULES = frozenset({"sklearn", "pytorch", "models"})  # mlflow.sklearn.log_model(...)


def __getattr__(name: str) -> Any:
    """The public names and MLflow's submodules (``mlflow.sklearn``...), imported on first
    use."""
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name not in __all__ or name == "__version__":
        raise AttributeError(f"module 'mlops_desktop' has no attribute {name!r}")
    module = importlib.import_module(_HOME_OF.get(name, "mlops_desktop.tracking"))
    value = getattr(module, name)
    globals()[name] = value  # the next use is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__all__ = [
    "Experiment",
    "Run",
    "UnknownDatasetError",
    "__version__",
    "active_run",
    "autolog",
    "create_experiment",
    "dataset_path",
    "end_run",
    "get_artifact_uri",
    "get_experiment",
    "get_experiment_by_name",
    "get_tracking_uri",
    "last_active_run",
    "load_model",
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
    "log_predictions",
    "log_table",
    "log_text",
    "set_experiment",
    "set_tag",
    "set_tags",
    "set_tracking_uri",
    "start_run",
]
