"""What the engine remembers of a stage that ran: its outs (:class:`OutRecord`) and the inputs
they were made from (:class:`CachedStage`), plus the two protocols the services implement to
keep them: :class:`StageCache` (the catalog's ``pipeline_stage_cache`` rows) and
:class:`BlobStore` (the content-addressed store the out files are copied into).

``datasets.store.SnapshotStore`` satisfies :class:`BlobStore` as it is (BLAKE3-keyed ``has``,
``put``, ``path_of``); so does the lab store's local side.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from mlops_desktop.pipelines.fingerprint import StageInputs


@dataclass(frozen=True, slots=True)
class OutRecord:
    """One out as a stage left it.

    Attributes:
        path: relative to the pipeline's folder (POSIX).
        kind: "file" or "dir".
        digest: a file's BLAKE3 hex (its blob key), or a folder's ``blake3:<hex>`` over its
            sorted (relpath, size, hash) list (the dataset manifest fingerprint format).
        size: bytes (a folder: the sum of its files).
        files: for a folder, ``(relpath, blake3, size)`` of every file, sorted; () for a file.
        cache: whether its files were put into the store (an out with ``cache: false`` is
            recorded, so its change is noticed, but cannot be restored).
    """

    path: str
    kind: str
    digest: str
    size: int
    files: tuple[tuple[str, str, int], ...] = ()
    cache: bool = True

    def blob_digests(self) -> list[str]:
        """The blob keys of every file of this out."""
        if self.kind == "file":
            return [self.digest]
        return [h for _, h, _ in self.files]

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "kind": self.kind,
            "digest": self.digest,
            "size": self.size,
            "files": [list(f) for f in self.files],
            "cache": self.cache,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> OutRecord:
        return cls(
            path=str(data["path"]),
            kind=str(data["kind"]),
            digest=str(data["digest"]),
            size=int(data.get("size", 0)),
            files=tuple((str(r), str(h), int(s)) for r, h, s in data.get("files", ())),
            cache=bool(data.get("cache", True)),
        )


@dataclass(frozen=True, slots=True)
class CachedStage:
    """A stage's result kept for reuse: the outs made from ``inputs`` (whose digest is
    ``fingerprint``) by the run ``run_id``."""

    pipeline: str
    stage: str
    fingerprint: str
    inputs: StageInputs
    outs: dict[str, OutRecord]
    run_id: str | None
    created_at: float

    def to_json(self) -> dict[str, Any]:
        return {
            "pipeline": self.pipeline,
            "stage": self.stage,
            "fingerprint": self.fingerprint,
            "inputs": self.inputs.to_json(),
            "outs": {path: rec.to_json() for path, rec in self.outs.items()},
            "run_id": self.run_id,
            "created_at": self.created_at,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CachedStage:
        return cls(
            pipeline=str(data["pipeline"]),
            stage=str(data["stage"]),
            fingerprint=str(data["fingerprint"]),
            inputs=StageInputs.from_json(data["inputs"]),
            outs={p: OutRecord.from_json(r) for p, r in dict(data.get("outs", {})).items()},
            run_id=data.get("run_id"),
            created_at=float(data.get("created_at", 0.0)),
        )


class StageCache(Protocol):
    """Where CachedStage records are kept (the catalog, through the pipeline service)."""

    def lookup(self, pipeline: str, stage: str, fingerprint: str) -> CachedStage | None:
        """The record made from exactly these inputs, if any."""
        ...

    def last(self, pipeline: str, stage: str) -> CachedStage | None:
        """The newest record of the stage, whatever its fingerprint (to say what changed)."""
        ...


class BlobStore(Protocol):
    """A content-addressed store of files keyed by BLAKE3 hex (positional arguments only, so
    ``SnapshotStore`` with its own parameter names fits)."""

    def has(self, digest: str, /) -> bool:
        """Whether the blob is stored."""
        ...

    def put(self, path: Path, digest: str, /) -> object:
        """Copy the file at ``path`` in (verified, temp file + rename)."""
        ...

    def path_of(self, digest: str, /) -> Path:
        """A local readable copy of the blob."""
        ...


class MemoryStageCache:
    """A StageCache in a dict: for tests, benchmarks and one-off use without a catalog."""

    def __init__(self) -> None:
        self.records: list[CachedStage] = []

    def add(self, record: CachedStage) -> None:
        """Keep ``record`` (the newest for its stage from now on)."""
        self.records.append(record)

    def lookup(self, pipeline: str, stage: str, fingerprint: str) -> CachedStage | None:
        for rec in reversed(self.records):
            if (rec.pipeline, rec.stage, rec.fingerprint) == (pipeline, stage, fingerprint):
                return rec
        return None

    def last(self, pipeline: str, stage: str) -> CachedStage | None:
        for rec in reversed(self.records):
            if (rec.pipeline, rec.stage) == (pipeline, stage):
                return rec
        return None
