"""Load one model file in this throwaway process and print what it is as one JSON line.

Run only by :func:`mlops_desktop.models.inspect.inspect_model`, never imported by the app:
``python -m mlops_desktop.models.inspect_child PATH``. Loading a pickle runs code chosen by
whoever made it, which is why this happens here, in the sandbox of
:mod:`mlops_desktop.models.sandbox`, and not in the GUI.

A model folder (``MLmodel``) is loaded by its flavour: ``sklearn`` with joblib, ``pytorch``
from its ``state_dict.pt`` with ``torch.load(weights_only=True)`` (tensors only: no arbitrary
object is unpickled), ``files`` by listing them. A bare ``.pt``/``.pth`` file is read the same
way as a state_dict, and refused when it holds more than tensors.

Output (the last line of stdout): ``{"type", "module", "params", "summary", "pid"}``, or
``{"error": "..."}`` with exit status 1.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from mlops_desktop.tracking.model_folder import (
    DESCRIPTION_FILE,
    mapping_field,
    read_description,
)

SUFFIXES = (".joblib", ".pkl", ".pickle")
TORCH_SUFFIXES = (".pt", ".pth")
LIMITS_ENV = "MLOPS_DESKTOP_CHILD_LIMITS"  # mlops_desktop.models.sandbox.LIMITS_ENV
MAX_PARAMS = 200
MAX_REPR = 500


def apply_limits() -> None:
    """Set the limits the parent chose as hard ones (soft = hard: the model's code cannot
    raise them again), before anything is read."""
    try:
        import resource
    except ImportError:  # Windows
        return
    try:
        wanted = json.loads(os.environ.get(LIMITS_ENV, "{}"))
    except ValueError:
        wanted = {}
    for name, value in wanted.items():
        which = getattr(resource, f"RLIMIT_{name}", None)
        if which is None or not isinstance(value, int):
            continue
        try:
            _soft, hard = resource.getrlimit(which)
            limit = value if hard == resource.RLIM_INFINITY else min(value, hard)
            resource.setrlimit(which, (limit, limit))
        except (ValueError, OSError):
            pass


def _model_file(path: Path) -> Path:
    if path.is_dir():
        for suffixes in (SUFFIXES, TORCH_SUFFIXES):
            for folder, dirs, files in os.walk(path):
                dirs.sort()
                for name in sorted(files):
                    if name.lower().endswith(suffixes):
                        return Path(folder) / name
        raise ValueError(f"{path} holds no .joblib, .pkl, .pickle, .pt or .pth file")
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist")
    if not path.name.lower().endswith(SUFFIXES + TORCH_SUFFIXES):
        raise ValueError(f"{path.name} is not a .joblib, .pkl, .pickle, .pt or .pth file")
    return path


def _load(path: Path) -> Any:
    try:
        import joblib
    except ImportError:
        joblib = None
    if joblib is not None:
        return joblib.load(path)
    import pickle

    with open(path, "rb") as fh:
        return pickle.load(fh)  # the point of this isolated process


def _short(text: str, limit: int = MAX_REPR) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _safe(value: Any) -> Any:
    """A JSON value: plain scalars as they are, numpy scalars unwrapped, anything else repr'd."""
    if value is None or isinstance(value, bool | int | str):
        return _short(value) if isinstance(value, str) else value
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else repr(value)
    item = getattr(value, "item", None)
    if callable(item) and type(value).__module__ == "numpy" and getattr(value, "ndim", 1) == 0:
        try:
            return _safe(item())
        except Exception:
            pass
    if (
        isinstance(value, list | tuple)
        and len(value) <= 50
        and all(v is None or isinstance(v, bool | int | float | str) for v in value)
    ):
        return [_safe(v) for v in value]
    try:
        return _short(repr(value), 200)
    except Exception:
        return f"<{type(value).__name__}>"


def _params(model: Any) -> dict[str, Any]:
    get_params = getattr(model, "get_params", None)
    if not callable(get_params):
        return {}
    try:
        raw = get_params(deep=False)
    except TypeError:
        raw = get_params()
    if not isinstance(raw, dict):
        return {}
    return {str(k): _safe(v) for k, v in list(sorted(raw.items(), key=str))[:MAX_PARAMS]}


def _summary(model: Any) -> str:
    name = type(model).__name__
    bits: list[str] = []
    steps = getattr(model, "steps", None)
    if isinstance(steps, list) and all(isinstance(s, tuple) and len(s) == 2 for s in steps):
        bits.append("steps " + " → ".join(f"{n} ({type(e).__name__})" for n, e in steps))
    n_est = getattr(model, "n_estimators", None)
    if isinstance(n_est, int) and not isinstance(n_est, bool):
        treeish = any(w in name for w in ("Forest", "Trees", "Boost", "XGB", "LGBM"))
        bits.append(f"{n_est} {'trees' if treeish else 'estimators'}")
    n_feat = getattr(model, "n_features_in_", None)
    if isinstance(n_feat, int):
        bits.append(f"{n_feat} features")
    try:
        classes = getattr(model, "classes_", None)
        if classes is not None:
            bits.append(f"{len(classes)} classes")
    except Exception:
        pass
    if bits:
        return f"{name} with " + ", ".join(bits)
    try:
        return _short(repr(model))
    except Exception:
        return name


def describe(path: Path) -> dict[str, Any]:
    """What the model at ``path`` (file or folder) is: {type, module, params, summary}."""
    from mlops_desktop.models.inspect_torch import describe_weights, folder_files, torch_file

    if path.is_dir() and (path / DESCRIPTION_FILE).is_file():
        description = read_description(path)
        flavor = description.get("flavor")
        files = mapping_field(description, "files")
        if flavor == "pytorch":
            return describe_weights(torch_file(path, files))
        if flavor == "files":
            return folder_files(path)
        if isinstance(files.get("model"), str) and (path / files["model"]).is_file():
            path = path / files["model"]
    file = _model_file(path)
    if file.name.lower().endswith(TORCH_SUFFIXES):
        return describe_weights(file)
    model = _load(file)
    return {
        "type": type(model).__name__,
        "module": type(model).__module__,
        "params": _params(model),
        "summary": _summary(model),
    }


def main(argv: list[str]) -> int:
    """Load ``argv[0]`` and print one JSON line; 0 on success, 1 on a failure."""
    apply_limits()
    try:
        if len(argv) != 1:
            raise ValueError("usage: python -m mlops_desktop.models.inspect_child PATH")
        result = {**describe(Path(argv[0])), "pid": os.getpid()}
    except MemoryError:
        print(json.dumps({"error": "Loading the model needed more memory than allowed."}))
        return 1
    except BaseException as exc:  # report anything the pickle raised
        refused = type(exc).__name__ == "InspectRefused"  # a sentence of our own
        message = (str(exc) if refused else f"{type(exc).__name__}: {exc}").strip()
        print(json.dumps({"error": _short(message.splitlines()[-1] if message else "failed")}))
        return 1
    sys.stdout.flush()
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
