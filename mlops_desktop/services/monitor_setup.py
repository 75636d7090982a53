"""A new monitor's reference: found from a model's lineage, a dataset version or a file,
read, planned column by column (the label column is never a drift column; the prediction
column is, as prediction drift) and summarised once."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from mlops_desktop.core.drift import ColumnPlan
from mlops_desktop.core.errors import DriftError, MonitorError

if TYPE_CHECKING:
    from mlops_desktop.services.monitors import MonitorService


def _model_reference(service: MonitorService, model: str) -> tuple[str, str]:
    """("model:NAME@REF", "dataset@vN") from the model version's source run."""
    from mlops_desktop.services.models import ModelService

    card = ModelService(service.catalog, service.home).card(model)
    target = f"model:{model}"
    for d in card.datasets:
        if d.get("version"):
            return target, f"{d['name']}@{d['version']}"
    raise MonitorError(
        f"{model} has no dataset version in its lineage; give the reference with --reference."
    )


def resolve_reference(
    service: MonitorService, model: str | None, reference: str | None
) -> tuple[str, str, pa.Table]:
    """(target, reference label, reference table).

    Raises:
        MonitorError: no reference, or it cannot be read.
    """
    from mlops_desktop.services.monitor_tables import dataset_version_table, read_file

    target = ""
    if model and reference:  # a model whose lineage names no dataset version may be watched
        from mlops_desktop.services.models import ModelService

        ModelService(service.catalog, service.home).get(model)  # an unknown one: its sentence
        target = f"model:{model}"
    elif model:
        target, reference = _model_reference(service, model)
    if not reference:
        raise MonitorError("Give a reference: --model MODEL_REF or --reference DATASET_REF|FILE.")
    path = Path(reference).expanduser()
    table: pa.Table | None
    if path.is_file():
        label = str(path.resolve())
        table, problem = read_file(path)
    else:
        name, _, version = reference.partition("@")
        service.datasets.versions(name)  # raises DatasetNotFound with its sentence
        table, problem = dataset_version_table(service.datasets, name, version or None)
        label = f"{name}@{service.datasets.get_version(name, version or None).version}"
        target = target or f"dataset:{name}"
    if table is None:
        raise MonitorError(problem or f"The reference {reference} cannot be read.")
    return target or f"file:{label}", label, table


def plan_reference(
    table: pa.Table, methods: dict[str, str] | None, label_column: str | None
) -> tuple[tuple[ColumnPlan, ...], str]:
    """The frozen column plans and the summary's JSON text."""
    from mlops_desktop.monitoring import drift
    from mlops_desktop.services.monitor_tables import as_drift_table

    columns = [c for c in table.column_names if c != label_column]
    unknown = sorted(set(methods or {}) - set(columns))
    if unknown:
        raise MonitorError(f"The reference has no column {', '.join(unknown)} to set a method for.")
    if not columns:
        raise MonitorError("The reference has no column to watch besides the label.")
    try:
        ref = as_drift_table(table)
        plans = drift.plan_columns(ref, methods=methods or None, columns=columns)
        summary: Any = drift.summarize(ref, plans).to_json()
    except DriftError as e:
        raise MonitorError(str(e)) from e
    except ValueError as e:
        raise MonitorError(f"The reference cannot be summarised: {e}") from e
    if isinstance(summary, bytes):
        summary = summary.decode()
    return tuple(plans), str(summary)
