"""Opening a catalog: the one place that creates, migrates and hands out a :class:`Catalog`."""

from __future__ import annotations

from pathlib import Path

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
