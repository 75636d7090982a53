"""Autologging for Keras (``keras`` 2 and 3, ``tf_keras``; ``tf.keras`` is one of them).

``Model.fit`` runs with one more callback that logs, into the active run (or a run of its
own), the parameters ``epochs``, ``batch_size``, ``optimizer_name`` and ``opt_<key>`` for each
entry of the optimizer's config when training starts, and the ``logs`` of every epoch's end
(``step`` = the epoch); after the fit the model is saved and logged as ``model/model.keras``.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import tempfile
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

from mlops_desktop.tracking.autolog.callbacks import EpochMetrics, fit_with_callback
from mlops_desktop.tracking.autolog.patching import FitGuard, on_import, patch_method, unpatch_all
from mlops_desktop.tracking.autolog.session import AutologConfig, AutologSession, loggable_params

FLAVOR = "keras"
MODULES = ("keras", "tf_keras")
MODEL_FILE = "model.keras"
MODEL_FOLDER = "model"

_config: AutologConfig | None = None
_guard = FitGuard()


def autolog(
    every_n_iter: int = 1,
    log_models: bool = True,
    disable: bool = False,
    exclusive: bool = False,
    disable_for_unsupported_versions: bool = False,
    silent: bool = False,
    registered_model_name: str | None = None,
    log_input_examples: bool = False,
    log_model_signatures: bool = True,
    extra_tags: Mapping[str, Any] | None = None,
) -> None:
    """Log every ``Model.fit`` of Keras (MLflow's ``mlflow.tensorflow.autolog`` arguments;
    ``every_n_iter``, ``registered_model_name``, ``log_input_examples`` and
    ``log_model_signatures`` are accepted and unused).

    Args:
        log_models: save the trained model and log it as ``model/model.keras``.
        disable: undo the patching.
        exclusive: log nothing into runs the user started, only into autolog's own runs.
        disable_for_unsupported_versions: accepted for MLflow's sake.
        silent: no warnings from autologging.
        extra_tags: tags added to the runs autologging starts.
    """
    global _config
    if disable:
        _config = None
        unpatch_all(FLAVOR)
        return
    _config = AutologConfig(
        log_models=log_models, exclusive=exclusive, silent=silent, extra_tags=dict(extra_tags or {})
    )
    on_import(FLAVOR, MODULES.__contains__, _patch_module)


def _patch_module(module: ModuleType) -> None:
    model = getattr(module, "Model", None)
    if model is None:
        return
    callback_class = _callback_class(importlib.import_module(f"{module.__name__}.callbacks"))

    def add_callback(
        session: AutologSession, keras_model: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> tuple[tuple[Any, ...], dict[str, Any], Any, Any]:
        fit = type(keras_model).fit
        signature = inspect.signature(getattr(fit, "__wrapped__", fit))
        bound = signature.bind(keras_model, *args, **kwargs)
        arguments = bound.arguments
        given = {
            name: arguments.get(name, getattr(signature.parameters.get(name), "default", None))
            for name in ("epochs", "batch_size")
        }
        callback = callback_class(session, given["epochs"], given["batch_size"])
        arguments["callbacks"] = [*list(arguments.get("callbacks") or []), callback]
        return bound.args[1:], bound.kwargs, None, callback

    patch_method(
        FLAVOR,
        model,
        "fit",
        lambda original: fit_with_callback(
            FLAVOR, lambda: _config, _guard, original, add_callback, _after_fit
        ),
    )


@functools.lru_cache(maxsize=4)
def _callback_class(callbacks: ModuleType) -> type:
    class AutologCallback(callbacks.Callback):  # type: ignore[misc, name-defined]
        """Logs the training's parameters at its start and each epoch's ``logs``."""

        def __init__(self, session: AutologSession, epochs: Any, batch_size: Any) -> None:
            super().__init__()
            self._session = session
            self._fit_params = {"epochs": epochs, "batch_size": batch_size}
            self._metrics = EpochMetrics(session)

        def on_train_begin(self, logs: Any = None) -> None:
            self._session.attempt(
                "the parameters", _log_params, self._session, self.model, self._fit_params
            )

        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            self._session.attempt("the epoch metrics", self._metrics.log, logs, int(epoch))

    return AutologCallback


def _log_params(session: AutologSession, model: Any, fit_params: dict[str, Any]) -> None:
    params = dict(fit_params)
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None:
        params["optimizer_name"] = type(optimizer).__name__
        config = optimizer.get_config() if hasattr(optimizer, "get_config") else {}
        params.update({f"opt_{key}": value for key, value in dict(config).items()})
    session.run.log_params(loggable_params(params))


def _after_fit(session: AutologSession, model: Any, callback: Any) -> None:
    if not session.config.log_models:
        return
    with tempfile.TemporaryDirectory(prefix="mlops-autolog-") as tmp:
        path = Path(tmp) / MODEL_FILE
        model.save(str(path))
        session.run.log_artifact(path, MODEL_FOLDER)
