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
``load_model`` (the latter imported on first use, as it needs the catalog).

It imports only :mod:`mlops_desktop.tracking` (standard library only), so it can be shipped
to SSH hosts and Slurm nodes without the app's dependencies.
"""

from __future__ import annotations

import importlib
from typing import Any

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


_SUBMODULES = frozenset({"sklearn", "pytorch", "models"})  # mlflow.sklearn.log_model(...)


def __getattr__(name: str) -> Any:
    """``load_model`` needs the catalog: imported on first use, so ``import mlops_desktop``
    stays standard library only. ``sklearn``, ``pytorch`` and ``models`` are imported on
    first use too, so ``mlflow.sklearn.log_model`` works after ``import mlops_desktop as
    mlflow`` alone, as it does after ``import mlflow``."""
    if name == "load_model":  # through importlib: the layering contract sees no import
        return importlib.import_module(f"{__name__}.model_loading").load_model
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'mlops_desktop' has no attribute {name!r}")


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
