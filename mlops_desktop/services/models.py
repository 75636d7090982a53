"""ModelService: the model registry (versions, aliases, tags, audit), cards, lineage, archives.

CONTRACT written first so the GUI, the command line and the catalog can be built in parallel;
the implementer replaces the bodies and keeps the signatures (adding methods is fine).
Synchronous and possibly slow: the GUI calls it on worker threads only. ``ref`` arguments
accept "name", "name:3", "name@champion".
"""

from __future__ import annotations

from pathlib import Path

from mlops_desktop.core.models import (
    AuditEntry,
    GcReport,
    InspectResult,
    Lineage,
    ModelCard,
    ModelSummary,
    ModelVersion,
    VersionComparison,
)


class ModelService:
    """Facade over the catalog and the artifact store for the Models pane and ``models``."""

    def __init__(self, catalog: object, home: Path) -> None:
        raise NotImplementedError

    def register(
        self,
        name: str,
        run_id: str | None = None,
        artifact: str | None = None,
        path: str | Path | None = None,
        description: str = "",
        tags: dict[str, str] | None = None,
    ) -> ModelVersion:
        """A new version from a run's artifact (file or folder prefix) or from a path."""
        raise NotImplementedError

    def list_models(self) -> list[ModelSummary]:
        raise NotImplementedError

    def versions(self, name: str, include_archived: bool = True) -> list[ModelVersion]:
        """Newest first."""
        raise NotImplementedError

    def get(self, ref: str) -> ModelVersion:
        raise NotImplementedError

    def set_alias(self, name: str, version: int, alias: str) -> None:
        raise NotImplementedError

    def remove_alias(self, name: str, alias: str) -> None:
        raise NotImplementedError

    def set_tag(self, name: str, version: int, key: str, value: str) -> None:
        raise NotImplementedError

    def remove_tag(self, name: str, version: int, key: str) -> None:
        raise NotImplementedError

    def describe(self, name: str, version: int, text: str) -> None:
        raise NotImplementedError

    def archive(self, name: str, version: int, archived: bool = True) -> None:
        raise NotImplementedError

    def delete(self, name: str, version: int, force: bool = False) -> None:
        """Refused while an alias (or a monitor) uses the version, unless ``force``."""
        raise NotImplementedError

    def history(self, name: str, version: int | None = None) -> list[AuditEntry]:
        """The audit trail, newest first."""
        raise NotImplementedError

    def card(self, ref: str) -> ModelCard:
        raise NotImplementedError

    def lineage(self, ref: str) -> Lineage:
        raise NotImplementedError

    def compare(self, name: str, a: int, b: int) -> VersionComparison:
        raise NotImplementedError

    def export(self, ref: str, file: str | Path) -> Path:
        """One archive with the files, the card and the lineage."""
        raise NotImplementedError

    def import_archive(self, file: str | Path, name: str | None = None) -> ModelVersion:
        """Import an exported archive as a new version (of ``name`` or its own)."""
        raise NotImplementedError

    def inspect(self, ref: str, timeout_s: float = 30.0) -> InspectResult:
        """Load the model in a separate process (never in this one) and describe it."""
        raise NotImplementedError

    def gc(self, dry_run: bool = True) -> GcReport:
        """Artifacts no run, dataset or model version references."""
        raise NotImplementedError
