"""Running an autologged training script in a fresh interpreter, and reading back its runs.

Autologging patches classes process-wide, so each script runs in a subprocess of its own with
the test's temp home; what it prints last (one JSON line) comes back with the catalog's runs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from mlops_desktop.core.runs import RunSummary
from mlops_desktop.services.experiments import ExperimentService


def run_script(script: str, home: Path, *, timeout: float = 240, **env: str) -> Any:
    """Run ``script`` with ``home`` as the app home; the JSON of its last line of stdout."""
    environment = {
        **os.environ,
        "MLOPS_DESKTOP_HOME": str(home),
        "MLOPS_DESKTOP_SYSTEM_METRICS": "0",
        **env,
    }
    done = subprocess.run(
        [sys.executable, "-c", script],
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    lines = done.stdout.strip().splitlines()
    return json.loads(lines[-1]) if lines else None


def catalog_runs(home: Path) -> tuple[ExperimentService, list[RunSummary]]:
    """The service on ``home`` (close it) and every run in it, after ingesting the spools."""
    svc = ExperimentService.open(home)
    svc.ingest()
    return svc, svc.list_runs()
