"""DatasetService: register, version, diff, profile, preview and restore datasets.

CONTRACT written first so the GUI, the command line and the catalog can be built in parallel;
the implementer replaces the bodies and keeps the signatures (adding methods is fine).
Every method is synchronous and may be slow: the GUI calls them on worker threads only.
``progress(done, total, message)`` and ``cancelled()`` let long work report and stop.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from mlops_desktop.core.datasets import (
    AddResult,
    DatasetDiff,
    DatasetSummary,
    DatasetUse,
    DatasetVersion,
    ManifestEntry,
    TablePreview,
    TableProfile,
)

Progress = Callable[[int, int, str], None]
Cancelled = Callable[[], bool]


class DatasetService:
    """Facade over the catalog and the dataset engine for the Datasets pane and ``data``."""

    def __init__(self, catalog: object, home: Path) -> None:
        raise NotImplementedError

    @classmethod
    def open(cls, home: Path, catalog_url: str | None = None) -> DatasetService:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def add(
        self,
        path: str | Path,
        name: str,
        message: str = "",
        tags: dict[str, str] | None = None,
        snapshot: bool = False,
        progress: Progress | None = None,
        cancelled: Cancelled | None = None,
    ) -> AddResult:
        """Register ``path`` (file or folder) as a new version of ``name`` if it changed."""
        raise NotImplementedError

    def list_datasets(self) -> list[DatasetSummary]:
        raise NotImplementedError

    def versions(self, name: str) -> list[DatasetVersion]:
        """Versions of a dataset, newest first. Raises DatasetNotFound."""
        raise NotImplementedError

    def get_version(self, name: str, version: str | None = None) -> DatasetVersion:
        """``version`` is "v2", "2", "latest" or None (latest). Raises DatasetNotFound."""
        raise NotImplementedError

    def manifest(self, name: str, version: str | None = None) -> list[ManifestEntry]:
        raise NotImplementedError

    def diff(self, name: str, old: str, new: str) -> DatasetDiff:
        raise NotImplementedError

    def checkout(
        self,
        name: str,
        version: str | None,
        dest: str | Path,
        progress: Progress | None = None,
        cancelled: Cancelled | None = None,
    ) -> Path:
        """Restore a snapshotted version into ``dest`` byte for byte, verified."""
        raise NotImplementedError

    def profile(
        self,
        name: str,
        version: str | None = None,
        path: str | None = None,
        progress: Progress | None = None,
        cancelled: Cancelled | None = None,
    ) -> list[TableProfile]:
        """Profiles of the version's table files (or one), computed once and cached."""
        raise NotImplementedError

    def preview(self, name: str, version: str | None, path: str, rows: int = 200) -> TablePreview:
        raise NotImplementedError

    def used_by(self, name: str, version: str | None = None) -> list[DatasetUse]:
        """Runs that used the dataset (one version, or any), newest first."""
        raise NotImplementedError

    def changed_datasets(self) -> list[tuple[str, str]]:
        """(dataset, sentence) for each dataset whose source path changed since its latest
        version (cheap: stat only, through the stat cache)."""
        raise NotImplementedError
