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
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the names below are imported on first use (see __getattr__)
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

_HOME_OF = {
    "autolog": "mlops_desktop.tracking.autolog",
    "dataset_path": "mlops_desktop.tracking.datasets_manifest",
    "log_predictions": "mlops_desktop.tracking.predictions",
    # needs the catalog; by name, so the layers below that import this package stay clear
    "load_model": "mlops_desktop.model_loading",
}
"""Where each public name lives when it is not in :mod:`mlops_desktop.tracking`."""


def __getattr__(name: str) -> Any:
    """The public names, imported on first use: ``import mlops_desktop`` (which every
    ``mlops-desktop`` command does first) costs nothing until a name is used, so a second start
    of the app hands over to the first quickly, and stays standard library only."""
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
