"""Colours shared by the chart widgets: one distinct, stable colour per run."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Protocol

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QWidget

# Tableau 10: distinct on white, and readable for the common colour-vision deficiencies.
RUN_COLORS = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)


def run_color(index: int) -> QColor:
    """The colour of the ``index``-th run in a chart (cycles after ten)."""
    return QColor(RUN_COLORS[index % len(RUN_COLORS)])


# A run's pinned colour, set by the person ("#rrggbb"); it wins over the colour from its id.
PIN_COLOR_TAG = "mlops.color"

# Twenty colours for runs: Tableau 10, then a lighter sister of each; readable on light and
# dark backgrounds.
STABLE_COLORS = (
    *RUN_COLORS,
    # each lighter sister ten places after its colour: as far as twenty colours allow
    "#aec7e8",
    "#ffbb78",
    "#98df8a",
    "#ff9896",
    "#c5b0d5",
    "#c49c94",
    "#f7b6d2",
    "#c7c7c7",
    "#dbdb8d",
    "#9edae5",
)


def stable_run_color(
    run_id: str, tags: Mapping[str, str] | None = None, index: int | None = None
) -> QColor:
    """A run's colour everywhere (table swatch, every chart, legend, parallel coordinates).

    The pinned colour (tag ``mlops.color``) when it is a valid colour; else the colour of the
    run's place among its experiment's runs (``index``, the catalog's ``color_index``), so
    twenty runs started one after another all differ; else one picked from the run id's hash.
    Either way the same run has the same colour in every selection and every session.
    """
    pinned = (tags or {}).get(PIN_COLOR_TAG)
    if pinned:
        color = QColor(pinned)
        if color.isValid():
            return color
    if index is not None and index >= 0:
        return QColor(STABLE_COLORS[index % len(STABLE_COLORS)])
    digest = hashlib.blake2b(run_id.encode("utf-8"), digest_size=4).digest()
    return QColor(STABLE_COLORS[int.from_bytes(digest, "big") % len(STABLE_COLORS)])


class ColoredRun(Protocol):
    """What a run's colour is made of (a :class:`RunSummary` has it)."""

    @property
    def id(self) -> str: ...

    @property
    def tags(self) -> Mapping[str, str]: ...

    @property
    def color_index(self) -> int | None: ...


def color_of_run(run: ColoredRun) -> QColor:
    """:func:`stable_run_color` of a listed run: pinned, else by its place, else by its id."""
    return stable_run_color(run.id, run.tags, run.color_index)


def run_label(name: str, run_id: str) -> str:
    """How a run is named in legends: its name and short id, or the short id alone."""
    short = run_id[:8]
    return f"{name} ({short})" if name else short


def chart_foreground(widget: QWidget) -> QColor:
    """Text and axis colour that reads on the widget's current (light or dark) palette."""
    return widget.palette().color(QPalette.ColorRole.WindowText)


def chart_background(widget: QWidget) -> QColor:
    """Plot background for the widget's current palette."""
    return widget.palette().color(QPalette.ColorRole.Base)


def label_fill(widget: QWidget, alpha: int = 200) -> QColor:
    """A translucent fill behind labels and legends, matching the background."""
    color = QColor(chart_background(widget))
    color.setAlpha(alpha)
    return color
