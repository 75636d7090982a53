"""Opening a catalog: the one place that creates, migrates and hands out a :class:`Catalog`,
and the base of the services that work on one."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from mlops_desktop.catalog.engine import Catalog, catalog_url_for, make_engine, translate_errors
from mlops_desktop.catalog.migrate import ensure_schema
from mlops_desktop.core.errors import CatalogUnavailable


def open_catalog(home: Path, catalog_url: str | None = None) -> Catalog:
    """Open the catalog of ``home`` (or ``catalog_url``), creating or migrating its schema.

    Raises:
        CatalogUnavailable: the catalog cannot be created, read or reached.
    """
    url = catalog_url_for(Path(home), catalog_url)
    if url.get_backend_name() == "sqlite" and not catalog_url:
        try:
            Path(home).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CatalogUnavailable(
                f"The app's home {home} cannot be created ({exc}). "
                "Choose another home with --home or MLOPS_DESKTOP_HOME."
            ) from exc
    catalog = Catalog(make_engine(url))
    try:
        with translate_errors():
            ensure_schema(catalog)
    except BaseException:
        catalog.dispose()
        raise
    return catalog


_Service = TypeVar("_Service", bound="CatalogService")


class CatalogService:
    """A facade over one catalog and the app's home; the GUI and the commands call its
    subclasses (experiments, datasets, models, jobs).

    Attributes:
        catalog: the open catalog (shared with the other services of a bundle).
        home: the app's home (spools, artifact and snapshot stores, job folders).
    """

    def __init__(self, catalog: Catalog, home: Path) -> None:
        self.catalog = catalog
        self.home = Path(home)

    @classmethod
    def open(cls: type[_Service], home: Path, catalog_url: str | None = None) -> _Service:
        """Open (creating and migrating if needed) the catalog of ``home`` or ``catalog_url``.

        Raises:
            CatalogUnavailable: the catalog cannot be created, read or reached.
        """
        return cls(open_catalog(home, catalog_url), home)

    def close(self) -> None:
        """Dispose of the catalog's connections."""
        self.catalog.dispose()
