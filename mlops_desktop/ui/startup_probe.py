"""A start check for packaging and benchmarks: quit as soon as the main window is shown.

With ``MLOPS_DESKTOP_QUIT_WHEN_SHOWN=1`` in its environment the app, once its main window has
been shown and painted its first frame, prints ``main window shown`` on stdout and quits
normally (the same shutdown as closing the window, exit status 0). The bundle's CI check and
``packaging/measure_start`` use it; a person never sets it.
"""

from __future__ import annotations

import os
import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QWidget

QUIT_WHEN_SHOWN_ENV = "MLOPS_DESKTOP_QUIT_WHEN_SHOWN"
SHOWN_LINE = "main window shown"


def quit_when_shown_requested() -> bool:
    return os.environ.get(QUIT_WHEN_SHOWN_ENV, "").strip() not in ("", "0")


def arm_quit_when_shown(app: QApplication, window: QWidget) -> None:
    """When asked for by the environment, quit ``app`` once ``window`` has painted (call it
    right after ``window.show()``, before ``app.exec()``)."""
    if not quit_when_shown_requested():
        return

    def report_and_quit() -> None:
        window.grab()  # the first frame, painted
        print(SHOWN_LINE, flush=True, file=sys.stdout)
        app.quit()

    QTimer.singleShot(0, report_and_quit)
