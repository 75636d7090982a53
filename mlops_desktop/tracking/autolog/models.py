"""The fitted model of an autologged training, logged as the run's ``model`` folder."""

from __future__ import annotations

import importlib
import tempfile
from pathlib import Path
from typing import Any

from mlops_desktop.tracking.autolog.session import AutologSession

MODEL_NAME = "model"
INPUT_EXAMPLE_ROWS = 5


def input_example(x: Any) -> Any:
    """The first rows of the training data (a DataFrame's, an array's, a list's)."""
    if x is None:
        return None
    head = getattr(x, "iloc", None)
    if head is not None:
        return head[:INPUT_EXAMPLE_ROWS]
    try:
        return x[:INPUT_EXAMPLE_ROWS]
    except (TypeError, IndexError, KeyError):
        return None


def log_fitted_model(session: AutologSession, model: Any, x: Any) -> None:
    """Log ``model`` into the session's run as ``model/model.joblib``."""
    joblib = importlib.import_module("joblib")
    with tempfile.TemporaryDirectory(prefix="mlops-autolog-") as tmp:
        path = Path(tmp) / "model.joblib"
        joblib.dump(model, path)
        session.run.log_artifact(path, MODEL_NAME)
