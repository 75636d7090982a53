"""Autologging for PyTorch Lightning (``lightning.pytorch`` and ``pytorch_lightning``).

``Trainer.fit`` runs with one more callback that logs, into the active run (or a run of its
own), the hyperparameters (``pl_module.hparams``, ``epochs``, ``optimizer_name`` and the
optimizer's defaults such as ``lr``) when training starts and every value of
``trainer.callback_metrics`` at the end of each epoch (``step`` = the epoch); after the fit,
the best checkpoint of the ``ModelCheckpoint`` callback is logged as
``checkpoints/<file>`` and the trained module as the model folder ``model`` (PyTorch flavour:
its ``state_dict``). Only the process of global rank 0 logs.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from types import ModuleType
from typing import Any

from mlops_desktop.tracking.autolog.callbacks import EpochMetrics, fit_with_callback
from mlops_desktop.tracking.autolog.models import log_fitted_model
from mlops_desktop.tracking.autolog.patching import FitGuard, on_import, patch_method, unpatch_all
from mlops_desktop.tracking.autolog.session import AutologConfig, AutologSession, loggable_params

FLAVOR = "lightning"
MODULES = ("lightning.pytorch", "pytorch_lightning")
CHECKPOINT_FOLDER = "checkpoints"

_config: AutologConfig | None = None
_guard = FitGuard()


def autolog(
    log_every_n_epoch: int = 1,
    log_models: bool = True,
    disable: bool = False,
    exclusive: bool = False,
    disable_for_unsupported_versions: bool = False,
    silent: bool = False,
    registered_model_name: str | None = None,
    extra_tags: Mapping[str, Any] | None = None,
    checkpoint: bool = True,
) -> None:
    """Log every ``Trainer.fit`` of PyTorch Lightning (MLflow's ``mlflow.pytorch.autolog``
    arguments; ``log_every_n_epoch`` and ``registered_model_name`` are accepted and unused).

    Args:
        log_models: log the trained module as the model folder ``model``.
        disable: undo the patching.
        exclusive: log nothing into runs the user started, only into autolog's own runs.
        disable_for_unsupported_versions: accepted for MLflow's sake.
        silent: no warnings from autologging.
        extra_tags: tags added to the runs autologging starts.
        checkpoint: log the best checkpoint of the ``ModelCheckpoint`` callback.
    """
    global _config
    if disable:
        _config = None
        unpatch_all(FLAVOR)
        return
    _config = AutologConfig(
        log_models=log_models,
        log_model_signatures=False,
        log_checkpoints=checkpoint,
        exclusive=exclusive,
        silent=silent,
        extra_tags=dict(extra_tags or {}),
    )
    on_import(FLAVOR, MODULES.__contains__, _patch_module)


def _patch_module(module: ModuleType) -> None:
    trainer = getattr(module, "Trainer", None)
    callback_base = getattr(module, "Callback", None)
    if trainer is None or callback_base is None:
        return
    callback_class = _callback_class(callback_base)

    def add_callback(
        session: AutologSession, trainer: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> tuple[tuple[Any, ...], dict[str, Any], Any, Any]:
        callback = callback_class(session)
        trainer.callbacks.append(callback)

        def undo() -> None:
            if callback in trainer.callbacks:
                trainer.callbacks.remove(callback)

        return args, kwargs, undo, callback

    patch_method(
        FLAVOR,
        trainer,
        "fit",
        lambda original: fit_with_callback(
            FLAVOR, lambda: _config, _guard, original, add_callback, _after_fit
        ),
    )


@functools.lru_cache(maxsize=4)
def _callback_class(base: type) -> type:
    class AutologCallback(base):  # type: ignore[valid-type, misc]
        """Logs hyperparameters at the start and ``callback_metrics`` at each epoch's end."""

        def __init__(self, session: AutologSession) -> None:
            super().__init__()
            self._session = session
            self._metrics = EpochMetrics(session)

        def on_train_start(self, trainer: Any, pl_module: Any) -> None:
            self._session.attempt(
                "the hyperparameters", _log_params, self._session, trainer, pl_module
            )

        def on_train_epoch_end(self, trainer: Any, pl_module: Any) -> None:
            self._session.attempt(
                "the epoch metrics",
                self._metrics.log,
                trainer.callback_metrics,
                int(trainer.current_epoch),
            )

        def on_train_end(self, trainer: Any, pl_module: Any) -> None:
            last = self._metrics.last_epoch
            if last is not None:  # what the last validation added after the epoch's end
                self._session.attempt(
                    "the epoch metrics", self._metrics.log, trainer.callback_metrics, last
                )

    return AutologCallback


def _log_params(session: AutologSession, trainer: Any, pl_module: Any) -> None:
    params: dict[str, Any] = {"epochs": getattr(trainer, "max_epochs", None)}
    optimizers = getattr(trainer, "optimizers", None) or []
    if optimizers:
        optimizer = optimizers[0]
        params["optimizer_name"] = type(optimizer).__name__
        params.update(dict(getattr(optimizer, "defaults", None) or {}))
    params.update(dict(getattr(pl_module, "hparams", None) or {}))
    session.run.log_params(loggable_params(params))


def _after_fit(session: AutologSession, trainer: Any, callback: Any) -> None:
    checkpoint = getattr(trainer, "checkpoint_callback", None)
    path = getattr(checkpoint, "best_model_path", None) or ""
    if session.config.log_checkpoints and path and os.path.isfile(path):
        session.attempt("the best checkpoint", session.run.log_artifact, path, CHECKPOINT_FOLDER)
    module = getattr(trainer, "lightning_module", None)
    if session.config.log_models and module is not None:
        session.attempt("the model", log_fitted_model, session, module, None, "pytorch")
