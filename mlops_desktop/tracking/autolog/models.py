"""The trained model of an autologged training, logged as the run's model folder ``model``
through :func:`~mlops_desktop.tracking.model_log.log_model` (``MLmodel``, requirements,
signature and, when asked, an input example)."""

from __future__ import annotations

from typing import Any

from mlops_desktop.tracking.autolog.session import AutologSession
from mlops_desktop.tracking.model_log import log_model
from mlops_desktop.tracking.model_signature import ModelSignature, infer_signature

MODEL_NAME = "model"
INPUT_EXAMPLE_ROWS = 5


def input_example(x: Any) -> Any:
    """The first rows of the training data (a DataFrame's, an array's, a list's), or None."""
    if x is None:
        return None
    rows = getattr(x, "iloc", None)
    if rows is not None:
        return rows[:INPUT_EXAMPLE_ROWS]
    try:
        return x[:INPUT_EXAMPLE_ROWS]
    except (TypeError, IndexError, KeyError, ValueError):
        return None


def model_signature(model: Any, example: Any) -> ModelSignature:
    """The signature of ``model`` on ``example``: its input, and its ``predict`` output."""
    output = model.predict(example) if callable(getattr(model, "predict", None)) else None
    return infer_signature(example, output)


def log_fitted_model(session: AutologSession, model: Any, x: Any, flavor: str) -> None:
    """Log ``model`` into the session's run as the model folder ``model``.

    The signature comes from the first rows of the training data and the model's predictions
    on them (``log_model_signatures``); those rows are stored as the input example
    (``log_input_examples``). A signature that cannot be inferred is reported, and the model
    is logged without it.
    """
    config = session.config
    example = input_example(x) if config.log_input_examples or config.log_model_signatures else None
    signature: ModelSignature | bool = False
    if config.log_model_signatures and example is not None:
        signature = session.attempt("the model signature", model_signature, model, example) or False
    log_model(
        session.run,
        model,
        MODEL_NAME,
        flavor=flavor,
        input_example=example if config.log_input_examples else None,
        signature=signature,
        registered_model_name=config.registered_model_name,
    )
