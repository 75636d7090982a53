"""How the runs table is set up per experiment: chosen columns, pins, grouping and saved views.

Kept in ``HOME/runs_table.json`` (written atomically), one entry per experiment; the key ``""``
is "All experiments". Loading never fails: a file that cannot be read or a value of the wrong
shape is ignored (logged), and the person gets the defaults for that experiment.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlops_desktop.tracking.atomic import write_text_atomic

TABLE_VIEWS_FILENAME = "runs_table.json"
ALL_EXPERIMENTS = ""
DEFAULT_PINNED = ("name",)
_VERSION = 1

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TableView:
    """A saved view: what the person sees, restored all at once.

    Attributes:
        query: the filter text.
        columns: the dynamic columns, e.g. ``["metrics.acc", "params.lr"]``.
        sort_column: the sorted column's id (``"started"``, ``"metrics.acc"``), "" for none.
        descending: the sort order.
        group_by: the key rows are grouped by (``"params.opt"``), "" for no grouping.
    """

    query: str = ""
    columns: tuple[str, ...] = ()
    sort_column: str = ""
    descending: bool = True
    group_by: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "columns": list(self.columns),
            "sort_column": self.sort_column,
            "descending": self.descending,
            "group_by": self.group_by,
        }

    @classmethod
    def from_json(cls, raw: Any) -> TableView | None:
        """The view in ``raw``, or None when it is not the shape :meth:`to_json` writes."""
        if not isinstance(raw, dict):
            return None
        text = {k: raw.get(k, "") for k in ("query", "sort_column", "group_by")}
        columns = raw.get("columns", [])
        descending = raw.get("descending", True)
        if not all(isinstance(v, str) for v in text.values()) or not isinstance(descending, bool):
            return None
        if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
            return None
        return cls(columns=tuple(columns), descending=descending, **text)


@dataclass
class ExperimentTable:
    """One experiment's table setup.

    Attributes:
        columns: the columns the person chose; None until they choose (then defaults apply).
        seen: the keys the experiment's runs had when the columns were chosen (newer keys are
            offered in Columns…).
        pinned: ids of the columns kept at the left.
        group_by: the key rows are grouped by, "" for none.
        views: saved views by name.
    """

    columns: list[str] | None = None
    seen: list[str] = field(default_factory=list)
    pinned: list[str] = field(default_factory=lambda: list(DEFAULT_PINNED))
    group_by: str = ""
    views: dict[str, TableView] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "columns": self.columns,
            "seen": self.seen,
            "pinned": self.pinned,
            "group_by": self.group_by,
            "views": {name: view.to_json() for name, view in self.views.items()},
        }

    @classmethod
    def from_json(cls, raw: Any) -> ExperimentTable:
        table = cls()
        if not isinstance(raw, dict):
            return table
        columns = raw.get("columns")
        if isinstance(columns, list) and _is_texts(columns):
            table.columns = [str(c) for c in columns]
        for name in ("seen", "pinned"):
            if _is_texts(raw.get(name)):
                setattr(table, name, list(raw[name]))
        if isinstance(raw.get("group_by"), str):
            table.group_by = raw["group_by"]
        views = raw.get("views")
        if isinstance(views, dict):
            for name, value in views.items():
                view = TableView.from_json(value)
                if isinstance(name, str) and view is not None:
                    table.views[name] = view
        return table


def _is_texts(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


class TableViewsStore:
    """Reads and writes ``HOME/runs_table.json``.

    Args:
        home: the app's home.
        legacy_columns: the old global ``runs_columns`` setting: the choice of "All
            experiments" until the person chooses there.
    """

    def __init__(self, home: Path, legacy_columns: list[str] | None = None) -> None:
        self.path = home / TABLE_VIEWS_FILENAME
        self._legacy = list(legacy_columns) if legacy_columns is not None else None
        self._tables: dict[str, ExperimentTable] = {}
        self._load()

    def _load(self) -> None:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raw = {}
        except (OSError, ValueError, RecursionError) as exc:
            _log.warning("%s cannot be read (%s); using the default table setup", self.path, exc)
            raw = {}
        experiments = raw.get("experiments") if isinstance(raw, dict) else None
        if isinstance(experiments, dict):
            for name, value in experiments.items():
                if isinstance(name, str):
                    self._tables[name] = ExperimentTable.from_json(value)

    def table(self, experiment: str | None) -> ExperimentTable:
        """The setup of ``experiment`` (None: all experiments); a new one is not yet saved."""
        key = ALL_EXPERIMENTS if experiment is None else experiment
        table = self._tables.get(key)
        if table is None:
            table = ExperimentTable()
            if key == ALL_EXPERIMENTS and self._legacy is not None:
                table.columns = list(self._legacy)
            self._tables[key] = table
        return table

    def save(self) -> None:
        """Write every experiment's setup; raises OSError when the home is not writable."""
        data = {
            "version": _VERSION,
            "experiments": {name: t.to_json() for name, t in sorted(self._tables.items())},
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(self.path, json.dumps(data, indent=2))
