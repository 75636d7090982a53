"""What the MLflow store readers hand the writer: plain records, the same for both stores.

A reader (:mod:`mlflow_file_store`, :mod:`mlflow_sql_store`) implements :class:`MlflowStore`;
the writer (:mod:`mlflow_writer`) never knows which store it reads. Times are MLflow's
milliseconds since the epoch; metric batches hold one key's points in MLflow's order
(step, timestamp, value), NaN and infinities already restored.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Protocol

MAX_FLOAT = 1.7976931348623157e308  # how MLflow's SQL store keeps +-inf
RUN_STATUS_BY_NUMBER = {1: "RUNNING", 2: "SCHEDULED", 3: "FINISHED", 4: "FAILED", 5: "KILLED"}
OUR_STATUS = {"FINISHED": "finished", "FAILED": "failed", "KILLED": "killed"}
"""MLflow's run statuses in ours; RUNNING and SCHEDULED become "killed" (see the writer)."""


@dataclass(frozen=True)
class MlflowExperiment:
    id: str
    name: str
    deleted: bool = False


@dataclass(frozen=True)
class MlflowInput:
    """A dataset a run used: MLflow's dataset name and digest, and its context tag."""

    name: str
    digest: str
    context: str = ""


@dataclass
class MlflowRun:
    """One run's metadata (its metrics are streamed separately by the store)."""

    id: str
    experiment_id: str
    name: str
    status: str  # MLflow's: FINISHED, FAILED, KILLED, RUNNING, SCHEDULED
    start_time: int | None
    end_time: int | None
    deleted: bool = False
    deleted_time: int | None = None
    artifact_uri: str = ""
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    inputs: list[MlflowInput] = field(default_factory=list)
    folder: str = ""  # the run's folder in a file store


@dataclass(frozen=True)
class MetricBatch:
    """Consecutive points of one metric key of one run: steps, seconds, values."""

    key: str
    steps: array[int]
    times: array[float]
    values: array[float]


@dataclass
class MlflowModelVersion:
    version: int
    creation_time: int | None
    user: str
    description: str
    run_id: str | None
    source: str
    storage_location: str
    stage: str
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class MlflowModel:
    """A registered model with its versions, aliases (alias -> version) and tags."""

    name: str
    description: str
    tags: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, int] = field(default_factory=dict)
    versions: list[MlflowModelVersion] = field(default_factory=list)


class MlflowStore(Protocol):
    """What the writer reads from an MLflow store."""

    location: str  # the folder or file, for messages and the runs' source tag

    def experiments(self) -> list[MlflowExperiment]: ...

    def run_count(self) -> int: ...

    def runs(self) -> Iterator[MlflowRun]: ...

    def metrics(self, run: MlflowRun, imported: Mapping[str, int]) -> Iterator[MetricBatch]:
        """The run's points in order, leaving out the first ``imported[key]`` of each key."""
        ...

    def artifact_folder(self, run: MlflowRun) -> str | None:
        """The local folder of the run's artifacts, or None when they are not on this disk."""
        ...

    def models(self) -> Iterator[MlflowModel]: ...

    def close(self) -> None: ...


def local_path(uri: str) -> str | None:
    """The local path of a ``file:`` URI or a plain path; None for other schemes (s3:, ...)."""
    from urllib.parse import unquote, urlparse

    if not uri:
        return None
    if "://" not in uri and not uri.startswith("file:"):
        return uri if ":" not in uri.split("/", 1)[0] or len(uri.split(":", 1)[0]) == 1 else None
    parsed = urlparse(uri)
    if parsed.scheme != "file" or parsed.netloc not in ("", "localhost"):
        return None
    return unquote(parsed.path)
