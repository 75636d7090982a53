"""Pieces of the launch dialog: the command parser and preview, the environment table, and
the recent specs kept in the home (``launch_recent.json``)."""

from __future__ import annotations

import dataclasses
import json
import shlex
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from mlops_desktop.core.compute import RunSpec
from mlops_desktop.tracking.validate import env_name_problem, env_value_problem

RECENT_FILE = "launch_recent.json"
RECENT_MAX = 10


def parse_command(text: str) -> list[str]:
    """Split a command line as a POSIX shell would (no shell runs it).

    Raises:
        ValueError: unbalanced quotes or a trailing backslash.
    """
    return shlex.split(text, posix=True)


def argv_preview(argv: list[str]) -> str:
    """The argv as the program receives it, one bracketed item per argument."""
    if not argv:
        return "no command"
    items = "  ".join(f"⟨{arg}⟩" for arg in argv)
    return f"{len(argv)} argument{'s' if len(argv) != 1 else ''}: {items}"


def spec_to_dict(spec: RunSpec) -> dict[str, Any]:
    return dataclasses.asdict(spec)


def spec_from_dict(data: dict[str, Any]) -> RunSpec:
    """A RunSpec from saved data; unknown keys (from another version) are dropped."""
    names = {f.name for f in dataclasses.fields(RunSpec)}
    return RunSpec(**{k: v for k, v in data.items() if k in names})


def spec_title(spec: RunSpec) -> str:
    """One line for the Recent combo."""
    command = " ".join(shlex.quote(a) for a in spec.command)
    if len(command) > 70:
        command = command[:69] + "…"
    return f"{command}  —  {spec.target}"


class RecentSpecs:
    """The last :data:`RECENT_MAX` launched specs, newest first, in a JSON file."""

    def __init__(self, home: Path) -> None:
        self.path = home / RECENT_FILE

    def load(self) -> list[RunSpec]:
        """Saved specs; a missing or damaged file gives none."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return [spec_from_dict(item) for item in data if isinstance(item, dict)]
        except (OSError, ValueError, TypeError):
            return []

    def add(self, spec: RunSpec) -> list[RunSpec]:
        """Put ``spec`` first (once) and save; returns the new list."""
        specs = [spec] + [s for s in self.load() if s != spec]
        specs = specs[:RECENT_MAX]
        try:
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps([spec_to_dict(s) for s in specs], indent=1), "utf-8")
            tmp.replace(self.path)
        except OSError:
            pass  # remembering is a convenience; the launch itself worked
        return specs


class EnvTable(QWidget):
    """A small name/value table with add and remove buttons."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(["Variable", "Value"])
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setMinimumHeight(80)
        self.table.setMaximumHeight(130)
        self.add_button = QPushButton("Add")
        self.remove_button = QPushButton("Remove")
        buttons = QVBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        self.add_button.clicked.connect(self._on_add)
        self.remove_button.clicked.connect(self._on_remove)

    def set_env(self, env: dict[str, str]) -> None:
        self.table.setRowCount(0)
        for key, value in env.items():
            self.add_row(key, value)

    def add_row(self, key: str = "", value: str = "") -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        self.table.setItem(row, 0, QTableWidgetItem(key))
        self.table.setItem(row, 1, QTableWidgetItem(value))

    def env(self) -> dict[str, str]:
        """The variables; rows with an empty name are skipped.

        Raises:
            ValueError: a name that is not a valid environment variable name.
        """
        env: dict[str, str] = {}
        for row in range(self.table.rowCount()):
            key_item, value_item = self.table.item(row, 0), self.table.item(row, 1)
            key = key_item.text().strip() if key_item else ""
            if not key:
                continue
            value = value_item.text() if value_item else ""
            problem = env_name_problem(key) or env_value_problem(key, value)
            if problem:
                raise ValueError(problem)
            env[key] = value
        return env

    def _on_add(self) -> None:
        self.add_row()
        item = self.table.item(self.table.rowCount() - 1, 0)
        if item is not None:
            self.table.editItem(item)

    def _on_remove(self) -> None:
        rows = sorted({i.row() for i in self.table.selectedIndexes()}, reverse=True)
        for row in rows or ([self.table.rowCount() - 1] if self.table.rowCount() else []):
            self.table.removeRow(row)
