"""Checks of a parsed pipeline before anything runs: outs declared twice or nested, a register
gate reading no out, cycles, deps that nothing provides, params files and keys, working
folders. Each failure is one :class:`PipelineError` sentence naming the stage."""

from __future__ import annotations

from mlops_desktop.core.errors import PipelineError
from mlops_desktop.core.pipelines import Pipeline
from mlops_desktop.pipelines.graph import direct_upstream, find_cycle, producers_of_path
from mlops_desktop.pipelines.params import ParamsReader


def validate(p: Pipeline) -> None:
    """Raise PipelineError for the first problem found in ``p`` (see module doc)."""
    _check_outs(p)
    _check_register(p)
    edges = {s.name: direct_upstream(p, s.name) for s in p.stages}
    cycle = find_cycle(p, edges)
    if cycle:
        raise PipelineError(
            f"stages {' -> '.join(cycle)} form a cycle; a stage cannot depend on its own outs."
        )
    _check_deps(p)
    _check_params(p)


def _check_outs(p: Pipeline) -> None:
    seen: dict[str, str] = {}
    for stage in p.stages:
        for out in stage.outs:
            if out.path == ".":
                raise PipelineError(
                    f"stage {stage.name} declares the whole pipeline folder as an out; "
                    "name a file or folder inside it."
                )
            if out.path in seen:
                other = seen[out.path]
                who = "twice" if other == stage.name else f"as stage {other} does"
                raise PipelineError(
                    f"stage {stage.name} declares the out {out.path} {who}; "
                    "an out belongs to one stage only."
                )
            seen[out.path] = stage.name
    for path, owner in seen.items():
        for other_path, other in seen.items():
            if other_path.startswith(path + "/"):
                raise PipelineError(
                    f"stage {other} declares the out {other_path}, which lies inside the out "
                    f"{path} of stage {owner}; declare one or the other."
                )


def _check_register(p: Pipeline) -> None:
    for stage in p.stages:
        gate = stage.register
        if gate is None:
            continue
        producers = producers_of_path(p, gate.out) - {stage.name}
        if not producers:
            raise PipelineError(
                f"stage {stage.name} registers {gate.out}, which no other stage declares in "
                "its outs; name an out of an upstream stage in `from`."
            )


def _check_deps(p: Pipeline) -> None:
    for stage in p.stages:
        wdir = p.root / stage.wdir
        if not wdir.is_dir():
            raise PipelineError(
                f"stage {stage.name} runs in {stage.wdir}, which is not a folder; fix its wdir."
            )
        own = {o.path for o in stage.outs}
        for dep in stage.deps:
            if dep in own:
                raise PipelineError(
                    f"stage {stage.name} lists {dep} both in deps and outs; keep it in one."
                )
            inner = sorted(o for o in own if dep == "." or o.startswith(dep + "/"))
            if inner:
                raise PipelineError(
                    f"stage {stage.name} depends on {dep}, which holds its own out {inner[0]}; "
                    "name narrower deps."
                )
            if (p.root / dep).exists() or producers_of_path(p, dep) - {stage.name}:
                continue
            raise PipelineError(
                f"stage {stage.name} depends on {dep}, which is not on disk and no stage "
                "declares in its outs; create it or fix the dep."
            )


def _check_params(p: Pipeline) -> None:
    reader = ParamsReader(p.root)
    for stage in p.stages:
        for ref in stage.params:
            reader.value(stage.name, ref.file, ref.key)
