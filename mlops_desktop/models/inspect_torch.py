"""PyTorch weights and plain-file folders as the inspecting child describes them.

Run only inside the sandboxed child (:mod:`mlops_desktop.models.inspect_child`): weights are
read with ``torch.load(weights_only=True)``, which rebuilds tensors and plain containers and
refuses anything else, so no object of the file's choosing is unpickled.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

MAX_TENSORS = 200
STATE_DICT_FILE = "state_dict.pt"  # tracking.model_flavors.STATE_DICT_FILE


class InspectRefused(ValueError):
    """The file is not something this child loads safely; the message says why."""


def torch_file(folder: Path, files: dict[str, Any]) -> Path:
    """The weights file of a PyTorch model folder."""
    name = files.get("state_dict") if isinstance(files.get("state_dict"), str) else None
    path = folder / (name or STATE_DICT_FILE)
    if path.is_file():
        return path
    found = sorted(p for p in folder.rglob("*") if p.suffix.lower() in (".pt", ".pth"))
    if not found:
        raise InspectRefused(f"{folder.name} is a PyTorch model folder without a .pt file.")
    return found[0]


def _tensors(value: Any, prefix: str, out: dict[str, Any]) -> None:
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        out[prefix or "(tensor)"] = value
    elif isinstance(value, dict):
        for key, item in value.items():
            _tensors(item, f"{prefix}.{key}" if prefix else str(key), out)
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            _tensors(item, f"{prefix}.{i}" if prefix else str(i), out)


def describe_weights(path: Path) -> dict[str, Any]:
    """{type, module, params, summary} of a ``.pt`` file read with ``weights_only=True``:
    each tensor's dtype and shape."""
    try:
        import torch
    except ImportError:
        raise InspectRefused(
            f"PyTorch is not installed in the Python that inspects models ({sys.executable}); "
            "install torch there to inspect .pt files."
        ) from None
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except RuntimeError as exc:
        if "TorchScript" in str(exc):
            raise InspectRefused(
                f"{path.name} is a TorchScript program, not a weights file; inspect its "
                "state_dict.pt, or load it with torch.jit.load where you trust it."
            ) from None
        raise
    except Exception as exc:
        if type(exc).__name__ == "UnpicklingError":
            raise InspectRefused(
                f"{path.name} holds pickled Python objects, not only tensors, so it is not "
                "loaded (weights_only=True); save model.state_dict() instead, or use log_model."
            ) from None
        raise
    tensors: dict[str, Any] = {}
    _tensors(data, "", tensors)
    values = sum(int(t.numel()) for t in tensors.values())
    dtypes = sorted({str(t.dtype).removeprefix("torch.") for t in tensors.values()})
    params = {
        name: f"{str(t.dtype).removeprefix('torch.')} {list(t.shape)}"
        for name, t in list(tensors.items())[:MAX_TENSORS]
    }
    only_tensors = isinstance(data, dict) and len(tensors) == len(data)
    kind = "state_dict" if only_tensors else "checkpoint"
    return {
        "type": kind,
        "module": "torch",
        "params": params,
        "summary": f"{kind} with {len(tensors)} tensors, {values:,} values ({', '.join(dtypes)})",
    }


def folder_files(folder: Path) -> dict[str, Any]:
    """{type, module, params, summary} of a plain-files model: its files and sizes."""
    sizes = {}
    for root, dirs, names in os.walk(folder):
        dirs.sort()
        for name in sorted(names):
            full = Path(root) / name
            sizes[full.relative_to(folder).as_posix()] = full.stat().st_size
    shown = dict(list(sizes.items())[:MAX_TENSORS])
    return {
        "type": "files",
        "module": "",
        "params": shown,
        "summary": f"{len(sizes)} files, {sum(sizes.values()):,} bytes",
    }
