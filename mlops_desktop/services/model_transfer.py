"""Moving model files in and out: a path into the artifact store, archives out and in.

Used by :class:`~mlops_desktop.services.models.ModelService`. Import keeps the archive's card
and lineage (see :mod:`~mlops_desktop.services.model_archive_cards`). Import extracts into a temp
folder that is always removed; only after the archive was fully checked are its files copied
into the artifact store and the version registered (one transaction), so a refused archive
writes nothing to the catalog or the store.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlops_desktop.catalog.model_repo import ARCHIVED_CARD
from mlops_desktop.core.errors import ArchiveError, ModelError
from mlops_desktop.core.models import ModelFile, ModelVersion
from mlops_desktop.services.model_archive_cards import card_to_keep
from mlops_desktop.tracking.artifacts import check_artifact_name, sha256_file, store_file
from mlops_desktop.tracking.home import artifact_root

if TYPE_CHECKING:
    from mlops_desktop.services.models import ModelService

IMPORT_MAX_BYTES = 20 * 2**30
IMPORT_MAX_MEMBERS = 10_000


def files_under(path: Path) -> list[tuple[Path, str]]:
    """(file, relative POSIX name) of a file, or of every regular file under a folder."""
    if path.is_file():
        return [(path, path.name)]
    found = []
    for folder, dirs, files in os.walk(path):
        dirs.sort()
        for file in sorted(files):
            full = Path(folder) / file
            if full.is_file():
                found.append((full, check_artifact_name(full.relative_to(path).as_posix())))
    return found


def store_path(home: Path, path: str | Path) -> tuple[list[ModelFile], Path]:
    """Copy a file or a folder's files into the artifact store; (files, resolved root).

    Raises:
        ModelError: the path does not exist, holds no file, or a file cannot be copied.
    """
    root = Path(path).expanduser()
    if not root.exists():
        raise ModelError(f"{root} does not exist: give a model file or a folder.")
    root = root.resolve()
    found = files_under(root)
    if not found:
        raise ModelError(f"{root} holds no file to register.")
    return _store_files(home, found), root


def _store_files(
    home: Path, found: list[tuple[Path, str]], archive: Path | None = None
) -> list[ModelFile]:
    """Copy each (file, relative name) into the artifact store of ``home``.

    Raises:
        ModelError: a file cannot be copied (it is named in ``archive`` when it came from one).
    """
    store = artifact_root(Path(home))
    files = []
    for src, rel in found:
        try:
            hexd, size = store_file(src, store)
        except OSError as exc:
            what = f"model/{rel} of {archive.name}" if archive is not None else str(src)
            done = "imported" if archive is not None else "registered"
            raise ModelError(
                f"{what} could not be copied into the artifact store ({exc.strerror or exc}); "
                f"nothing was {done}."
            ) from exc
        files.append(ModelFile(rel, size, f"sha256:{hexd}"))
    return files


def export_format(file: str | Path) -> str:
    """The format an export to ``file`` writes: "zip" for a ``.zip`` name, else "tar.gz"."""
    from mlops_desktop.models.archive import archive_format

    return archive_format(file)


def export_version(service: ModelService, ref: str, file: Path) -> Path:
    """Write one archive of the version ``ref``: its files, card and lineage (a zip when
    ``file`` ends in ``.zip``, a gzip-compressed tar otherwise)."""
    from mlops_desktop import __version__
    from mlops_desktop.core.model_documents import card_dict, lineage_dict
    from mlops_desktop.models.archive import write_archive

    card = service.card(ref)
    v = card.version
    files = []
    for f in v.files:
        blob = service.blob(f.digest, f.path)
        if not blob.is_file():
            raise ModelError(
                f"{v.name}:{v.version}'s file {f.path} is missing from the artifact store "
                "(and from the lab store, if one is set); it cannot be exported."
            )
        files.append((f.path, blob))
    meta = {
        "name": v.name,
        "version": v.version,
        "fingerprint": v.fingerprint,
        "run": v.run_id,
        "source": v.source,
        "description": v.description,
        "tags": dict(v.tags),
        "exported_at": time.time(),
        "app_version": __version__,
    }
    return Path(
        write_archive(
            Path(file).expanduser(), files, card_dict(card), lineage_dict(card.lineage), meta
        )
    )


def import_version(service: ModelService, file: Path, name: str | None) -> ModelVersion:
    """Check and import an archive as a new version (of ``name`` or the archive's own).

    Raises:
        ArchiveError: unsafe or damaged archive (nothing written anywhere).
        ModelError: no usable model name.
    """
    from mlops_desktop.models.archive import read_archive
    from mlops_desktop.models.archive_manifest import check_meta
    from mlops_desktop.services.model_refs import check_model_name

    file = Path(file).expanduser()
    with tempfile.TemporaryDirectory(prefix="mlops-import-") as tmp:
        contents = read_archive(
            file, Path(tmp) / "files", max_bytes=IMPORT_MAX_BYTES, max_members=IMPORT_MAX_MEMBERS
        )
        meta = check_meta(contents.manifest.get("meta"))  # checked on reading; typed here
        target = name or str(meta.get("name") or "")
        if not target:
            raise ModelError(f"{file} does not name its model; give one with --name.")
        check_model_name(target)
        _check_extracted(file, contents.files, meta.get("fingerprint"))
        extracted = [(path, rel) for rel, path, _, _ in contents.files]
        files = _store_files(service.home, extracted, archive=file)
        kept = card_to_keep(contents.card, contents.lineage, meta, file.resolve())
    origin = f"{meta.get('name')}:{meta.get('version')}" if meta.get("name") else ""
    tags = meta.get("tags") or {}
    return service._add(
        target,
        files,
        _run_here(service, meta.get("run")),
        str(file.resolve()),
        str(meta.get("description") or ""),
        {str(k): str(v) for k, v in tags.items()},
        action="imported",
        detail={
            "archive": str(file.resolve()),
            "from": origin,
            "source_run": meta.get("run"),
            **({ARCHIVED_CARD: kept} if kept else {}),
        },
    )


def _check_extracted(file: Path, extracted: list[tuple[str, Path, int, str]], claimed: Any) -> None:
    """Raise ArchiveError unless every extracted (rel, path, size, digest) still has its digest
    and, together, they have the fingerprint the archive records (when it records one)."""
    from mlops_desktop.core.datasets import ManifestEntry
    from mlops_desktop.datasets.manifest import fingerprint

    for rel, path, _size, digest in extracted:
        # read_archive verified it; bytes read twice are never trusted
        if f"sha256:{sha256_file(path)[0]}" != digest:
            raise ArchiveError(f"model/{rel} changed while it was being imported.")
    fp = fingerprint([ManifestEntry(rel, n, d.split(":", 1)[-1]) for rel, _, n, d in extracted])
    if claimed and claimed != fp:
        raise ArchiveError(
            f"The files of {file.name} do not match the fingerprint it records; the archive "
            "was altered. Nothing was imported."
        )


def _run_here(service: ModelService, run_id: Any) -> str | None:
    """The full id of the archive's source run when this catalog has it, else None."""
    if not isinstance(run_id, str):
        return None
    if not run_id:
        return run_id
    from mlops_desktop.catalog.run_queries import resolve_run_id

    try:
        with service.catalog.session_scope() as s:
            return resolve_run_id(s, run_id)
    except Exception:  # the source run lives in another catalog
        return None
