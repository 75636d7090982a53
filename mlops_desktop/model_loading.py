"""``load_model``: a logged or registered model, loaded in the caller's process.

Not imported by ``import mlops_desktop`` (which stays standard library only): the package's
``load_model`` imports this module on first use. A reference that is not a folder on disk needs
the catalog, so this module opens the app's services on the home at call time, ingesting local
spools first as every command does.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from mlops_desktop.core.errors import ModelError
from mlops_desktop.tracking.home import resolve_home
from mlops_desktop.tracking.model_folder import DESCRIPTION_FILE, ModelFolderError
from mlops_desktop.tracking.model_load import load_folder


def download_model(
    model_uri: str, dst_path: str | os.PathLike[str], home: str | os.PathLike[str] | None = None
) -> Path:
    """Copy the model folder ``model_uri`` names (see :func:`load_model`) into ``dst_path``.

    Raises:
        ModelError, ModelNotFound, RunNotFound: the reference names nothing in the catalog.
    """
    from mlops_desktop.services.bundle import Services
    from mlops_desktop.services.model_uris import copy_files, model_files

    where = resolve_home(home)
    with Services.open(where) as services:
        services.experiments.ingest()
        files = model_files(services.models, model_uri)
        return copy_files(where, files, Path(dst_path), blob_of=services.models.blob)


def load_model(
    model_uri: str | os.PathLike[str],
    *,
    flavor: str | None = None,
    model: Any = None,
    dst_path: str | os.PathLike[str] | None = None,
    home: str | os.PathLike[str] | None = None,
) -> Any:
    """The model of ``model_uri``, loaded here: unpickling runs the model's code, so load only
    models you trust.

    Args:
        model_uri: a model folder on disk, ``runs:/RUN_ID/NAME``, ``models:/NAME/VERSION``,
            ``models:/NAME@ALIAS``, ``NAME@ALIAS``, ``NAME:VERSION`` or ``NAME`` (the latest).
        flavor: refuse a model of another flavour ("sklearn", "pytorch").
        model: PyTorch: the module to fill with the stored state_dict.
        dst_path: where the files are copied (kept); by default a temporary folder, removed
            after loading unless the model is a ``files`` one (its folder is the answer).
        home: the app's home (default: ``MLOPS_DESKTOP_HOME`` or the platform's).

    Raises:
        ModelError, ModelNotFound: the reference names no model here, or its folder cannot
            be loaded.
    """
    local = Path(os.fspath(model_uri)).expanduser()
    if (local / DESCRIPTION_FILE).is_file():
        return _load(local, flavor, model)
    keep = dst_path is not None
    folder = Path(dst_path) if dst_path is not None else Path(tempfile.mkdtemp(prefix="mlops-"))
    try:
        download_model(str(model_uri), folder, home)
        loaded = _load(folder, flavor, model)
        keep = keep or isinstance(loaded, Path)
        return loaded
    finally:
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)


def _load(folder: Path, flavor: str | None, model: Any) -> Any:
    try:
        return load_folder(folder, flavor, model=model)
    except ModelFolderError as exc:
        raise ModelError(str(exc)) from None
