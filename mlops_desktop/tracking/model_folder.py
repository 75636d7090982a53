"""The description file of a model folder, ``MLmodel``: what the folder holds and how to load it.

``log_model`` writes it as JSON, which is also valid YAML: MLflow users find the file name they
know, any YAML reader (MLflow's included) reads it, and this package reads it with the standard
library. :func:`read_description` also reads the block YAML that MLflow itself writes, for
folders imported from MLflow, and gives both in this package's shape:

``flavor`` ("sklearn", "pytorch", "files"), ``loader`` (the module whose ``load_model`` loads
it), ``files`` ({role: relative path}), ``model_class``, ``python_version``, ``packages``
({distribution: version}), ``requirements`` (pip lines), ``signature`` ({inputs, outputs}),
``input_example`` ({file, kind}), ``artifact_path``, ``run_id``, ``created_at``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

DESCRIPTION_FILE = "MLmodel"
REQUIREMENTS_FILE = "requirements.txt"
INPUT_EXAMPLE_FILE = "input_example.json"
FORMAT_KEY = "mlops_desktop_model"
FORMAT_VERSION = 1
MAX_DESCRIPTION_BYTES = 4 << 20


class ModelFolderError(ValueError):
    """A model folder whose description is missing or unreadable."""


def write_description(folder: Path, description: dict[str, Any]) -> Path:
    """Write ``folder/MLmodel`` (JSON, indented: valid YAML too)."""
    path = folder / DESCRIPTION_FILE
    body = {FORMAT_KEY: FORMAT_VERSION, **description}
    path.write_text(json.dumps(body, indent=2, default=str) + "\n", encoding="utf-8")
    return path


def description_path(folder: str | os.PathLike[str]) -> Path | None:
    """``folder/MLmodel`` when the folder has one."""
    path = Path(folder) / DESCRIPTION_FILE
    return path if path.is_file() else None


def read_description(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The description in a model folder (or of an ``MLmodel`` file), in this package's shape.

    Raises:
        ModelFolderError: no ``MLmodel``, or one that is neither JSON nor MLflow's YAML.
    """
    path = Path(path)
    file = path / DESCRIPTION_FILE if path.is_dir() else path
    if not file.is_file():
        raise ModelFolderError(f"{path} has no {DESCRIPTION_FILE} file: it is not a model folder.")
    if file.stat().st_size > MAX_DESCRIPTION_BYTES:
        raise ModelFolderError(f"{file} is too large to be a model description.")
    return parse_description(file.read_text(encoding="utf-8", errors="replace"), str(file))


def parse_description(text: str, where: str = DESCRIPTION_FILE) -> dict[str, Any]:
    """A description's text (JSON, or MLflow's YAML) in this package's shape."""
    try:
        data = json.loads(text)
    except ValueError:
        try:
            data = parse_simple_yaml(text)
        except ValueError as exc:
            raise ModelFolderError(f"{where} is neither JSON nor simple YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ModelFolderError(f"{where} does not describe a model (not a mapping).")
    return data if FORMAT_KEY in data else from_mlflow(data)


def _scalar(text: str) -> Any:
    text = text.strip()
    if not text or text in ("null", "~", "Null", "NULL"):
        return None
    if text in ("true", "True"):
        return True
    if text in ("false", "False"):
        return False
    if text[0] == "'" and text[-1] == "'" and len(text) > 1:
        return text[1:-1].replace("''", "'")
    if text[0] in '"[{':
        try:
            return json.loads(text)
        except ValueError:
            return text
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def parse_simple_yaml(text: str) -> dict[str, Any]:
    """Block mappings and ``- item`` lists of scalars, by indentation: what MLflow's MLmodel,
    ``python_env.yaml`` and ``conda.yaml`` use. Raises ValueError for anything else."""
    root: dict[str, Any] = {}
    stack: list[tuple[int, Any]] = [(-1, root)]
    pending: tuple[int, dict[str, Any], str] | None = None  # a "key:" awaiting its block
    for number, raw in enumerate(text.splitlines(), 1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        indent = len(raw) - len(raw.lstrip(" "))
        line = raw.strip()
        if pending is not None:
            p_indent, p_parent, p_key = pending
            pending = None
            if indent > p_indent or (indent == p_indent and line.startswith("- ")):
                p_parent[p_key] = [] if line.startswith("-") else {}
                stack.append((indent, p_parent[p_key]))
        while len(stack) > 1 and indent < stack[-1][0]:
            stack.pop()
        container = stack[-1][1]
        if line.startswith("- ") or line == "-":
            if not isinstance(container, list):
                raise ValueError(f"line {number}: a list item where a mapping was expected")
            container.append(_scalar(line[1:]))
            continue
        key, sep, rest = line.partition(":")
        if not sep or not isinstance(container, dict):
            raise ValueError(f"line {number}: expected 'key: value'")
        key = str(_scalar(key))
        if rest.strip():
            container[key] = _scalar(rest)
        else:
            container[key] = None
            pending = (indent, container, key)
    return root


def _mlflow_schema(value: Any) -> list[dict[str, Any]]:
    entries = json.loads(value) if isinstance(value, str) else value
    out = []
    for e in entries if isinstance(entries, list) else []:
        if not isinstance(e, dict):
            continue
        spec = e.get("tensor-spec")
        if isinstance(spec, dict):
            shape = spec.get("shape")
            out.append({"type": spec.get("dtype"), "shape": shape, "name": e.get("name")})
        else:
            out.append({"name": e.get("name"), "type": e.get("type")})
    return out


def from_mlflow(data: dict[str, Any]) -> dict[str, Any]:
    """MLflow's own MLmodel in this package's shape (what the card and inspect show)."""
    flavors = data.get("flavors") if isinstance(data.get("flavors"), dict) else {}
    pyfunc = flavors.get("python_function") or {}
    names = [k for k in flavors if k != "python_function"] or list(flavors)
    flavor = names[0] if names else ""
    own = flavors.get(flavor) or {}
    files = {}
    for role in ("pickled_model", "model_data", "data", "model_path"):
        if isinstance(own.get(role), str):
            files["model"] = own[role]
            break
    signature = data.get("signature") if isinstance(data.get("signature"), dict) else None
    try:
        sig = signature and {
            "inputs": _mlflow_schema(signature.get("inputs")),
            "outputs": _mlflow_schema(signature.get("outputs")),
        }
    except ValueError:
        sig = None
    example = data.get("saved_input_example_info")
    return {
        "flavor": flavor,
        "loader": pyfunc.get("loader_module") or (f"mlflow.{flavor}" if flavor else ""),
        "files": files,
        "python_version": pyfunc.get("python_version"),
        "packages": {
            k.removesuffix("_version"): str(v) for k, v in own.items() if k.endswith("_version")
        },
        "requirements": [],
        "signature": sig or None,
        "input_example": {"file": example.get("artifact_path"), "kind": example.get("type")}
        if isinstance(example, dict)
        else None,
        "artifact_path": data.get("artifact_path"),
        "run_id": data.get("run_id"),
        "created_at": data.get("utc_time_created"),
        "written_by": f"MLflow {data.get('mlflow_version', '')}".strip(),
    }


def read_requirements(folder: Path) -> list[str]:
    """The pip lines of ``folder/requirements.txt`` (no comments or blanks), or []."""
    path = folder / REQUIREMENTS_FILE
    if not path.is_file():
        return []
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]
