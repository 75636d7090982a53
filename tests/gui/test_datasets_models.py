"""The Datasets pane's table models (qtmodeltester) and the register dialog's parsing."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt

from mlops_desktop.core.datasets import (
    AddResult,
    ColumnProfile,
    DatasetSummary,
    DatasetUse,
    DatasetVersion,
    ManifestEntry,
    TablePreview,
)
from mlops_desktop.ui.dialogs.register_dataset import describe_result, parse_tags
from mlops_desktop.ui.item_models.dataset_versions import (
    FCOL_HASH,
    VCOL_FINGERPRINT,
    VCOL_SNAPSHOT,
    VCOL_VERSION,
    ManifestTableModel,
    UsesTableModel,
    VersionsTableModel,
)
from mlops_desktop.ui.item_models.datasets_table import (
    CHANGED_MARK,
    COL_FILES,
    COL_LATEST,
    COL_NAME,
    COL_SIZE,
    DatasetsTableModel,
)
from mlops_desktop.ui.item_models.rows_table import SORT_ROLE
from mlops_desktop.ui.item_models.table_preview import (
    PCOL_MISSING,
    PCOL_NAME,
    PreviewTableModel,
    ProfileTableModel,
)

DISPLAY = Qt.ItemDataRole.DisplayRole


def _summary(name: str, files: int = 3, size: int = 2048) -> DatasetSummary:
    return DatasetSummary(name, "v2", 2, size, files, 1_700_000_000.0, f"/data/{name}", "table")


def _version(number: int, snapshot: bool = False) -> DatasetVersion:
    return DatasetVersion(
        "wine", f"v{number}", number, f"blake3:{number:064x}", 2, 100 * number,
        1_700_000_000.0 + number, f"message {number}", {"split": "train"}, "/data/wine", snapshot,
    )  # fmt: skip


def test_datasets_table_model(qtmodeltester: Any) -> None:
    model = DatasetsTableModel()
    model.set_datasets([_summary("wine"), _summary("iris", files=1200, size=3 * 1024**2)])
    qtmodeltester.check(model)
    assert model.rowCount() == 2 and model.columnCount() == 6
    assert model.index(0, COL_NAME).data() == "iris"  # sorted by name
    assert model.index(0, COL_FILES).data() == "1,200"
    assert model.index(0, COL_SIZE).data() == "3.0 MiB"
    assert model.index(0, COL_SIZE).data(SORT_ROLE) == 3 * 1024**2
    assert model.index(1, COL_LATEST).data() == "v2"
    model.set_changed({"wine": "The files at /data/wine changed since v2 (1 file changed)."})
    assert model.index(1, COL_NAME).data() == CHANGED_MARK + "wine"
    assert "changed since v2" in model.index(1, COL_NAME).data(Qt.ItemDataRole.ToolTipRole)
    assert model.index(1, COL_NAME).data(Qt.ItemDataRole.ForegroundRole) is not None
    qtmodeltester.check(model)


def test_versions_model_newest_first(qtmodeltester: Any) -> None:
    model = VersionsTableModel()
    model.set_versions([_version(1), _version(3, snapshot=True), _version(2)])
    qtmodeltester.check(model)
    assert [model.index(r, VCOL_VERSION).data() for r in range(3)] == ["v3", "v2", "v1"]
    assert model.index(0, VCOL_SNAPSHOT).data() == "snapshot"
    assert model.index(1, VCOL_SNAPSHOT).data() == ""
    assert model.index(0, VCOL_FINGERPRINT).data() == f"{3:064x}"[:12]
    assert model.row_of("v1") == 2


def test_manifest_model_is_lazy_for_100000_rows(qtmodeltester: Any) -> None:
    model = ManifestTableModel()
    entries = [ManifestEntry(f"img/{i:06d}.png", i, f"{i:064x}") for i in range(100_000)]
    model.set_rows(entries)
    assert model.rowCount() == model.BATCH and model.total_rows() == 100_000
    assert model.canFetchMore()
    model.fetchMore()
    assert model.rowCount() == 2 * model.BATCH
    assert len(model.index(5, FCOL_HASH).data()) == 12
    small = ManifestTableModel()
    small.set_rows(entries[:50])
    qtmodeltester.check(small)


def test_uses_preview_and_profile_models(qtmodeltester: Any) -> None:
    uses = UsesTableModel()
    uses.set_rows([DatasetUse("abc123", "run-1", "wine-exp", "finished", 1.7e9, "wine", "v2")])
    qtmodeltester.check(uses)
    assert uses.index(0, 0).data() == "run-1"

    preview = PreviewTableModel()
    rows = [[str(i), f"name {i}"] for i in range(1200)]
    preview.set_preview(TablePreview("a.csv", ["id", "name"], ["int64", "string"], rows, 5000))
    assert preview.columnCount() == 2 and preview.rowCount() == preview.BATCH
    assert preview.headerData(1, Qt.Orientation.Horizontal) == "name"
    assert preview.index(3, 1).data() == "name 3"
    preview.set_preview(TablePreview("a.csv", ["id", "name"], ["int64", "string"], rows[:20]))
    qtmodeltester.check(preview)
    preview.set_preview(None)
    assert preview.rowCount() == 0 and preview.columnCount() == 0

    profile = ProfileTableModel()
    profile.set_rows(
        [
            ColumnProfile("alcohol", "float64", "numeric", 100, 5, 80, 8.0, 14.5, 10.2, 1.1),
            ColumnProfile("kind", "string", "categorical", 100, 0, 3, top=[("red", 60)]),
        ]
    )
    qtmodeltester.check(profile)
    assert profile.index(0, PCOL_NAME).data() == "alcohol"
    assert profile.index(0, PCOL_MISSING).data() == "5.0%"


def test_parse_tags_and_describe_result() -> None:
    assert parse_tags(" a=1, b = x ,") == {"a": "1", "b": "x"}
    assert parse_tags("") == {}
    with pytest.raises(ValueError, match="key=value"):
        parse_tags("novalue")
    new = AddResult("wine", "v3", "blake3:00", 2, 2048, True)
    same = AddResult("wine", "v2", "blake3:00", 2, 2048, False)
    assert describe_result(new).startswith("v3 registered")
    assert describe_result(same).startswith("Unchanged: same content as v2")
