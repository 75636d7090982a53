"""MLOps Desktop: a desktop workbench for the whole machine-learning life cycle.

The package itself exposes the tracking API a training script uses::

    import mlops_desktop as mlops

    with mlops.start_run(experiment="digits", params={"lr": 0.01}) as run:
        run.log_metric("loss", 0.42, step=1)

MLflow's module-level functions work too (``import mlops_desktop as mlflow``):
``set_experiment``, ``start_run(run_name=..., nested=...)``, ``log_param(s)``,
``log_metric(s)``, ``set_tag(s)``, ``log_artifact(s)``, ``log_dict``, ``log_text``,
``active_run``, ``end_run``, ``autolog``, ``log_model`` and ``load_model`` (the latter
imported on first use, as it needs the catalog).

It imports only :mod:`mlops_desktop.tracking` (standard library only), so it can be shipped
to SSH hosts and Slurm nodes without the app's dependencies.
"""

from __future__ import annotations

import importlib
from typing import Any

from mlops_desktop.tracking import (
    Experiment,
    Run,
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
from mlops_desktop.tracking.autolog import autolog
from mlops_desktop.tracking.datasets_manifest import dataset_path
from mlops_desktop.tracking.predictions import log_predictions

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    """``load_model`` needs the catalog: imported on first use, so ``import mlops_desktop``
    stays standard library only."""
    if name == "load_model":  # by name: the layers below that import this package stay clear
        return importlib.import_module("mlops_desktop.model_loading").load_model
    raise AttributeError(f"module 'mlops_desktop' has no attribute {name!r}")


__all__ = [
    "Experiment",
    "Run",
    "__version__",
    "active_run",
    "autolog",
    "dataset_path",
    "end_run",
    "load_model",
    "log_artifact",
    "log_artifacts",
    "log_dict",
    "log_metric",
    "log_metrics",
    "log_model",
    "log_param",
    "log_params",
    "log_predictions",
    "log_text",
    "set_experiment",
    "set_tag",
    "set_tags",
    "start_run",
]
