"""A run's artifacts for the read API: listing them as folders, copying them out.

Artifacts live in the content-addressed store under their digest; a run knows each by its
path (``plots/fig.png``). Copying out keeps those paths under the destination folder and
refuses any path that would leave it (``..``, an absolute path, a link out).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path, PurePosixPath

from mlops_desktop.client.records import ArtifactNotFoundError, FileInfo
from mlops_desktop.core.errors import ArtifactUnreadable
from mlops_desktop.core.runs import ArtifactRef


def clean_path(path: str | None) -> str:
    """An artifact folder or file path as the run knows it: POSIX, no leading ``./`` or ``/``."""
    text = (path or "").replace("\\", "/").strip()
    parts = [p for p in text.split("/") if p not in ("", ".")]
    return "/".join(parts)


def list_files(artifacts: list[ArtifactRef], path: str | None = None) -> list[FileInfo]:
    """The files and folders directly under ``path`` (the run's top level when None), by path;
    empty when ``path`` names a file or nothing (as MLflow's ``list_artifacts``)."""
    folder = clean_path(path)
    prefix = folder + "/" if folder else ""
    files: dict[str, FileInfo] = {}
    for a in artifacts:
        if not a.name.startswith(prefix) or a.name == folder:
            continue
        head, slash, _ = a.name[len(prefix) :].partition("/")
        if slash:
            files.setdefault(prefix + head, FileInfo(prefix + head, True, None))
        else:
            files[a.name] = FileInfo(a.name, False, a.size)
    return [files[k] for k in sorted(files)]


def _inside(dst: Path, name: str) -> Path:
    """Where artifact ``name`` goes under ``dst``; refused when it would leave ``dst``."""
    rel = PurePosixPath(name)
    if rel.is_absolute() or ".." in rel.parts or not rel.parts or "\\" in name:
        raise ArtifactUnreadable(f"The artifact path {name!r} would leave {dst}; it was skipped.")
    target = dst.joinpath(*rel.parts)
    if not target.resolve().is_relative_to(dst.resolve()):
        raise ArtifactUnreadable(
            f"The artifact path {name!r} leads out of {dst} (through a link); nothing was copied."
        )
    return target


def download(
    run_id: str, artifacts: list[ArtifactRef], path: str | None, dst_path: str | Path | None
) -> str:
    """Copy the artifact file or folder ``path`` (all when empty) of a run under ``dst_path``
    (a new temp folder when None), keeping the artifacts' paths; the local path of what was
    asked for.

    Raises:
        ArtifactNotFoundError: the run has no artifact at ``path``.
        ArtifactUnreadable: a stored file is missing, or a path would leave ``dst_path``.
    """
    wanted = clean_path(path)
    prefix = wanted + "/" if wanted else ""
    chosen = [a for a in artifacts if a.name == wanted or a.name.startswith(prefix)]
    if not chosen:
        names = ", ".join(a.name for a in artifacts[:10]) or "none"
        raise ArtifactNotFoundError(
            f"Run {run_id[:8]} has no artifact {wanted or '(any)'!r} (its artifacts: {names})."
        )
    dst = Path(dst_path).expanduser() if dst_path is not None else None
    if dst is None:
        dst = Path(tempfile.mkdtemp(prefix="mlops-artifacts-"))
    dst.mkdir(parents=True, exist_ok=True)
    targets = [(a, _inside(dst, a.name)) for a in chosen]  # every path checked before copying
    for a, target in targets:
        if not a.path or not os.path.isfile(a.path):
            raise ArtifactUnreadable(
                f"The file of artifact {a.name!r} of run {run_id[:8]} is not in this home's "
                "artifact store (was the run made on another machine?)."
            )
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.partial")
        shutil.copyfile(a.path, partial)
        os.replace(partial, target)
    return str(_inside(dst, wanted) if wanted else dst)
