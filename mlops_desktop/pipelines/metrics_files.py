"""Metrics of a pipeline stage: its metrics files (JSON, YAML, TOML) and its run's metrics.

Nested keys are joined with "/" as in ``{"val": {"acc": 0.9}}`` -> ``val/acc`` (a lookup by
``val.acc``, DVC's spelling, finds it too: :func:`~mlops_desktop.pipelines.conditions.find_metric`);
list items are numbered (``scores/0``). Only numbers count; text and booleans are skipped.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from mlops_desktop.core.errors import PipelineError
from mlops_desktop.core.pipelines import StageOut

METRICS_SUFFIXES = (".json", ".yaml", ".yml", ".toml")


def collect_metrics(
    root: Path,
    stage_outs: Iterable[StageOut | str],
    run_metrics: Mapping[str, float] | None = None,
) -> dict[str, float]:
    """The metrics a gate judges: every metrics file of ``stage_outs``, then ``run_metrics``
    (each key's last value) for keys no file has.

    Args:
        root: the pipeline's folder; paths are relative to it.
        stage_outs: outs (only those with ``metric=True`` are read) or paths (read when they end
            in .json, .yaml, .yml or .toml; others, such as a model file, are skipped). When two
            files have the same key, the first one given wins.

    Raises:
        PipelineError: a metrics file is missing, outside the folder, or not JSON/YAML/TOML.
    """
    found: dict[str, float] = {}
    for item in stage_outs:
        if isinstance(item, StageOut):
            if not item.metric:
                continue
            rel = item.path
        else:
            rel = str(item)
            if not rel.lower().endswith(METRICS_SUFFIXES):
                continue
        for key, value in read_metrics_file(root, rel).items():
            found.setdefault(key, value)
    for key, value in (run_metrics or {}).items():
        if key not in found and _is_number(value):
            found[key] = float(value)
    return found


def read_metrics_file(root: Path, rel: str) -> dict[str, float]:
    """The numbers of one metrics file, flattened ("val/acc")."""
    path = (root / rel).resolve()
    if not path.is_relative_to(root.resolve()):
        raise PipelineError(f"metrics file {rel} is outside the pipeline's folder {root}.")
    if not path.is_file():
        raise PipelineError(
            f"metrics file {rel} is missing (or not a file); the stage that declares it must "
            "write it before the gate reads it."
        )
    try:
        text = path.read_text(encoding="utf-8")
        data = _parse(text, path.suffix.lower())
    except (ValueError, yaml.YAMLError, UnicodeDecodeError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise PipelineError(
            f"metrics file {rel} cannot be read as JSON, YAML or TOML ({first}); write numbers "
            'such as {"val": {"acc": 0.93}}.'
        ) from None
    out: dict[str, float] = {}
    _flatten(data, "", out)
    return out


def _parse(text: str, suffix: str) -> Any:
    if suffix == ".json":
        return json.loads(text)
    if suffix == ".toml":
        try:
            import tomllib  # Python 3.11+
        except ImportError:
            raise ValueError("TOML needs Python 3.11 or newer") from None
        return tomllib.loads(text)
    return yaml.safe_load(text)  # YAML, and JSON is YAML too


def _flatten(value: Any, prefix: str, out: dict[str, float]) -> None:
    if isinstance(value, Mapping):
        for key, inner in value.items():
            _flatten(inner, f"{prefix}/{key}" if prefix else str(key), out)
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            _flatten(inner, f"{prefix}/{i}" if prefix else str(i), out)
    elif prefix and _is_number(value):
        out.setdefault(prefix, float(value))


def _is_number(value: Any) -> bool:
    """An int or a float (NaN included: a gate fails on it and says so), not a bool."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)
