"""MLflow's ``mlflow.pytorch``: ``log_model`` and ``load_model`` for PyTorch modules.

The model folder holds the module's ``state_dict`` (``state_dict.pt``, loadable with
``weights_only=True``) and, for a TorchScript module or an exported program (or with
``export=True``), the program itself (``model.pt`` or ``model.pt2``). torch is used only
through the model given; ``import mlops_desktop.pytorch`` imports nothing heavy.
"""

from __future__ import annotations

import os
from typing import Any

from mlops_desktop.model_flavor_api import load_flavored, log_flavored
from mlops_desktop.tracking.model_log import ModelInfo
from mlops_desktop.tracking.model_signature import infer_signature

FLAVOR_NAME = "pytorch"

__all__ = ["FLAVOR_NAME", "infer_signature", "load_model", "log_model"]


def log_model(
    pytorch_model: Any,
    artifact_path: str | None = None,
    *,
    name: str | None = None,
    registered_model_name: str | None = None,
    signature: Any = None,
    input_example: Any = None,
    pip_requirements: list[str] | str | os.PathLike[str] | None = None,
    extra_pip_requirements: list[str] | None = None,
    export: bool = False,
    **mlflow_options: Any,
) -> ModelInfo:
    """Log a ``torch.nn.Module`` (its state_dict), a TorchScript module or an exported
    program as the model folder ``name`` / ``artifact_path`` of the active run; with
    ``export=True`` a plain module is also scripted. See :func:`mlops_desktop.log_model`."""
    return log_flavored(
        FLAVOR_NAME,
        pytorch_model,
        artifact_path,
        name,
        registered_model_name,
        signature,
        input_example,
        pip_requirements,
        extra_pip_requirements,
        mlflow_options,
        export=export,
    )


def load_model(
    model_uri: str, dst_path: str | None = None, *, model: Any = None, **options: Any
) -> Any:
    """The module of ``model_uri``: its TorchScript or exported program when it has one, else
    ``model`` (or the recorded class built without arguments) filled with the state_dict,
    loaded with ``weights_only=True``."""
    return load_flavored(FLAVOR_NAME, model_uri, dst_path, model=model, **options)
