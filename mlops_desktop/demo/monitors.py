"""The demo's monitor: a classifier's inputs drifting window by window, an alert, a retrain.

``breast-cancer-screening`` (a scaled logistic regression trained on ``breast-cancer@v3``, the
columns of the dataset's table) gets alias ``champion``; the monitor ``breast-cancer-drift``
watches it, its current data six window files in ``HOME/demo-data/breast-cancer-incoming``,
rows of v3 whose first three features drift more and more toward the recalibration of v4. The
check raises an alert (``mean_radius`` drifted in 2 of the last 3 windows); "Retrain" runs
:mod:`~mlops_desktop.demo.train_classifier` as a real local job on the newest version (v4), and
its model is registered as the challenger and scored beside the champion on the last window.
Idempotent: nothing happens when the monitor exists.
"""

from __future__ import annotations

import contextlib
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from mlops_desktop.core.drift import RetrainSpec
from mlops_desktop.demo.datasets import DATA_DIR

if TYPE_CHECKING:
    from mlops_desktop.services.bundle import Services

MODEL = "breast-cancer-screening"
MONITOR = "breast-cancer-drift"
DATASET = "breast-cancer"
EXPERIMENT = "breast-cancer-screening"
LABEL = "class"
INCOMING = "breast-cancer-incoming"
DRIFT = (0.0, 0.2, 0.45, 0.7, 1.0, 1.0)  # how far each window is toward v4's recalibration
WINDOW_ROWS = 150
JOB_TIMEOUT_S = 120.0
TRAIN = (sys.executable, "-m", "mlops_desktop.demo.train_classifier")


def build_demo_monitor(
    services: Services, home: Path, progress: Callable[[str], None] = lambda _m: None
) -> None:
    """Add the demo monitor, its windows, alert, retrain run and challenger (once)."""
    if any(m.name == MONITOR for m in services.monitors.list_monitors()):
        return
    from mlops_desktop.services.monitor_tables import dataset_version_table

    reference, problem = dataset_version_table(services.datasets, DATASET, "v3")
    if reference is None:
        raise RuntimeError(problem or "breast-cancer@v3 cannot be read")
    progress(f"model {MODEL}")
    _register_champion(services, reference)
    progress(f"monitor {MONITOR}")
    incoming = home / DATA_DIR / INCOMING
    services.monitors.add(
        MONITOR,
        model=f"{MODEL}@champion",
        current_folder=str(incoming),
        alert_after=2,
        alert_window=3,
        label_column=LABEL,
        retrain=RetrainSpec(
            command=(*TRAIN, "--dataset", DATASET, "--label", LABEL),
            dataset=DATASET,
            experiment=EXPERIMENT,
        ),
        rules={"alert_column": "mean_radius"},
    )
    _write_windows(reference, incoming)
    services.monitors.check(MONITOR)
    progress(f"monitor {MONITOR}: retraining on the newest {DATASET}")
    job = services.monitors.retrain(MONITOR)
    _wait(services, job.run_id)
    # registers the challenger and scores both (the demo's own models: no sandbox needed)
    services.monitors.scores(MONITOR, allow_unsandboxed=True)


def _register_champion(services: Services, reference: Any) -> None:
    import joblib
    import pyarrow.parquet as pq

    import mlops_desktop as mlops
    from mlops_desktop.demo.train_classifier import train

    with tempfile.TemporaryDirectory() as tmp:
        table = Path(tmp) / "breast-cancer-v3.parquet"
        pq.write_table(reference, table)
        params = {"model": "LogisticRegression", "scaled": True}
        tags = {"demo": "true", "dataset": "breast_cancer"}
        with (
            contextlib.redirect_stdout(sys.stderr),
            mlops.start_run(EXPERIMENT, name="logreg-v3", params=params, tags=tags) as run,
        ):
            run.use_dataset(DATASET, "v3")
            model, metrics, _features = train(table, LABEL)
            run.log_metrics(metrics)
            joblib.dump(model, Path(tmp) / "model.joblib")
            run.log_artifact(Path(tmp) / "model.joblib", name="model.joblib")
            run_id = run.id
    services.experiments.ingest()
    services.models.register(
        MODEL,
        run_id=run_id,
        artifact="model.joblib",
        description="# Breast cancer screening\n\nA scaled logistic regression on the columns "
        "of the `breast-cancer` dataset, watched by the demo's drift monitor.",
        tags={"demo": "true", "framework": "scikit-learn"},
    )
    services.models.set_alias(MODEL, 1, "champion")


def _write_windows(reference: Any, folder: Path) -> None:
    """One CSV a window: rows of v3, the first three features drifting toward v4's shift."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    folder.mkdir(parents=True, exist_ok=True)
    features = [c for c in reference.column_names if c != LABEL]
    values = {c: reference.column(c).to_numpy(zero_copy_only=False) for c in reference.column_names}
    rng = np.random.default_rng(11)
    for k, t in enumerate(DRIFT, 1):
        pick = rng.choice(reference.num_rows, size=WINDOW_ROWS, replace=True)
        columns = {c: np.asarray(values[c])[pick] for c in reference.column_names}
        for c in features[:3]:
            std = float(np.nanstd(values[c]))
            columns[c] = np.round(columns[c] * (1 + 0.3 * t) + 0.8 * t * std, 6)
        path = folder / f"window-{k:02d}.csv"
        pacsv.write_csv(pa.table(columns), path.with_suffix(".tmp"))
        path.with_suffix(".tmp").replace(path)


def _wait(services: Services, run_id: str) -> None:
    """Until the retrain job has ended (the demo build waits for its one job)."""
    from mlops_desktop.core.compute import TERMINAL_STATES

    deadline = time.monotonic() + JOB_TIMEOUT_S
    while time.monotonic() < deadline:
        services.jobs.refresh()
        if services.jobs.get(run_id).state in TERMINAL_STATES:
            return
        time.sleep(0.2)
