"""Params files (``params.yaml`` and others, YAML or JSON) and the values of dotted keys.

A key is dotted ("train.lr"); a number indexes a list ("layers.0.units"); a section name is a
key too (its whole mapping is the value). A key that itself holds a dot ("a.b" at the top
level) is found as well: the longest matching name is taken first at each level. The empty
key "" stands for the whole file (DVC's ``- other.yaml:`` with no keys).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from mlops_desktop.core.errors import PipelineError

_MISSING = object()


def load_params(root: Path, file: str) -> dict[str, Any]:
    """The params file ``file`` (relative to ``root``) as a dict ({} when empty).

    Raises:
        PipelineError: the file is missing, is not valid YAML/JSON or is not a mapping.
    """
    path = Path(root) / file
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PipelineError(f"the params file {file} does not exist in {root}.") from None
    except OSError as exc:
        raise PipelineError(f"cannot read the params file {file}: {exc.strerror}.") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise PipelineError(f"the params file {file} is not valid YAML{where}; fix it.") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise PipelineError(f"the params file {file} must hold a mapping of keys to values.")
    return data


def _lookup(node: Any, parts: list[str]) -> Any:
    if not parts:
        return node
    if isinstance(node, dict):
        for n in range(len(parts), 0, -1):  # longest name first: keys may hold dots
            name = ".".join(parts[:n])
            if name in node:
                found = _lookup(node[name], parts[n:])
                if found is not _MISSING:
                    return found
        return _MISSING
    if isinstance(node, list) and parts[0].lstrip("-").isdigit():
        index = int(parts[0])
        if -len(node) <= index < len(node):
            return _lookup(node[index], parts[1:])
    return _MISSING


def param_value(params: dict[str, Any], key: str) -> Any:
    """The value of the dotted ``key`` in ``params`` ("" returns the whole mapping).

    Raises:
        KeyError: there is no such key.
    """
    if key == "":
        return params
    found = _lookup(params, key.split("."))
    if found is _MISSING:
        raise KeyError(key)
    return found


def has_param(params: dict[str, Any], key: str) -> bool:
    """Whether ``key`` names a value in ``params``."""
    return key == "" or _lookup(params, key.split(".")) is not _MISSING


class ParamsReader:
    """Reads each params file once and answers values, with errors that name the stage."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._files: dict[str, dict[str, Any]] = {}

    def file(self, stage: str, file: str) -> dict[str, Any]:
        """The params file ``file``; a PipelineError naming ``stage`` when it cannot be read."""
        if file not in self._files:
            try:
                self._files[file] = load_params(self.root, file)
            except PipelineError as exc:
                raise PipelineError(f"stage {stage} reads params: {exc}") from None
        return self._files[file]

    def value(self, stage: str, file: str, key: str) -> Any:
        """The value of ``key`` in ``file``, for ``stage``.

        Raises:
            PipelineError: the file is missing or has no such key.
        """
        params = self.file(stage, file)
        try:
            return param_value(params, key)
        except KeyError:
            raise PipelineError(
                f"stage {stage} reads param {key}, which {file} does not have; "
                f"add it to {file} or remove it from the stage's params."
            ) from None
