"""The Datasets pane against a real DatasetService on a temp home."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from mlops_desktop.services.datasets import DatasetService
from mlops_desktop.settings import Settings
from mlops_desktop.ui.app import build_main_window
from mlops_desktop.ui.item_models.datasets_table import CHANGED_MARK, COL_NAME
from mlops_desktop.ui.panes.datasets.pane import DatasetsPane


def write_table(folder: Path, rows: int, seed: int = 1, name: str = "wine.csv") -> Path:
    """A CSV with a numeric, a categorical and an integer column."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    lines = ["alcohol,kind,quality"]
    lines += [
        f"{rng.gauss(10, 1):.3f},{rng.choice(['red', 'white', 'rose'])},{rng.randint(3, 9)}"
        for _ in range(rows)
    ]
    (folder / name).write_text("\n".join(lines) + "\n")
    return folder


@pytest.fixture
def datasets(service: Any, home: Path) -> DatasetService:
    return DatasetService(service.catalog, home)  # shares the catalog: closed once, by service


@pytest.fixture
def wine(tmp_path: Path, datasets: DatasetService) -> Path:
    """``wine`` with v1 (100 rows, snapshot) and v2 (120 rows, a notes file added)."""
    folder = write_table(tmp_path / "wine", 100)
    datasets.add(folder, "wine", message="first", snapshot=True)
    write_table(folder, 120, seed=2)
    (folder / "notes.txt").write_text("collected in 2024\n")
    datasets.add(folder, "wine", message="more rows", tags={"split": "train"})
    return folder


def make_pane(qtbot: Any, datasets: Any, runner: Any) -> Iterator[DatasetsPane]:
    pane = DatasetsPane(datasets, runner)
    qtbot.addWidget(pane)
    pane.resize(1200, 760)
    pane.show()
    yield pane
    pane.shutdown()
    for dialog in (pane.register_dialog, pane.restore_dialog):
        if dialog is not None:
            dialog.close()


@pytest.fixture
def pane(qtbot: Any, datasets: Any, runner: Any, wine: Path) -> Iterator[DatasetsPane]:
    yield from make_pane(qtbot, datasets, runner)


@pytest.fixture
def empty_pane(qtbot: Any, datasets: Any, runner: Any) -> Iterator[DatasetsPane]:
    yield from make_pane(qtbot, datasets, runner)


def wait_version(qtbot: Any, pane: DatasetsPane, version: str) -> None:
    def shown() -> bool:
        current = pane.detail.current_version()
        return current is not None and current.version == version

    qtbot.waitUntil(shown, timeout=5000)


def test_empty_state_explains_how_to_register(qtbot: Any, empty_pane: DatasetsPane) -> None:
    qtbot.waitUntil(lambda: empty_pane.loaded, timeout=5000)
    assert empty_pane.stack.currentWidget() is empty_pane.empty
    text = empty_pane.empty.text()
    assert "mlops-desktop data add PATH --name NAME" in text and "drag a folder" in text
    empty_pane.empty_register_button.click()
    assert empty_pane.register_dialog is not None and empty_pane.register_dialog.isVisible()


def test_lists_dataset_versions_and_files(qtbot: Any, pane: DatasetsPane) -> None:
    qtbot.waitUntil(lambda: pane.model.rowCount() == 1, timeout=5000)
    assert pane.model.index(0, COL_NAME).data() == "wine"
    wait_version(qtbot, pane, "v2")
    assert [v.version for v in pane.detail.versions] == ["v2", "v1"]
    assert pane.detail.versions_model.index(1, 7).data() == "snapshot"
    qtbot.waitUntil(lambda: pane.detail.files.model.rowCount() == 2, timeout=5000)
    paths = [e.path for e in pane.detail.files.model.rows()]
    assert paths == ["notes.txt", "wine.csv"]
    assert not pane.detail.restore_button.isEnabled()  # v2 is not a snapshot
    assert "Only snapshotted" in pane.detail.restore_button.toolTip()
    pane.detail.select_version("v1")
    qtbot.waitUntil(lambda: pane.detail.files.model.rowCount() == 1, timeout=5000)
    assert pane.detail.restore_button.isEnabled()


def test_preview_and_profile(qtbot: Any, pane: DatasetsPane) -> None:
    wait_version(qtbot, pane, "v2")
    pane.detail.tabs.setCurrentWidget(pane.detail.preview)
    preview = pane.detail.preview
    qtbot.waitUntil(lambda: preview.model.columnCount() == 3, timeout=10000)
    assert preview.file_combo.currentText() == "wine.csv"
    assert preview.model.headerData(0, Qt.Orientation.Horizontal) == "alcohol"
    assert preview.model.total_rows() == 120
    pane.detail.tabs.setCurrentWidget(pane.detail.profile)
    profile = pane.detail.profile
    qtbot.waitUntil(lambda: profile.model.rowCount() == 3, timeout=10000)
    names = [c.name for c in profile.model.rows()]
    assert names == ["alcohol", "kind", "quality"]
    qtbot.waitUntil(lambda: profile.chart.bars is not None, timeout=5000)
    assert profile.chart.column is not None and profile.chart.column.name == "alcohol"
    profile.select_column("kind")
    assert profile.chart.column.name == "kind" and profile.chart.bars is not None


def test_diff_between_versions(qtbot: Any, pane: DatasetsPane) -> None:
    wait_version(qtbot, pane, "v2")
    pane.detail.tabs.setCurrentWidget(pane.detail.diff)
    diff = pane.detail.diff
    qtbot.waitUntil(lambda: diff.diff is not None, timeout=10000)
    assert (diff.old_combo.currentText(), diff.new_combo.currentText()) == ("v1", "v2")
    assert diff.diff.added == ["notes.txt"] and diff.diff.changed == ["wine.csv"]
    assert "1 added" in diff.summary_label.text()
    texts = [diff.tree.topLevelItem(i).text(0) for i in range(diff.tree.topLevelItemCount())]
    assert "Added files (1)" in texts and "Changed files (1)" in texts
    diff.new_combo.setCurrentText("v1")
    assert "two different versions" in diff.message_label.text()


def test_register_through_dialog(
    qtbot: Any, empty_pane: DatasetsPane, tmp_path: Path, datasets: Any
) -> None:
    folder = write_table(tmp_path / "iris", 50)
    qtbot.waitUntil(lambda: empty_pane.loaded, timeout=5000)
    dialog = empty_pane.open_register_dialog(str(folder))
    assert dialog.name_edit.text() == "iris"
    dialog.message_edit.setText("first cut")
    dialog.tags_edit.setText("source=uci")
    with qtbot.waitSignal(dialog.registered, timeout=10000) as blocker:
        dialog.register_button.click()
    assert blocker.args[0].new_version and blocker.args[0].version == "v1"
    qtbot.waitUntil(lambda: not dialog.is_running(), timeout=5000)
    assert "v1 registered" in dialog.message.text()
    qtbot.waitUntil(lambda: empty_pane.model.rowCount() == 1, timeout=5000)
    assert empty_pane.stack.currentWidget() is empty_pane.split
    assert datasets.versions("iris")[0].tags == {"source": "uci"}
    again = empty_pane.open_register_dialog(str(folder), "iris")
    with qtbot.waitSignal(again.registered, timeout=10000):
        again.register_button.click()
    assert "Unchanged: same content as v1" in again.message.text()


def test_cancel_registering(
    qtbot: Any, empty_pane: DatasetsPane, tmp_path: Path, datasets: Any
) -> None:
    folder = tmp_path / "big"
    folder.mkdir()
    block = random.Random(3).randbytes(1 << 18)
    for i in range(200):
        (folder / f"part-{i:03d}.bin").write_bytes(block + i.to_bytes(4, "big"))
    dialog = empty_pane.open_register_dialog(str(folder))
    dialog.start()
    dialog.cancel_button.click()  # cancels the task, keeps the dialog
    qtbot.waitUntil(lambda: not dialog.is_running(), timeout=10000)
    assert dialog.isVisible()
    assert "Cancelled" in dialog.message.text()
    assert datasets.list_datasets() == []


def test_bad_tags_are_refused(qtbot: Any, empty_pane: DatasetsPane, tmp_path: Path) -> None:
    dialog = empty_pane.open_register_dialog(str(write_table(tmp_path / "x", 3)))
    dialog.tags_edit.setText("oops")
    dialog.register_button.click()
    assert not dialog.is_running() and "key=value" in dialog.message.text()


def test_drop_opens_prefilled_dialog(qtbot: Any, empty_pane: DatasetsPane, tmp_path: Path) -> None:
    folder = write_table(tmp_path / "dropped", 5)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(folder))])
    event = QDropEvent(
        QPointF(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    empty_pane.dropEvent(event)
    dialog = empty_pane.register_dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.path_edit.text() == str(folder) and dialog.name_edit.text() == "dropped"


def test_changed_files_show_marker_and_banner(qtbot: Any, pane: DatasetsPane, wine: Path) -> None:
    wait_version(qtbot, pane, "v2")
    write_table(wine, 130, seed=5)
    with qtbot.waitSignal(pane.changesChecked, timeout=10000):
        pane.check_changes()
    assert pane.model.index(0, COL_NAME).data() == CHANGED_MARK + "wine"
    assert pane.detail.banner.isVisible()
    assert "v2" in pane.detail.banner_label.text()
    pane.detail.record_button.click()
    dialog = pane.register_dialog
    assert dialog is not None
    assert dialog.path_edit.text() == str(wine) and dialog.name_edit.text() == "wine"


def test_restore_snapshot(qtbot: Any, pane: DatasetsPane, tmp_path: Path, datasets: Any) -> None:
    wait_version(qtbot, pane, "v2")
    v1 = datasets.get_version("wine", "v1")
    dest = tmp_path / "restored"
    dest.mkdir()
    handle = pane.restore(v1, str(dest))
    with qtbot.waitSignal(handle.finished, timeout=10000):
        pass
    assert (dest / "wine.csv").read_text().count("\n") == 101


def test_main_window_links_runs_and_datasets(
    qtbot: Any, services: Any, home: Path, wine: Path, three_experiments: Any
) -> None:
    window = build_main_window(services, Settings.load(home), start_ingest=False)
    qtbot.addWidget(window)
    window.show()
    try:
        pane = window.panes["Datasets"]
        assert isinstance(pane, DatasetsPane)
        window.navigator.show_dataset("wine", "v1")
        assert window.current_pane() is pane
        wait_version(qtbot, pane, "v1")
        run_id = three_experiments["cifar"][1]
        window.navigator.show_run(run_id)
        experiments = window.panes["Experiments"]
        assert window.current_pane() is experiments
        qtbot.waitUntil(
            lambda: [r.id for r in experiments.selected_runs()] == [run_id], timeout=5000
        )
        detail = experiments.detail
        qtbot.waitUntil(lambda: detail.detail is not None, timeout=5000)
        detail._set_datasets([{"name": "wine", "version": "v2", "path": str(wine)}])
        assert detail.datasets_label.isVisibleTo(detail) and "wine @ v2" in (
            detail.datasets_label.text()
        )
        detail.datasets_label.linkActivated.emit("dataset:wine/v2")
        assert window.current_pane() is pane
        wait_version(qtbot, pane, "v2")
    finally:
        window.shutdown()
