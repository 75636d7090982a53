"""The command palette: a frameless box over the main window with a line edit and a list.

Ctrl+K opens it. Typing filters in memory (:class:`~mlops_desktop.core.palette.PaletteSearch`);
Up/Down/Page Up/Page Down move, Enter goes to the chosen thing, Esc closes. The catalog's
names come from :class:`~mlops_desktop.services.palette_index.PaletteIndexService` on a worker
each time the palette opens (and again while it is open when new runs arrive); the menu actions
are read from the menu bar as they are at that moment, so it offers exactly what the menus do.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QItemSelectionModel, QObject, QSettings, Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QLabel,
    QLineEdit,
    QListView,
    QMainWindow,
    QVBoxLayout,
    QWidget,
)

from mlops_desktop.core import palette as p
from mlops_desktop.core.palette import PaletteEntry, PaletteSearch
from mlops_desktop.services.palette_index import PaletteIndexService
from mlops_desktop.ui.command_palette.menu_actions import MenuAction, menu_actions
from mlops_desktop.ui.command_palette.results import (
    PaletteItemDelegate,
    PaletteResultsModel,
    PaletteRow,
)
from mlops_desktop.ui.failures import Failure
from mlops_desktop.ui.navigation import Navigator
from mlops_desktop.ui.tasks import TaskRunner, TaskState

PALETTE_KEYS = "Ctrl+K"
RESULT_LIMIT = 50
VISIBLE_ROWS = 12
RECENT_FILE = "palette.ini"
HINT = (
    "↑↓ choose · Enter open · Esc close · start with > for actions, or run: exp: data: "
    "model: host: monitor:"
)
_MOVES = {
    Qt.Key.Key_Down: 1,
    Qt.Key.Key_Up: -1,
    Qt.Key.Key_PageDown: VISIBLE_ROWS - 1,
    Qt.Key.Key_PageUp: -(VISIBLE_ROWS - 1),
}


def load_search(
    service: PaletteIndexService, actions: list[PaletteEntry], *, state: TaskState
) -> PaletteSearch:
    """The catalog's names and the hosts after ``actions``, ready to search (a worker task)."""
    entries = service.entries()
    state.check()
    return PaletteSearch(actions + entries)


class CommandPalette(QFrame):
    """See the module docstring.

    Signals:
        loaded(int): the index was (re)loaded; how many entries it holds.
        activated(object): a :class:`PaletteEntry` was opened or run.
    """

    loaded = Signal(int)
    activated = Signal(object)

    def __init__(
        self,
        window: QMainWindow,
        service: PaletteIndexService,
        runner: TaskRunner,
        navigator: Navigator,
        home: Path | None = None,
    ) -> None:
        super().__init__(window)
        self._window = window
        self._service = service
        self._runner = runner
        self._navigator = navigator
        self._recent_file = Path(home) / RECENT_FILE if home is not None else None
        self._search: PaletteSearch | None = None
        self._actions: dict[str, MenuAction] = {}
        self._return_focus: QWidget | None = None
        self.recent: list[str] = self._load_recent()
        self.setObjectName("commandPalette")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self.edit = QLineEdit()
        self.edit.setPlaceholderText(
            "Find runs, experiments, datasets, models, hosts, monitors, pipelines and actions"
        )
        self.edit.setClearButtonEnabled(True)
        self.model = PaletteResultsModel(self)
        self.list = QListView()
        self.list.setModel(self.model)
        self.list.setItemDelegate(PaletteItemDelegate(self.list))
        self.list.setUniformItemSizes(True)
        self.list.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the keys go to the line edit
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.hint = QLabel(HINT)
        self.hint.setObjectName("paletteHint")
        self.hint.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 6)
        layout.setSpacing(6)
        layout.addWidget(self.edit)
        layout.addWidget(self.list)
        layout.addWidget(self.hint)
        self.hide()
        self.edit.textChanged.connect(self._on_text_changed)
        self.edit.installEventFilter(self)
        self.list.clicked.connect(lambda index: self.activate_row(index.row()))
        window.installEventFilter(self)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.focusChanged.connect(self._on_focus_changed)
            app.installEventFilter(self)  # line edits take Ctrl+K (delete to the end) first

    # --- public --------------------------------------------------------------------------
    def open(self) -> None:
        """Show the palette with an empty query; reload the index on a worker meanwhile."""
        focused = QApplication.focusWidget()
        if not self.isVisible():
            self._return_focus = (
                focused if focused is not None and focused is not self.edit else None
            )
        self._actions = {a.key: a for a in menu_actions(self._window.menuBar())}
        action_entries = [a.entry() for a in self._actions.values()]
        if self._search is None:  # until the catalog's names arrive, the actions at least
            self._search = PaletteSearch(action_entries)
        self._place()
        self.show()
        self.raise_()
        # Opened from a menu of an inactive window, or after a dialog or popup took the
        # activation, the window must be active for the line edit to get the keyboard.
        if not self._window.isActiveWindow():
            self._window.activateWindow()
        self.edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.edit.clear()
        self.refilter()
        self.reload(action_entries)

    def close_palette(self) -> None:
        """Hide, giving the keyboard back to where it was."""
        if not self.isVisible():
            return
        self.hide()
        target = self._return_focus
        self._return_focus = None
        if target is not None and target.isVisible():
            target.setFocus(Qt.FocusReason.PopupFocusReason)

    def reload(self, action_entries: list[PaletteEntry] | None = None) -> None:
        """Load the catalog's names again (the latest request wins)."""
        if action_entries is None:
            action_entries = [a.entry() for a in self._actions.values()]
        self._runner.submit(
            load_search,
            self._service,
            action_entries,
            key=(self, "index"),
            on_done=self._on_loaded,
            on_failed=self._on_load_failed,
        )

    def on_catalog_changed(self, *_args: object) -> None:
        """New or changed runs: reload now if the palette is open (else at the next open)."""
        if self.isVisible():
            self.reload()

    def refilter(self) -> None:
        """Show the best matches of the line edit's text, the first one chosen."""
        if self._search is None:
            return
        self._search.set_recent(self.recent)
        rows = [self._row(hit) for hit in self._search.search(self.edit.text(), RESULT_LIMIT)]
        self.model.set_rows(rows)
        self.hint.setText(HINT if rows or not self.edit.text() else "Nothing matches.")
        if rows:
            self._choose(0)
        if self.isVisible():
            self._place()

    def current_row(self) -> int:
        index = self.list.currentIndex()
        return index.row() if index.isValid() else -1

    def activate_row(self, row: int) -> None:
        """Go to (or run) the entry of ``row``; a disabled action says why and stays."""
        rows = self.model.rows()
        if not 0 <= row < len(rows):
            return
        chosen = rows[row]
        if not chosen.enabled:
            self.hint.setText(f"{chosen.hit.entry.name} is {chosen.detail}.")
            return
        entry = chosen.hit.entry
        self._remember(entry)
        self.hide()
        self._return_focus = None
        self._go(entry)
        self.activated.emit(entry)

    # --- inside --------------------------------------------------------------------------
    def _row(self, hit: p.PaletteHit) -> PaletteRow:
        if hit.entry.kind != p.ACTION:
            return PaletteRow(hit)
        action = self._actions.get(hit.entry.key)
        if action is None:
            return PaletteRow(hit, enabled=False, reason="no longer in the menus")
        return PaletteRow(hit, action.shortcut, action.enabled, action.disabled_reason)

    def _go(self, entry: PaletteEntry) -> None:
        nav, key = self._navigator, entry.key
        if entry.kind == p.ACTION:
            action = self._actions.get(key)
            if action is not None:
                action.action.trigger()
        elif entry.kind == p.RUN:
            nav.show_run(key)
        elif entry.kind == p.EXPERIMENT:
            nav.show_experiment(key)
        elif entry.kind == p.DATASET:
            nav.show_dataset(key)
        elif entry.kind == p.MODEL:
            nav.show_model(key)
        elif entry.kind in (p.MODEL_VERSION, p.MODEL_ALIAS):
            nav.show_model(key, int(entry.version) if entry.version.isdigit() else None)
        elif entry.kind == p.HOST:
            nav.open_hosts_dialog(key)
        elif entry.kind == p.MONITOR:
            nav.show_monitor(key)
        elif entry.kind == p.PIPELINE:
            nav.show_pipeline(key)

    def _choose(self, row: int) -> None:
        count = self.model.rowCount()
        if count == 0:
            return
        index = self.model.index(max(0, min(count - 1, row)))
        flags = QItemSelectionModel.SelectionFlag.ClearAndSelect
        self.list.selectionModel().setCurrentIndex(index, flags)
        self.list.scrollTo(index)

    def _place(self) -> None:
        """Centred near the top of the window, as wide as reads well."""
        window = self._window
        width = min(720, max(320, window.width() - 80))
        row_height = self.list.sizeHintForRow(0) if self.model.rowCount() else 30
        shown = min(VISIBLE_ROWS, max(1, self.model.rowCount()))  # no empty rows below
        height = 8 + self.edit.sizeHint().height() + 6 + row_height * shown + 6
        height += self.hint.sizeHint().height() + 8
        height = min(height, max(160, window.height() - 120))
        top = window.menuBar().height() + 24
        self.setGeometry((window.width() - width) // 2, top, width, height)

    def _remember(self, entry: PaletteEntry) -> None:
        self.recent = [entry.identity] + [r for r in self.recent if r != entry.identity]
        del self.recent[p.MAX_RECENT :]
        if self._recent_file is not None:
            settings = QSettings(str(self._recent_file), QSettings.Format.IniFormat)
            settings.setValue("recent", self.recent)
            settings.sync()

    def _load_recent(self) -> list[str]:
        if self._recent_file is None or not self._recent_file.exists():
            return []
        value = QSettings(str(self._recent_file), QSettings.Format.IniFormat).value("recent", [])
        if isinstance(value, str):
            return [value]
        return [str(v) for v in value] if isinstance(value, list) else []

    # --- slots and events ----------------------------------------------------------------
    def _on_text_changed(self, _text: str) -> None:
        self.refilter()

    def _on_loaded(self, search: PaletteSearch) -> None:
        self._search = search
        if self.isVisible():
            row = self.current_row()
            self.refilter()
            if row > 0:
                self._choose(row)
        self.loaded.emit(len(search))

    def _on_load_failed(self, failure: Failure) -> None:
        self.hint.setText(f"Cannot read the catalog: {failure}")

    def _on_focus_changed(self, _old: QWidget | None, new: QWidget | None) -> None:
        if self.isVisible() and new is not None and not self.isAncestorOf(new):
            self.hide()  # clicked or tabbed elsewhere: that widget keeps the focus

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ShortcutOverride and self._is_palette_key(watched, event):
            event.ignore()  # not the line edit's: the window's shortcut opens the palette
            return True
        if watched is self._window and event.type() == QEvent.Type.Resize and self.isVisible():
            self._place()
        elif watched is self.edit and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            return self._on_key(event)
        return super().eventFilter(watched, event)

    def _is_palette_key(self, watched: QObject, event: QEvent) -> bool:
        if not isinstance(event, QKeyEvent) or not isinstance(watched, QWidget):
            return False
        pressed = QKeySequence(event.keyCombination())
        return pressed.matches(
            QKeySequence(PALETTE_KEYS)
        ) == QKeySequence.SequenceMatch.ExactMatch and (watched.window() is self._window)

    def _on_key(self, event: QKeyEvent) -> bool:
        key = event.key()
        if key in _MOVES:
            self._choose(self.current_row() + _MOVES[Qt.Key(key)])
            return True
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.activate_row(self.current_row())
            return True
        if key == Qt.Key.Key_Escape:
            self.close_palette()
            return True
        return False
