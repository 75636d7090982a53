"""Logging files to a run: ``log_artifact``, ``log_artifacts``, ``log_text`` and ``log_dict``."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mlops_desktop.tracking.artifacts import (
    check_artifact_name,
    files_to_log,
    folder_files,
    store_file,
)
from mlops_desktop.tracking.home import artifact_root
from mlops_desktop.tracking.validate import check_mapping


class ArtifactLogging:
    """The artifact methods of :class:`~mlops_desktop.tracking.run.Run`."""

    id: str
    home: Path
    _events_open: bool

    def _put(self, event: dict[str, Any]) -> None:
        raise NotImplementedError

    def log_artifact(
        self,
        path: str | os.PathLike[str],
        artifact_path: str | None = None,
        *,
        name: str | None = None,
    ) -> list[str]:
        """Copy a file (or every file under a folder) into the artifact store and record it.

        Args:
            path: the file or folder to log.
            artifact_path: a folder of the run's artifacts to put it in, as in MLflow:
                ``log_artifact("fig.png", "plots")`` stores ``plots/fig.png``.
            name: the stored name itself instead (``name="models/best.bin"``).

        Returns:
            the digests (``sha256:<hex>``) of the files logged, in order.

        Raises:
            FileNotFoundError: ``path`` does not exist.
            ValueError: a name or folder that is absolute or contains ``..``, or both given.
        """
        if artifact_path is not None:
            if name is not None:
                raise ValueError(
                    "give log_artifact an artifact_path (a folder) or a name, not both"
                )
            folder = check_artifact_name(artifact_path)
            name = f"{folder}/{Path(path).resolve().name}"
        return self._store(files_to_log(path, name))

    def log_artifacts(
        self, local_dir: str | os.PathLike[str], artifact_path: str | None = None
    ) -> list[str]:
        """Log every file under ``local_dir``, under the folder ``artifact_path`` (or at the top).

        Raises:
            FileNotFoundError: ``local_dir`` is not a folder.
        """
        return self._store(folder_files(local_dir, artifact_path))

    def log_text(self, text: str, artifact_file: str) -> str:
        """Store ``text`` (UTF-8) as the artifact ``artifact_file``; returns its digest."""
        if not isinstance(text, str):
            raise TypeError(f"log_text needs a str, got {type(text).__name__}")
        return self._store_bytes(text.encode("utf-8"), artifact_file)

    def log_dict(self, dictionary: Mapping[str, Any], artifact_file: str) -> str:
        """Store ``dictionary`` as JSON (valid YAML too) named ``artifact_file``."""
        check_mapping(dictionary, "dictionary")
        text = json.dumps(dictionary, indent=2, sort_keys=False, default=str)
        return self._store_bytes(text.encode("utf-8"), artifact_file)

    def _store_bytes(self, data: bytes, artifact_file: str) -> str:
        label = check_artifact_name(artifact_file)
        with tempfile.TemporaryDirectory(prefix="mlops-artifact-") as tmp:
            file = Path(tmp) / "content"
            file.write_bytes(data)
            return self._store([(file, label)])[0]

    def _store(self, files: list[tuple[Path, str]]) -> list[str]:
        if not self._events_open:
            raise RuntimeError(f"run {self.id} has ended")
        digests = []
        root = artifact_root(self.home)
        for file, label in files:
            hex_digest, size = store_file(file, root)
            digest = f"sha256:{hex_digest}"
            self._put({"type": "artifact", "name": label, "digest": digest, "size": size})
            digests.append(digest)
        return digests
