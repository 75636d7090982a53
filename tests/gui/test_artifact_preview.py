"""Artifacts tab: previews of images, SVG, JSON, text and tables, and opening in a viewer."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from PySide6.QtCore import QUrl
from PySide6.QtGui import QColor, QImage

import mlops_desktop
from mlops_desktop.ui.panes.experiments import run_artifacts
from mlops_desktop.ui.panes.experiments.artifact_preview import LOADING_TEXT
from mlops_desktop.ui.panes.experiments.run_artifacts import ArtifactsView

SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20">'
    '<script>alert(1)</script><rect width="40" height="20" fill="red"/></svg>'
)


def make_files(folder: Path) -> list[Path]:
    folder.mkdir()
    image = QImage(30, 20, QImage.Format.Format_RGB32)
    image.fill(QColor("#1f77b4"))
    assert image.save(str(folder / "confusion.png"))
    (folder / "diagram.svg").write_text(SVG)
    (folder / "metrics.json").write_text(json.dumps({"acc": 0.9, "labels": ["a", "b"]}))
    (folder / "notes.txt").write_text("first line\nsecond \x1b[31mred\x1b[0m line\n")
    (folder / "scores.csv").write_text("epoch;loss;acc\n1;0,9;0.5\n2;0.5;0.7\n3;0.25;0.8\n")
    (folder / "big.csv").write_text("i,value\n" + "".join(f"{i},{i * 2}\n" for i in range(2500)))
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"not really an image" * 20)
    (folder / "model.bin").write_bytes(bytes(range(256)) * 4)
    pq.write_table(pa.table({"x": [1.0, 2.0, 3.0], "y": [2.0, 4.0, 9.0]}), folder / "pred.parquet")
    return sorted(folder.iterdir())


@pytest.fixture
def view(qtbot: Any, tmp_path: Path, home: Path, service: Any, runner: Any) -> ArtifactsView:
    run = mlops_desktop.start_run(
        "artifacts", "with-files", home=home, capture_env=False, capture_output=False
    )
    with run:
        for path in make_files(tmp_path / "files"):
            run.log_artifact(path)
    service.ingest()
    widget = ArtifactsView(runner)
    qtbot.addWidget(widget)
    widget.resize(1100, 500)
    widget.show()
    widget.set_artifacts(list(service.get_run(run.id).artifacts))
    return widget


def choose(qtbot: Any, view: ArtifactsView, name: str) -> Any:
    for row in range(view.table.rowCount()):
        if view.table.item(row, 0).text() == name:
            view.table.selectRow(row)
            break
    else:
        raise AssertionError(f"{name} is not listed")
    preview = view.preview
    loading = LOADING_TEXT.format(name=name)
    qtbot.waitUntil(
        lambda: preview.current_page() is not preview.message or preview.message.text() != loading,
        timeout=5000,
    )
    return preview


def test_image_svg_json_and_text_previews(qtbot: Any, view: ArtifactsView) -> None:
    preview = choose(qtbot, view, "confusion.png")
    assert preview.current_page() is preview.image
    assert preview.image.image().size().width() == 30
    assert preview.image.image().pixelColor(5, 5) == QColor("#1f77b4")

    preview = choose(qtbot, view, "diagram.svg")
    assert preview.current_page() is preview.svg
    assert preview.svg.renderer().isValid()

    preview = choose(qtbot, view, "metrics.json")
    assert preview.current_page() is preview.text
    assert '"labels": [\n    "a",' in preview.text.toPlainText()  # pretty-printed

    preview = choose(qtbot, view, "notes.txt")
    text = preview.text.toPlainText()
    assert "second \\x1b[31mred" in text and "\x1b" not in text  # control characters escaped


def test_table_previews_with_chart(qtbot: Any, view: ArtifactsView) -> None:
    preview = choose(qtbot, view, "scores.csv")
    assert preview.current_page() is preview.table_tabs
    model = preview.rows_model
    assert [model.headerData(c, pg_h()) for c in range(3)] == ["epoch", "loss", "acc"]
    assert model.rowCount() == 3 and not preview.note_label.isVisible()

    preview = choose(qtbot, view, "pred.parquet")
    assert preview.rows_model.rowCount() == 3
    assert preview.table_tabs.isTabEnabled(1)
    preview.table_tabs.setCurrentIndex(1)
    assert preview.chart.x_combo.currentText() == "x"
    x, y = preview.chart.series()
    assert list(x) == [1.0, 2.0, 3.0] and list(y) == [2.0, 4.0, 9.0]

    preview = choose(qtbot, view, "big.csv")
    assert preview.rows_model.total_rows() == 1000
    assert preview.note_label.isVisible()
    assert preview.note_label.text() == "Showing the first 1,000 rows of 2,500."


def pg_h() -> Any:
    from PySide6.QtCore import Qt

    return Qt.Orientation.Horizontal


def test_corrupt_image_and_binary(qtbot: Any, view: ArtifactsView) -> None:
    preview = choose(qtbot, view, "broken.png")
    assert preview.current_page() is preview.message
    sentence = preview.message.text()
    assert sentence.startswith("broken.png cannot be shown: it is not a valid PNG image")
    assert "\n" not in sentence and "Traceback" not in sentence

    preview = choose(qtbot, view, "model.bin")
    assert preview.current_page() is preview.message
    assert "sha256:" in preview.message.text() and "system's viewer" in preview.message.text()


def test_open_hands_a_copy_with_the_artifacts_name_to_the_viewer(
    qtbot: Any, view: ArtifactsView, monkeypatch: Any, tmp_path: Path
) -> None:
    opened: list[QUrl] = []
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    monkeypatch.setattr(run_artifacts.QDesktopServices, "openUrl", opened.append)
    choose(qtbot, view, "scores.csv")
    view.view_button.click()
    qtbot.waitUntil(lambda: bool(opened), timeout=5000)
    copy = Path(opened[0].toLocalFile())
    assert copy.name == "scores.csv" and copy.suffix == ".csv"
    assert copy.read_text().startswith("epoch;loss;acc")
    assert copy.resolve() != Path(view.current().path).resolve()
