"""Tables of the model registry: the models list and one model's versions.

Both are :class:`RowsTableModel` subclasses fed whole rows; the alias column also offers the
aliases as ``ALIASES_ROLE`` (a list of ``(alias, version)``) for the badge delegate.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QIcon, QPalette
from PySide6.QtWidgets import QApplication

from mlops_desktop.core.models import ModelSummary, ModelVersion
from mlops_desktop.ui.formatting import count_noun, format_time, human_bytes, short_id
from mlops_desktop.ui.icons import dot_icon
from mlops_desktop.ui.item_models.dataset_versions import format_tags, short_fingerprint
from mlops_desktop.ui.item_models.rows_table import RowsTableModel

ALIASES_ROLE = Qt.ItemDataRole.UserRole + 10

COL_NAME = 0
COL_LATEST = 1
COL_ALIASES = 2
COL_VERSIONS = 3
COL_UPDATED = 4

VCOL_VERSION = 0
VCOL_CREATED = 1
VCOL_BY = 2
VCOL_RUN = 3
VCOL_ALIASES = 4
VCOL_TAGS = 5
VCOL_SIZE = 6
VCOL_FINGERPRINT = 7


def alias_text(aliases: list[tuple[str, int]]) -> str:
    """``[("champion", 3)]`` → ``champion→v3``."""
    return ", ".join(f"{alias}→v{version}" for alias, version in aliases)


ALERT_COLOR = "#d62728"  # a version watched by a monitor with an open drift alert


class ModelsListModel(RowsTableModel[ModelSummary]):
    """Rows are :class:`ModelSummary`."""

    HEADERS = ("Model", "Latest", "Aliases", "Versions", "Last change")
    NUMERIC_COLUMNS = frozenset({COL_VERSIONS})

    def set_models(self, models: list[ModelSummary]) -> None:
        self.set_rows(sorted(models, key=lambda m: m.name.casefold()))

    def row_of(self, name: str) -> int | None:
        return next((r for r, m in enumerate(self._rows) if m.name == name), None)

    @staticmethod
    def aliases(item: ModelSummary) -> list[tuple[str, int]]:
        return sorted(item.aliases.items(), key=lambda kv: (-kv[1], kv[0]))

    def display(self, item: ModelSummary, column: int) -> str:
        if column == COL_NAME:
            return item.name
        if column == COL_LATEST:
            return f"v{item.latest}" if item.latest is not None else "—"
        if column == COL_ALIASES:
            return alias_text(self.aliases(item))
        if column == COL_VERSIONS:
            return str(item.versions)
        return format_time(item.updated_at)[:10]  # the date; the tooltip has the time

    def sort_value(self, item: ModelSummary, column: int) -> object:
        if column == COL_LATEST:
            return item.latest or 0
        if column == COL_VERSIONS:
            return item.versions
        if column == COL_UPDATED:
            return item.updated_at or 0.0
        return self.display(item, column).casefold()

    def tooltip(self, item: ModelSummary, column: int) -> str | None:
        if column == COL_ALIASES and item.aliases:
            return alias_text(self.aliases(item))
        if column == COL_UPDATED:
            return format_time(item.updated_at) or None
        if column == COL_NAME:  # the whole name, which the list may elide
            return "\n".join(t for t in (item.name, item.description[:300]) if t)
        return item.description[:300] or None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> Any:
        if role == ALIASES_ROLE and index.isValid() and index.row() < self.rowCount():
            return self.aliases(self._rows[index.row()]) if index.column() == COL_ALIASES else []
        return super().data(index, role)


class ModelVersionsModel(RowsTableModel[ModelVersion]):
    """Rows are :class:`ModelVersion`, newest first; archived versions are greyed."""

    HEADERS = ("Version", "Created", "By", "Run", "Aliases", "Tags", "Size", "Fingerprint")
    NUMERIC_COLUMNS = frozenset({VCOL_SIZE})

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._alerts: dict[int, list[str]] = {}

    def set_versions(
        self, versions: list[ModelVersion], alerts: dict[int, list[str]] | None = None
    ) -> None:
        """Show ``versions``; ``alerts``: open drift alerts of monitors watching a version."""
        self._alerts = dict(alerts or {})
        self.set_rows(sorted(versions, key=lambda v: v.version, reverse=True))

    def decoration(self, item: ModelVersion, column: int) -> QIcon | None:
        if column == VCOL_VERSION and item.version in self._alerts:
            return dot_icon(ALERT_COLOR)
        return None

    def row_of(self, version: int) -> int | None:
        return next((r for r, v in enumerate(self._rows) if v.version == version), None)

    def display(self, item: ModelVersion, column: int) -> str:
        if column == VCOL_VERSION:
            return f"v{item.version}" + ("  (archived)" if item.archived else "")
        if column == VCOL_CREATED:
            return format_time(item.created_at)
        if column == VCOL_BY:
            return item.created_by
        if column == VCOL_RUN:
            return short_id(item.run_id) if item.run_id else "—"
        if column == VCOL_ALIASES:
            return ", ".join(sorted(item.aliases))
        if column == VCOL_TAGS:
            return format_tags(item.tags)
        if column == VCOL_SIZE:
            return human_bytes(item.size)
        return short_fingerprint(item.fingerprint)

    def sort_value(self, item: ModelVersion, column: int) -> object:
        if column == VCOL_VERSION:
            return item.version
        if column == VCOL_SIZE:
            return item.size
        if column == VCOL_CREATED:
            return item.created_at
        return self.display(item, column)

    def tooltip(self, item: ModelVersion, column: int) -> str | None:
        reasons = self._alerts.get(item.version)
        if column == VCOL_VERSION and reasons:
            return "Open drift alerts:\n" + "\n".join(reasons)
        if column == VCOL_FINGERPRINT:
            return item.fingerprint
        if column == VCOL_RUN:
            return f"Run {item.run_id}" if item.run_id else f"Registered from {item.source}"
        if column == VCOL_SIZE:
            return f"{count_noun(item.size, 'byte')} in {count_noun(len(item.files), 'file')}"
        text = self.display(item, column)
        return text if len(text) > 20 else None

    def foreground(self, item: ModelVersion, column: int) -> QColor | None:
        if item.archived:
            palette = QApplication.palette()
            return palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> Any:
        if role == ALIASES_ROLE and index.isValid() and index.row() < self.rowCount():
            item = self._rows[index.row()]
            if index.column() != VCOL_ALIASES:
                return []
            return [(alias, item.version) for alias in sorted(item.aliases)]
        return super().data(index, role)
