"""The files behind a model URI, and a copy of them as a folder.

A model URI is MLflow's ``runs:/RUN/NAME`` (a run's model folder), ``models:/NAME/VERSION``,
``models:/NAME@ALIAS`` or ``models:/NAME/latest``, or the registry's own ``NAME``,
``NAME:VERSION`` and ``NAME@ALIAS``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path, PurePosixPath

from mlops_desktop.catalog.artifacts import blob_path
from mlops_desktop.core.errors import ModelError
from mlops_desktop.core.models import ModelFile
from mlops_desktop.services.models import ModelService

BlobOf = Callable[[str], Path]
RUNS_PREFIX = "runs:/"
MODELS_PREFIX = "models:/"


def registry_ref(uri: str) -> str:
    """``models:/NAME/3`` -> "NAME:3", ``models:/NAME@champion`` -> "NAME@champion",
    ``models:/NAME/latest`` -> "NAME"; a registry reference is returned as it is."""
    if not uri.startswith(MODELS_PREFIX):
        return uri
    rest = uri[len(MODELS_PREFIX) :].strip("/")
    if "@" in rest:
        return rest
    name, _, version = rest.partition("/")
    if not name:
        raise ModelError(f"{uri!r} names no model: write models:/NAME/VERSION or NAME@ALIAS.")
    if not version or version.lower() == "latest":
        return name
    if version.isdigit():
        return f"{name}:{version}"
    return f"{name}@{version}"  # an MLflow stage ("Production") read as an alias


def model_files(models: ModelService, uri: str) -> list[ModelFile]:
    """The files of the model ``uri`` names, with paths relative to its folder.

    Raises:
        ModelError: a malformed URI, or no such run artifact; ModelNotFound: no such version.
    """
    uri = uri.strip()
    if uri.startswith(RUNS_PREFIX):
        run, _, artifact = uri[len(RUNS_PREFIX) :].strip("/").partition("/")
        if not run or not artifact:
            raise ModelError(f"{uri!r} is not a run's model: write runs:/RUN_ID/NAME.")
        return models.run_model_files(run, artifact)
    return list(models.get(registry_ref(uri)).files)


def copy_files(
    home: Path, files: list[ModelFile], dest: Path, blob_of: BlobOf | None = None
) -> Path:
    """Copy ``files`` from the artifact store into the folder ``dest`` (created).

    ``blob_of`` finds a digest's file (default: in ``home``; a service's ``blob`` reads through
    the lab store).

    Raises:
        ModelError: a file is missing from the store, or a path would leave ``dest``.
    """
    dest.mkdir(parents=True, exist_ok=True)
    for f in files:
        parts = PurePosixPath(f.path).parts
        if not parts or ".." in parts or PurePosixPath(f.path).is_absolute():
            raise ModelError(f"The model file path {f.path!r} leaves its folder; not copied.")
        blob = blob_of(f.digest) if blob_of is not None else blob_path(home, f.digest)
        if not blob.is_file():
            raise ModelError(
                f"The file {f.path} is missing from this home's artifact store (was the model "
                "logged on another machine?)."
            )
        target = dest.joinpath(*parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(blob, target)
    return dest


def link_files(
    home: Path, files: list[ModelFile], dest: Path, blob_of: BlobOf | None = None
) -> Path:
    """``files`` as a folder at ``dest`` without copying where the file system allows it
    (hard links to the store's blobs), else copies."""
    dest.mkdir(parents=True, exist_ok=True)
    for f in files:
        parts = PurePosixPath(f.path).parts
        if not parts or ".." in parts or PurePosixPath(f.path).is_absolute():
            raise ModelError(f"The model file path {f.path!r} leaves its folder.")
        blob = blob_of(f.digest) if blob_of is not None else blob_path(home, f.digest)
        if not blob.is_file():
            raise ModelError(f"The file {f.path} is missing from the artifact store.")
        target = dest.joinpath(*parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(blob, target)
        except OSError:
            shutil.copyfile(blob, target)
    return dest
