"""Spin boxes that count say "1 day", "2 days"."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QSpinBox

from mlops_desktop.ui.widgets import count_suffix


def test_count_suffix_follows_the_value(qtbot: Any) -> None:
    spin = QSpinBox()
    qtbot.addWidget(spin)
    spin.setRange(0, 10)
    spin.setValue(1)
    count_suffix(spin, "day")
    assert spin.text() == "1 day"
    spin.setValue(2)
    assert spin.text() == "2 days"
    spin.setValue(0)
    assert spin.text() == "0 days"
