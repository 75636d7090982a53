"""Dataclasses for the model registry: versions, aliases, audit trail, cards, lineage. No Qt/SQL.

A model version's fingerprint is ``blake3:<hex>`` over the manifest of its files (see
:func:`mlops_desktop.datasets.manifest.fingerprint`), where each file's hash is its SHA-256 in
the artifact store (the same digests runs' artifacts have).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class ModelFile:
    """One file of a model version, stored in the artifact store by SHA-256."""

    path: str  # relative, POSIX separators
    size: int
    digest: str  # "sha256:<hex>"


@dataclass(frozen=True, slots=True)
class ModelVersion:
    """One registered version of a model.

    Attributes:
        source: where the files came from: "run:<run id>:<artifact name>" or an absolute path.
        created_by: the OS user who registered it.
        host: the machine it was registered on (None: not recorded, an older version).
    """

    name: str
    version: int
    fingerprint: str
    run_id: str | None
    source: str
    created_at: float
    created_by: str
    description: str = ""
    aliases: list[str] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)
    archived: bool = False
    files: list[ModelFile] = field(default_factory=list)
    size: int = 0
    host: str | None = None


@dataclass(frozen=True, slots=True)
class ModelSummary:
    """One row of the models list."""

    name: str
    latest: int | None
    versions: int
    aliases: dict[str, int]  # alias -> version
    updated_at: float | None
    description: str = ""


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One change to a model, for its audit trail.

    ``action`` is one of "created", "alias_set", "alias_moved", "alias_removed", "tag_set",
    "tag_removed", "described", "archived", "unarchived", "deleted", "imported"; ``detail``
    holds e.g. {"alias": "champion", "from": 2, "to": 3} or {"key": "team", "value": "vision"};
    ``user`` made the change on the machine ``host`` (None: not recorded, an older entry).
    """

    at: float
    user: str
    model: str
    version: int | None
    action: str
    detail: dict[str, Any] = field(default_factory=dict)
    host: str | None = None


@dataclass(frozen=True, slots=True)
class LineageNode:
    """A node of a lineage graph. ``kind`` is "dataset", "run", "model" or "monitor"."""

    kind: str
    key: str  # "wine@v3", run id, "model-name:3"
    label: str
    status: str = ""


@dataclass(frozen=True, slots=True)
class Lineage:
    """Dataset versions -> run -> model version (-> monitors)."""

    nodes: list[LineageNode]
    edges: list[tuple[str, str]]  # (from key, to key)


@dataclass(frozen=True, slots=True)
class ModelCard:
    """Everything the card of a version shows.

    ``signature`` lists (column, type) from the model folder's description, an input example
    logged with the model or the training dataset's schema; ``signature_source`` says which
    ("model description (MLmodel)", "input example", "dataset wine@v3") or is empty when
    unknown. ``model_description`` is the folder's ``MLmodel`` (flavour, loader,
    requirements, signature, input example...) or {}.

    ``from_archive`` is None unless the version was imported from an archive whose source run
    is not in this catalog: then run, datasets, code, environment, signature and lineage are
    the archive's, and it says so: ``{"archive": path, "model": "name:version" exported,
    "run": run id, "fields": [the fields filled from the archive]}``.
    """

    version: ModelVersion
    run: Any | None  # core.runs.RunSummary of the source run
    datasets: list[dict[str, Any]]  # [{name, version, path}]
    code: dict[str, Any] | None  # {commit, branch, dirty, diff_bytes}
    environment: dict[str, Any]  # {python, platform, packages: {name: version}}
    signature: list[tuple[str, str]]
    signature_source: str
    lineage: Lineage
    history: list[AuditEntry]
    model_description: dict[str, Any] = field(default_factory=dict)  # a model folder's MLmodel
    from_archive: dict[str, Any] | None = None
    files_problem: str = ""  # why the files' description or signature could not be read


@dataclass(frozen=True, slots=True)
class VersionComparison:
    """Two versions side by side: each dict maps a key to (value in a, value in b)."""

    name: str
    a: int
    b: int
    metrics: dict[str, tuple[Any, Any]]
    params: dict[str, tuple[Any, Any]]
    datasets: tuple[list[str], list[str]]  # "wine@v3" lists
    code: dict[str, tuple[Any, Any]]  # commit, branch, dirty, diff_bytes
    packages_added: dict[str, str]
    packages_removed: dict[str, str]
    packages_changed: dict[str, tuple[str, str]]


@dataclass(frozen=True, slots=True)
class GcReport:
    """What garbage collection found (and, unless a dry run, deleted)."""

    dry_run: bool
    blobs: int
    bytes: int
    paths: list[str]
    kept: int  # referenced blobs kept


@dataclass(frozen=True, slots=True)
class InspectResult:
    """What loading a model in a separate process showed."""

    type: str
    module: str
    params: dict[str, Any]
    summary: str
    seconds: float
    flavor: str = ""  # of a model folder: "sklearn", "pytorch", "files"
    description: dict[str, Any] = field(default_factory=dict)  # its MLmodel file
