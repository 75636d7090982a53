"""Where each stage goes in the stage graph: columns by graph layer, left to right.

A stage's column is one more than the highest column of the stages it needs (sources in
column 0); within a column, stages are ordered by the mean row of what they need (fewer
crossing edges), then by their place in the file. No Qt.
"""

from __future__ import annotations

from dataclasses import dataclass

from mlops_desktop.core.pipelines import Pipeline
from mlops_desktop.pipelines.graph import direct_upstream, producers_of_path


@dataclass(frozen=True, slots=True)
class GraphLayout:
    """Stage positions and the edges between them.

    Attributes:
        cells: stage -> (column, row).
        edges: (upstream, downstream) pairs, in file order of the downstream stage.
        columns: how many columns; ``rows``: the most stages in one column.
    """

    cells: dict[str, tuple[int, int]]
    edges: tuple[tuple[str, str], ...]
    columns: int
    rows: int


def stage_edges(pipeline: Pipeline) -> list[tuple[str, str]]:
    """(upstream, downstream) for each stage that reads what another stage writes: the
    engine's edges, plus a register gate's ``from`` (the out it registers)."""
    edges: list[tuple[str, str]] = []
    for stage in pipeline.stages:
        upstream = direct_upstream(pipeline, stage.name)
        if stage.register is not None:
            upstream |= producers_of_path(pipeline, stage.register.out) - {stage.name}
        order = {s.name: i for i, s in enumerate(pipeline.stages)}
        edges += [(name, stage.name) for name in sorted(upstream, key=order.__getitem__)]
    return edges


def layout_stages(pipeline: Pipeline) -> GraphLayout:
    """Columns by graph layer and rows within them; see the module docstring.

    A cycle (the engine refuses one, so only a file edited since) is broken where met: the
    stages of a cycle all land in the column reached first.
    """
    names = [s.name for s in pipeline.stages]
    edges = stage_edges(pipeline)
    upstream: dict[str, list[str]] = {n: [] for n in names}
    for up, down in edges:
        upstream[down].append(up)
    column: dict[str, int] = {}
    visiting: set[str] = set()

    def column_of(name: str) -> int:
        if name in column:
            return column[name]
        if name in visiting:  # a cycle: stop here
            return 0
        visiting.add(name)
        value = max((column_of(u) + 1 for u in upstream[name]), default=0)
        visiting.discard(name)
        column[name] = value
        return value

    for name in names:
        column_of(name)
    columns = max(column.values(), default=-1) + 1
    order = {n: i for i, n in enumerate(names)}
    cells: dict[str, tuple[int, int]] = {}
    tallest = 0
    for col in range(columns):
        members = [n for n in names if column[n] == col]

        def key(name: str) -> tuple[float, int]:
            placed = [cells[u][1] for u in upstream[name] if u in cells]
            mean = sum(placed) / len(placed) if placed else float(order[name])
            return (mean, order[name])

        for row, name in enumerate(sorted(members, key=key)):
            cells[name] = (col, row)
        tallest = max(tallest, len(members))
    return GraphLayout(cells, tuple(edges), columns, tallest)
