"""The demo's pipeline: a wine classifier trained, gated and retrained by a new dataset version.

``HOME/demo-pipeline`` holds a four-stage pipeline (:mod:`~mlops_desktop.demo.pipeline_files`:
prepare, train, evaluate, register) over the newest version of the registered ``wine`` dataset
and a fixed holdout of wines measured on the reference instrument. The demo runs it three times,
all real jobs and real numbers:

1. on ``wine`` v4 (the batch measured after the instrument's recalibration): its gate passes
   with no champion yet, and the version is approved as champion;
2. again, unchanged: every stage is cached, nothing starts;
3. ``wine`` v5 is registered (the recalibration undone, merged with v3) and the trigger service
   hears it (a trigger of kind "dataset"): every stage reruns, the model scores better on the
   holdout, and the gate registers it as the challenger, waiting for a person's approval.

Idempotent: nothing happens when the catalog knows the pipeline.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from mlops_desktop.core.errors import PipelineError
from mlops_desktop.core.pipelines import PipelineRunInfo
from mlops_desktop.demo.datasets import add_corrected_version, write_table
from mlops_desktop.demo.pipeline_files import (
    DATASET,
    HOLDOUT,
    LABEL,
    PIPELINE_NAME,
    write_pipeline_folder,
)
from mlops_desktop.demo.sklearn_data import column_names

if TYPE_CHECKING:
    from mlops_desktop.services.bundle import Services

PIPELINE_DIR = "demo-pipeline"
HOLDOUT_ROWS = 60
HOLDOUT_NOISE = 0.03  # a new measurement of each wine: 3 % relative noise
RUN_TIMEOUT_S = 180.0


def build_demo_pipeline(
    services: Services, home: Path, progress: Callable[[str], None] = lambda _m: None
) -> list[PipelineRunInfo]:
    """Write the pipeline folder and make its three runs (once); the runs, oldest first."""
    if any(p.name == PIPELINE_NAME for p in services.pipelines.list()):
        return []
    folder = home / PIPELINE_DIR
    write_pipeline_folder(folder, sys.executable)
    write_holdout(folder / HOLDOUT)
    progress(f"pipeline {PIPELINE_NAME}: first run")
    first = _ended(services.pipelines.run(folder), "done")
    services.pipelines.approve(first.run_id)
    progress(f"pipeline {PIPELINE_NAME}: second run (nothing changed)")
    second = _ended(services.pipelines.run(folder), "done")
    progress(f"dataset {DATASET}: a new version, which triggers {PIPELINE_NAME}")
    number = add_corrected_version(services.datasets, home, DATASET)
    fired = services.triggers.on_dataset_version(DATASET, number)
    started = [e.pipeline_run_id for e in fired if e.pipeline == PIPELINE_NAME]
    if not started or started[0] is None:
        raise PipelineError(
            f"wine v{number} did not start pipeline {PIPELINE_NAME}: "
            + "; ".join(e.outcome for e in fired)
        )
    third = _ended(_wait(services, started[0]), "done")
    return [first, second, third]


def write_holdout(path: Path) -> None:
    """Wines measured again on the reference instrument (seeded): the evaluation's rows."""
    from sklearn import datasets

    bunch = datasets.load_wine()
    x, y = np.asarray(bunch.data, dtype=float), np.asarray(bunch.target)
    rng = np.random.default_rng(13)
    pick = rng.choice(len(x), size=HOLDOUT_ROWS, replace=False)
    measured = x[pick] * (1.0 + rng.normal(0, HOLDOUT_NOISE, size=(HOLDOUT_ROWS, x.shape[1])))
    names = column_names(bunch.feature_names)
    write_table(path, {**{n: measured[:, i] for i, n in enumerate(names)}, LABEL: y[pick]})


def _wait(services: Services, run_id: str) -> PipelineRunInfo:
    """The pipeline run once it has ended (a trigger may start it in the background)."""
    deadline = time.monotonic() + RUN_TIMEOUT_S
    run = services.pipelines.show(run_id)
    while run.state == "running" and time.monotonic() < deadline:
        time.sleep(0.2)
        run = services.pipelines.show(run_id)
    return run


def _ended(run: PipelineRunInfo, wanted: str) -> PipelineRunInfo:
    """The run, which must have ended ``wanted`` (else the demo stops, saying why)."""
    if run.state != wanted:
        failed = [f"{s.stage}: {s.detail}" for s in run.stages if s.state == "failed"]
        raise PipelineError(
            f"The demo pipeline's run {run.run_id[:12]} ended {run.state}, not {wanted}"
            + (f" ({'; '.join(failed)})" if failed else "")
            + "."
        )
    return run
