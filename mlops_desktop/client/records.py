"""What the read API hands out: plain, frozen records shaped like MLflow's entities.

A :class:`Run` has ``.info`` and ``.data`` as ``mlflow.entities.Run`` has; times are
milliseconds since the epoch and statuses upper case, as in MLflow, with the app's own lower
case spelling beside them (``info.state``). Lookups of things that do not exist raise
subclasses of :class:`LookupError` (and of the app's own error classes) with one sentence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mlops_desktop.core.errors import (
    ExperimentNotFound,
    MetricNotFound,
    ModelNotFound,
    RunNotFound,
    UserFacingError,
)

MLFLOW_STATUS = {"queued": "SCHEDULED", "running": "RUNNING", "finished": "FINISHED"}
MLFLOW_STATUS |= {"failed": "FAILED", "killed": "KILLED"}
STATE_OF_MLFLOW = {upper: lower for lower, upper in MLFLOW_STATUS.items()}


class RunNotFoundError(RunNotFound, LookupError):
    """No run has the id (or unique id prefix) asked for."""


class ExperimentNotFoundError(ExperimentNotFound, LookupError):
    """No experiment has the name or id asked for."""


class MetricNotFoundError(MetricNotFound, LookupError):
    """A run has no metric of the key asked for."""


class ModelVersionNotFoundError(ModelNotFound, LookupError):
    """No registered model, version or alias has the name asked for."""


class ArtifactNotFoundError(UserFacingError, LookupError):
    """A run has no artifact (file or folder) at the path asked for."""


def to_ms(seconds: float | None) -> int | None:
    """Seconds since the epoch as whole milliseconds (MLflow's unit); None stays None."""
    return None if seconds is None else round(seconds * 1000)


def param_text(value: Any) -> str:
    """A logged parameter as MLflow's text (MLflow stores ``str(value)``)."""
    return value if isinstance(value, str) else str(value)


@dataclass(frozen=True, slots=True)
class RunInfo:
    """A run's identity and life cycle.

    Attributes:
        status: MLflow's spelling: ``SCHEDULED``, ``RUNNING``, ``FINISHED``, ``FAILED``,
            ``KILLED``.
        state: the app's own spelling of the same: ``queued``, ``running``, ...
        start_time: milliseconds since the epoch; ``end_time`` None while running.
        artifact_uri: ``runs:/<run id>``; read the files with ``download_artifacts``.
        lifecycle_stage: ``active``, or ``deleted`` for a run in the trash.
    """

    run_id: str
    run_name: str
    experiment_id: str
    experiment_name: str
    status: str
    state: str
    start_time: int
    end_time: int | None
    artifact_uri: str
    lifecycle_stage: str = "active"
    user_id: str = ""
    target: str = "local"

    @property
    def run_uuid(self) -> str:
        """MLflow's older name of :attr:`run_id`."""
        return self.run_id


@dataclass(frozen=True, slots=True)
class RunData:
    """What a run logged: params as text (as MLflow has them), each metric's last value and
    the tags."""

    params: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Run:
    """One run: ``run.info.run_id``, ``run.data.metrics["acc"]``."""

    info: RunInfo
    data: RunData

    def to_dictionary(self) -> dict[str, Any]:
        """The run as plain data: ``{"info": {...}, "data": {...}}``."""
        return {
            "info": {name: getattr(self.info, name) for name in RunInfo.__slots__},
            "data": {
                "params": dict(self.data.params),
                "metrics": dict(self.data.metrics),
                "tags": dict(self.data.tags),
            },
        }


@dataclass(frozen=True, slots=True)
class Metric:
    """One logged point: ``timestamp`` in milliseconds since the epoch."""

    key: str
    value: float
    timestamp: int
    step: int


@dataclass(frozen=True, slots=True)
class FileInfo:
    """An artifact file, or a folder of them (``file_size`` None), by its path in the run."""

    path: str
    is_dir: bool
    file_size: int | None


@dataclass(frozen=True, slots=True)
class Experiment:
    """A named group of runs; ``experiment_id`` is text, as in MLflow."""

    experiment_id: str
    name: str
    creation_time: int
    last_update_time: int | None
    run_count: int = 0
    lifecycle_stage: str = "active"
    artifact_location: str = ""
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ModelVersion:
    """A registered model version; ``version`` is text as in MLflow, ``number`` the integer.

    Attributes:
        source: where the files came from (``run:<run id>:<artifact>`` or a path).
        files: the version's files, as :class:`FileInfo`.
    """

    name: str
    version: str
    number: int
    creation_timestamp: int
    user_id: str
    source: str
    run_id: str | None
    description: str
    tags: dict[str, str]
    aliases: list[str]
    fingerprint: str
    archived: bool
    files: list[FileInfo]
    status: str = "READY"

    @property
    def last_updated_timestamp(self) -> int:
        return self.creation_timestamp
