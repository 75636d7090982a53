"""The datasets of a launched run: where each version's files are (standard library only).

A launch writes a manifest ``{name: {"version": "v3", "path": ...}}``; the launcher copies it to
``RUN_DIR/datasets.json`` with absolute paths and points ``MLOPS_DESKTOP_DATASETS`` at it. A
script finds its data with :func:`dataset_path`::

    import mlops_desktop as mlops

    df = pandas.read_csv(mlops.dataset_path("wine"))
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

MANIFEST_ENV = "MLOPS_DESKTOP_DATASETS"
RUN_MANIFEST = "datasets.json"


class DatasetUnavailable(LookupError):
    """The dataset was not made available to this run (or this is not a launched run)."""


def read_manifest(path: str | os.PathLike[str]) -> dict[str, dict[str, str]]:
    """The manifest at ``path``, its relative paths made absolute against its folder.

    Raises:
        OSError: it cannot be read.
        ValueError: it is not a manifest.
    """
    file = Path(path)
    data: Any = json.loads(file.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{file} is not a dataset manifest (a JSON object)")
    base = file.resolve().parent
    out: dict[str, dict[str, str]] = {}
    for name, item in data.items():
        if not (isinstance(item, dict) and isinstance(item.get("path"), str)):
            raise ValueError(f"{file}: the entry of {name!r} has no path")
        version = item.get("version")
        out[str(name)] = {
            "version": str(version) if version is not None else "",
            "path": str(base / os.path.expanduser(item["path"])),  # absolute paths stay
        }
    return out


def install_manifest(source: str | os.PathLike[str], cwd: str, run_dir: Path) -> Path:
    """Read the launch's manifest (a relative ``source`` is under ``cwd``) and write it with
    absolute paths to ``run_dir/datasets.json``; that path."""
    src = Path(cwd, source) if not os.path.isabs(source) else Path(source)
    manifest = read_manifest(src)
    dest = run_dir / RUN_MANIFEST
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True), encoding="utf-8")
    os.replace(tmp, dest)
    return dest.resolve()


def _this_run() -> dict[str, dict[str, str]]:
    path = os.environ.get(MANIFEST_ENV)
    if not path:
        raise DatasetUnavailable(
            "No datasets were made available: dataset_path() works in a run launched with "
            "datasets (launch --dataset NAME, or the launch dialog's Datasets field)."
        )
    try:
        return read_manifest(path)
    except (OSError, ValueError) as exc:
        raise DatasetUnavailable(
            f"The run's dataset manifest {path} cannot be read: {exc}"
        ) from exc


def dataset_path(name: str) -> str:
    """The absolute path (a folder, or a file for a one-file dataset) of the version of
    dataset ``name`` made available to this launched run.

    Raises:
        DatasetUnavailable: not in a launched run with datasets, or ``name`` was not launched
            with it.
    """
    manifest = _this_run()
    if name not in manifest:
        known = ", ".join(sorted(manifest)) or "none"
        raise DatasetUnavailable(
            f"The dataset {name!r} was not launched with this run (available: {known})."
        )
    return manifest[name]["path"]


def launched_version(name: str) -> str | None:
    """The version of ``name`` this launched run was given, or None (not launched with it)."""
    if not os.environ.get(MANIFEST_ENV):
        return None
    try:
        item = _this_run().get(name)
    except DatasetUnavailable:
        return None
    return (item or {}).get("version") or None


def _export() -> None:
    """Make ``mlops_desktop.dataset_path`` exist even where the package's ``__init__`` is the
    small one shipped to remote hosts."""
    package = sys.modules.get("mlops_desktop")
    if package is not None and not hasattr(package, "dataset_path"):
        package.dataset_path = dataset_path  # type: ignore[attr-defined]


_export()
