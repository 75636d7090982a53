"""The demo's model registry: the best runs' models, with aliases and a promotion history.

``breast-cancer-classifier`` gets three versions from the MLP runs' ``model.joblib`` artifacts
(worst of the top three first): ``champion`` set on v1 and later moved to v3, ``challenger`` on
v2, v1 archived. ``digits-classifier`` and ``wine-classifier`` are the best SGD and boosting
configurations, trained again from their runs' params and registered from a folder (model and
``input_example.csv``, which gives the card its signature) linked to the run. Idempotent: a
model that exists is left alone.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from mlops_desktop.core.errors import ExperimentNotFound
from mlops_desktop.demo.sklearn_data import column_names, scaled_split

CANCER = "breast-cancer-classifier"
DIGITS = "digits-classifier"
WINE = "wine-classifier"


def _best(experiments: Any, experiment: str, metric: str, n: int = 1) -> list[Any]:
    try:
        runs = experiments.list_runs(experiment)
    except ExperimentNotFound:  # nothing to register
        return []
    scored = [
        r for r in runs if isinstance(r.metrics.get(metric), float) and r.status == "finished"
    ]
    scored = [r for r in scored if np.isfinite(r.metrics[metric])]
    return sorted(scored, key=lambda r: (r.metrics[metric], r.started_at), reverse=True)[:n]


def _cancer(experiments: Any, models: Any, progress: Callable[[str], None]) -> None:
    top = _best(experiments, "breast-cancer-mlp", "val/acc", 3)
    runs = [
        r for r in top if any(a.name == "model.joblib" for a in experiments.get_run(r.id).artifacts)
    ]
    if not runs:
        return
    progress(f"model {CANCER}")
    description = (
        "# Breast cancer classifier\n\nA small MLP on the scaled features of the Wisconsin "
        "breast cancer data (`breast-cancer` dataset).\n\n*Intended use:* demo only."
    )
    for run in reversed(runs):  # the best becomes the newest version
        models.register(
            CANCER,
            run_id=run.id,
            artifact="model.joblib",
            description=description,
            tags={"demo": "true", "framework": "scikit-learn"},
        )
    numbers = [v.version for v in reversed(models.versions(CANCER))]
    models.set_alias(CANCER, numbers[0], "champion")
    if len(numbers) > 1:
        models.set_alias(CANCER, numbers[1], "challenger")
        models.set_tag(CANCER, numbers[1], "review", "pending")
    if len(numbers) > 2:
        models.set_tag(CANCER, numbers[-1], "review", "approved")
        models.set_alias(CANCER, numbers[-1], "champion")  # promoted: moves from v1
        models.archive(CANCER, numbers[0])


def _retrained(run: Any, kind: str) -> tuple[Any, list[str], Any]:
    from sklearn.datasets import load_digits, load_wine

    p = run.params
    if kind == "digits":
        from sklearn.linear_model import SGDClassifier

        x_tr, _, y_tr, _ = scaled_split(load_digits)
        clf = SGDClassifier(
            loss=str(p["loss"]),
            alpha=float(p["alpha"]),
            learning_rate="constant",
            eta0=float(p["eta0"]),
            random_state=0,
            max_iter=int(p.get("epochs", 25)),
        )
        names = [f"pixel_{i // 8}_{i % 8}" for i in range(64)]
    else:
        from sklearn.ensemble import GradientBoostingClassifier

        x_tr, _, y_tr, _ = scaled_split(load_wine)
        clf = GradientBoostingClassifier(
            learning_rate=float(p["learning_rate"]),
            max_depth=int(p["max_depth"]),
            n_estimators=int(p["n_estimators"]),
            subsample=float(p["subsample"]),
            random_state=0,
        )
        names = column_names(load_wine().feature_names)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(x_tr, y_tr)
    return clf, names, x_tr[:5]


def _from_params(
    models: Any, run: Any, name: str, kind: str, progress: Callable[[str], None]
) -> None:
    import joblib

    progress(f"model {name}")
    clf, names, rows = _retrained(run, kind)
    folder = Path(models.home) / "demo-work" / "models" / name
    folder.mkdir(parents=True, exist_ok=True)
    # the folder stays: the version's source points at it
    joblib.dump(clf, folder / "model.joblib")
    lines = [",".join(names)] + [",".join(f"{v:.6g}" for v in row) for row in rows]
    (folder / "input_example.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    models.register(
        name,
        run_id=run.id,
        path=folder,
        tags={"demo": "true"},
        description=f"Best run of the demo's {kind} experiment, trained again from its params.",
    )
    models.set_alias(name, 1, "champion")


def register_demo_models(
    experiments: Any, models: Any, progress: Callable[[str], None] = lambda _m: None
) -> None:
    """Register the demo's models that do not exist yet."""
    have = {m.name for m in models.list_models()}
    if CANCER not in have:
        _cancer(experiments, models, progress)
    best = _best(experiments, "digits-sgd", "test_acc")
    if DIGITS not in have and best:
        _from_params(models, best[0], DIGITS, "digits", progress)
    best = _best(experiments, "wine-boosting", "val/acc")
    if WINE not in have and best:
        _from_params(models, best[0], WINE, "wine", progress)
