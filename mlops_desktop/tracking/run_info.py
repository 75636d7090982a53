"""MLflow's ``run.info`` and ``run.data`` for a run of this process, and the param rule."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class RunInfo:
    """MLflow's ``run.info``: ``run.info.run_id`` is :attr:`Run.id`; ``status`` is in
    MLflow's spelling ("RUNNING", "FINISHED", "FAILED", "KILLED"); times are milliseconds.

    ``experiment_id`` is the experiment's name (which every function taking an experiment id
    accepts) and ``artifact_uri`` is ``runs:/<run id>``: artifacts are content-addressed in
    the home's store, not in a folder of the run.
    """

    run_id: str
    run_name: str
    experiment_id: str
    status: str
    start_time: int | None = None
    end_time: int | None = None
    artifact_uri: str = ""
    lifecycle_stage: str = "active"
    user_id: str = ""

    @property
    def run_uuid(self) -> str:
        """MLflow's older name of :attr:`run_id`."""
        return self.run_id


@dataclass(frozen=True)
class RunData:
    """MLflow's ``run.data``: what this process logged to the run (params and tags as
    strings, each metric's last value)."""

    params: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)


def artifact_uri(run_id: str, artifact_path: str | None = None) -> str:
    """``runs:/<run id>[/<artifact path>]``, MLflow's reference to a run's artifact."""
    base = f"runs:/{run_id}"
    path = (artifact_path or "").strip("/")
    return f"{base}/{path}" if path else base


def param_text(value: Any) -> str:
    """A param value as MLflow stores it (a string), for comparing two loggings."""
    return str(value)


def changed_param_message(run_id: str, key: str, old: Any, new: Any) -> str:
    """MLflow's message for logging a param again with another value."""
    return (
        f"Changing param values is not allowed. Param with key='{key}' was already logged "
        f"with value='{param_text(old)}' for run ID='{run_id}'. Attempted logging new value "
        f"'{param_text(new)}'."
    )
