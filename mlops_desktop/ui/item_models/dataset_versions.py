"""Tables of one dataset: its version timeline, a version's files, and the runs that used it."""

from __future__ import annotations

from PySide6.QtGui import QColor

from mlops_desktop.core.datasets import DatasetUse, DatasetVersion, ManifestEntry
from mlops_desktop.ui.formatting import count_noun, format_time, human_bytes, short_id
from mlops_desktop.ui.icons import STATUS_COLORS
from mlops_desktop.ui.item_models.rows_table import RowsTableModel

VCOL_VERSION = 0
VCOL_DATE = 1
VCOL_FILES = 2
VCOL_SIZE = 3
VCOL_MESSAGE = 4
VCOL_TAGS = 5
VCOL_FINGERPRINT = 6
VCOL_SNAPSHOT = 7

FCOL_PATH = 0
FCOL_SIZE = 1
FCOL_HASH = 2

UCOL_NAME = 0
UCOL_EXPERIMENT = 1
UCOL_VERSION = 2
UCOL_STATUS = 3
UCOL_STARTED = 4

SNAPSHOT_TEXT = "snapshot"


def short_fingerprint(fingerprint: str, length: int = 12) -> str:
    """``blake3:0123…`` → ``0123456789ab``: enough to tell versions apart."""
    return fingerprint.partition(":")[2][:length] or fingerprint[:length]


def format_tags(tags: dict[str, str]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(tags.items()))


class VersionsTableModel(RowsTableModel[DatasetVersion]):
    """Rows are :class:`DatasetVersion`, newest first."""

    HEADERS = ("Version", "Date", "Files", "Size", "Message", "Tags", "Fingerprint", "Stored")
    NUMERIC_COLUMNS = frozenset({VCOL_FILES, VCOL_SIZE})

    def set_versions(self, versions: list[DatasetVersion]) -> None:
        self.set_rows(sorted(versions, key=lambda v: v.number, reverse=True))

    def row_of(self, version: str) -> int | None:
        for row, item in enumerate(self._rows):
            if item.version == version:
                return row
        return None

    def display(self, item: DatasetVersion, column: int) -> str:
        if column == VCOL_VERSION:
            return item.version
        if column == VCOL_DATE:
            return format_time(item.created_at)
        if column == VCOL_FILES:
            return f"{item.files:,}"
        if column == VCOL_SIZE:
            return human_bytes(item.bytes)
        if column == VCOL_MESSAGE:
            return item.message
        if column == VCOL_TAGS:
            return format_tags(item.tags)
        if column == VCOL_FINGERPRINT:
            return short_fingerprint(item.fingerprint)
        return SNAPSHOT_TEXT if item.snapshot else ""

    def tooltip(self, item: DatasetVersion, column: int) -> str | None:
        if column == VCOL_FINGERPRINT:
            return item.fingerprint
        if column == VCOL_SNAPSHOT:
            return (
                "Copied into the store: can be restored"
                if item.snapshot
                else "Files referenced in place: cannot be restored"
            )
        if column in (VCOL_MESSAGE, VCOL_TAGS):
            return self.display(item, column) or None
        return item.source_path or None


class ManifestTableModel(RowsTableModel[ManifestEntry]):
    """Rows are :class:`ManifestEntry`; lazy, so 100,000 files load instantly."""

    HEADERS = ("Path", "Size", "Hash")
    NUMERIC_COLUMNS = frozenset({FCOL_SIZE})

    def display(self, item: ManifestEntry, column: int) -> str:
        if column == FCOL_PATH:
            return item.path
        if column == FCOL_SIZE:
            return human_bytes(item.size)
        return item.hash[:12]

    def tooltip(self, item: ManifestEntry, column: int) -> str | None:
        if column == FCOL_HASH:
            return item.hash
        if column == FCOL_SIZE:
            return count_noun(item.size, "byte")
        return None


class UsesTableModel(RowsTableModel[DatasetUse]):
    """Rows are :class:`DatasetUse`: the runs that read a dataset."""

    HEADERS = ("Run", "Experiment", "Version", "Status", "Started")

    def display(self, item: DatasetUse, column: int) -> str:
        if column == UCOL_NAME:
            return item.run_name or short_id(item.run_id)
        if column == UCOL_EXPERIMENT:
            return item.experiment
        if column == UCOL_VERSION:
            return item.version or "—"
        if column == UCOL_STATUS:
            return item.status
        return format_time(item.started_at)

    def tooltip(self, item: DatasetUse, column: int) -> str | None:
        return f"Run {item.run_id}: double-click to open it in Experiments"

    def foreground(self, item: DatasetUse, column: int) -> QColor | None:
        if column == UCOL_STATUS and item.status in STATUS_COLORS:
            return QColor(STATUS_COLORS[item.status])
        return None
