"""What autologging adds to a fit: ``python tests/benchmarks/bench_autolog.py``.

Times ``LogisticRegression().fit`` on a small (iris, 150 x 4) and a medium
(``make_classification``, 20,000 x 20) dataset, median seconds per fit:

* ``plain``: no autologging;
* ``no model``: autologged with ``log_models=False`` into one run the script started (params,
  tags and 7 training metrics);
* ``into run``: the same with the model folder (``MLmodel``, joblib file, signature): what
  autologging itself costs (``overhead`` = this minus ``plain``);
* ``own runs``: autologged with no run active, so each fit starts and ends a run of its own
  (MLflow's default; adds the run's start, environment capture and end).

Options: ``--fits N`` fits per case (default 10; the medium dataset uses a third of them),
``--home DIR`` (default: a temp folder). BLAS runs on one thread unless
``OPENBLAS_NUM_THREADS`` / ``OMP_NUM_THREADS`` say otherwise (on a busy 2-core machine, threads
make a 150-row fit take seconds).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any


def _median_fit_s(fit: Callable[[], Any], fits: int) -> float:
    times = []
    for _ in range(fits):
        start = time.perf_counter()
        fit()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fits", type=int, default=10)
    parser.add_argument("--home", default=None)
    args = parser.parse_args(argv)
    home = args.home or tempfile.mkdtemp(prefix="mlops-bench-autolog-")
    os.environ["MLOPS_DESKTOP_HOME"] = home
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):  # small fits: threads only contend
        os.environ.setdefault(name, "1")

    import warnings

    from sklearn.datasets import load_iris, make_classification
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression

    import mlops_desktop as mlops

    warnings.simplefilter("ignore", ConvergenceWarning)
    datasets = {
        "small (iris 150x4)": (load_iris(return_X_y=True), args.fits),
        "medium (20000x20)": (
            make_classification(n_samples=20_000, n_features=20, random_state=0),
            max(1, args.fits // 3),
        ),
    }
    print(f"home: {home}")
    print(
        f"{'dataset':<20} {'plain s':>9} {'no model s':>11} {'into run s':>11} "
        f"{'own runs s':>11} {'overhead':>9} {'own-run cost':>13}"
    )
    for label, ((x, y), fits) in datasets.items():

        def fit(x: Any = x, y: Any = y) -> None:
            LogisticRegression(max_iter=200).fit(x, y)

        mlops.autolog(disable=True)
        plain = _median_fit_s(fit, fits)
        mlops.autolog(log_models=False)
        with mlops.start_run(experiment="bench-autolog", run_name=f"no-model {label}"):
            no_model = _median_fit_s(fit, fits)
        mlops.autolog()
        with mlops.start_run(experiment="bench-autolog", run_name=f"into-run {label}"):
            into_run = _median_fit_s(fit, fits)
        mlops.set_experiment("bench-autolog")
        own_runs = _median_fit_s(fit, fits)
        mlops.autolog(disable=True)
        print(
            f"{label:<20} {plain:>9.4f} {no_model:>11.4f} {into_run:>11.4f} {own_runs:>11.4f} "
            f"{into_run - plain:>+8.4f}s {own_runs - plain:>+12.4f}s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
