"""Writing a model's files for each flavour: ``sklearn`` (joblib), ``pytorch`` (state_dict and,
when given, the scripted or exported program) and ``files`` (plain files copied in).

Standard library only: joblib and torch are imported at call time, from the script's own
environment, when the model is one of theirs.
"""

from __future__ import annotations

import importlib
import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FLAVORS = ("sklearn", "pytorch", "files")
LOADERS = {
    "sklearn": "mlops_desktop.sklearn",
    "pytorch": "mlops_desktop.pytorch",
    "files": "mlops_desktop",
}
PACKAGES = {"sklearn": ("scikit-learn", "joblib", "numpy"), "pytorch": ("torch",), "files": ()}
SKLEARN_FILE = "model.joblib"
STATE_DICT_FILE = "state_dict.pt"
SCRIPTED_FILE = "model.pt"
EXPORTED_FILE = "model.pt2"


@dataclass
class SavedModel:
    """What a flavour wrote: ``files`` ({role: relative path}), the model's class, the
    distributions it needs."""

    files: dict[str, Any]
    model_class: str
    packages: list[str] = field(default_factory=list)


def class_name(model: Any) -> str:
    kind = type(model)
    return f"{kind.__module__}.{kind.__qualname__}"


def _is_path(value: Any) -> bool:
    return isinstance(value, str | os.PathLike)


def _torch_model(model: Any) -> bool:
    torch = sys.modules.get("torch")
    if torch is None:
        return False
    exported = getattr(getattr(torch, "export", None), "ExportedProgram", None)
    return isinstance(model, torch.nn.Module) or (
        exported is not None and isinstance(model, exported)
    )


def flavor_of(model: Any) -> str:
    """The flavour of ``model`` from its type.

    Raises:
        ValueError: a model of no known kind (the sentence says which ``flavor=`` to give).
    """
    if _is_path(model) or (
        isinstance(model, list | tuple) and model and all(_is_path(m) for m in model)
    ):
        return "files"
    if _torch_model(model):
        return "pytorch"
    module = type(model).__module__
    if module.startswith("sklearn") or (hasattr(model, "fit") and hasattr(model, "get_params")):
        return "sklearn"
    raise ValueError(
        f"log_model cannot tell the flavour of a {class_name(model)}; pass "
        'flavor="sklearn" (saved with joblib), flavor="pytorch" or flavor="files" (paths).'
    )


def save(model: Any, flavor: str, folder: Path, export: bool) -> SavedModel:
    """Write ``model``'s files of ``flavor`` into ``folder``.

    Raises:
        ValueError: an unknown flavour, or a model that does not fit it.
        ImportError: the flavour's package (joblib, torch) is not installed here.
    """
    if flavor == "sklearn":
        joblib = _needed("joblib", "sklearn")
        joblib.dump(model, folder / SKLEARN_FILE)
        return SavedModel({"model": SKLEARN_FILE}, class_name(model), list(PACKAGES["sklearn"]))
    if flavor == "pytorch":
        return _save_torch(model, folder, export)
    if flavor == "files":
        return _save_files(model, folder)
    raise ValueError(f"flavor must be one of {', '.join(FLAVORS)}, got {flavor!r}.")


def _needed(module: str, flavor: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ImportError(
            f"log_model(flavor={flavor!r}) needs {module}, which this Python cannot import; "
            f"install it in the script's environment."
        ) from None


def _cpu_state(state: Any) -> dict[str, Any]:
    return {k: v.detach().cpu() if hasattr(v, "detach") else v for k, v in state.items()}


def _save_torch(model: Any, folder: Path, export: bool) -> SavedModel:
    torch = _needed("torch", "pytorch")
    files: dict[str, Any] = {"state_dict": STATE_DICT_FILE}
    exported_kind = getattr(getattr(torch, "export", None), "ExportedProgram", None)
    if exported_kind is not None and isinstance(model, exported_kind):
        torch.export.save(model, str(folder / EXPORTED_FILE))
        files["exported"] = EXPORTED_FILE
        torch.save(_cpu_state(model.state_dict), folder / STATE_DICT_FILE)
        return SavedModel(files, class_name(model), ["torch"])
    if not isinstance(model, torch.nn.Module):
        raise ValueError(
            f"log_model(flavor='pytorch') needs a torch.nn.Module, a TorchScript module or an "
            f"exported program, got a {class_name(model)}."
        )
    scripted = model if isinstance(model, torch.jit.ScriptModule) else None
    if scripted is None and export:
        try:
            scripted = torch.jit.script(model)
        except Exception as exc:
            raise ValueError(
                f"log_model(export=True) could not script the {type(model).__name__} with "
                f"torch.jit.script ({type(exc).__name__}: {str(exc).splitlines()[0]}); log it "
                "without export=True (its state_dict), or pass a scripted or exported program."
            ) from None
    if scripted is not None:
        torch.jit.save(scripted, str(folder / SCRIPTED_FILE))
        files["scripted"] = SCRIPTED_FILE
    torch.save(_cpu_state(model.state_dict()), folder / STATE_DICT_FILE)
    name = getattr(model, "original_name", None) if scripted is model else None
    return SavedModel(files, name or class_name(model), ["torch"])


def _save_files(model: Any, folder: Path) -> SavedModel:
    paths = [model] if _is_path(model) else list(model)
    names: list[str] = []
    for raw in paths:
        src = Path(os.fspath(raw)).expanduser()
        if not src.exists():
            raise FileNotFoundError(f"log_model(flavor='files'): {src} does not exist.")
        name = src.resolve().name
        if name in names:
            raise ValueError(f"log_model(flavor='files'): two paths are named {name!r}.")
        if src.is_dir():
            shutil.copytree(src, folder / name, symlinks=False)
        else:
            shutil.copyfile(src, folder / name)
        names.append(name)
    return SavedModel({"contents": names}, "files", [])
