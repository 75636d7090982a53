"""Loading a model folder in the caller's process (the user's choice, as with MLflow).

Standard library only: joblib and torch are imported when the folder's flavour needs them.
A ``sklearn`` folder is unpickled with joblib (run it only on models you trust); a ``pytorch``
folder loads its TorchScript or exported program when it has one, else its ``state_dict`` with
``weights_only=True`` into the module given (or one built from the recorded class with no
arguments); a ``files`` folder gives its path.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from mlops_desktop.tracking.model_flavors import EXPORTED_FILE, SCRIPTED_FILE, STATE_DICT_FILE
from mlops_desktop.tracking.model_folder import ModelFolderError, read_description


def load_folder(folder: Path, flavor: str | None = None, *, model: Any = None) -> Any:
    """The model in ``folder``.

    Args:
        flavor: the flavour the caller expects ("sklearn", "pytorch"); None takes any.
        model: PyTorch: a module to fill with the stored ``state_dict``.

    Raises:
        ModelFolderError: not a model folder, another flavour, or nothing it can load.
    """
    folder = Path(folder)
    description = read_description(folder)
    kind = str(description.get("flavor") or "")
    if flavor is not None and kind != flavor:
        raise ModelFolderError(
            f"{folder} holds a {kind or 'model of unknown'} flavour model, not {flavor}; "
            "load it with mlops_desktop.load_model."
        )
    files = description.get("files") if isinstance(description.get("files"), dict) else {}
    if kind == "sklearn":
        joblib = importlib.import_module("joblib")
        return joblib.load(folder / str(files.get("model", "model.joblib")))
    if kind == "pytorch":
        return _load_torch(folder, files, description, model)
    if kind == "files":
        return folder
    raise ModelFolderError(f"{folder} holds a {kind!r} model, which this package cannot load.")


def _load_torch(
    folder: Path, files: dict[str, Any], description: dict[str, Any], model: Any
) -> Any:
    torch = importlib.import_module("torch")
    state_path = folder / str(files.get("state_dict", STATE_DICT_FILE))
    if model is None:
        if files.get("scripted"):
            return torch.jit.load(str(folder / str(files.get("scripted", SCRIPTED_FILE))))
        if files.get("exported"):
            return torch.export.load(str(folder / str(files.get("exported", EXPORTED_FILE))))
        model = _build(str(description.get("model_class") or ""))
    state = torch.load(state_path, map_location="cpu", weights_only=True)
    model.load_state_dict(state)
    return model


def _build(class_path: str) -> Any:
    module_name, _, name = class_path.rpartition(".")
    try:
        cls = getattr(importlib.import_module(module_name), name)
        return cls()
    except Exception as exc:
        raise ModelFolderError(
            f"This PyTorch model holds only a state_dict, and its class {class_path} cannot be "
            f"built here without arguments ({type(exc).__name__}); pass model=YourNet(...) to "
            "load_model to fill it, or log it with export=True."
        ) from None
