"""Both services on one catalog: what the GUI's composition root and the commands open."""

from __future__ import annotations

from pathlib import Path

from mlops_desktop.services.datasets import DatasetService
from mlops_desktop.services.experiments import ExperimentService, open_catalog


def open_services(home: Path, url: str | None = None) -> tuple[ExperimentService, DatasetService]:
    """An ExperimentService and a DatasetService sharing one open catalog.

    Close either (or both: disposing twice is harmless) to release the catalog's connections.

    Raises:
        CatalogUnavailable: the catalog cannot be created, read or reached.
    """
    catalog = open_catalog(Path(home), url)
    return ExperimentService(catalog, Path(home)), DatasetService(catalog, Path(home))
