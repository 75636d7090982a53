"""MLOps Desktop: a desktop workbench for the whole machine-learning life cycle.

The package itself exposes the tracking API a training script uses::

    import mlops_desktop as mlops

    with mlops.start_run(experiment="digits", params={"lr": 0.01}) as run:
        run.log_metric("loss", 0.42, step=1)

It imports only :mod:`mlops_desktop.tracking` (standard library only), so it can be shipped
to SSH hosts and Slurm nodes without the app's dependencies.
"""

from __future__ import annotations

from mlops_desktop.tracking import Run, active_run, start_run
from mlops_desktop.tracking.datasets_manifest import dataset_path
from mlops_desktop.tracking.predictions import log_predictions

__version__ = "0.1.0"

__all__ = ["Run", "__version__", "active_run", "dataset_path", "log_predictions", "start_run"]
