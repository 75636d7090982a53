"""A model's input signature (column names and types) from an input example file."""

from __future__ import annotations

from pathlib import Path

from mlops_desktop.core.errors import DatasetError
from mlops_desktop.datasets.readers import table_format
from mlops_desktop.datasets.tables import preview_table


def signature_from_file(path: Path) -> list[tuple[str, str]]:
    """(column, type) pairs of a CSV, Parquet, JSON Lines or ``.npy`` example.

    Returns ``[]`` for a format that is not a table or a file that cannot be read.
    """
    path = Path(path)
    if table_format(path) is None or not path.is_file():
        return []
    try:
        preview = preview_table(path, path.name, rows=5)
    except (DatasetError, OSError, ValueError):
        return []
    return list(zip(preview.columns, preview.types, strict=False))
