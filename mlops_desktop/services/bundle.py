"""The services on one catalog: what the GUI's composition root and the commands open."""

from __future__ import annotations

from pathlib import Path

from mlops_desktop.services.compute import JobService
from mlops_desktop.services.datasets import DatasetService
from mlops_desktop.services.experiments import ExperimentService, open_catalog
from mlops_desktop.services.models import ModelService


def open_services(home: Path, url: str | None = None) -> tuple[ExperimentService, DatasetService]:
    """An ExperimentService and a DatasetService sharing one open catalog.

    Close either (or both: disposing twice is harmless) to release the catalog's connections.
    :func:`open_all_services` also gives the ModelService.

    Raises:
        CatalogUnavailable: the catalog cannot be created, read or reached.
    """
    experiments, datasets, _models = open_all_services(home, url)
    return experiments, datasets


def open_all_services(
    home: Path, url: str | None = None
) -> tuple[ExperimentService, DatasetService, ModelService]:
    """The experiment, dataset and model services sharing one open catalog.

    Close any of them to release the catalog's connections.

    Raises:
        CatalogUnavailable: the catalog cannot be created, read or reached.
    """
    catalog = open_catalog(Path(home), url)
    home = Path(home)
    models = ModelService(catalog, home)
    return ExperimentService(catalog, home), DatasetService(catalog, home), models


def open_job_services(home: Path, url: str | None = None) -> tuple[ExperimentService, JobService]:
    """The experiment and job services sharing one open catalog (for ``launch``, ``jobs``).

    :func:`open_all_services` keeps its three services (its callers unpack three); this is
    its companion for the Compute side. Close either to release the catalog's connections.

    Raises:
        CatalogUnavailable: the catalog cannot be created, read or reached.
    """
    catalog = open_catalog(Path(home), url)
    home = Path(home)
    return ExperimentService(catalog, home), JobService(catalog, home)
