"""Read a pipeline file, ours (``pipeline.yaml``) or DVC's (``dvc.yaml``), into a Pipeline.

DVC's forms are accepted as DVC writes them: ``cmd`` a string or a list; ``deps``, ``outs``,
``metrics`` and ``plots`` entries as strings or one-key mappings with options (``cache`` is
kept, ``persist``, ``remote``, ``push``, ``desc``... are ignored); ``params`` entries as keys
of the default params file, ``{file: [keys]}``, or ``{file: }`` (every key of that file: the
whole file is one value); ``wdir`` (deps, outs and params files are then relative to it, as in
DVC); ``always_changed``; ``desc`` and ``meta`` (ignored). Top-level ``plots``, ``artifacts``,
``metrics``, ``params`` and ``datasets`` of a dvc.yaml are ignored with a warning; ``vars``,
``foreach``, ``matrix`` and ``frozen`` are refused (we cannot run them as DVC would).

Every path is stored relative to the file's folder, POSIX style. Validation errors are
:class:`PipelineError` with one sentence that names the stage.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import Any

import yaml

from mlops_desktop.core.errors import PipelineError
from mlops_desktop.core.pipelines import (
    DEFAULT_PARALLEL,
    DEFAULT_PARAMS_FILE,
    PIPELINE_FILENAMES,
    DatasetDep,
    ParamRef,
    Pipeline,
    PipelineTriggers,
    RegisterGate,
    Stage,
    StageOut,
)
from mlops_desktop.pipelines.schedule import parse_interval
from mlops_desktop.pipelines.validate import validate

log = logging.getLogger(__name__)
__all__ = ["find_pipeline_file", "load_pipeline", "parse_interval"]

TOP_KEYS = {"name", "experiment", "parallel", "params", "triggers", "stages"}
DVC_IGNORED_TOP = {"plots", "artifacts", "metrics", "params", "datasets"}
STAGE_KEYS = {
    "cmd", "wdir", "deps", "datasets", "params", "outs", "metrics", "plots", "target", "gpus",
    "always_changed", "desc", "meta", "register",
}  # fmt: skip
REFUSED_KEYS = {"foreach", "matrix", "do", "frozen", "vars"}
REGISTER_KEYS = {"model", "from", "when", "alias", "champion_alias", "promote"}
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*")
_DATASET_REF = re.compile(r"([A-Za-z0-9_][A-Za-z0-9_.\-]*)(?:@v(\d+))?")


def find_pipeline_file(path: Path) -> Path:
    """The pipeline file at ``path``: the file itself, or ``pipeline.yaml`` then ``dvc.yaml``
    in the folder.

    Raises:
        PipelineError: there is none.
    """
    path = Path(path)
    if path.is_file():
        return path.resolve()
    if path.is_dir():
        for name in PIPELINE_FILENAMES:
            if (path / name).is_file():
                return (path / name).resolve()
        raise PipelineError(f"{path} holds no pipeline.yaml or dvc.yaml; write one there.")
    raise PipelineError(f"{path} does not exist.")


def load_pipeline(path: Path) -> Pipeline:
    """Parse and validate the pipeline file at (or in) ``path``.

    Raises:
        PipelineError: one sentence naming the stage (or key) and what to change.
    """
    file = find_pipeline_file(path)
    root = file.parent
    kind = "dvc" if file.name == "dvc.yaml" else "mlops"
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise PipelineError(f"{file.name} is not valid YAML{where}; fix it.") from None
    except OSError as exc:
        raise PipelineError(f"cannot read {file}: {exc.strerror}.") from None
    if not isinstance(data, dict) or not isinstance(data.get("stages"), dict):
        raise PipelineError(f"{file.name} has no `stages:` mapping; add the stages there.")
    params_file = DEFAULT_PARAMS_FILE
    for key in data:
        if key in REFUSED_KEYS:
            raise PipelineError(f"{file.name} uses `{key}`, which is not supported; remove it.")
        if kind == "dvc" and key in DVC_IGNORED_TOP:
            log.warning("%s: the top-level `%s` is ignored", file.name, key)
        elif key not in TOP_KEYS or (kind == "dvc" and key != "stages"):
            raise PipelineError(f"{file.name} has an unknown key `{key}`; remove or rename it.")
    if kind == "mlops" and "params" in data:
        params_file = _path(root, ".", data["params"], "the pipeline", "params")
    name = str(data.get("name") or root.name)
    stages = tuple(
        _stage(root, str(sname), body, params_file, kind) for sname, body in data["stages"].items()
    )
    pipeline = Pipeline(
        path=file,
        root=root,
        name=name,
        kind=kind,
        stages=stages,
        parallel=_parallel(data.get("parallel", DEFAULT_PARALLEL)),
        experiment=str(data.get("experiment") or name),
        triggers=_triggers(data.get("triggers")),
        params_file=params_file,
    )
    validate(pipeline)
    return pipeline


def _parallel(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise PipelineError(f"`parallel` must be a whole number of 1 or more, not {value!r}.")
    return value


def _triggers(data: Any) -> PipelineTriggers:
    if data is None:
        return PipelineTriggers()
    if not isinstance(data, dict):
        raise PipelineError("`triggers` must be a mapping (datasets, monitors, schedule).")
    unknown = set(data) - {"datasets", "monitors", "schedule"}
    if unknown:
        raise PipelineError(f"`triggers` has an unknown key `{sorted(unknown)[0]}`; remove it.")
    schedule = data.get("schedule")
    return PipelineTriggers(
        datasets=tuple(str(d) for d in _list(data.get("datasets"), "triggers", "datasets")),
        monitors=tuple(str(m) for m in _list(data.get("monitors"), "triggers", "monitors")),
        schedule_s=None if schedule in (None, "") else parse_interval(schedule),
    )


def _list(value: Any, stage: str, key: str) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, (str, dict)):
        return [value]
    if isinstance(value, list):
        return value
    raise PipelineError(f"stage {stage}: `{key}` must be a list, not {type(value).__name__}.")


def _path(root: Path, wdir: str, value: Any, stage: str, key: str) -> str:
    """``value`` (relative to ``wdir``) relative to ``root``; refuses paths outside it."""
    if not isinstance(value, str) or not value.strip():
        raise PipelineError(f"stage {stage}: each of `{key}` must be a path, not {value!r}.")
    text = value.strip()
    if os.path.isabs(text):
        raise PipelineError(
            f"stage {stage}: {key} {text} is an absolute path; make it relative to the "
            "pipeline's folder."
        )
    joined = os.path.normpath(os.path.join(wdir, text))
    if joined == ".." or joined.startswith("../"):
        raise PipelineError(
            f"stage {stage}: {key} {text} is outside the pipeline's folder; keep every path "
            "inside it."
        )
    return Path(joined).as_posix()


def _entry(value: Any, stage: str, key: str) -> tuple[str, dict[str, Any]]:
    """A DVC list entry: "path" or {"path": {options}}."""
    if isinstance(value, dict):
        if len(value) != 1:
            raise PipelineError(f"stage {stage}: an entry of `{key}` must name one path.")
        path, opts = next(iter(value.items()))
        if opts is not None and not isinstance(opts, dict):
            raise PipelineError(f"stage {stage}: the options of {key} {path} must be a mapping.")
        return str(path), dict(opts or {})
    return value, {}


def _outs(root: Path, wdir: str, body: dict[str, Any], stage: str) -> tuple[StageOut, ...]:
    outs: list[StageOut] = []
    for key in ("outs", "metrics", "plots"):
        for item in _list(body.get(key), stage, key):
            raw, opts = _entry(item, stage, key)
            cache = opts.get("cache", True)
            if not isinstance(cache, bool):
                raise PipelineError(f"stage {stage}: `cache` of {raw} must be true or false.")
            path = _path(root, wdir, raw, stage, key)
            outs.append(StageOut(path=path, cache=cache, metric=key == "metrics"))
    return tuple(outs)


def _params(
    root: Path, wdir: str, value: Any, stage: str, default_file: str, kind: str
) -> tuple[ParamRef, ...]:
    refs: list[ParamRef] = []
    # DVC: the default params file is params.yaml in the stage's wdir; ours: the pipeline's
    in_wdir = kind == "dvc" and wdir != "."
    dflt = _path(root, wdir, DEFAULT_PARAMS_FILE, stage, "params") if in_wdir else default_file
    for item in _list(value, stage, "params"):
        if isinstance(item, dict):
            for file, keys in item.items():
                path = _path(root, wdir, str(file), stage, "params")
                if keys is None or keys == []:
                    refs.append(ParamRef(path, ""))  # the whole file
                    continue
                for key in _list(keys, stage, "params"):
                    refs.append(ParamRef(path, str(key)))
        elif isinstance(item, (str, int, float)) and not isinstance(item, bool):
            refs.append(ParamRef(dflt, str(item)))
        else:
            raise PipelineError(f"stage {stage}: a params entry must be a key, not {item!r}.")
    return tuple(refs)


def _dataset(value: Any, stage: str) -> DatasetDep:
    match = _DATASET_REF.fullmatch(str(value).strip())
    if not match:
        raise PipelineError(
            f"stage {stage}: {value!r} is not a dataset ref; write NAME or NAME@vN."
        )
    version = match.group(2)
    return DatasetDep(match.group(1), int(version) if version else None)


def _register(root: Path, value: Any, stage: str) -> RegisterGate:
    if not isinstance(value, dict):
        raise PipelineError(f"stage {stage}: `register` must be a mapping (model, from, when).")
    unknown = set(value) - REGISTER_KEYS
    if unknown:
        raise PipelineError(
            f"stage {stage}: `register` has an unknown key `{sorted(unknown)[0]}`; remove it."
        )
    if not value.get("model") or not value.get("from"):
        raise PipelineError(f"stage {stage}: `register` needs a `model` name and `from` (an out).")
    promote = str(value.get("promote", "approval"))
    if promote not in ("approval", "auto"):
        raise PipelineError(f"stage {stage}: `promote` must be approval or auto, not {promote}.")
    return RegisterGate(
        model=str(value["model"]),
        out=_path(root, ".", value["from"], stage, "register from"),
        when=tuple(str(w) for w in _list(value.get("when"), stage, "when")),
        alias=str(value.get("alias", "challenger")),
        champion_alias=str(value.get("champion_alias", "champion")),
        promote=promote,
    )


def _target(value: Any, stage: str) -> str:
    text = str(value or "local").strip()
    kind, _, name = text.partition(":")
    if text == "local" or (kind in ("ssh", "slurm") and name):
        return text
    raise PipelineError(
        f"stage {stage}: target {text!r} is not local, ssh:NAME or slurm:NAME; fix it."
    )


def _stage(root: Path, name: str, body: Any, params_file: str, kind: str) -> Stage:
    if not _NAME.fullmatch(name):
        raise PipelineError(f"stage {name!r}: a stage name may hold letters, digits, _ . -.")
    if not isinstance(body, dict):
        raise PipelineError(f"stage {name} must be a mapping with at least `cmd`.")
    for key in body:
        if key in REFUSED_KEYS:
            raise PipelineError(f"stage {name} uses `{key}`, which is not supported; remove it.")
        if key not in STAGE_KEYS:
            raise PipelineError(f"stage {name} has an unknown key `{key}`; remove or rename it.")
    wdir = _path(root, ".", body.get("wdir", "."), name, "wdir")
    cmd = tuple(str(c) for c in _list(body.get("cmd"), name, "cmd"))
    register = _register(root, body["register"], name) if "register" in body else None
    if not cmd and register is None:
        raise PipelineError(f"stage {name} has no `cmd`; add the command it runs.")
    deps: list[str] = []
    datasets: list[DatasetDep] = []
    for item in _list(body.get("deps"), name, "deps"):
        raw, _opts = _entry(item, name, "deps")
        if isinstance(raw, str) and raw.startswith("dataset:"):
            datasets.append(_dataset(raw[len("dataset:") :], name))
        else:
            deps.append(_path(root, wdir, raw, name, "dep"))
    datasets += [_dataset(d, name) for d in _list(body.get("datasets"), name, "datasets")]
    if register is not None and register.out not in deps:
        deps.append(register.out)
    gpus = body.get("gpus", 0)
    if isinstance(gpus, bool) or not isinstance(gpus, int) or gpus < 0:
        raise PipelineError(f"stage {name}: `gpus` must be a whole number, not {gpus!r}.")
    always = body.get("always_changed", False)
    if not isinstance(always, bool):
        raise PipelineError(f"stage {name}: `always_changed` must be true or false.")
    return Stage(
        name=name,
        cmd=cmd,
        wdir=wdir,
        deps=tuple(dict.fromkeys(deps)),
        datasets=tuple(dict.fromkeys(datasets)),
        params=_params(root, wdir, body.get("params"), name, params_file, kind),
        outs=_outs(root, wdir, body, name),
        target=_target(body.get("target"), name),
        gpus=gpus,
        register=register,
        always_changed=always,
    )
