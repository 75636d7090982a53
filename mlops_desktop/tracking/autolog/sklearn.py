"""Autologging for scikit-learn: every top-level ``fit`` of an estimator is logged.

``autolog()`` imports nothing: it patches the estimator classes of the scikit-learn modules
already imported, and those imported later as they arrive (the equivalent of MLflow's patching
of ``sklearn.utils.all_estimators()``, without importing every module of scikit-learn).
``fit``, ``fit_transform`` and ``fit_predict`` are wrapped where they are plain functions; the
fits a meta-estimator makes inside its own (the candidates of a ``GridSearchCV``, the steps of
a ``Pipeline``) are not logged on their own. As in MLflow, transformers of
``sklearn.preprocessing``, ``sklearn.impute``, ``sklearn.feature_extraction`` and
``sklearn.feature_selection`` and ``ColumnTransformer`` are left alone.
"""

from __future__ import annotations

import functools
import inspect
import sys
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any

from mlops_desktop.tracking.autolog import sklearn_logging
from mlops_desktop.tracking.autolog.patching import FitGuard, on_import, patch_method, unpatch_all
from mlops_desktop.tracking.autolog.session import AutologConfig, AutologSession

FLAVOR = "sklearn"
FIT_METHODS = ("fit", "fit_transform", "fit_predict")
_SKIPPED_PACKAGES = (
    "sklearn.preprocessing",
    "sklearn.impute",
    "sklearn.feature_extraction",
    "sklearn.feature_selection",
    "sklearn.utils",
    "sklearn.experimental",
    "sklearn.externals",
    "sklearn.tests",
    "sklearn.conftest",
)
_SKIPPED_PARTS = frozenset({"tests", "externals", "conftest", "_testing", "estimator_checks"})
_SKIPPED_CLASSES = frozenset({"sklearn.compose._column_transformer.ColumnTransformer"})

_config: AutologConfig | None = None
_guard = FitGuard()


def autolog(
    log_input_examples: bool = False,
    log_model_signatures: bool = True,
    log_models: bool = True,
    disable: bool = False,
    exclusive: bool = False,
    disable_for_unsupported_versions: bool = False,
    silent: bool = False,
    max_tuning_runs: int | None = 5,
    log_post_training_metrics: bool = True,
    serialization_format: str | None = None,
    registered_model_name: str | None = None,
    pos_label: Any = None,
    extra_tags: Mapping[str, Any] | None = None,
) -> None:
    """Log every top-level ``fit`` of a scikit-learn estimator (MLflow's arguments).

    Each fit logs to the active run, or to a run of its own (started before the fit, ended
    after it) when none is active: the estimator's parameters (``get_params(deep=True)``),
    training metrics computed on the training data (``training_score``; for classifiers
    accuracy, weighted precision, recall and F1, and log loss and ROC AUC when the estimator
    has ``predict_proba``; for regressors MSE, RMSE, MAE and R2), the tags
    ``estimator_name`` and ``estimator_class``, and the fitted model (``log_models``).
    A ``GridSearchCV`` or ``RandomizedSearchCV`` also logs ``best_<param>`` params, the
    ``best_cv_score`` metric, its best estimator as the model, ``cv_results.json`` (a table:
    ``{"columns": [...], "data": [[...], ...]}``) and one child run per candidate, the best
    ``max_tuning_runs`` of them by rank (all with None), the best one tagged
    ``mlops.best_candidate=true``.

    Args:
        log_input_examples: store the first rows of the training data with the model.
        log_model_signatures: store the model's input and output signature.
        log_models: log the fitted model as the artifact folder ``model``.
        disable: undo the patching: fits are no longer logged.
        exclusive: log nothing into runs the user started, only into autolog's own runs.
        disable_for_unsupported_versions: accepted for MLflow's sake; every version is used.
        silent: no warnings from autologging.
        max_tuning_runs: how many candidates of a parameter search get a child run.
        log_post_training_metrics: accepted for MLflow's sake (metrics computed later by
            ``sklearn.metrics`` calls are not logged).
        serialization_format: accepted for MLflow's sake (models are saved with joblib).
        registered_model_name: register each logged model under this name.
        pos_label: accepted for MLflow's sake (metrics are weighted averages).
        extra_tags: tags added to the runs autologging starts.

    Raises:
        ValueError: ``max_tuning_runs`` is negative or not an integer.
    """
    global _config
    if disable:
        _config = None
        unpatch_all(FLAVOR)
        return
    if max_tuning_runs is not None and (
        isinstance(max_tuning_runs, bool)
        or not isinstance(max_tuning_runs, int)
        or max_tuning_runs < 0
    ):
        raise ValueError(
            f"max_tuning_runs must be None or a whole number of at least 0, got {max_tuning_runs!r}"
        )
    _config = AutologConfig(
        log_models=log_models,
        log_input_examples=log_input_examples,
        log_model_signatures=log_model_signatures,
        exclusive=exclusive,
        silent=silent,
        max_tuning_runs=max_tuning_runs,
        extra_tags=dict(extra_tags or {}),
        registered_model_name=registered_model_name,
    )
    on_import(FLAVOR, _is_estimator_module, _patch_module)


def _is_estimator_module(name: str) -> bool:
    return (
        name.startswith("sklearn.")
        and not name.startswith(_SKIPPED_PACKAGES)
        and not _SKIPPED_PARTS.intersection(name.split("."))
    )


def _patch_module(module: ModuleType) -> None:
    """Wrap the fit methods of the public, concrete estimator classes defined in ``module``."""
    estimator_base = getattr(sys.modules.get("sklearn.base"), "BaseEstimator", None)
    if estimator_base is None:  # sklearn.base is still being imported: no estimator yet
        return
    for value in list(vars(module).values()):
        if (
            isinstance(value, type)
            and value.__module__ == module.__name__
            and not value.__name__.startswith("_")
            and issubclass(value, estimator_base)
            and value is not estimator_base
            and not inspect.isabstract(value)
            and f"{value.__module__}.{value.__qualname__}" not in _SKIPPED_CLASSES
        ):
            for method in FIT_METHODS:
                if inspect.isfunction(inspect.getattr_static(value, method, None)):
                    patch_method(FLAVOR, value, method, _fit_wrapper)


def _fit_wrapper(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def fit(self: Any, *args: Any, **kwargs: Any) -> Any:
        config = _config
        if config is None:
            return original(self, *args, **kwargs)
        with _guard.enter() as outermost:
            if not outermost:
                return original(self, *args, **kwargs)
            return _logged_fit(config, original, self, args, kwargs)

    return fit


def _logged_fit(
    config: AutologConfig,
    original: Callable[..., Any],
    estimator: Any,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> Any:
    what = f"{type(estimator).__name__}.{original.__name__}"
    session = AutologSession.begin(FLAVOR, what, config)
    if session is None:
        return original(estimator, *args, **kwargs)
    sklearn_logging.log_before_fit(session, estimator)
    try:
        result = original(estimator, *args, **kwargs)
    except BaseException as exc:
        session.close(exc)
        raise
    data = session.attempt("the training data", _training_data, original, estimator, args, kwargs)
    sklearn_logging.log_after_fit(session, estimator, *(data or (None, None, None)))
    session.close()
    return result


def _training_data(
    fit: Callable[..., Any], estimator: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[Any, Any, Any]:
    """``(X, y, sample_weight)`` of a fit call, by the fit method's own signature."""
    bound = _signature(fit).bind_partial(estimator, *args, **kwargs).arguments
    names = list(_signature(fit).parameters)
    x = bound.get(names[1]) if len(names) > 1 else None
    y = bound.get("y", bound.get("Y"))
    if y is None and len(names) > 2 and names[2] not in ("sample_weight", "groups"):
        y = bound.get(names[2])
    return x, y, bound.get("sample_weight")


@functools.lru_cache(maxsize=512)
def _signature(function: Callable[..., Any]) -> inspect.Signature:
    return inspect.signature(function)
