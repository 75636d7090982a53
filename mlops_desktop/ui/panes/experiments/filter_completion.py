"""Completion in the filter box: field names, then the values of a param or tag.

Typing ``par`` offers ``params.lr``, ``params.opt``…; after ``params.opt =`` (or ``!=``) it
offers the values the shown runs have for ``opt``, quoted when they are text; after ``user =``
or ``host =``, the users or machines of the shown runs. Only the token
under the cursor is completed; the rest of the query is kept.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from PySide6.QtCore import QObject, QStringListModel, Qt
from PySide6.QtWidgets import QCompleter, QLineEdit

from mlops_desktop.core.runs import RunSummary
from mlops_desktop.ui.formatting import format_value

SCOPES = ("params", "metrics", "tags")
MAX_VALUES = 200
# A field, then = or !=, then the value typed so far (maybe an open quote).
_VALUE_RE = re.compile(
    r"\b(params|tags)\.([\w\-/.]+|`[^`]*`)\s*(?:=|==|!=|<>)\s*(\"[^\"]*|[^\s()\"]*)$"
)
_WHO_RE = re.compile(r"(?<![\w.`])(user|host)\s*(?:=|==|!=|<>)\s*(\"[^\"]*|[^\s()\"]*)$")
_TOKEN_RE = re.compile(r"[\w\-/.`]*$")


def field_names(runs: Iterable[RunSummary]) -> list[str]:
    """``params.KEY``, ``metrics.KEY``, ``tags.KEY`` of every key the runs have."""
    keys: dict[str, set[str]] = {scope: set() for scope in SCOPES}
    for run in runs:
        keys["params"].update(run.params)
        keys["metrics"].update(run.metrics)
        keys["tags"].update(run.tags)
    return [f"{scope}.{_quoted_key(k)}" for scope in SCOPES for k in sorted(keys[scope])]


def _quoted_key(key: str) -> str:
    return key if re.fullmatch(r"[\w\-/.]+", key) else f"`{key}`"


def field_values(runs: Iterable[RunSummary], scope: str, key: str) -> list[str]:
    """The values of ``scope.key`` in the runs as they are written in a query."""
    key = key.strip("`")
    seen: dict[str, None] = {}
    for run in runs:
        source = run.params if scope == "params" else run.tags
        if key not in source:
            continue
        value = source[key]
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, (int, float)):
            text = format_value(value)
        else:
            text = '"' + str(value).replace('"', '\\"') + '"'
        seen[text] = None
        if len(seen) >= MAX_VALUES:
            break
    return sorted(seen)


def who_values(runs: Iterable[RunSummary], field: str) -> list[str]:
    """The users (``field`` "user") or hosts of the runs, quoted as a query writes them."""
    found = {getattr(run, field) for run in runs} - {None, ""}
    return sorted('"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"' for v in found)


def completions_at(text: str, runs: list[RunSummary]) -> tuple[str, list[str]]:
    """What to offer for ``text`` (the query up to the cursor): (the token typed, choices)."""
    value = _VALUE_RE.search(text)
    if value is not None:
        return value.group(3), field_values(runs, value.group(1), value.group(2))
    who = _WHO_RE.search(text)
    if who is not None:
        return who.group(2), who_values(runs, who.group(1))[:MAX_VALUES]
    token = _TOKEN_RE.search(text)
    typed = token.group(0) if token is not None else ""
    if not typed:
        return "", []
    return typed, [name for name in field_names(runs) if name.startswith(typed)]


class FilterCompleter(QObject):
    """Attaches a popup completer to ``edit``; ``runs()`` gives the runs to draw keys from."""

    def __init__(self, edit: QLineEdit, runs: Callable[[], list[RunSummary]]) -> None:
        super().__init__(edit)
        self._edit = edit
        self._runs = runs
        self._typed = ""
        self.model = QStringListModel(self)
        self.completer = QCompleter(self.model, self)
        self.completer.setWidget(edit)
        self.completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.completer.activated.connect(self.insert)
        edit.textEdited.connect(self._on_text_edited)

    def choices(self) -> list[str]:
        """What the popup offers now."""
        return self.model.stringList()

    def _on_text_edited(self, _text: str) -> None:
        self.update_choices()

    def update_choices(self) -> None:
        """Offer what fits the token under the cursor (hide the popup when nothing does)."""
        before = self._edit.text()[: self._edit.cursorPosition()]
        typed, choices = completions_at(before, self._runs())
        choices = [c for c in choices if c != typed]
        self._typed = typed
        self.model.setStringList(choices)
        popup = self.completer.popup()
        if popup is None:
            return
        if not choices:
            popup.hide()
            return
        self.completer.setCompletionPrefix(typed)
        popup.setCurrentIndex(self.completer.completionModel().index(-1, -1))
        rect = self._edit.cursorRect()
        rect.setWidth(popup.sizeHintForColumn(0) + popup.verticalScrollBar().sizeHint().width() + 8)
        self.completer.complete(rect)

    def insert(self, choice: str) -> None:
        """Replace the token under the cursor by ``choice``."""
        text = self._edit.text()
        cursor = self._edit.cursorPosition()
        start = cursor - len(self._typed)
        self._edit.setText(text[:start] + choice + text[cursor:])
        self._edit.setCursorPosition(start + len(choice))
        self._typed = choice
        self._edit.textEdited.emit(self._edit.text())
