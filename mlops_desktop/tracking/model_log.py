"""``log_model``: a model folder (files, ``MLmodel`` description, requirements, signature and
input example) logged as a run's artifact, and registered on ingest when asked.

The folder ``NAME/`` holds the flavour's files (see :mod:`~mlops_desktop.tracking.model_flavors`),
``MLmodel`` (see :mod:`~mlops_desktop.tracking.model_folder`), ``requirements.txt`` and, with
an input example, ``input_example.json``. ``registered_model_name=`` adds a ``model`` event to
the spool; the ingester turns it into a new version of that model, as
``models register RUN NAME --name MODEL`` does.
"""

from __future__ import annotations

import datetime
import importlib.metadata
import json
import os
import platform
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlops_desktop.tracking import model_flavors
from mlops_desktop.tracking.artifacts import check_artifact_name
from mlops_desktop.tracking.model_folder import (
    INPUT_EXAMPLE_FILE,
    REQUIREMENTS_FILE,
    write_description,
)
from mlops_desktop.tracking.model_signature import ModelSignature, infer_signature, schema_of
from mlops_desktop.tracking.who import host_name, os_user

if TYPE_CHECKING:
    from mlops_desktop.tracking.run import Run

MODEL_NAME = re.compile(r"^[A-Za-z0-9._-]{1,100}$")  # services.model_refs.NAME_RE
EXAMPLE_ROWS = 1000  # an input example keeps at most this many rows
PREDICT_ROWS = 1000  # the output signature is inferred when the example is at most this long


@dataclass(frozen=True)
class ModelInfo:
    """What :func:`log_model` logged: ``model_uri`` ("runs:/<run id>/<name>") loads it back
    with ``load_model``; ``registered_model_name`` is registered when the run is ingested."""

    artifact_path: str
    model_uri: str
    run_id: str
    flavor: str
    signature: ModelSignature | None
    registered_model_name: str | None
    files: tuple[str, ...]


def _version(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except (importlib.metadata.PackageNotFoundError, ValueError):
        return None


def _json_default(value: Any) -> Any:
    for method in ("tolist", "item", "isoformat"):
        fn = getattr(value, method, None)
        if callable(fn):
            return fn()
    return str(value)


def _example_document(example: Any) -> tuple[dict[str, Any], str]:
    """The input example as JSON-able data and its kind: "dataframe" ({columns, data}),
    "dict" ({column: values}), "ndarray"/"tensor"/"list" ({inputs})."""
    if hasattr(example, "columns") and hasattr(example, "head"):
        part = example.head(EXAMPLE_ROWS)
        return {"columns": [str(c) for c in part.columns], "data": part.values.tolist()}, (
            "dataframe"
        )
    if isinstance(example, dict):
        return {str(k): v for k, v in example.items()}, "dict"
    if hasattr(example, "shape") and hasattr(example, "tolist"):
        part = example[:EXAMPLE_ROWS] if len(example.shape) else example
        if hasattr(part, "detach"):
            return {"inputs": part.detach().cpu().tolist()}, "tensor"
        return {"inputs": part.tolist()}, "ndarray"
    if isinstance(example, list | tuple):
        return {"inputs": list(example[:EXAMPLE_ROWS])}, "list"
    return {"inputs": example}, type(example).__name__


def _output_on(model: Any, flavor: str, example: Any) -> Any:
    """The model's output on a small example (None when it fails or would be costly)."""
    try:
        if len(example) > PREDICT_ROWS:
            return None
    except TypeError:
        return None
    try:
        if flavor == "sklearn" and callable(getattr(model, "predict", None)):
            return model.predict(example)
        if flavor == "pytorch":
            torch = importlib.import_module("torch")
            tensor = example if isinstance(example, torch.Tensor) else torch.as_tensor(example)
            with torch.no_grad():
                return model(tensor)
    except Exception:  # the signature is a help, never a reason to fail logging
        return None
    return None


def _requirements(given: Any, packages: list[str]) -> list[str]:
    if given is None:
        pins = [(name, _version(name)) for name in packages]
        return [f"{name}=={v}" for name, v in pins if v is not None]
    if isinstance(given, str | os.PathLike) and Path(os.fspath(given)).is_file():
        lines = Path(os.fspath(given)).read_text(encoding="utf-8").splitlines()
        return [ln.strip() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]
    if isinstance(given, str):
        raise FileNotFoundError(f"requirements file {given!r} does not exist (give a list).")
    return [str(line) for line in given]


def _check_registered_name(name: Any) -> None:
    if name is not None and (not isinstance(name, str) or not MODEL_NAME.match(name)):
        raise ValueError(
            f"registered_model_name {name!r} is not a model name: use 1 to 100 letters, "
            "digits, '-', '_' or '.'."
        )


def log_model(
    run: Run,
    model: Any,
    name: str,
    *,
    flavor: str | None = None,
    input_example: Any = None,
    signature: ModelSignature | dict[str, Any] | bool | None = None,
    registered_model_name: str | None = None,
    requirements: list[str] | str | os.PathLike[str] | None = None,
    export: bool = False,
    extra_requirements: list[str] | None = None,
) -> ModelInfo:
    """Write ``model`` as the model folder ``name/`` of ``run`` (see the module's text).

    Args:
        flavor: "sklearn", "pytorch" or "files"; by default from the model's type.
        input_example: a few rows of input (DataFrame, dict of columns, array, tensor, list),
            stored as ``input_example.json`` and used to infer the signature.
        signature: a :class:`ModelSignature` (or its dict); None infers it from the
            example (the output from ``predict`` on it); False stores none.
        registered_model_name: register the folder as a new version of this model on ingest.
        requirements: pip lines, or a requirements file; by default the flavour's packages
            at their installed versions.
        extra_requirements: pip lines added to those (MLflow's ``extra_pip_requirements``).
        export: PyTorch: also script the module (``torch.jit.script``) into ``model.pt``.

    Raises:
        ValueError: a bad name, flavour or model; ImportError: the flavour's package is missing.
    """
    artifact_path = check_artifact_name(name)
    _check_registered_name(registered_model_name)
    kind = flavor if flavor is not None else model_flavors.flavor_of(model)
    if kind not in model_flavors.FLAVORS:
        raise ValueError(f"flavor must be one of {', '.join(model_flavors.FLAVORS)}, got {kind!r}.")
    with tempfile.TemporaryDirectory(prefix="mlops-model-") as tmp:
        folder = Path(tmp)
        saved = model_flavors.save(model, kind, folder, export)
        example_info = None
        if input_example is not None:
            document, example_kind = _example_document(input_example)
            text = json.dumps(document, default=_json_default)
            (folder / INPUT_EXAMPLE_FILE).write_text(text, encoding="utf-8")
            example_info = {"file": INPUT_EXAMPLE_FILE, "kind": example_kind}
            if example_kind == "dataframe":
                saved.packages.append("pandas")
        sig = _signature(signature, model, kind, input_example)
        pins = _requirements(requirements, saved.packages) + list(extra_requirements or [])
        (folder / REQUIREMENTS_FILE).write_text("".join(f"{ln}\n" for ln in pins), "utf-8")
        write_description(
            folder,
            {
                "artifact_path": artifact_path,
                "run_id": run.id,
                "created_at": _now(),
                "flavor": kind,
                "loader": model_flavors.LOADERS[kind],
                "files": saved.files,
                "model_class": saved.model_class,
                "python_version": platform.python_version(),
                "packages": {p: v for p in saved.packages if (v := _version(p)) is not None},
                "requirements": pins,
                "signature": sig.to_dict() if sig is not None else None,
                "input_example": example_info,
                "written_by": f"mlops-desktop {_version('mlops-desktop') or ''}".strip(),
            },
        )
        files = tuple(
            sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
        )
        run.log_artifacts(folder, artifact_path)
    if registered_model_name is not None:
        run._put(
            {
                "type": "model",
                "name": artifact_path,
                "registered_model_name": registered_model_name,
                "flavor": kind,
                "user": os_user(),
                "host": host_name(),
            }
        )
    return ModelInfo(
        artifact_path=artifact_path,
        model_uri=f"runs:/{run.id}/{artifact_path}",
        run_id=run.id,
        flavor=kind,
        signature=sig,
        registered_model_name=registered_model_name,
        files=files,
    )


def _signature(
    given: ModelSignature | dict[str, Any] | bool | None, model: Any, flavor: str, example: Any
) -> ModelSignature | None:
    if given is False:
        return None
    if isinstance(given, ModelSignature):
        return given
    if isinstance(given, dict):
        return ModelSignature.from_dict(given)
    if given is not None and given is not True:
        raise TypeError(f"signature must be a ModelSignature or a dict, got {type(given).__name__}")
    if example is None:
        return None
    inferred = infer_signature(example, None)
    output = _output_on(model, flavor, example)
    return ModelSignature(inferred.inputs, schema_of(output)) if output is not None else inferred


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
