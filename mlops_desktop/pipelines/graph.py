"""The stage graph: a stage depends on the stages whose outs its deps are (or lie in, or
contain). Order, ancestors, descendants and cycles."""

from __future__ import annotations

from collections.abc import Iterable

from mlops_desktop.core.pipelines import Pipeline


def _related(dep: str, out: str) -> bool:
    """Whether reading ``dep`` reads (part of) ``out``: the same path, one inside the other."""
    return dep == out or dep.startswith(out + "/") or out.startswith(dep + "/") or dep == "."


def producer_of(p: Pipeline) -> dict[str, str]:
    """Each declared out path -> the stage that writes it."""
    return {out.path: stage.name for stage in p.stages for out in stage.outs}


def producers_of_path(p: Pipeline, path: str) -> set[str]:
    """The stages whose outs ``path`` is, lies in, or contains."""
    return {stage.name for stage in p.stages for out in stage.outs if _related(path, out.path)}


def direct_upstream(p: Pipeline, name: str) -> set[str]:
    """The stages ``name`` reads an out of (without ``name`` itself)."""
    stage = p.stage(name)
    found: set[str] = set()
    for dep in stage.deps:
        found |= producers_of_path(p, dep)
    found.discard(name)
    return found


def _edges(p: Pipeline) -> dict[str, set[str]]:
    return {s.name: direct_upstream(p, s.name) for s in p.stages}


def _walk(start: Iterable[str], step: dict[str, set[str]]) -> set[str]:
    seen: set[str] = set()
    todo = list(start)
    while todo:
        node = todo.pop()
        for nxt in step.get(node, ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def upstream(p: Pipeline, name: str) -> set[str]:
    """Every stage ``name`` depends on, directly or not."""
    return _walk([name], _edges(p)) - {name}


def _reverse(edges: dict[str, set[str]]) -> dict[str, set[str]]:
    rev: dict[str, set[str]] = {n: set() for n in edges}
    for node, ups in edges.items():
        for up in ups:
            rev[up].add(node)
    return rev


def all_downstream(p: Pipeline) -> dict[str, set[str]]:
    """Each stage -> every stage that depends on it (the graph is built once)."""
    rev = _reverse(_edges(p))
    return {name: _walk([name], rev) - {name} for name in rev}


def downstream(p: Pipeline, name: str) -> set[str]:
    """Every stage that depends on ``name``, directly or not."""
    return _walk([name], _reverse(_edges(p))) - {name}


def find_cycle(p: Pipeline, edges: dict[str, set[str]] | None = None) -> list[str] | None:
    """A cycle as stage names in dependency order, first repeated at the end
    (["train", "evaluate", "train"]), or None."""
    edges = _edges(p) if edges is None else edges
    order = [s.name for s in p.stages]
    color: dict[str, int] = dict.fromkeys(order, 0)  # 0 new, 1 on the path, 2 done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        color[node] = 1
        path.append(node)
        # walk towards the stages that read this one's outs (the run order)
        for nxt in sorted(rev[node], key=order.index):
            if color[nxt] == 1:
                return [*path[path.index(nxt) :], nxt]
            if color[nxt] == 0:
                found = visit(nxt)
                if found:
                    return found
        path.pop()
        color[node] = 2
        return None

    rev = _reverse(edges)
    for name in order:
        if color[name] == 0:
            found = visit(name)
            if found:
                return found
    return None


def topological_order(p: Pipeline) -> list[str]:
    """Stage names so that each comes after the stages it depends on; ties keep file order.

    Raises:
        ValueError: the graph has a cycle (``spec.load_pipeline`` refuses those first).
    """
    edges = _edges(p)
    order = [s.name for s in p.stages]
    left = {n: set(ups) for n, ups in edges.items()}
    out: list[str] = []
    while left:
        ready = [n for n in order if n in left and not left[n]]
        if not ready:
            raise ValueError("the stages form a cycle")
        for n in ready:
            out.append(n)
            del left[n]
        for ups in left.values():
            ups.difference_update(ready)
    return out
