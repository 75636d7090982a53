"""Tables show control characters in names, params and tags escaped; the data stays exact."""

from __future__ import annotations

from gui_spools import summary
from PySide6.QtCore import Qt

from mlops_desktop.core.models import ModelSummary
from mlops_desktop.ui.item_models.model_tables import ModelsListModel
from mlops_desktop.ui.item_models.runs_table import COL_NAME, FIXED_HEADERS, RunsTableModel

OSC52 = "a\x1b]52;c;ZXZpbA==\x07b"
RAW = ("\x1b", "\x07", "\x9b", "\u202e", "\n")


def _clean(text: object) -> bool:
    return isinstance(text, str) and not any(ch in text for ch in RAW)


def test_runs_table_display_text_is_escaped() -> None:
    run = summary(
        "r1",
        name=OSC52,
        experiment="e\u202exe",
        params={"p\x1b[31m": "v\nw"},
        tags={"t": "x\x9by"},
    )
    model = RunsTableModel()
    model.set_columns(["params.p\x1b[31m", "tags.t"])
    model.set_runs([run])
    texts = [model.data(model.index(0, c)) for c in range(model.columnCount())]
    tips = [model.data(model.index(0, c), Qt.ItemDataRole.ToolTipRole) for c in (0, 1)]
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    assert all(_clean(t) for t in texts + headers), texts + headers
    assert all(_clean(t.replace("\n", "")) for t in tips), tips  # their own line breaks stay
    assert tips[1] == "a\\x1b]52;c;ZXZpbA==\\x07b\nr1"
    assert model.data(model.index(0, COL_NAME)) == "a\\x1b]52;c;ZXZpbA==\\x07b"
    assert model.data(model.index(0, len(FIXED_HEADERS))) == "v\\nw"
    assert "x\\x9by" in texts


def test_row_tables_escape_display_text() -> None:
    model = ModelsListModel()
    model.set_models([ModelSummary("m\x1b[2J", 1, 1, {}, 0.0, "d\u202e\nmore")])
    assert model.data(model.index(0, 0)) == "m\\x1b[2J"
    tooltip = model.data(model.index(0, 0), Qt.ItemDataRole.ToolTipRole)
    assert tooltip is None or ("\u202e" not in tooltip and "\x1b" not in tooltip)
