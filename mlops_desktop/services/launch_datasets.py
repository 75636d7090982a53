"""Make the dataset versions a RunSpec names available to the launched run.

A launch resolves each ``"name@v3"`` (or ``"name"``, the latest version) in the registry before
anything starts, and checks that every file of the version can still be read: at its source while
it has the recorded hash, else from the snapshot store. Then:

- a local run reads the files where they are: the manifest points at the source file or folder
  when it still matches the version, else at a checkout of the snapshot into
  ``HOME/jobs/<run>/data/<name>``;
- a remote run (SSH, Slurm) gets the files staged into its code folder under ``data/<name>/``
  (snapshot blobs hard-linked, they are read-only; source files copied) so they travel with the
  code; the manifest (``.mlops-datasets.json`` in the code folder) holds paths relative to it.

The manifest is ``{name: {"version": "v3", "path": ...}}``; the launcher copies it to
``RUN_DIR/datasets.json`` with absolute paths, points ``MLOPS_DESKTOP_DATASETS`` at it and
records each entry as an input of the run.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlops_desktop.core.compute import RunSpec
from mlops_desktop.core.datasets import DatasetVersion, ManifestEntry
from mlops_desktop.core.errors import DatasetError, DatasetNotFound, JobError
from mlops_desktop.services.dataset_sources import FileLocator

MANIFEST_ENV = "MLOPS_DESKTOP_DATASETS"
RUN_MANIFEST = "datasets.json"  # in the run dir, written by the launch (local) or the launcher
STAGED_MANIFEST = ".mlops-datasets.json"  # in a remote run's staged code folder
DATA_DIRNAME = "data"


@dataclass(frozen=True, slots=True)
class LaunchDataset:
    """One resolved dataset version of a launch.

    Attributes:
        version: the registered version.
        entries: its files.
        source_ok: whether every file is still at the source with its recorded hash.
        readable: for each file (by relative path), where its bytes can be read now.
    """

    version: DatasetVersion
    entries: list[ManifestEntry]
    source_ok: bool
    readable: dict[str, Path]

    @property
    def name(self) -> str:
        return self.version.dataset

    @property
    def single_file(self) -> bool:
        """A version registered from one file (its only entry is named after the file)."""
        src = Path(self.version.source_path)
        return len(self.entries) == 1 and not src.is_dir() and src.name == self.entries[0].path


def parse_ref(ref: str) -> tuple[str, str | None]:
    """``"wine@v3"`` → ("wine", "v3"); ``"wine"`` → ("wine", None) (the latest)."""
    name, _, version = ref.strip().partition("@")
    return name.strip(), (version.strip() or None)


def resolve(service: Any, refs: list[str]) -> list[LaunchDataset]:
    """Resolve the datasets of a spec and check that their files can be read.

    Args:
        service: a :class:`~mlops_desktop.services.datasets.DatasetService`.
        refs: ``"name@version"`` or ``"name"`` strings.

    Raises:
        JobError: an unknown dataset or version, a dataset named twice, or a version whose files
            are gone (changed at the source and not snapshotted, or missing from the store).
    """
    locator = FileLocator(service._read_store())
    out: list[LaunchDataset] = []
    seen: set[str] = set()
    for ref in refs:
        name, wanted = parse_ref(ref)
        if not name:
            raise JobError(f"{ref!r} does not name a dataset: write NAME or NAME@VERSION.")
        try:
            version = service.get_version(name, wanted)
            entries = service.manifest(name, version.version)
        except (DatasetNotFound, DatasetError) as exc:
            raise JobError(f"Cannot make dataset {ref!r} available to the run: {exc}") from exc
        if version.dataset in seen:
            raise JobError(f"The dataset {version.dataset} is named twice; give it once.")
        seen.add(version.dataset)
        out.append(_check(locator, version, entries))
    return out


def _check(
    locator: FileLocator, version: DatasetVersion, entries: list[ManifestEntry]
) -> LaunchDataset:
    at_source = dataclasses.replace(version, snapshot=False)
    sources = {e.path: locator.readable(at_source, e) for e in entries}
    if all(p is not None for p in sources.values()):
        readable = {rel: p for rel, p in sources.items() if p is not None}
        return LaunchDataset(version, entries, True, readable)
    label = f"{version.version} of {version.dataset}"
    if not version.snapshot:
        raise JobError(
            f"{label} is no longer at its source and was not snapshotted: its files at "
            f"{version.source_path} changed since it was registered. Register the current files "
            f"as a new version, or launch with a version that has a snapshot."
        )
    blobs: dict[str, Path] = {}
    for e in entries:
        path = sources[e.path] or locator.readable(version, e)
        if path is None:
            raise JobError(f"{label}: {e.path} is missing from the snapshot store.")
        blobs[e.path] = path
    return LaunchDataset(version, entries, False, blobs)


def local_manifest(
    service: Any, datasets: list[LaunchDataset], run_dir: Path
) -> dict[str, dict[str, str]]:
    """The manifest of a local run: sources in place, snapshots checked out under the run dir.

    Raises:
        JobError: a checkout failed.
    """
    manifest: dict[str, dict[str, str]] = {}
    for ds in datasets:
        if ds.source_ok:
            path = Path(ds.version.source_path)
        else:
            dest = run_dir / DATA_DIRNAME / ds.name
            try:
                service.checkout(ds.name, ds.version.version, dest)
            except (DatasetError, DatasetNotFound, OSError) as exc:
                raise JobError(f"Cannot check out {ds.name}@{ds.version.version}: {exc}") from exc
            path = dest / ds.entries[0].path if ds.single_file else dest
        manifest[ds.name] = {"version": ds.version.version, "path": str(path)}
    return manifest


def stage_remote(datasets: list[LaunchDataset], code_dir: Path) -> dict[str, dict[str, str]]:
    """Stage each version's files into ``code_dir/data/<name>/``; the manifest (paths relative
    to ``code_dir``)."""
    manifest: dict[str, dict[str, str]] = {}
    for ds in datasets:
        root = code_dir / DATA_DIRNAME / ds.name
        if root.exists():
            shutil.rmtree(root)  # the code had a folder of that name: the version wins
        for e in ds.entries:
            _place(ds.readable[e.path], root.joinpath(*e.path.split("/")))
        rel = f"{DATA_DIRNAME}/{ds.name}"
        if ds.single_file:
            rel += f"/{ds.entries[0].path}"
        manifest[ds.name] = {"version": ds.version.version, "path": rel}
    return manifest


def _place(src: Path, dest: Path) -> None:
    """Hard-link a read-only file (a snapshot blob), copy others (the run must not write to the
    user's source through a link)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    if not os.access(src, os.W_OK):
        try:
            os.link(src, dest)
            return
        except OSError:
            pass  # another filesystem, or links not allowed
    shutil.copyfile(src, dest)


def provide(
    service: Any,
    spec: RunSpec,
    datasets: list[LaunchDataset],
    run_dir: Path,
    code_dir: Path | None,
) -> RunSpec:
    """Make ``datasets`` readable by the run; the spec with ``MLOPS_DESKTOP_DATASETS`` set.

    Locally the manifest is ``run_dir/datasets.json`` (absolute paths, snapshots checked out
    through ``service``, a DatasetService); for remote targets the files and the manifest are
    staged into the code folder (``run_dir/code`` when the spec ships no code), and the launcher
    resolves the relative manifest against its working folder.

    Raises:
        JobError: a checkout failed.
    """
    if not datasets:
        return spec
    if spec.target == "local":
        manifest = local_manifest(service, datasets, run_dir)
        value = str(write_manifest(manifest, run_dir / RUN_MANIFEST))
    else:
        folder = code_dir or run_dir / "code"
        write_manifest(stage_remote(datasets, folder), folder / STAGED_MANIFEST)
        value = STAGED_MANIFEST
    return dataclasses.replace(spec, env={**spec.env, MANIFEST_ENV: value})


def write_manifest(manifest: dict[str, dict[str, str]], path: Path) -> Path:
    """Write ``manifest`` as JSON to ``path`` (folders created); ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True), encoding="utf-8")
    return path
