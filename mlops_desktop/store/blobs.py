"""Naming and hashing the blobs a store holds, the same way a home holds them.

A store mirrors the home's own layout, so a home's blobs and a store's are found by the same
relative path: ``artifacts/sha256/<hex[:2]>/<hex>`` (SHA-256, artifacts and model files) and
``datasets/blobs/<hex[:2]>/<hex>`` (BLAKE3, dataset snapshot files).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from mlops_desktop.datasets import hashing
from mlops_desktop.tracking.artifacts import sha256_file

ARTIFACTS = "artifacts"
DATASETS = "datasets"
PREFIXES = {ARTIFACTS: "artifacts/sha256", DATASETS: "datasets/blobs"}
_HEX64 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class BlobKey:
    """One blob: its kind ("artifacts" or "datasets") and its hex hash."""

    kind: str
    hex: str

    def __post_init__(self) -> None:
        if self.kind not in PREFIXES or not _HEX64.fullmatch(self.hex):
            raise ValueError(f"not a blob: {self.kind!r} {self.hex[:80]!r}")

    @property
    def rel(self) -> str:
        """The blob's path relative to a home or a store root."""
        return f"{PREFIXES[self.kind]}/{self.hex[:2]}/{self.hex}"

    @classmethod
    def of_digest(cls, digest: str) -> BlobKey:
        """The key of an artifact digest ``sha256:<hex>`` (ValueError when malformed)."""
        algo, _, hexd = digest.partition(":")
        if algo != "sha256":
            raise ValueError(f"not a sha256 digest: {digest[:80]!r}")
        return cls(ARTIFACTS, hexd)

    @classmethod
    def of_rel(cls, rel: str) -> BlobKey | None:
        """The key a relative path names, or None for anything else (temp files...)."""
        for kind, prefix in PREFIXES.items():
            if rel.startswith(prefix + "/"):
                parts = rel[len(prefix) + 1 :].split("/")
                if len(parts) == 2 and _HEX64.fullmatch(parts[1]) and parts[0] == parts[1][:2]:
                    return cls(kind, parts[1])
        return None


def hash_of(kind: str, path: Path) -> str:
    """The hex hash of ``path``'s bytes as blobs of ``kind`` are named."""
    if kind == ARTIFACTS:
        return sha256_file(path)[0]
    return hashing.hash_file(path)


def walk_blobs(root: Path) -> Iterator[tuple[BlobKey, int]]:
    """Every blob under ``root`` (a home, a store folder or a cache) with its size."""
    for prefix in PREFIXES.values():
        base = root / prefix
        if not base.is_dir():
            continue
        for folder, _dirs, files in os.walk(base):
            for name in files:
                full = Path(folder) / name
                key = BlobKey.of_rel(full.relative_to(root).as_posix())
                if key is None:
                    continue
                try:
                    yield key, full.stat().st_size
                except OSError:
                    continue  # removed meanwhile
