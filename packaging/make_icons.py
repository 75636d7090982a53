"""Render the application icon's PNG sizes from its SVG: ``python packaging/make_icons.py``.

The PNGs are committed (packaging/icons/mlops-desktop-SIZE.png), so neither the build nor the
installer needs an SVG renderer; run this again after changing ``ui/resources/app.svg``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QByteArray, QRectF, Qt  # noqa: E402
from PySide6.QtGui import QGuiApplication, QImage, QPainter  # noqa: E402
from PySide6.QtSvg import QSvgRenderer  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "mlops_desktop" / "ui" / "resources" / "app.svg"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def render(svg: bytes, size: int) -> QImage:
    renderer = QSvgRenderer(QByteArray(svg))
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    return image


def main() -> int:
    app = QGuiApplication(sys.argv[:1])  # noqa: F841 - QImage text needs none, QPainter does
    out = ROOT / "packaging" / "icons"
    out.mkdir(exist_ok=True)
    svg = SOURCE.read_bytes()
    for size in SIZES:
        path = out / f"mlops-desktop-{size}.png"
        if not render(svg, size).save(str(path), "PNG"):
            print(f"cannot write {path}", file=sys.stderr)
            return 1
        print(path.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
