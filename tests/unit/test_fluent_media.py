"""Figures, images and tables logged as artifacts, and the table preview of a log_table file."""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import mlops_desktop as mlflow
from mlops_desktop.services.artifact_content import read_artifact
from mlops_desktop.services.experiments import ExperimentService
from mlops_desktop.tracking import fluent, lifecycle
from mlops_desktop.tracking.png import PNG_SIGNATURE, encode_png


@pytest.fixture(autouse=True)
def _fresh_fluent_state(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(fluent, "_experiment", None)
    monkeypatch.setenv("MLOPS_DESKTOP_SYSTEM_METRICS", "0")
    yield
    for run in lifecycle.active_runs():
        run.end()


def decode_png(data: bytes) -> tuple[int, int, int, bytes]:
    """(width, height, colour type, raw pixel bytes) of an unfiltered 8-bit PNG, every CRC
    checked: an independent reader of what encode_png writes."""
    assert data[:8] == PNG_SIGNATURE
    pos, idat, header = 8, b"", b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert crc == zlib.crc32(kind + body) & 0xFFFFFFFF
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, color, _, _, _ = struct.unpack(">IIBBBBB", header)
    assert depth == 8
    raw = zlib.decompress(idat)
    stride = len(raw) // height
    assert all(raw[r * stride] == 0 for r in range(height))  # filter "none" on every row
    pixels = b"".join(raw[r * stride + 1 : (r + 1) * stride] for r in range(height))
    return width, height, color, pixels


@pytest.mark.parametrize(
    ("shape", "color"), [((5, 7), 0), ((5, 7, 1), 0), ((5, 7, 3), 2), ((5, 7, 4), 6)]
)
def test_png_of_every_accepted_shape_decodes_to_the_same_pixels(
    shape: tuple[int, ...], color: int
) -> None:
    pixels = np.random.default_rng(0).integers(0, 256, size=shape, dtype=np.uint8)
    width, height, got_color, raw = decode_png(encode_png(pixels))
    assert (width, height, got_color) == (7, 5, color)
    assert raw == pixels.tobytes()


def test_float_images_scale_from_0_1_and_bad_ones_say_why() -> None:
    _, _, _, raw = decode_png(encode_png(np.array([[0.0, 0.5, 1.0]])))
    assert list(raw) == [0, 128, 255]
    with pytest.raises(ValueError, match=r"0\.0-1\.0"):
        encode_png(np.array([[0.0, 1.5]]))
    with pytest.raises(ValueError, match="0-255"):
        encode_png(np.array([[0, 300]]))
    with pytest.raises(ValueError, match="shape"):
        encode_png(np.zeros((2, 2, 5)))


def test_log_image_and_log_table_land_as_artifacts_the_preview_reads(temp_home: Path) -> None:
    image = np.linspace(0, 1, 4 * 6 * 3).reshape(4, 6, 3)
    with mlflow.start_run(run_name="media", capture_env=False) as run:
        mlflow.log_image(image, "plots/gradient.png")
        run.log_image(np.zeros((2, 2), dtype=np.uint8), key="mask", step=3)
        mlflow.log_table({"x": [1, 2], "name": ["a", "b"], "f": [0.5, float("nan")]}, "t.json")
        mlflow.log_table({"x": np.array([3]), "extra": [True]}, "t.json")  # appended
        with pytest.raises(ValueError, match="not both"):
            mlflow.log_image(image, "a.png", key="k")
        with pytest.raises(ValueError, match="equally long"):
            mlflow.log_table({"a": [1], "b": [1, 2]}, "bad.json")
        with pytest.raises(ValueError, match=r"\.json"):
            mlflow.log_table({"a": [1]}, "bad.csv")
        with pytest.raises(TypeError, match="numpy array or a PIL image"):
            mlflow.log_image("not an image", "x.png")
    svc = ExperimentService.open(temp_home)
    try:
        svc.ingest()
        stored = {a.name: a for a in svc.get_run(run.id).artifacts}
        assert sorted(stored) == ["images/mask/step_3.png", "plots/gradient.png", "t.json"]
        png = Path(stored["plots/gradient.png"].path).read_bytes()
        assert decode_png(png)[:3] == (6, 4, 2)
        table = json.loads(Path(stored["t.json"].path).read_text())
        assert table == {
            "columns": ["x", "name", "f", "extra"],
            "data": [[1, "a", 0.5, None], [2, "b", None, None], [3, None, None, True]],
        }
        art = stored["t.json"]
        preview = read_artifact(art.path, art.name, art.digest, rows=2)
        assert preview.kind == "table" and preview.table is not None
        assert preview.table.columns == ["x", "name", "f", "extra"]
        assert preview.table.types == ["int64", "string", "double", "null"]
        assert preview.table.rows == [["1", "a", "0.5", ""], ["2", "b", "", ""]]
        assert preview.note == "Showing the first 2 rows of 3."
    finally:
        svc.close()


def test_other_json_still_previews_as_json(temp_home: Path) -> None:
    with mlflow.start_run(run_name="json", capture_env=False) as run:
        mlflow.log_dict({"columns": "not a list", "data": 1}, "c.json")
    svc = ExperimentService.open(temp_home)
    try:
        svc.ingest()
        art = svc.get_run(run.id).artifacts[0]
        assert read_artifact(art.path, art.name, art.digest).kind == "json"
    finally:
        svc.close()


class SavefigFigure:
    """Anything with matplotlib's ``savefig(path, **kwargs)`` is saved through it."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def savefig(self, path: str, **kwargs: Any) -> None:
        self.calls.append(kwargs)
        Path(path).write_bytes(b"figure:" + Path(path).suffix.encode())


def test_log_figure_saves_through_savefig_under_the_artifact_name(temp_home: Path) -> None:
    figure = SavefigFigure()
    with mlflow.start_run(run_name="fig", capture_env=False) as run:
        mlflow.log_figure(figure, "plots/loss.svg", save_kwargs={"dpi": 50})
        with pytest.raises(TypeError, match="matplotlib or plotly"):
            mlflow.log_figure(object(), "x.png")
    assert figure.calls == [{"dpi": 50}]
    svc = ExperimentService.open(temp_home)
    try:
        svc.ingest()
        art = svc.get_run(run.id).artifacts[0]
        assert art.name == "plots/loss.svg"
        assert Path(art.path).read_bytes() == b"figure:.svg"
    finally:
        svc.close()


def test_a_real_matplotlib_figure_is_a_png(temp_home: Path) -> None:
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    pyplot = pytest.importorskip("matplotlib.pyplot")
    fig, ax = pyplot.subplots(figsize=(2, 2))
    ax.plot([1, 2, 3])
    with mlflow.start_run(run_name="mpl", capture_env=False) as run:
        mlflow.log_figure(fig, "curve.png")
    pyplot.close(fig)
    svc = ExperimentService.open(temp_home)
    try:
        svc.ingest()
        art = svc.get_run(run.id).artifacts[0]
        assert Path(art.path).read_bytes()[:8] == PNG_SIGNATURE
    finally:
        svc.close()


def test_a_pil_image_and_a_dataframe_when_installed(temp_home: Path) -> None:
    image_module = pytest.importorskip("PIL.Image")
    pandas = pytest.importorskip("pandas")
    with mlflow.start_run(run_name="pil", capture_env=False) as run:
        mlflow.log_image(image_module.new("RGB", (3, 2), (255, 0, 0)), "red.png")
        mlflow.log_table(pandas.DataFrame({"a": [1, 2], "b": ["x", None]}), "df.json")
    svc = ExperimentService.open(temp_home)
    try:
        svc.ingest()
        stored = {a.name: a for a in svc.get_run(run.id).artifacts}
        png = Path(stored["red.png"].path).read_bytes()  # PIL filters rows: read the header
        assert png[:8] == PNG_SIGNATURE and struct.unpack(">IIBB", png[16:26]) == (3, 2, 8, 2)
        assert json.loads(Path(stored["df.json"].path).read_text()) == {
            "columns": ["a", "b"],
            "data": [[1, "x"], [2, None]],
        }
    finally:
        svc.close()
