"""The Python read API: what a notebook asks of the runs, metrics, artifacts and models.

Shaped like MLflow's (``MlflowClient`` and ``mlflow.search_runs``)::

    from mlops_desktop import client

    runs = client.search_runs(experiment_names=["wine"], filter_string="metrics.rmse < 0.8",
                              order_by=["metrics.rmse ASC"], output_format="list")
    run = client.get_run(runs[0].info.run_id)
    points = client.get_metric_history(run.info.run_id, "rmse")
    local = client.download_artifacts(run.info.run_id, "plots", dst_path="out")

The module-level functions use one client on the default home (``MLOPS_DESKTOP_HOME``, else
the platform's user data folder); :class:`MlopsClient` takes another home or catalog.
``import mlops_desktop`` does not import this package (the tracking API stays light).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mlops_desktop.client.mlops_client import MlopsClient
from mlops_desktop.client.records import (
    ArtifactNotFoundError,
    Experiment,
    ExperimentNotFoundError,
    FileInfo,
    Metric,
    MetricNotFoundError,
    ModelVersion,
    ModelVersionNotFoundError,
    Run,
    RunData,
    RunInfo,
    RunNotFoundError,
)

__all__ = [
    "ArtifactNotFoundError",
    "Experiment",
    "ExperimentNotFoundError",
    "FileInfo",
    "Metric",
    "MetricNotFoundError",
    "MlopsClient",
    "ModelVersion",
    "ModelVersionNotFoundError",
    "Run",
    "RunData",
    "RunInfo",
    "RunNotFoundError",
    "default_client",
    "download_artifacts",
    "get_experiment_by_name",
    "get_metric_history",
    "get_model_version",
    "get_model_version_by_alias",
    "get_run",
    "list_artifacts",
    "search_experiments",
    "search_model_versions",
    "search_runs",
]

_default: MlopsClient | None = None
_default_lock = threading.Lock()


def default_client() -> MlopsClient:
    """The client the module-level functions use, on the home ``MLOPS_DESKTOP_HOME`` names
    now (a new one when that changed since the last call)."""
    global _default
    from mlops_desktop.settings import home_from

    with _default_lock:
        home = home_from(None)
        if _default is None or _default.home != home:
            if _default is not None:
                _default.close()
            _default = MlopsClient(home)
        return _default


def _pandas_installed() -> bool:
    import importlib.util

    return importlib.util.find_spec("pandas") is not None


def search_runs(
    experiment_ids: str | int | Sequence[str | int] | None = None,
    filter_string: str = "",
    run_view_type: Any = None,
    max_results: int | None = 100_000,
    order_by: str | Sequence[str] | None = None,
    output_format: str | None = None,
    *,
    experiment_names: str | Sequence[str] | None = None,
    experiment: str | Sequence[str] | None = None,
) -> Any:
    """Runs as :meth:`MlopsClient.search_runs` finds them.

    As ``mlflow.search_runs``, the answer is a pandas DataFrame by default, when pandas is
    installed; without pandas (or with ``output_format="list"``) it is a list of
    :class:`Run` records.
    """
    if output_format is None:
        output_format = "pandas" if _pandas_installed() else "list"
    return default_client().search_runs(
        experiment_ids,
        filter_string,
        run_view_type,
        max_results,
        order_by,
        experiment_names=experiment_names,
        experiment=experiment,
        output_format=output_format,
    )


def get_run(run_id: str) -> Run:
    """See :meth:`MlopsClient.get_run`."""
    return default_client().get_run(run_id)


def get_metric_history(run_id: str, key: str) -> list[Metric]:
    """See :meth:`MlopsClient.get_metric_history`."""
    return default_client().get_metric_history(run_id, key)


def list_artifacts(run_id: str, path: str | None = None) -> list[FileInfo]:
    """See :meth:`MlopsClient.list_artifacts`."""
    return default_client().list_artifacts(run_id, path)


def download_artifacts(run_id: str, path: str = "", dst_path: str | Path | None = None) -> str:
    """See :meth:`MlopsClient.download_artifacts`."""
    return default_client().download_artifacts(run_id, path, dst_path)


def get_model_version(name: str, version: str | int) -> ModelVersion:
    """See :meth:`MlopsClient.get_model_version`."""
    return default_client().get_model_version(name, version)


def get_model_version_by_alias(name: str, alias: str) -> ModelVersion:
    """See :meth:`MlopsClient.get_model_version_by_alias`."""
    return default_client().get_model_version_by_alias(name, alias)


def search_model_versions(
    filter_string: str | None = None, max_results: int | None = None
) -> list[ModelVersion]:
    """See :meth:`MlopsClient.search_model_versions`."""
    return default_client().search_model_versions(filter_string, max_results)


def get_experiment_by_name(name: str) -> Experiment | None:
    """See :meth:`MlopsClient.get_experiment_by_name`."""
    return default_client().get_experiment_by_name(name)


def search_experiments(
    filter_string: str | None = None,
    max_results: int | None = None,
    order_by: Sequence[str] | None = None,
) -> list[Experiment]:
    """See :meth:`MlopsClient.search_experiments`."""
    return default_client().search_experiments(filter_string, max_results, order_by)
