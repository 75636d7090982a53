"""Runs split into groups by the value of one key: the rows of the grouped runs table.

Pure data (no Qt signals): :func:`layout_groups` turns the runs, in the table's order, into the
rows :class:`~mlops_desktop.ui.item_models.run_groups.RunGroupsModel` shows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from mlops_desktop.core.runs import RunSummary
from mlops_desktop.ui.formatting import format_value
from mlops_desktop.ui.item_models.run_tree_layout import RunTree, nest_rows
from mlops_desktop.ui.item_models.runs_table import (
    _MISSING,
    UNKNOWN_USER,
    USER_KEY,
    column_value,
    sort_key,
)

NO_VALUE = "(none)"


@dataclass
class RunGroup:
    """One group: runs sharing a value of the grouping key.

    Attributes:
        label: the value as shown ("adam", "0.01", or "(none)").
        rows: the member runs' rows in the source model, in its order.
        stats: per metric key, (mean, min, max) over the members' finite values; filled lazily.
    """

    label: str
    rows: list[int]
    stats: dict[str, tuple[float, float, float] | None] = field(default_factory=dict)


def group_label(run: RunSummary, key: str) -> str:
    value = column_value(run, -1, key)
    if value is _MISSING or value is None:
        return UNKNOWN_USER if key == USER_KEY else NO_VALUE
    return format_value(value)


def aggregate(values: list[Any]) -> tuple[float, float, float] | None:
    """(mean, min, max) of the finite numbers in ``values``; None when there is none."""
    numbers = [
        float(v)
        for v in values
        if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
    ]
    if not numbers:
        return None
    return sum(numbers) / len(numbers), min(numbers), max(numbers)


@dataclass
class GroupLayout:
    """The rows of grouped runs.

    Attributes:
        groups: the groups, ordered by value (missing values last).
        entries: one per row: >= 0 a source row (a run), < 0 the header of group -(i + 1).
        proxy_row: source row -> its row here, for the runs of unfolded groups.
        group_of_source: source row -> the number of its group.
        header_row: group number -> the row of its header.
        depth: source row -> how deep a nested run is (0, not stored, for top runs).
        kids: source row -> how many child runs a parent has among the rows.
    """

    groups: list[RunGroup] = field(default_factory=list)
    entries: list[int] = field(default_factory=list)
    proxy_row: dict[int, int] = field(default_factory=dict)
    group_of_source: list[int] = field(default_factory=list)
    header_row: list[int] = field(default_factory=list)
    depth: dict[int, int] = field(default_factory=dict)
    kids: dict[int, int] = field(default_factory=dict)


def layout_tree(runs: Sequence[RunSummary], tree: RunTree, expanded: set[str]) -> GroupLayout:
    """The rows of ``runs`` (in table order) with children under their parents, no groups;
    only the children of ``expanded`` parents (run ids) show."""
    nested = nest_rows(range(len(runs)), tree, runs, expanded)
    return GroupLayout(
        entries=nested.order,
        proxy_row={source: row for row, source in enumerate(nested.order)},
        depth=nested.depth,
        kids=nested.kids,
    )


def layout_groups(
    runs: Sequence[RunSummary],
    key: str,
    collapsed: set[str],
    tree: RunTree | None = None,
    expanded: set[str] | None = None,
) -> GroupLayout:
    """Group ``runs`` (in table order) by ``key``; folded groups (``collapsed`` labels) show
    only their header row. Runs keep their order within a group; with a ``tree``, child runs
    follow their parent when it is in the same group (see :func:`layout_tree`)."""
    by_label: dict[str, RunGroup] = {}
    order: dict[str, Any] = {}
    for row, run in enumerate(runs):
        label = group_label(run, key)
        group = by_label.get(label)
        if group is None:
            group = by_label[label] = RunGroup(label, [])
            order[label] = sort_key(column_value(run, -1, key))
        group.rows.append(row)
    labels = sorted(by_label, key=lambda lb: (order[lb] is None, order[lb] or (0, 0)))
    layout = GroupLayout(group_of_source=[0] * len(runs))
    for number, label in enumerate(labels):
        group = by_label[label]
        layout.groups.append(group)
        layout.header_row.append(len(layout.entries))
        layout.entries.append(-(number + 1))
        for source in group.rows:
            layout.group_of_source[source] = number
        if label in collapsed:
            continue
        shown: Sequence[int] = group.rows
        if tree is not None:
            nested = nest_rows(group.rows, tree, runs, expanded or set())
            shown = nested.order
            layout.depth.update(nested.depth)
            layout.kids.update(nested.kids)
        for source in shown:
            layout.proxy_row[source] = len(layout.entries)
            layout.entries.append(source)
    return layout
