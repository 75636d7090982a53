"""scikit-learn autologging, for real: fits in a fresh interpreter, runs read from the catalog."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from autolog_scripts import catalog_runs, run_script

pytest.importorskip("sklearn")

GRID_SEARCH = textwrap.dedent(
    """
    import json
    import mlops_desktop as mlops

    mlops.autolog()  # before scikit-learn is imported: patched as its modules arrive
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV

    X, y = load_iris(return_X_y=True)
    mlops.set_experiment("search")
    grid = {"C": [0.05, 1.0], "fit_intercept": [True, False]}
    search = GridSearchCV(LogisticRegression(max_iter=300), grid, cv=3)
    assert search.fit(X, y) is search
    assert mlops.active_run() is None  # the implicit run ended with the fit

    mlops.set_experiment("search-top2")
    mlops.autolog(max_tuning_runs=2)
    GridSearchCV(LogisticRegression(max_iter=300), grid, cv=3).fit(X, y)
    print(json.dumps({
        "best_params": search.best_params_,
        "best_index": int(search.best_index_),
        "best_score": float(search.best_score_),
    }))
    """
)


def test_grid_search_logs_a_parent_and_a_child_run_per_candidate(temp_home: Path) -> None:
    result = run_script(GRID_SEARCH, temp_home)
    svc, runs = catalog_runs(temp_home)
    try:
        search_runs = [r for r in runs if r.experiment == "search"]
        parents = [r for r in search_runs if "mlops.parent_run_id" not in r.tags]
        assert len(parents) == 1
        parent = parents[0]
        children = [r for r in search_runs if r.tags.get("mlops.parent_run_id") == parent.id]
        assert len(children) == 4 and len(search_runs) == 5  # no run for the inner fits

        assert parent.status == "finished"
        assert parent.tags["mlops.autologging"] == "sklearn"
        assert parent.tags["estimator_name"] == "GridSearchCV"
        assert parent.tags["estimator_class"] == "sklearn.model_selection._search.GridSearchCV"
        assert parent.params["cv"] == 3 and parent.params["estimator__max_iter"] == 300
        assert parent.params["best_C"] == result["best_params"]["C"]
        assert parent.params["best_fit_intercept"] == result["best_params"]["fit_intercept"]
        assert parent.metrics["best_cv_score"] == pytest.approx(result["best_score"])
        for key in ("score", "accuracy_score", "f1_score", "log_loss", "roc_auc"):
            assert f"training_{key}" in parent.metrics

        detail = svc.get_run(parent.id)
        stored = {a.name: Path(a.path) for a in detail.artifacts}
        assert {"model/model.joblib", "model/MLmodel", "model/requirements.txt"} <= set(stored)
        description = json.loads(stored["model/MLmodel"].read_text())
        assert description["flavor"] == "sklearn"
        assert description["model_class"].endswith("LogisticRegression")  # the best estimator
        assert len(description["signature"]["inputs"]) == 4
        table = json.loads(stored["cv_results.json"].read_text())
        columns = table["columns"]
        assert {"params", "param_C", "mean_test_score", "rank_test_score"} <= set(columns)
        assert len(table["data"]) == 4
        rows = [dict(zip(columns, row)) for row in table["data"]]

        best = [c for c in children if c.tags.get("mlops.best_candidate") == "true"]
        assert len(best) == 1
        assert best[0].metrics["rank_test_score"] == 1.0
        assert best[0].params["C"] == result["best_params"]["C"]
        assert best[0].name.endswith(f"candidate-{result['best_index']}")
        for child in children:
            assert child.status == "finished"
            assert child.tags["estimator_name"] == "LogisticRegression"
            index = int(child.name.rsplit("-", 1)[1])
            row = rows[index]
            assert child.params["C"] == row["params"]["C"]
            assert child.params["fit_intercept"] == row["params"]["fit_intercept"]
            assert child.params["max_iter"] == 300  # the base estimator's params too
            assert child.metrics["mean_test_score"] == pytest.approx(row["mean_test_score"])
            assert child.metrics["std_test_score"] == pytest.approx(row["std_test_score"])
            assert child.metrics["rank_test_score"] == row["rank_test_score"]
            assert not any(k.startswith(("split", "param")) for k in child.metrics)

        top2 = [r for r in runs if r.experiment == "search-top2"]
        top2_children = [r for r in top2 if "mlops.parent_run_id" in r.tags]
        assert len(top2) == 3 and len(top2_children) == 2
        assert sorted(c.metrics["rank_test_score"] for c in top2_children)[0] == 1.0
    finally:
        svc.close()


PLAIN_FITS = textwrap.dedent(
    """
    import json, math
    from sklearn.datasets import load_diabetes, load_iris
    from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    import mlops_desktop as mlops

    mlops.autolog()  # after the import: the loaded estimator classes are patched at once
    X, y = load_iris(return_X_y=True)
    Xr, yr = load_diabetes(return_X_y=True)
    mlops.set_experiment("plain")
    clf = LogisticRegression(max_iter=300)
    assert clf.fit(X, y) is clf
    LinearRegression().fit(Xr, yr)
    make_pipeline(StandardScaler(), Ridge(alpha=0.5)).fit(Xr, yr)

    with mlops.start_run(run_name="mine") as run:
        Ridge(alpha=2.0).fit(Xr, yr)
        still_mine = mlops.active_run().info.run_id == run.info.run_id

    try:
        LogisticRegression().fit(X, y[:10])  # the user's own error
    except ValueError as exc:
        error = str(exc)

    mlops.autolog(disable=True)
    LinearRegression().fit(Xr, yr)  # not logged
    unpatched = not hasattr(LogisticRegression.fit, "__mlops_autolog_original__")
    print(json.dumps({"still_mine": still_mine, "error": error, "unpatched": unpatched}))
    """
)


def test_plain_fits_implicit_runs_an_active_run_and_disable(temp_home: Path) -> None:
    result = run_script(PLAIN_FITS, temp_home)
    assert result["still_mine"] and result["unpatched"]
    assert "inconsistent numbers of samples" in result["error"]
    svc, runs = catalog_runs(temp_home)
    try:
        by_estimator = {r.tags.get("estimator_name"): r for r in runs}
        assert len(runs) == 5  # 3 implicit runs, "mine", the failed fit; none after disable

        clf = by_estimator["LogisticRegression"]
        assert clf.status == "finished" and clf.experiment == "plain"
        assert clf.params["C"] == 1.0 and clf.params["max_iter"] == 300
        assert clf.metrics["training_accuracy_score"] > 0.9
        assert 0 < clf.metrics["training_log_loss"] < 1
        assert clf.metrics["training_score"] == clf.metrics["training_accuracy_score"]
        files = {a.name for a in svc.get_run(clf.id).artifacts}
        assert files == {"model/model.joblib", "model/MLmodel", "model/requirements.txt"}

        reg = by_estimator["LinearRegression"]
        m = reg.metrics
        assert math.isclose(
            m["training_root_mean_squared_error"], math.sqrt(m["training_mean_squared_error"])
        )
        assert 0 < m["training_r2_score"] < 1 and m["training_mean_absolute_error"] > 0
        assert m["training_score"] == pytest.approx(m["training_r2_score"])

        pipe = by_estimator["Pipeline"]  # one run: its steps' fits are inner fits
        assert pipe.params["ridge__alpha"] == 0.5 and "training_r2_score" in pipe.metrics

        mine = next(r for r in runs if r.name == "mine")
        assert mine.status == "finished" and mine.params["alpha"] == 2.0
        assert "mlops.autologging" not in mine.tags and mine.tags["estimator_name"] == "Ridge"

        failed = next(r for r in runs if r.status == "failed")
        assert failed.tags["estimator_name"] == "LogisticRegression"
        assert not failed.metrics
    finally:
        svc.close()


NEVER_FAILS = textwrap.dedent(
    """
    import json, warnings
    import mlops_desktop as mlops
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    class BrokenParams(LogisticRegression):
        def get_params(self, deep=True):
            if deep:  # scikit-learn itself asks for deep=False while fitting
                raise RuntimeError("no params today")
            return super().get_params(deep=False)

    class BrokenProba(LogisticRegression):
        def predict_proba(self, X):
            raise ArithmeticError("no probabilities today")

    X, y = load_iris(return_X_y=True)
    mlops.autolog()
    mlops.set_experiment("broken")
    seen = {}
    for name, est in (("params", BrokenParams(max_iter=300)),
                      ("proba", BrokenProba(max_iter=300))):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fitted = est.fit(X, y)
        seen[name] = {
            "returned_self": fitted is est,
            "fitted": hasattr(est, "coef_"),
            "warnings": [(w.category.__name__, str(w.message)) for w in caught
                         if "autolog" in str(w.message)],
        }
    mlops.autolog(silent=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        BrokenParams(max_iter=300).fit(X, y)
    seen["silent"] = [str(w.message) for w in caught if "autolog" in str(w.message)]
    print(json.dumps(seen))
    """
)


def test_logging_failures_never_fail_the_fit_and_warn_once(temp_home: Path) -> None:
    seen = run_script(NEVER_FAILS, temp_home)
    for case in ("params", "proba"):
        assert seen[case]["returned_self"] and seen[case]["fitted"]
        assert len(seen[case]["warnings"]) == 1, seen[case]["warnings"]
        assert seen[case]["warnings"][0][0] == "UserWarning"
    params_warning = seen["params"]["warnings"][0][1]
    assert "the params (RuntimeError: no params today)" in params_warning
    assert "BrokenParams.fit" in params_warning
    proba_warning = seen["proba"]["warnings"][0][1]
    assert "training_log_loss" in proba_warning and "training_roc_auc" in proba_warning
    assert "ArithmeticError: no probabilities today" in proba_warning
    assert "training_accuracy_score" not in proba_warning
    assert seen["silent"] == []

    svc, runs = catalog_runs(temp_home)
    try:
        broken = {r.tags["estimator_name"]: r for r in runs if r.experiment == "broken"}
        assert broken["BrokenParams"].status == "finished"
        assert broken["BrokenParams"].params == {}
        assert "training_accuracy_score" in broken["BrokenParams"].metrics  # the rest logged
        proba = broken["BrokenProba"]
        assert "training_log_loss" not in proba.metrics and "training_f1_score" in proba.metrics
    finally:
        svc.close()


def test_bad_max_tuning_runs_is_refused_in_one_sentence() -> None:
    import mlops_desktop as mlops

    with pytest.raises(ValueError, match="max_tuning_runs must be None or a whole number"):
        mlops.autolog(max_tuning_runs=-1)
    with pytest.raises(ValueError, match="exclusion_flavors: 'xgboost'"):
        mlops.autolog(exclusion_flavors=["xgboost"])


REGISTERED = textwrap.dedent(
    """
    import mlops_desktop.sklearn
    from sklearn.datasets import load_iris
    from sklearn.tree import DecisionTreeClassifier

    mlops_desktop.sklearn.autolog(log_input_examples=True, registered_model_name="iris-tree")
    X, y = load_iris(return_X_y=True)
    DecisionTreeClassifier(max_depth=2).fit(X, y)
    """
)


def test_sklearn_autolog_stores_an_input_example_and_registers_the_model(
    temp_home: Path,
) -> None:
    run_script(REGISTERED, temp_home)
    svc, runs = catalog_runs(temp_home)
    try:
        (run,) = runs
        stored = {a.name: Path(a.path) for a in svc.get_run(run.id).artifacts}
        example = json.loads(stored["model/input_example.json"].read_text())
        assert len(example["inputs"]) == 5 and len(example["inputs"][0]) == 4
        assert run.params["max_depth"] == 2
    finally:
        svc.close()
    listed = subprocess.run(
        [
            sys.executable,
            "-m",
            "mlops_desktop",
            "--home",
            str(temp_home),
            "models",
            "list",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert listed.returncode == 0, listed.stderr
    assert [m["name"] for m in json.loads(listed.stdout)] == ["iris-tree"]
