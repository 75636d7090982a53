"""The main window's state from one session to the next: ``HOME/window.ini``.

Kept: the geometry (and whether the window was maximized), each pane's splitters, the pane shown
and what each pane had chosen (experiment and runs, dataset and version, model and version, job).
It is saved on close, and a moment after any of it changes, so a crash loses little. Restoring
never fails: what no longer exists is passed over, and a window that would open off every screen
is moved onto the primary one.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, QRect, QSettings, QSize, Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMainWindow

if TYPE_CHECKING:
    from mlops_desktop.ui.panes.registry import Pane

WINDOW_STATE_FILE = "window.ini"
SAVE_DELAY_MS = 1000
"""A change is saved at most this long after it happened."""
MIN_VISIBLE_PX = 64
FRAME_ALLOWANCE_PX = 32  # a title bar, where a window manager draws one
"""How much of the window's top must show on some screen for it to be reachable."""

_log = logging.getLogger(__name__)
_WATCHED_EVENTS = (QEvent.Type.Move, QEvent.Type.Resize, QEvent.Type.WindowStateChange)


def placed_on_screen(frame: QRect, screens: list[QRect]) -> QRect:
    """``frame``, or where to put it instead when its top edge (where the title bar is) shows on
    none of ``screens``: centred on the first screen, no larger than it.

    Args:
        frame: the window's geometry.
        screens: the screens' available geometries, the primary one first.
    """
    top = QRect(frame.x(), frame.y(), frame.width(), min(frame.height(), 40))
    for screen in screens:
        shown = screen.intersected(top)
        if shown.width() >= min(MIN_VISIBLE_PX, frame.width()) and shown.height() > 0:
            return frame
    if not screens:
        return frame
    screen = screens[0]
    width, height = min(frame.width(), screen.width()), min(frame.height(), screen.height())
    moved = QRect(0, 0, width, height)
    moved.moveCenter(screen.center())
    return moved


def size_on_screen(size: QSize, screen: QRect | None, frame_px: int = FRAME_ALLOWANCE_PX) -> QSize:
    """``size``, shrunk where it is larger than ``screen`` (a screen's available geometry, None:
    unknown), keeping ``frame_px`` for the window manager's title bar: a 1280x720 laptop
    shows the whole first window, status bar included."""
    if screen is None or screen.isEmpty():
        return size
    return QSize(min(size.width(), screen.width()), min(size.height(), screen.height() - frame_px))


def first_window_size(size: QSize) -> QSize:
    """The size of a window opened for the first time: ``size`` fitted to the primary screen
    (as it is on the offscreen platform, which has no screen to fit)."""
    primary = QGuiApplication.primaryScreen()
    if primary is None or QGuiApplication.platformName() == "offscreen":
        return size
    return size_on_screen(size, primary.availableGeometry())


def _screens() -> list[QRect]:
    primary = QGuiApplication.primaryScreen()
    others = [s for s in QGuiApplication.screens() if s is not primary]
    return [s.availableGeometry() for s in ([primary] if primary else []) + others]


class WindowStateKeeper(QObject):
    """Saves and restores the state of ``window`` and its ``panes`` in ``HOME/window.ini``.

    Args:
        window: the main window (watched for moves and resizes).
        panes: the window's panes by name.
        path: the INI file.
        current_pane: the name of the pane shown now (None: none).
        show_pane: shows the pane of a name.
    """

    def __init__(
        self,
        window: QMainWindow,
        panes: dict[str, Pane],
        path: Path,
        current_pane: Callable[[], str | None],
        show_pane: Callable[[str], object],
    ) -> None:
        super().__init__(window)
        self._window = window
        self._panes = panes
        self._path = path
        self._current_pane = current_pane
        self._show_pane = show_pane
        self._saved: dict[str, Any] | None = None
        self._restoring = False
        self.save_timer = QTimer(self)
        self.save_timer.setSingleShot(True)
        self.save_timer.setInterval(SAVE_DELAY_MS)
        self.save_timer.timeout.connect(self.save)
        window.installEventFilter(self)
        for pane in panes.values():
            pane.selectionChanged.connect(self.schedule_save)
            for splitter in pane.layout_splitters():
                splitter.splitterMoved.connect(self.schedule_save)

    def settings(self) -> QSettings:
        """The window-state file, for what else a window remembers (an import's last source)."""
        return QSettings(str(self._path), QSettings.Format.IniFormat)

    # --- restore -------------------------------------------------------------------------
    def restore(self) -> None:
        """Put back the last session's state (call it before the window is shown)."""
        self._restoring = True
        try:
            state = self.settings()
            geometry = state.value("geometry")
            if geometry is not None:
                self._window.restoreGeometry(geometry)  # type: ignore[arg-type]
                self._window.setGeometry(placed_on_screen(self._window.geometry(), _screens()))
            if _as_bool(state.value("maximized")):
                maximized = self._window.windowState() | Qt.WindowState.WindowMaximized
                self._window.setWindowState(maximized)
            for name, pane in self._panes.items():
                layout = state.value(f"panes/{name}")
                if layout is not None:
                    pane.restore_state(str(layout))
                selection = _as_dict(state.value(f"selection/{name}"))
                if selection:
                    pane.restore_selection(selection)
            shown = state.value("pane")
            if isinstance(shown, str) and shown in self._panes:
                self._show_pane(shown)
        except Exception:  # a broken file must not keep the app from opening
            _log.exception("Cannot restore the window state from %s", self._path)
        finally:
            self._restoring = False

    # --- save ----------------------------------------------------------------------------
    def schedule_save(self) -> None:
        """Save a moment from now (once, however many changes come meanwhile)."""
        if not self._restoring and not self.save_timer.isActive():
            self.save_timer.start()

    def save(self) -> None:
        """Write the state now, when it differs from what was written last."""
        self.save_timer.stop()
        try:
            values = self._values()
            if values == self._saved:
                return
            state = self.settings()
            for key, value in values.items():
                state.setValue(key, value)
            state.sync()
            if state.status() != QSettings.Status.NoError:
                _log.warning("Cannot write the window state to %s", self._path)
                return
            self._saved = values
        except Exception:  # the state is a convenience: never a reason to fail
            _log.exception("Cannot save the window state to %s", self._path)

    def _values(self) -> dict[str, Any]:
        window = self._window
        values: dict[str, Any] = {
            "geometry": window.saveGeometry(),
            "maximized": window.isMaximized(),
            "pane": self._current_pane() or "",
        }
        for name, pane in self._panes.items():
            layout = pane.save_state()
            if layout is not None:
                values[f"panes/{name}"] = layout
            values[f"selection/{name}"] = json.dumps(pane.selection_state(), sort_keys=True)
        return values

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._window and event.type() in _WATCHED_EVENTS:
            self.schedule_save()
        return False


def _as_bool(value: object) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _as_dict(value: object) -> dict[str, Any]:
    if not isinstance(value, str):
        return {}
    try:
        loaded = json.loads(value)
    except ValueError:
        return {}
    return loaded if isinstance(loaded, dict) else {}
