"""What ``mlops_desktop.sklearn`` and ``mlops_desktop.pytorch`` share: MLflow's ``log_model``
arguments mapped onto :func:`mlops_desktop.tracking.model_log.log_model`.

Standard library only at import time (the flavour modules are imported by training scripts).
"""

from __future__ import annotations

import os
from typing import Any

from mlops_desktop.tracking import fluent
from mlops_desktop.tracking.model_log import ModelInfo, log_model

IGNORED_MLFLOW_OPTIONS = frozenset(
    {
        "conda_env",
        "code_paths",
        "serialization_format",
        "await_registration_for",
        "pyfunc_predict_fn",
        "metadata",
        "params",
        "tags",
        "model_type",
        "step",
        "model_id",
        "prompts",
        "pickle_module",
    }
)
"""MLflow's options that mean nothing here (environments, serialisation and registry waits
are this package's own): accepted so MLflow scripts run, and not used."""


def log_flavored(
    flavor: str,
    model: Any,
    artifact_path: str | None,
    name: str | None,
    registered_model_name: str | None,
    signature: Any,
    input_example: Any,
    pip_requirements: list[str] | str | os.PathLike[str] | None,
    extra_pip_requirements: list[str] | None,
    options: dict[str, Any],
    export: bool = False,
) -> ModelInfo:
    """Log ``model`` with ``flavor`` to the active run (one is started when none is)."""
    unknown = sorted(set(options) - IGNORED_MLFLOW_OPTIONS)
    if unknown:
        raise TypeError(f"log_model() got unexpected keyword arguments: {', '.join(unknown)}")
    return log_model(
        fluent._current(),
        model,
        name or artifact_path or "model",
        flavor=flavor,
        input_example=input_example,
        signature=signature,
        registered_model_name=registered_model_name,
        requirements=pip_requirements,
        extra_requirements=extra_pip_requirements,
        export=export,
    )


def load_flavored(flavor: str, model_uri: str, dst_path: str | None, **options: Any) -> Any:
    """``mlops_desktop.load_model(model_uri)``, refusing a model of another flavour."""
    from mlops_desktop.model_loading import load_model

    return load_model(model_uri, flavor=flavor, dst_path=dst_path, **options)
