"""The training-side tracking client: standard library only, so it ships to any host.

``start_run`` returns a :class:`Run` that buffers what a script logs and writes it to the
run's spool from a background thread; see :mod:`mlops_desktop.tracking.spool` for the format.
The module-level functions (:mod:`mlops_desktop.tracking.fluent`) are MLflow's.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the names below are imported on first use (see __getattr__)
    from mlops_desktop.tracking.fluent import (
        Experiment,
        active_run,
        end_run,
        log_artifact,
        log_artifacts,
        log_dict,
        log_metric,
        log_metrics,
        log_model,
        log_param,
        log_params,
        log_text,
        set_experiment,
        set_tag,
        set_tags,
        start_run,
    )
    from mlops_desktop.tracking.run import Run


def __getattr__(name: str) -> Any:
    """The public names, imported on first use, so that a light module of this package
    (``tracking.home``, say) is imported without the whole client."""
    if name not in __all__:
        raise AttributeError(f"module 'mlops_desktop.tracking' has no attribute {name!r}")
    module = importlib.import_module(
        "mlops_desktop.tracking.run" if name == "Run" else "mlops_desktop.tracking.fluent"
    )
    value = getattr(module, name)
    globals()[name] = value  # the next use is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__all__ = [
    "Experiment",
    "Run",
    "active_run",
    "end_run",
    "log_artifact",
    "log_artifacts",
    "log_dict",
    "log_metric",
    "log_metrics",
    "log_model",
    "log_param",
    "log_params",
    "log_text",
    "set_experiment",
    "set_tag",
    "set_tags",
    "start_run",
]
