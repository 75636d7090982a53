"""MLflow's ``mlflow.sklearn`` for scikit-learn models: ``log_model`` and ``load_model``.

``import mlops_desktop.sklearn`` is as light as ``import mlops_desktop``: scikit-learn and joblib
are used only through the model given; loading imports the app's services at call time.
"""

from __future__ import annotations

import os
from typing import Any

from mlops_desktop.model_flavor_api import load_flavored, log_flavored
from mlops_desktop.tracking.model_log import ModelInfo
from mlops_desktop.tracking.model_signature import infer_signature

FLAVOR_NAME = "sklearn"

__all__ = ["FLAVOR_NAME", "infer_signature", "load_model", "log_model"]


def log_model(
    sk_model: Any,
    artifact_path: str | None = None,
    *,
    name: str | None = None,
    registered_model_name: str | None = None,
    signature: Any = None,
    input_example: Any = None,
    pip_requirements: list[str] | str | os.PathLike[str] | None = None,
    extra_pip_requirements: list[str] | None = None,
    **mlflow_options: Any,
) -> ModelInfo:
    """Log a fitted estimator (saved with joblib) as the model folder ``name`` (MLflow 3) or
    ``artifact_path`` (MLflow 2) of the active run; see :func:`mlops_desktop.log_model`.

    MLflow's environment and serialisation options (``conda_env``, ``serialization_format``...)
    are accepted and not used.
    """
    return log_flavored(
        FLAVOR_NAME,
        sk_model,
        artifact_path,
        name,
        registered_model_name,
        signature,
        input_example,
        pip_requirements,
        extra_pip_requirements,
        mlflow_options,
    )


def load_model(model_uri: str, dst_path: str | None = None, **options: Any) -> Any:
    """The estimator of ``model_uri`` (``runs:/RUN/NAME``, ``models:/NAME/VERSION``,
    ``models:/NAME@ALIAS``, or a folder), unpickled in this process: load only models you
    trust. See :func:`mlops_desktop.model_loading.load_model` for ``home``."""
    return load_flavored(FLAVOR_NAME, model_uri, dst_path, **options)
