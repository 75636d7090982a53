"""A parameter search (``GridSearchCV``, ``RandomizedSearchCV``, the halving searches) logged
as MLflow does: ``best_<param>`` params and ``best_cv_score`` on the run, ``cv_results.json``
as a table artifact, and a child run per candidate (the best ``max_tuning_runs`` by rank)."""

from __future__ import annotations

import math
import numbers
import sys
from typing import Any

from mlops_desktop.tracking.autolog.session import AutologSession, loggable_params

BEST_CANDIDATE_TAG = "mlops.best_candidate"
CV_RESULTS_FILE = "cv_results.json"


def is_parameter_search(estimator: Any) -> bool:
    """Whether ``estimator`` is a fitted scikit-learn parameter search."""
    search = sys.modules.get("sklearn.model_selection._search")
    base = getattr(search, "BaseSearchCV", None)
    return base is not None and isinstance(estimator, base) and hasattr(estimator, "cv_results_")


def log_search(session: AutologSession, search: Any) -> None:
    """Log the search's best candidate, its results table and its candidates' child runs."""
    run = session.run
    if hasattr(search, "best_params_"):
        best = {f"best_{key}": value for key, value in search.best_params_.items()}
        session.attempt("the best params", run.log_params, loggable_params(best))
    if hasattr(search, "best_score_"):
        session.attempt(
            "the metric best_cv_score", run.log_metric, "best_cv_score", _real(search.best_score_)
        )
    results = search.cv_results_
    session.attempt(
        "the table cv_results.json", run.log_dict, results_table(results), CV_RESULTS_FILE
    )
    rows = session.attempt(
        "the candidates' ranks", candidates_to_log, search, session.config.max_tuning_runs
    )
    if not rows:
        return
    base_params = session.attempt("the candidates' params", search.estimator.get_params, True)
    best_index = candidates_to_log(search, 1)[0]
    for index in rows:
        session.attempt(
            f"the child run of candidate {index}",
            _log_candidate,
            session,
            search,
            index,
            base_params or {},
            index == best_index,
        )


def candidates_to_log(search: Any, limit: int | None) -> list[int]:
    """Row indices of ``cv_results_``, best rank first, at most ``limit`` (None: all); the
    best candidate (``best_index_``) is always among them."""
    results = search.cv_results_
    count = len(results["params"])
    column = rank_column(search)
    ranks = results[column] if column else list(range(count))
    order = sorted(range(count), key=lambda i: (_real(ranks[i]), i))
    best = getattr(search, "best_index_", None)
    if isinstance(best, numbers.Integral) and 0 <= int(best) < count:
        order.remove(int(best))
        order.insert(0, int(best))
    return order if limit is None else order[:limit]


def rank_column(search: Any) -> str | None:
    """The rank column that picks the best candidate: the refit metric's, else
    ``rank_test_score``, else the first ``rank_test_*``."""
    results = search.cv_results_
    refit = getattr(search, "refit", None)
    if isinstance(refit, str) and f"rank_test_{refit}" in results:
        return f"rank_test_{refit}"
    if "rank_test_score" in results:
        return "rank_test_score"
    return next((key for key in results if key.startswith("rank_test_")), None)


def _log_candidate(
    session: AutologSession, search: Any, index: int, base: dict[str, Any], best: bool
) -> None:
    from mlops_desktop.tracking.autolog.sklearn_logging import estimator_tags, start_child_run

    results = search.cv_results_
    tags = estimator_tags(search.estimator)
    if best:
        tags[BEST_CANDIDATE_TAG] = "true"
    child = start_child_run(session, f"{session.run.name}-candidate-{index}", tags)
    try:
        child.log_params(loggable_params({**base, **results["params"][index]}))
        metrics = {}
        for key, column in results.items():
            if key.startswith(("param", "split")):
                continue
            value = column[index]
            if isinstance(value, numbers.Real) and not isinstance(value, bool):
                metrics[key] = float(value)
        child.log_metrics(metrics, step=0)
    except BaseException as exc:
        child.end("failed", f"{type(exc).__name__}: {exc}")
        raise
    child.end("finished")


def results_table(results: dict[str, Any]) -> dict[str, Any]:
    """``cv_results_`` as a table: ``{"columns": [...], "data": [[row], ...]}``, plain JSON
    (masked entries and NaN become null, numpy numbers plain numbers)."""
    columns = list(results)
    count = len(results["params"]) if "params" in results else 0
    data = [[_plain(results[c][i]) for c in columns] for i in range(count)]
    return {"columns": columns, "data": data}


def _plain(value: Any) -> Any:
    if type(value).__name__ == "MaskedConstant":
        return None
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "item") and callable(value.item) and getattr(value, "ndim", 1) == 0:
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def _real(value: Any) -> float:
    return float(value)
