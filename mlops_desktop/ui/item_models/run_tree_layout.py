"""Nested runs as a tree of rows: children right under their parent, indented.

Pure data (no Qt): :func:`run_tree` finds which rows of the flat, sorted runs are children of
which; :func:`nest_rows` puts some of those rows in tree order, leaving out the children of
folded parents. Parents keep the table's order among themselves, and so do the children of
one parent, so a sort sorts parents and keeps each child under its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from mlops_desktop.core.runs import RunSummary


@dataclass
class RunTree:
    """Which source rows are children of which.

    Attributes:
        children: parent row -> its children's rows, in the table's order.
        parent_row: child row -> its parent's row.
    """

    children: dict[int, list[int]] = field(default_factory=dict)
    parent_row: dict[int, int] = field(default_factory=dict)


@dataclass
class NestedRows:
    """Rows in tree order.

    Attributes:
        order: the source rows shown, each parent followed by its (shown) children.
        depth: source row -> how deep it is nested (rows missing here are at depth 0).
        kids: source row -> how many children it has among the rows (parents only).
    """

    order: list[int] = field(default_factory=list)
    depth: dict[int, int] = field(default_factory=dict)
    kids: dict[int, int] = field(default_factory=dict)


def run_tree(runs: Sequence[RunSummary]) -> RunTree | None:
    """The parent links among ``runs`` (a parent that is not among them does not count);
    None when no run has its parent here."""
    row_of = {run.id: row for row, run in enumerate(runs)}
    tree = RunTree()
    for row, run in enumerate(runs):
        parent = run.parent_run_id
        if parent is None:
            continue
        parent_row = row_of.get(parent)
        if parent_row is not None and parent_row != row:
            tree.children.setdefault(parent_row, []).append(row)
            tree.parent_row[row] = parent_row
    return tree if tree.children else None


def nest_rows(
    rows: Sequence[int], tree: RunTree, runs: Sequence[RunSummary], expanded: set[str]
) -> NestedRows:
    """``rows`` (source rows in table order) in tree order; only the children of the parents
    whose ids are in ``expanded`` show. A child whose parent is not in ``rows`` is a top row;
    runs whose parent links loop show as top rows too, never lost."""
    members = set(rows)
    out = NestedRows()
    visited: set[int] = set()
    children, parent_row = tree.children, tree.parent_row

    def walk(start: int) -> None:
        stack = [(start, 0, True)]
        while stack:
            row, depth, shown = stack.pop()
            if row in visited:
                continue
            visited.add(row)
            sub = [child for child in children.get(row, ()) if child in members]
            if sub:
                out.kids[row] = len(sub)
            if shown:
                out.order.append(row)
                if depth:
                    out.depth[row] = depth
            unfolded = shown and runs[row].id in expanded
            stack.extend((child, depth + 1, unfolded) for child in reversed(sub))

    for row in rows:
        if parent_row.get(row) not in members:
            walk(row)
    for row in rows:  # parent links in a loop: no top row reached them
        if row not in visited:
            walk(row)
    return out


def ancestors(tree: RunTree, row: int) -> list[int]:
    """The rows of ``row``'s parent, grandparent and so on (a loop stops the walk)."""
    found: list[int] = []
    parent = tree.parent_row.get(row)
    while parent is not None and parent != row and parent not in found:
        found.append(parent)
        parent = tree.parent_row.get(parent)
    return found
