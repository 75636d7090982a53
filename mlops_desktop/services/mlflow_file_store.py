"""Reading an MLflow file store (an ``mlruns`` folder) without MLflow.

Layout: ``EXP/meta.yaml`` per experiment (deleted ones under ``.trash/``), ``EXP/RUN/meta.yaml``
with ``params/``, ``tags/``, ``metrics/`` (a file per key; keys with ``/`` are subfolders),
``artifacts/`` and ``inputs/ID/meta.yaml`` pointing at ``EXP/datasets/ID/meta.yaml``;
``models/NAME/`` is the model registry (``meta.yaml``, ``tags/``, ``aliases/``,
``version-N/meta.yaml`` and ``version-N/tags/``). A metric file holds one point per line in one
of three forms: ``ts value``, ``ts value step``, or ``ts value step dataset_name
dataset_digest`` (MLflow's own reader takes step 0 for that last form; the step written is
kept here). Points are read in file order, which is the order they were logged, in batches.
"""

from __future__ import annotations

import os
from array import array
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from mlops_desktop.services.mlflow_records import (
    RUN_STATUS_BY_NUMBER,
    MetricBatch,
    MlflowExperiment,
    MlflowInput,
    MlflowModel,
    MlflowModelVersion,
    MlflowRun,
    local_path,
)
from mlops_desktop.services.mlflow_yaml import YamlError, parse_yaml

BATCH_LINES = 50_000
_NOT_EXPERIMENTS = {".trash", "models", ".mlflow"}


def is_file_store(folder: Path) -> bool:
    """Whether ``folder`` looks like an ``mlruns`` folder (an experiment's meta.yaml in it)."""
    try:
        return (
            any(
                (entry / "meta.yaml").is_file() and entry.name not in _NOT_EXPERIMENTS
                for entry in folder.iterdir()
                if entry.is_dir()
            )
            or (folder / "models").is_dir()
        )
    except OSError:
        return False


def _read_meta(path: Path) -> dict[str, Any]:
    try:
        return parse_yaml(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, YamlError):
        return {}


def _files_under(folder: Path) -> dict[str, str]:
    """{relative posix name: file content} of the files under ``folder`` (params, tags)."""
    found: dict[str, str] = {}
    if not folder.is_dir():
        return found
    for root, _dirs, files in os.walk(folder):
        for name in files:
            path = Path(root) / name
            try:
                found[path.relative_to(folder).as_posix()] = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
    return found


def _int(value: Any) -> int | None:
    try:
        return None if value is None else int(str(value))
    except ValueError:
        return None


class MlflowFileStore:
    """An ``mlruns`` folder."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.location = str(root)
        self.problems: list[str] = []
        self._experiments: list[tuple[MlflowExperiment, Path]] | None = None

    def close(self) -> None:
        """Nothing to close: files are opened one at a time."""

    def _experiment_folders(self) -> list[tuple[MlflowExperiment, Path]]:
        if self._experiments is None:
            found = []
            for parent, deleted in ((self.root, False), (self.root / ".trash", True)):
                if not parent.is_dir():
                    continue
                for entry in sorted(parent.iterdir()):
                    if entry.name in _NOT_EXPERIMENTS or not (entry / "meta.yaml").is_file():
                        continue
                    meta = _read_meta(entry / "meta.yaml")
                    name = str(meta.get("name") or entry.name)
                    stage_deleted = meta.get("lifecycle_stage") == "deleted"
                    exp = MlflowExperiment(entry.name, name, deleted or stage_deleted)
                    found.append((exp, entry))
            self._experiments = found
        return self._experiments

    def experiments(self) -> list[MlflowExperiment]:
        return [exp for exp, _ in self._experiment_folders()]

    def _run_folders(self) -> Iterator[tuple[MlflowExperiment, Path]]:
        for exp, folder in self._experiment_folders():
            for entry in sorted(folder.iterdir()):
                if entry.name != "datasets" and (entry / "meta.yaml").is_file():
                    yield exp, entry

    def run_count(self) -> int:
        return sum(1 for _ in self._run_folders())

    def runs(self) -> Iterator[MlflowRun]:
        for exp, folder in self._run_folders():
            meta = _read_meta(folder / "meta.yaml")
            run_id = str(meta.get("run_id") or meta.get("run_uuid") or folder.name)
            status = meta.get("status")
            number = _int(status)
            tags = _files_under(folder / "tags")
            run = MlflowRun(
                id=run_id,
                experiment_id=exp.id,
                name=str(meta.get("run_name") or tags.get("mlflow.runName") or ""),
                status=RUN_STATUS_BY_NUMBER.get(number or 0, str(status or "FINISHED")),
                start_time=_int(meta.get("start_time")),
                end_time=_int(meta.get("end_time")),
                deleted=exp.deleted or meta.get("lifecycle_stage") == "deleted",
                deleted_time=_int(meta.get("deleted_time")),
                artifact_uri=str(meta.get("artifact_uri") or ""),
                params=_files_under(folder / "params"),
                tags=tags,
                inputs=self._inputs(folder),
                folder=str(folder),
            )
            yield run

    def _inputs(self, run_folder: Path) -> list[MlflowInput]:
        inputs_dir = run_folder / "inputs"
        if not inputs_dir.is_dir():
            return []
        found = []
        for entry in sorted(inputs_dir.iterdir()):
            meta = _read_meta(entry / "meta.yaml")
            if meta.get("source_type") != "DATASET":
                continue
            datasets = run_folder.parent / "datasets"
            dataset = _read_meta(datasets / str(meta.get("source_id")) / "meta.yaml")
            if not dataset:
                continue
            tags = meta.get("tags") if isinstance(meta.get("tags"), dict) else {}
            context = str(tags.get("mlflow.data.context") or "")
            name, digest = str(dataset.get("name") or ""), str(dataset.get("digest") or "")
            found.append(MlflowInput(name, digest, context))
        return sorted(found, key=lambda i: (i.name, i.digest))

    def metrics(self, run: MlflowRun, imported: Mapping[str, int]) -> Iterator[MetricBatch]:
        folder = Path(run.folder) / "metrics"
        if not folder.is_dir():
            return
        for root, _dirs, files in sorted(os.walk(folder)):
            for name in sorted(files):
                path = Path(root) / name
                key = path.relative_to(folder).as_posix()
                yield from self._metric_file(path, key, imported.get(key, 0))

    def _metric_file(self, path: Path, key: str, skip: int) -> Iterator[MetricBatch]:
        steps: array[int] = array("q")
        times: array[float] = array("d")
        values: array[float] = array("d")
        try:
            with open(path, encoding="utf-8", errors="replace") as fh:
                for number, line in enumerate(fh, 1):
                    parts = line.split()
                    if not parts:
                        continue
                    try:
                        ts, value = int(parts[0]), float(parts[1])
                        step = int(parts[2]) if len(parts) >= 3 else 0
                    except (ValueError, IndexError):
                        self.problems.append(
                            f"{path} line {number} is not a metric point and was skipped."
                        )
                        continue
                    if skip:
                        skip -= 1
                        continue
                    steps.append(step)
                    times.append(ts / 1000.0)
                    values.append(value)
                    if len(values) >= BATCH_LINES:
                        yield MetricBatch(key, steps, times, values)
                        steps, times, values = array("q"), array("d"), array("d")
        except OSError as exc:
            self.problems.append(f"{path} cannot be read ({exc.strerror}) and was skipped.")
        if values:
            yield MetricBatch(key, steps, times, values)

    def artifact_folder(self, run: MlflowRun) -> str | None:
        path = local_path(run.artifact_uri)
        if path is not None and Path(path).is_dir():
            return path
        here = Path(run.folder) / "artifacts"
        return str(here) if here.is_dir() else None  # the store was moved since

    def models(self) -> Iterator[MlflowModel]:
        registry = self.root / "models"
        if not registry.is_dir():
            return
        for folder in sorted(registry.iterdir()):
            meta = _read_meta(folder / "meta.yaml")
            if not meta:
                continue
            model = MlflowModel(
                name=str(meta.get("name") or folder.name),
                description=str(meta.get("description") or ""),
                tags=_files_under(folder / "tags"),
            )
            aliases = meta.get("aliases") if isinstance(meta.get("aliases"), dict) else {}
            aliases = {**_files_under(folder / "aliases"), **aliases}
            model.aliases = {
                str(a): v for a, v in ((a, _int(str(v).strip())) for a, v in aliases.items()) if v
            }
            for entry in sorted(folder.glob("version-*")):
                vmeta = _read_meta(entry / "meta.yaml")
                number = _int(vmeta.get("version"))
                if number is None:
                    continue
                model.versions.append(
                    MlflowModelVersion(
                        version=number,
                        creation_time=_int(vmeta.get("creation_timestamp")),
                        user=str(vmeta.get("user_id") or ""),
                        description=str(vmeta.get("description") or ""),
                        run_id=str(vmeta["run_id"]) if vmeta.get("run_id") else None,
                        source=str(vmeta.get("source") or ""),
                        storage_location=str(vmeta.get("storage_location") or ""),
                        stage=str(vmeta.get("current_stage") or ""),
                        tags=_files_under(entry / "tags"),
                    )
                )
            model.versions.sort(key=lambda v: v.version)
            yield model
