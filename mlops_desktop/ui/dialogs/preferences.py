"""Preferences: catalog location, theme, chart smoothing, ingest interval, hardware history,
which notices to get, and whether the app keeps running in the tray."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from mlops_desktop.core.notices import NOTICE_KIND_LABELS, NOTICE_KINDS
from mlops_desktop.settings import Settings
from mlops_desktop.ui.tasks import TaskRunner, TaskState
from mlops_desktop.ui.widgets import count_suffix

THEME_LABELS = {"system": "Follow the system", "light": "Light", "dark": "Dark"}
URL_PLACEHOLDER = "empty: SQLite in the home, or postgresql+psycopg://user@host/db"
_URL_PREFIXES = ("sqlite", "postgresql")
HOME_NOTE = "Start with --home DIR or set MLOPS_DESKTOP_HOME to use another home."


def _run_test(test: Callable[[str], str], url: str, *, state: TaskState) -> str:
    return test(url)


def catalog_url_problem(url: str) -> str | None:
    """Why a catalog URL cannot work, or None when it may (empty means the default)."""
    if not url:
        return None
    if not url.startswith(_URL_PREFIXES) or "://" not in url:
        return "Use an SQLite URL (sqlite:///path) or postgresql+psycopg://user@host/db."
    return None


class PreferencesDialog(QDialog):
    """Edits a :class:`Settings` object and saves it into the home on Save.

    Signals:
        saved(): the settings were changed and written.
    """

    saved = Signal()

    def __init__(
        self,
        settings: Settings,
        home: Path,
        runner: TaskRunner,
        test_connection: Callable[[str], str] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Preferences")
        self.setMinimumWidth(640)
        self._settings = settings
        self._home = home
        self._runner = runner
        self._test = test_connection

        self.error_label = QLabel()
        self.error_label.setStyleSheet("color: #d0312d;")
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self._on_save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(self._build_form(settings, home))
        layout.addWidget(self.error_label)
        layout.addWidget(buttons)

    def _build_form(self, settings: Settings, home: Path) -> QFormLayout:
        home_label = QLabel(str(home))
        home_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.theme_combo = QComboBox()
        for key, label in THEME_LABELS.items():
            self.theme_combo.addItem(label, key)
        self.theme_combo.setCurrentIndex(max(0, self.theme_combo.findData(settings.theme)))
        self.smoothing_spin = QDoubleSpinBox()
        self.smoothing_spin.setRange(0.0, 0.99)
        self.smoothing_spin.setSingleStep(0.05)
        self.smoothing_spin.setDecimals(2)
        self.smoothing_spin.setValue(settings.chart_smoothing)
        self.smoothing_spin.setToolTip("Exponential moving average weight: 0 shows raw values")
        self.interval_spin = QDoubleSpinBox()
        self.interval_spin.setRange(0.2, 3600.0)
        self.interval_spin.setSingleStep(0.5)
        self.interval_spin.setSuffix(" s")
        self.interval_spin.setValue(settings.ingest_interval_s)
        self.history_spin = QSpinBox()
        self.history_spin.setRange(1, 365)
        count_suffix(self.history_spin, "day")
        self.history_spin.setValue(settings.hw_history_days)
        self.history_spin.setToolTip(
            "How long the catalog keeps the per-minute hardware history that the Monitors "
            "pane's day view shows"
        )
        self.keep_spools_check = QCheckBox("Keep the raw spool files of ended runs")
        self.keep_spools_check.setChecked(settings.keep_spools)
        self.keep_spools_check.setToolTip(
            "Off: once an ended run's points are in the catalog, its spool's events are "
            "removed to save disk (the run's log stays). On: the spool files stay as written."
        )
        form = QFormLayout()
        form.addRow("Home:", home_label)
        form.addRow("", self._note(HOME_NOTE))
        form.addRow("Catalog:", self._build_catalog_row(settings))
        form.addRow("", self.test_result)
        form.addRow("", self._note("Catalog changes apply after restart."))
        form.addRow("Theme:", self.theme_combo)
        form.addRow("Chart smoothing:", self.smoothing_spin)
        form.addRow("Look for new points every:", self.interval_spin)
        form.addRow("Keep hardware history for:", self.history_spin)
        form.addRow("Spools:", self.keep_spools_check)
        self._add_notification_rows(form, settings)
        return form

    def _add_notification_rows(self, form: QFormLayout, settings: Settings) -> None:
        """One check box per notice kind, and "keep running in the tray"."""
        self.notify_checks: dict[str, QCheckBox] = {}
        for i, kind in enumerate(NOTICE_KINDS):
            check = QCheckBox(NOTICE_KIND_LABELS[kind])
            check.setChecked(settings.notifies(kind))
            self.notify_checks[kind] = check
            form.addRow("Notify me when:" if i == 0 else "", check)
        self.keep_in_tray_check = QCheckBox("Keep running in the tray when the window is closed")
        self.keep_in_tray_check.setChecked(settings.keep_in_tray)
        self.keep_in_tray_check.setToolTip(
            "Runs are still followed and notices still come; Quit in the tray's menu (or "
            "File > Quit) stops the app. Without a tray on the desktop, closing always quits."
        )
        form.addRow("Tray:", self.keep_in_tray_check)

    def _build_catalog_row(self, settings: Settings) -> QHBoxLayout:
        self.catalog_edit = QLineEdit(settings.catalog_url)
        self.catalog_edit.setPlaceholderText(URL_PLACEHOLDER)
        self.catalog_edit.setClearButtonEnabled(True)
        self.test_button = QPushButton("Test connection")
        self.test_button.setEnabled(self._test is not None)
        self.test_button.clicked.connect(self._on_test_clicked)
        self.test_result = QLabel()
        self.test_result.setWordWrap(True)
        self.test_result.setVisible(False)
        catalog_row = QHBoxLayout()
        catalog_row.addWidget(self.catalog_edit, 1)
        catalog_row.addWidget(self.test_button)
        return catalog_row

    @staticmethod
    def _note(text: str) -> QLabel:
        label = QLabel(text)
        label.setWordWrap(True)
        label.setEnabled(False)  # drawn in the palette's disabled (muted) colour
        return label

    def _on_test_clicked(self) -> None:
        if self._test is None or self._runner.is_busy((self, "test")):
            return
        url = self.catalog_edit.text().strip()
        problem = catalog_url_problem(url)
        if problem:
            self._show_test_result(False, problem)
            return
        self.test_result.setStyleSheet("")
        self.test_result.setText("Connecting…")
        self.test_result.setVisible(True)
        self.test_button.setEnabled(False)
        handle = self._runner.submit(
            _run_test,
            self._test,
            url,
            key=(self, "test"),
            on_done=lambda text: self._show_test_result(True, str(text)),
            on_failed=lambda failure: self._show_test_result(False, str(failure)),
            label="Testing the catalog connection",
        )
        handle.finished.connect(lambda: self.test_button.setEnabled(self._test is not None))

    def _show_test_result(self, ok: bool, text: str) -> None:
        self.test_result.setStyleSheet("color: #2e8b57;" if ok else "color: #d0312d;")
        self.test_result.setText(text)
        self.test_result.setVisible(True)

    def _on_save(self) -> None:
        url = self.catalog_edit.text().strip()
        problem = catalog_url_problem(url)
        if problem:
            self.error_label.setText(problem)
            self.error_label.show()
            return
        s = self._settings
        s.catalog_url = url
        s.theme = str(self.theme_combo.currentData())
        s.chart_smoothing = round(self.smoothing_spin.value(), 2)
        s.ingest_interval_s = round(self.interval_spin.value(), 2)
        s.hw_history_days = self.history_spin.value()
        s.keep_spools = self.keep_spools_check.isChecked()
        s.notifications_off = [k for k, c in self.notify_checks.items() if not c.isChecked()]
        s.keep_in_tray = self.keep_in_tray_check.isChecked()
        try:
            s.save(self._home)
        except OSError as exc:
            self.error_label.setText(f"Cannot save settings in {self._home}: {exc.strerror}")
            self.error_label.show()
            return
        self.saved.emit()
        self.accept()
