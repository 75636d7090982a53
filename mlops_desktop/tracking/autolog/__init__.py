"""Autologging: ``mlops.autolog()`` logs trainings of scikit-learn, PyTorch Lightning and Keras.

Nothing here imports a framework: each integration patches its framework when the user's
process imports it (at once when it already has), through :mod:`importlib`. Autologging never
fails the training: whatever cannot be logged becomes one :class:`UserWarning` per training
call, and the training's own result and exceptions pass through unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mlops_desktop.tracking.autolog import keras, lightning, sklearn
from mlops_desktop.tracking.autolog.session import AUTOLOG_TAG

__all__ = ["AUTOLOG_TAG", "autolog"]


def autolog(
    log_input_examples: bool = False,
    log_model_signatures: bool = True,
    log_models: bool = True,
    log_datasets: bool = True,
    disable: bool = False,
    exclusive: bool = False,
    disable_for_unsupported_versions: bool = False,
    silent: bool = False,
    extra_tags: Mapping[str, Any] | None = None,
    exclusion_flavors: list[str] | None = None,
    max_tuning_runs: int | None = 5,
) -> None:
    """Turn on (or with ``disable=True`` off) autologging of every supported framework:
    ``sklearn``, ``lightning`` (also ``pytorch``) and ``keras`` (also ``tensorflow``), as
    MLflow's ``mlflow.autolog()`` does. See each flavour's ``autolog`` for what is logged.

    Args:
        log_input_examples: store the first rows of the training data with the model.
        log_model_signatures: store the model's input and output signature.
        log_models: log the trained model or checkpoint.
        log_datasets: accepted for MLflow's sake.
        disable: undo the patching of every flavour.
        exclusive: log nothing into runs the user started, only into autolog's own runs.
        disable_for_unsupported_versions: accepted for MLflow's sake.
        silent: no warnings from autologging.
        extra_tags: tags added to the runs autologging starts.
        exclusion_flavors: flavours to leave alone (MLflow's names "pytorch" and
            "tensorflow" are understood too).
        max_tuning_runs: child runs per parameter search (scikit-learn), None for all.

    Raises:
        ValueError: an unknown flavour in ``exclusion_flavors``, or a bad ``max_tuning_runs``.
    """
    excluded = set()
    aliases = {"pytorch": "lightning", "pytorch_lightning": "lightning", "tensorflow": "keras"}
    for name in exclusion_flavors or []:
        flavor = aliases.get(name, name)
        if flavor not in ("sklearn", "lightning", "keras"):
            raise ValueError(
                f"exclusion_flavors: {name!r} is not a flavour autologging knows; use "
                "'sklearn', 'lightning' (or 'pytorch') or 'keras' (or 'tensorflow')."
            )
        excluded.add(flavor)
    common: dict[str, Any] = {
        "log_models": log_models,
        "disable": disable,
        "exclusive": exclusive,
        "silent": silent,
        "extra_tags": extra_tags,
    }
    if "sklearn" not in excluded:
        sklearn.autolog(
            log_input_examples=log_input_examples,
            log_model_signatures=log_model_signatures,
            max_tuning_runs=max_tuning_runs,
            **common,
        )
    if "lightning" not in excluded:
        lightning.autolog(**common)
    if "keras" not in excluded:
        keras.autolog(**common)
