"""Building the demo catalog: datasets, real trainings, registered models, then counts.

The runs (:mod:`~mlops_desktop.demo.trainings`) use registered datasets
(:mod:`~mlops_desktop.demo.datasets`: wine and breast cancer with four versions each, digits
with one), so lineage shows; the best runs' models are registered
(:mod:`~mlops_desktop.demo.models`); a drift monitor watches a classifier, alerts and retrains
(:mod:`~mlops_desktop.demo.monitors`); a pipeline ran, ran again all cached, and a new version
of wine triggered it into a challenger waiting for approval (:mod:`~mlops_desktop.demo.pipeline`).
Building is idempotent: a marker file in the home records the demo version built; a second build
does nothing, and a home built by an older demo version only gains what is new (the datasets, the
registered models, the monitor, the pipeline).
"""

from __future__ import annotations

import json
import os
import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from mlops_desktop.demo.trainings import Progress, run_trainings
from mlops_desktop.monitoring.demo_machine import DEMO_MARKER, demo_history

if TYPE_CHECKING:
    from mlops_desktop.services.bundle import Services

MARKER = DEMO_MARKER
DEMO_VERSION = 6  # 2: datasets with versions, used by the runs; 3: models; 4: hardware history;
# 5: a drift monitor with an alert, a retrain run and its challenger; 6: a pipeline, three runs


def build_demo(
    home: Path, catalog_url: str | None = None, progress: Progress = lambda _m: None
) -> dict[str, int]:
    """Build the demo catalog in ``home`` (once) and return counts of what the catalog holds:
    {experiments, runs, datasets, models, monitors, pipelines}."""
    from mlops_desktop.services.bundle import Services

    os.environ["MLOPS_DESKTOP_HOME"] = str(home)
    marker = home / MARKER
    built = _marker_version(marker)
    with Services.open(home, catalog_url) as services:
        if built < DEMO_VERSION:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                _build_what_is_missing(services, home, built, progress)
            marker.write_text(json.dumps({"version": DEMO_VERSION}), encoding="utf-8")
        services.experiments.ingest()
        return {
            "experiments": len(services.experiments.list_experiments()),
            "runs": len(services.experiments.list_runs()),
            "datasets": len(services.datasets.list_datasets()),
            "models": len(services.models.list_models()),
            "monitors": len(services.monitors.list_monitors()),
            "pipelines": len(services.pipelines.list()),
        }


def _build_what_is_missing(services: Services, home: Path, built: int, progress: Progress) -> None:
    """Add what demo versions after ``built`` brought (everything for a new home)."""
    from mlops_desktop.demo.datasets import register_demo_datasets
    from mlops_desktop.demo.models import register_demo_models

    if built < 1:
        # datasets first, so the runs' use_dataset resolves to v3 ...
        register_demo_datasets(services.datasets, home, upto=3, progress=progress)
        run_trainings(home, progress)
    if built < 2:
        # ... and a later batch arrives after the trainings (a v1 home gets all)
        register_demo_datasets(services.datasets, home, upto=4, progress=progress)
    services.experiments.ingest()
    register_demo_models(services.experiments, services.models, progress=progress)
    if built < 4:
        progress("Recording a day of the demo machine's hardware history")
        services.hardware.store_history(demo_history(time.time()))
    if built < 5:
        from mlops_desktop.demo.monitors import build_demo_monitor

        build_demo_monitor(services, home, progress)
    if built < 6:
        from mlops_desktop.demo.pipeline import build_demo_pipeline

        build_demo_pipeline(services, home, progress)


def _marker_version(marker: Path) -> int:
    """The demo version a home was built with; 0 when never built."""
    try:
        doc = json.loads(marker.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return 0
    except (OSError, ValueError):
        return 1  # a marker we cannot read: the runs exist, do not train them again
    version = doc.get("version") if isinstance(doc, dict) else None
    return version if isinstance(version, int) else 1
