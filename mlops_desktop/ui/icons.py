"""Icons: SVG files shipped in ``ui/resources`` and status dots drawn once with QPainter."""

from __future__ import annotations

from functools import cache
from importlib import resources

from PySide6.QtCore import QByteArray, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer

STATUS_COLORS: dict[str, str] = {
    "queued": "#e08a00",
    "running": "#2f80ed",
    "finished": "#27ae60",
    "failed": "#e0433b",
    "killed": "#8e8e93",
}
_UNKNOWN_COLOR = "#c0c0c0"


def resource_bytes(filename: str) -> bytes:
    """The bytes of a file in ``mlops_desktop/ui/resources``."""
    return resources.files("mlops_desktop.ui").joinpath("resources").joinpath(filename).read_bytes()


PANE_ICON_SIZES = (16, 24, 32, 48, 64, 128)
APP_ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)  # the window, the tray, the task switcher


@cache
def load_icon(name: str, sizes: tuple[int, ...] = PANE_ICON_SIZES) -> QIcon:
    """An icon from ``resources/<name>.svg``, rendered at ``sizes``.

    Rendering through QSvgRenderer into pixmaps works even where the SVG image-format plugin is
    missing (a frozen build); an unknown name gives an empty icon.
    """
    try:
        data = resource_bytes(f"{name}.svg")
    except (FileNotFoundError, OSError):
        return QIcon()
    renderer = QSvgRenderer(QByteArray(data))
    icon = QIcon()
    for size in sizes:
        pixmap = QPixmap(size, size)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter, QRectF(0, 0, size, size))
        painter.end()
        icon.addPixmap(pixmap)
    return icon


def app_icon() -> QIcon:
    """The application's icon (``resources/app.svg``) from 16 to 512 pixels: the window's, the
    tray's and the notifications'. The desktop entry's PNGs are rendered from the same SVG by
    ``packaging/make_icons.py``."""
    return load_icon("app", APP_ICON_SIZES)


@cache
def status_icon(status: str) -> QIcon:
    """A coloured dot for a run status; a ring with a centre for running runs."""
    return dot_icon(STATUS_COLORS.get(status, _UNKNOWN_COLOR), live=status == "running")


IDLE_GPU_COLOR = "#e69f00"  # amber: a run that holds GPUs it does not use


def idle_gpu_icon() -> QIcon:
    """The badge of a running run whose GPUs have stayed idle: an amber ring."""
    return dot_icon(IDLE_GPU_COLOR, live=True)


@cache
def dot_icon(color_name: str, live: bool = False) -> QIcon:
    """A coloured dot at the usual sizes; ``live``: a ring with a centre (something running)."""
    color = QColor(color_name)
    icon = QIcon()
    for size in (12, 16, 24, 32):
        pixmap = QPixmap(size, size)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        margin = size * 0.15
        rect = QRectF(margin, margin, size - 2 * margin, size - 2 * margin)
        if live:
            pen = painter.pen()
            pen.setColor(color)
            pen.setWidthF(max(1.5, size * 0.16))
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawEllipse(rect.adjusted(1, 1, -1, -1))
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(color)
            painter.drawEllipse(rect.center(), size * 0.18, size * 0.18)
        else:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(color)
            painter.drawEllipse(rect)
        painter.end()
        icon.addPixmap(pixmap)
    return icon
