"""What an autologged scikit-learn fit records: params and tags before, metrics, the parameter
search's candidates and the model after. Every step goes through the session, so none fails
the fit; scikit-learn itself is reached through :mod:`importlib` only."""

from __future__ import annotations

import importlib
import math
import numbers
import sys
import warnings
from collections.abc import Callable
from typing import Any

from mlops_desktop.tracking import fluent
from mlops_desktop.tracking.autolog import sklearn_search
from mlops_desktop.tracking.autolog.models import log_fitted_model
from mlops_desktop.tracking.autolog.session import AutologSession, loggable_params


def estimator_tags(estimator: Any) -> dict[str, str]:
    """MLflow's ``estimator_name`` and ``estimator_class`` tags."""
    cls = type(estimator)
    return {"estimator_name": cls.__name__, "estimator_class": f"{cls.__module__}.{cls.__name__}"}


def log_before_fit(session: AutologSession, estimator: Any) -> None:
    """The estimator's parameters and tags (logged before the fit, kept if it fails)."""
    run = session.run
    session.attempt("the tags", run.set_tags, estimator_tags(estimator))
    params = session.attempt("the params", estimator.get_params, True)
    if params is not None:
        session.attempt("the params", run.log_params, loggable_params(params))


def log_after_fit(session: AutologSession, estimator: Any, x: Any, y: Any, weight: Any) -> None:
    """Training metrics, a parameter search's results, and the fitted model."""
    run = session.run
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sklearn's own warnings about metrics on odd data
        for name, compute in training_metrics(estimator, x, y, weight).items():
            value = session.attempt(f"the metric {name}", compute)
            if value is not None:
                session.attempt(f"the metric {name}", run.log_metric, name, value)
    model = estimator
    if sklearn_search.is_parameter_search(estimator):
        sklearn_search.log_search(session, estimator)
        model = getattr(estimator, "best_estimator_", estimator)
    if session.config.log_models:
        session.attempt("the model", log_fitted_model, session, model, x, "sklearn")


class _Once:
    """A call made at most once: its result, or its exception again."""

    def __init__(self, function: Callable[[], Any]) -> None:
        self._function = function
        self._done = False
        self._value: Any = None
        self._error: Exception | None = None

    def __call__(self) -> Any:
        if not self._done:
            self._done = True
            try:
                self._value = self._function()
            except Exception as exc:
                self._error = exc
        if self._error is not None:
            raise self._error
        return self._value


def training_metrics(estimator: Any, x: Any, y: Any, weight: Any) -> dict[str, Callable[[], float]]:
    """MLflow's training metrics for ``estimator``, each a call that computes it."""
    if y is None or x is None or "sklearn.base" not in sys.modules:
        return {}
    metrics = importlib.import_module("sklearn.metrics")
    base = importlib.import_module("sklearn.base")
    sw = {} if weight is None else {"sample_weight": weight}
    out: dict[str, Callable[[], float]] = {}
    if callable(getattr(estimator, "score", None)):
        out["training_score"] = lambda: _number(estimator.score(x, y, **sw))
    predicted = _Once(lambda: estimator.predict(x))
    if base.is_classifier(estimator):
        out["training_accuracy_score"] = lambda: metrics.accuracy_score(y, predicted(), **sw)
        prf = _Once(
            lambda: metrics.precision_recall_fscore_support(
                y, predicted(), average="weighted", **sw
            )
        )  # one confusion matrix for the three
        for position, name in enumerate(("precision", "recall", "f1")):
            out[f"training_{name}_score"] = _item(prf, position)
        if hasattr(estimator, "predict_proba"):
            proba = _Once(lambda: estimator.predict_proba(x))
            out["training_log_loss"] = lambda: metrics.log_loss(y, proba(), **sw)
            out["training_roc_auc"] = lambda: _roc_auc(metrics, y, proba(), sw)
    elif base.is_regressor(estimator):
        mse = _Once(lambda: metrics.mean_squared_error(y, predicted(), **sw))
        out["training_mean_squared_error"] = mse
        out["training_root_mean_squared_error"] = lambda: math.sqrt(mse())
        out["training_mean_absolute_error"] = lambda: metrics.mean_absolute_error(
            y, predicted(), **sw
        )
        out["training_r2_score"] = lambda: metrics.r2_score(y, predicted(), **sw)
    return out


def _item(scores: Callable[[], Any], position: int) -> Callable[[], float]:
    """The ``position``-th of the values ``scores()`` returns."""
    return lambda: float(scores()[position])


def _roc_auc(metrics: Any, y: Any, proba: Any, sw: dict[str, Any]) -> float:
    if len(getattr(proba, "shape", ())) == 2 and proba.shape[1] == 2:
        return metrics.roc_auc_score(y, proba[:, 1], **sw)  # type: ignore[no-any-return]
    return metrics.roc_auc_score(  # type: ignore[no-any-return]
        y, proba, average="weighted", multi_class="ovo", **sw
    )


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        value = float(value)
    return float(value)


def start_child_run(session: AutologSession, name: str, tags: dict[str, str]) -> Any:
    """A child run of the session's run, light: no environment, output or system capture."""
    parent = session.run
    return fluent.start_run(
        run_name=name,
        parent_run_id=parent.id,
        tags=tags,
        experiment=parent.experiment,
        home=parent.home,
        capture_env=False,
        capture_output=False,
        system_metrics=False,
    )
