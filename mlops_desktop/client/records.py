"""What the read API hands out: plain, frozen records shaped like MLflow's entities.

A :class:`Run` has ``.info`` and ``.data`` as ``mlflow.entities.Run`` has; times are
milliseconds since the epoch and statuses upper case, as in MLflow, with the app's own lower
case spelling beside them (``info.state``). Lookups of things that do not exist raise
subclasses of :class:`LookupError` (and of the app's own error classes) with one sentence.
Runs and metric points are plain (not frozen) records, quicker to make by the 100,000; they
are copies: changing one changes nothing stored.
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
from mlops_desktop.core.runs import RunSummary

RUN_NAME_TAG = "mlflow.runName"
PARENT_TAG = "mlops.parent_run_id"
MLFLOW_PARENT_TAG = "mlflow.parentRunId"
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


@dataclass(slots=True)
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


@dataclass(slots=True)
class RunData:
    """What a run logged: params as text (as MLflow has them), each metric's last value and
    the tags."""

    params: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)


class Run:
    """One run: ``run.info.run_id``, ``run.data.metrics["acc"]``.

    A run found by a search keeps the listing's row and makes ``info`` and ``data`` when first
    read, so that a search of 10,000 runs costs little more than the listing.
    """

    __slots__ = ("_data", "_deleted", "_experiment_id", "_info", "_summary")

    def __init__(self, info: RunInfo, data: RunData) -> None:
        self._info: RunInfo | None = info
        self._data: RunData | None = data
        self._summary: RunSummary | None = None
        self._experiment_id = info.experiment_id
        self._deleted = info.lifecycle_stage == "deleted"

    @classmethod
    def of_summary(cls, summary: RunSummary, experiment_id: str, deleted: bool = False) -> Run:
        """The record of a listed run (``info`` and ``data`` made when first read)."""
        run = cls.__new__(cls)
        run._info = run._data = None
        run._summary, run._experiment_id, run._deleted = summary, experiment_id, deleted
        return run

    @property
    def info(self) -> RunInfo:
        if self._info is None:
            assert self._summary is not None
            self._info = _info_of(self._summary, self._experiment_id, self._deleted, self.data)
        return self._info

    @property
    def data(self) -> RunData:
        if self._data is None:
            assert self._summary is not None
            self._data = _data_of(self._summary)
        return self._data

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Run):
            return NotImplemented
        return (self.info, self.data) == (other.info, other.data)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Run(info={self.info!r}, data={self.data!r})"

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


def _data_of(summary: RunSummary) -> RunData:
    """What a run logged, as MLflow has it: params as text, the run's name and parent also as
    MLflow's tags ``mlflow.runName`` and ``mlflow.parentRunId``."""
    tags = dict(summary.tags)
    if summary.name and RUN_NAME_TAG not in tags:
        tags[RUN_NAME_TAG] = summary.name
    parent = tags.get(PARENT_TAG)
    if parent and MLFLOW_PARENT_TAG not in tags:
        tags[MLFLOW_PARENT_TAG] = parent
    params = {k: v if type(v) is str else param_text(v) for k, v in summary.params.items()}
    return RunData(params, dict(summary.metrics), tags)


def _info_of(summary: RunSummary, experiment_id: str, deleted: bool, data: RunData) -> RunInfo:
    status = summary.status
    return RunInfo(
        summary.id,
        summary.name,
        experiment_id,
        summary.experiment,
        MLFLOW_STATUS.get(status) or status.upper(),
        status,
        to_ms(summary.started_at) or 0,
        to_ms(summary.ended_at),
        "runs:/" + summary.id,
        "deleted" if deleted else "active",
        data.tags.get("mlflow.user") or summary.user or "",
        summary.target,
    )


@dataclass(slots=True)
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
