"""The application icon and the pane icons render, and the quit-when-shown start check that the
bundle's CI and start measurement use works on the real app."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import QSize

from mlops_desktop.ui.icons import APP_ICON_SIZES, app_icon, load_icon
from mlops_desktop.ui.panes.registry import discover_panes
from mlops_desktop.ui.startup_probe import QUIT_WHEN_SHOWN_ENV, SHOWN_LINE


def test_app_icon_has_every_size_from_16_to_512(qapp) -> None:
    icon = app_icon()
    assert not icon.isNull()
    sizes = {size.width() for size in icon.availableSizes()}
    assert set(APP_ICON_SIZES) <= sizes
    big = icon.pixmap(QSize(512, 512)).toImage()
    centre = big.pixelColor(256, 40)  # the face's blue, not transparent
    assert centre.alpha() == 255 and centre.blue() > centre.red()


def test_every_pane_has_an_icon_of_the_set(qapp) -> None:
    specs = discover_panes()
    assert specs
    for spec in specs:
        icon = load_icon(spec.icon)
        assert not icon.isNull(), spec.name
        assert icon.pixmap(QSize(32, 32)).toImage().pixelColor(16, 16).isValid()


def test_the_app_quits_with_0_once_its_window_is_shown(temp_home: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", QUIT_WHEN_SHOWN_ENV: "1"}
    done = subprocess.run(
        [sys.executable, "-m", "mlops_desktop", "--home", str(temp_home), "gui"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert SHOWN_LINE in done.stdout.splitlines()
    assert (temp_home / "catalog.db").is_file()
