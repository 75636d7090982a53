"""Names of everything the command palette finds, one light query per kind (no details)."""

from __future__ import annotations

from pathlib import PurePath

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mlops_desktop.catalog.dataset_schema import DatasetRow, DatasetVersionRow
from mlops_desktop.catalog.model_schema import ModelAliasRow, ModelRow, ModelVersionRow
from mlops_desktop.catalog.monitor_schema import MonitorRow
from mlops_desktop.catalog.pipeline_schema import PipelineRow
from mlops_desktop.catalog.schema import ExperimentRow, RunRow
from mlops_desktop.core import palette as p
from mlops_desktop.core.palette import PaletteEntry
from mlops_desktop.core.plural import count_noun


def catalog_entries(s: Session) -> list[PaletteEntry]:
    """Experiments, runs (newest first, not in the trash), datasets, models with their
    versions and aliases, monitors and pipelines."""
    return [
        *experiment_entries(s),
        *run_entries(s),
        *dataset_entries(s),
        *model_entries(s),
        *monitor_entries(s),
        *pipeline_entries(s),
    ]


def experiment_entries(s: Session) -> list[PaletteEntry]:
    rows = s.execute(select(ExperimentRow.name).order_by(ExperimentRow.name))
    return [PaletteEntry(p.EXPERIMENT, name, "", name) for (name,) in rows]


def run_entries(s: Session) -> list[PaletteEntry]:
    query = (
        select(RunRow.id, RunRow.name, RunRow.status, ExperimentRow.name)
        .join(ExperimentRow, ExperimentRow.id == RunRow.experiment_id)
        .where(RunRow.deleted_at.is_(None))
        .order_by(RunRow.started_at.desc())
    )
    return [
        PaletteEntry(p.RUN, name or run_id[:8], f"{experiment} · {status}", run_id)
        for run_id, name, status, experiment in s.execute(query)
    ]


def dataset_entries(s: Session) -> list[PaletteEntry]:
    query = (
        select(DatasetRow.name, func.max(DatasetVersionRow.number), func.count())
        .join(DatasetVersionRow, DatasetVersionRow.dataset_id == DatasetRow.id, isouter=True)
        .group_by(DatasetRow.name)
        .order_by(DatasetRow.name)
    )
    entries = []
    for name, latest, versions in s.execute(query):
        detail = f"v{latest} · {versions} versions" if latest is not None else "no version"
        entries.append(PaletteEntry(p.DATASET, name, detail, name))
    return entries


def model_entries(s: Session) -> list[PaletteEntry]:
    """Each model, then its versions (newest first), then its aliases."""
    versions: dict[str, list[tuple[int, bool]]] = {}
    query = (
        select(ModelRow.name, ModelVersionRow.number, ModelVersionRow.archived)
        .join(ModelVersionRow, ModelVersionRow.model_id == ModelRow.id, isouter=True)
        .order_by(ModelRow.name, ModelVersionRow.number.desc())
    )
    for name, number, archived in s.execute(query):
        listed = versions.setdefault(name, [])
        if number is not None:
            listed.append((number, bool(archived)))
    aliases = s.execute(
        select(ModelRow.name, ModelAliasRow.alias, ModelVersionRow.number)
        .join(ModelAliasRow, ModelAliasRow.model_id == ModelRow.id)
        .join(ModelVersionRow, ModelVersionRow.id == ModelAliasRow.version_id)
        .order_by(ModelRow.name, ModelAliasRow.alias)
    ).all()
    entries = []
    for name, numbers in versions.items():
        newest = f"v{numbers[0][0]} · {len(numbers)} versions" if numbers else "no version"
        entries.append(PaletteEntry(p.MODEL, name, newest, name))
        for number, archived in numbers:
            detail = f"{name} version {number}" + (" · archived" if archived else "")
            entries.append(
                PaletteEntry(p.MODEL_VERSION, f"{name} v{number}", detail, name, str(number))
            )
    for name, alias, number in aliases:
        entries.append(
            PaletteEntry(p.MODEL_ALIAS, f"{name}@{alias}", f"→ v{number}", name, str(number))
        )
    return entries


def monitor_entries(s: Session) -> list[PaletteEntry]:
    rows = s.execute(select(MonitorRow.name, MonitorRow.target).order_by(MonitorRow.name))
    return [PaletteEntry(p.MONITOR, name, target, name) for name, target in rows]


def pipeline_entries(s: Session) -> list[PaletteEntry]:
    rows = s.execute(
        select(PipelineRow.name, PipelineRow.path, PipelineRow.stages).order_by(PipelineRow.name)
    )
    entries = []
    for name, path, stages in rows:
        detail = f"{PurePath(path).name} · {count_noun(stages, 'stage')}"
        entries.append(PaletteEntry(p.PIPELINE, name, detail, name))
    return entries
