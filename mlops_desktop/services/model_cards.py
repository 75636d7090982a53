"""Model cards, lineage graphs and version comparisons, built from the catalog.

Plain functions over an open session (read only) used by :class:`ModelService`; the input
signature is read from an input example in a child-free way (a table file's header and types,
never a pickle).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any

from sqlalchemy.orm import Session

from mlops_desktop.catalog import run_detail
from mlops_desktop.catalog.artifacts import blob_path_or_none
from mlops_desktop.core.errors import UserFacingError
from mlops_desktop.core.models import (
    Lineage,
    LineageNode,
    ModelVersion,
    VersionComparison,
)
from mlops_desktop.core.runs import RunDetail
from mlops_desktop.tracking.model_folder import (
    DESCRIPTION_FILE,
    MAX_DESCRIPTION_BYTES,
    REQUIREMENTS_FILE,
    ModelFolderError,
    parse_description,
)
from mlops_desktop.tracking.model_signature import describe_entry

INPUT_EXAMPLE = "input_example."
EXAMPLE_PREVIEW = 500  # characters of a model folder's input example shown on its card


BlobOf = Callable[[str], Path | None]  # a file digest -> where it can be read here, or None


def home_blobs(home: Path) -> BlobOf:
    """Blobs read from ``home``'s own artifact store only."""
    return lambda digest: blob_path_or_none(home, digest)


def run_of(s: Session, home: Path, version: ModelVersion) -> RunDetail | None:
    """The source run in full, or None (no run, or it was deleted)."""
    if not version.run_id:
        return None
    try:
        return run_detail.run_detail(s, home, version.run_id)
    except UserFacingError:
        return None


def code_of(run: RunDetail | None) -> dict[str, Any] | None:
    if run is None or run.git is None:
        return None
    g = run.git
    return {"commit": g.commit, "branch": g.branch, "dirty": g.dirty, "diff_bytes": g.diff_bytes}


def environment_of(run: RunDetail | None) -> dict[str, Any]:
    """{python, platform, packages} from the run's captured environment."""
    env = run.env if run is not None else {}
    py = env.get("python")
    plat = env.get("platform")
    packages = env.get("packages")
    return {
        "python": py.get("version") if isinstance(py, dict) else py,
        "platform": plat.get("platform") if isinstance(plat, dict) else plat,
        "packages": {str(k): str(v) for k, v in packages.items()}
        if isinstance(packages, dict)
        else {},
    }


def lineage_of(version: ModelVersion, run: RunDetail | None) -> Lineage:
    """Dataset versions -> run -> model version; a retrain run launched for a monitor's alert
    (its tags ``monitor`` and ``alert``) has the alert as an input beside its datasets."""
    key = f"{version.name}:{version.version}"
    label = key + (f" ({', '.join(version.aliases)})" if version.aliases else "")
    model = LineageNode("model", key, label, "archived" if version.archived else "")
    if run is None:
        return Lineage([model], [])
    summary = run.summary
    run_node = LineageNode(
        "run", summary.id, f"{summary.experiment}/{summary.name or summary.id[:8]}", summary.status
    )
    nodes: list[LineageNode] = []
    edges: list[tuple[str, str]] = []
    for d in run.datasets:
        dkey = f"{d['name']}@{d['version']}" if d.get("version") else str(d["name"])
        if any(n.key == dkey for n in nodes):
            continue
        nodes.append(LineageNode("dataset", dkey, dkey))
        edges.append((dkey, summary.id))
    _alert_node(summary.tags, summary.id, nodes, edges)
    nodes += [run_node, model]
    edges.append((summary.id, key))
    return Lineage(nodes, edges)


def _alert_node(
    tags: dict[str, str], run_id: str, nodes: list[LineageNode], edges: list[tuple[str, str]]
) -> None:
    """The alert (or monitor) that launched a retrain run, from the run's tags: an input of
    the run, keyed "alert:MONITOR:ID" (or "alert:MONITOR:" without an alert)."""
    monitor = tags.get("monitor")
    if not monitor:
        return
    alert = tags.get("alert", "")
    label = f"alert #{alert} of {monitor}" if alert else f"monitor {monitor}"
    key = f"alert:{monitor}:{alert}"
    nodes.append(LineageNode("alert", key, label))
    edges.append((key, run_id))


def _with_name(blob: Path, name: str, tmp: Path) -> Path:
    """``blob`` reachable under its file name (readers look at the suffix)."""
    target = tmp / PurePosixPath(name).name
    try:
        os.symlink(blob, target)
    except OSError:
        shutil.copyfile(blob, target)
    return target


def _example_signature(blob_of: BlobOf, candidates: list[tuple[str, str]]) -> list[tuple[str, str]]:
    try:
        from mlops_desktop.models.signature import signature_from_file
    except ImportError:
        return []
    for name, digest in candidates:
        blob = blob_of(digest)
        if blob is None or not blob.is_file():
            continue
        with tempfile.TemporaryDirectory(prefix="mlops-sig-") as tmp:
            try:
                sig = signature_from_file(_with_name(blob, name, Path(tmp)))
            except Exception:  # an unreadable example only hides the signature
                continue
        if sig:
            return [(str(c), str(t)) for c, t in sig]
    return []


def _blob_text(blob_of: BlobOf, version: ModelVersion, name: str, limit: int) -> str | None:
    """The text of the version's file ``name`` (its first ``limit`` bytes), or None."""
    found = next((f for f in version.files if f.path == name), None)
    blob = blob_of(found.digest) if found is not None else None
    if blob is None or not blob.is_file():
        return None
    with open(blob, "rb") as fh:
        return fh.read(limit).decode("utf-8", "replace")


def description_of(blob_of: BlobOf, version: ModelVersion) -> dict[str, Any]:
    """The ``MLmodel`` description of a version logged as a model folder (read as JSON or
    simple YAML, never unpickled), with ``requirements`` from ``requirements.txt`` when it
    has none and ``input_example_preview`` (the example's first characters); {} otherwise."""
    text = _blob_text(blob_of, version, DESCRIPTION_FILE, MAX_DESCRIPTION_BYTES)
    if text is None:
        return {}
    try:
        description = parse_description(text)
    except ModelFolderError:
        return {}
    if not description.get("requirements"):
        lines = (_blob_text(blob_of, version, REQUIREMENTS_FILE, 64 << 10) or "").splitlines()
        description["requirements"] = [
            ln.strip() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")
        ]
    example = description.get("input_example")
    if isinstance(example, dict) and isinstance(example.get("file"), str):
        preview = _blob_text(blob_of, version, example["file"], EXAMPLE_PREVIEW + 1)
        if preview is not None:
            cut = len(preview) > EXAMPLE_PREVIEW
            description["input_example_preview"] = preview[:EXAMPLE_PREVIEW] + ("…" if cut else "")
    return description


def description_signature(description: dict[str, Any]) -> list[tuple[str, str]]:
    """(name, type) of each input of a description's signature."""
    signature = description.get("signature")
    inputs = signature.get("inputs") if isinstance(signature, dict) else None
    if not isinstance(inputs, list):
        return []
    return [describe_entry(e) for e in inputs if isinstance(e, dict)]


def signature_of(
    blob_of: BlobOf,
    version: ModelVersion,
    run: RunDetail | None,
    datasets: Any,
    description: dict[str, Any] | None = None,
) -> tuple[list[tuple[str, str]], str]:
    """(signature, its source): the model folder's description, an input example of the
    model or run, else the first table of the run's first dataset version (through
    ``datasets``, a DatasetService)."""
    described = description_signature(description or {})
    if described:
        return described, f"model description ({DESCRIPTION_FILE})"
    candidates = [
        (f.path, f.digest)
        for f in version.files
        if PurePosixPath(f.path).name.startswith(INPUT_EXAMPLE)
    ]
    if run is not None:
        candidates += [
            (a.name, a.digest)
            for a in run.artifacts
            if PurePosixPath(a.name).name.startswith(INPUT_EXAMPLE)
        ]
    sig = _example_signature(blob_of, candidates)
    if sig:
        return sig, "input example"
    if run is None:
        return [], ""
    for d in run.datasets:
        if not d.get("version"):
            continue
        try:
            profiles = datasets.profile(d["name"], d["version"])
        except UserFacingError:
            continue
        for p in profiles:
            if p.columns:
                return [(c.name, c.type) for c in p.columns], f"dataset {d['name']}@{d['version']}"
        break
    return [], ""


def compare_versions(
    a: ModelVersion, b: ModelVersion, run_a: RunDetail | None, run_b: RunDetail | None
) -> VersionComparison:
    """Metrics, params, datasets, code and packages of two versions' source runs."""

    def pair(x: dict[str, Any], y: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
        return {k: (x.get(k), y.get(k)) for k in sorted(x.keys() | y.keys())}

    def labels(run: RunDetail | None) -> list[str]:
        if run is None:
            return []
        return [
            f"{d['name']}@{d['version']}" if d.get("version") else d["name"] for d in run.datasets
        ]

    ma = dict(run_a.summary.metrics) if run_a else {}
    mb = dict(run_b.summary.metrics) if run_b else {}
    pa = dict(run_a.summary.params) if run_a else {}
    pb = dict(run_b.summary.params) if run_b else {}
    ca = code_of(run_a) or {}
    cb = code_of(run_b) or {}
    code = {k: (ca.get(k), cb.get(k)) for k in ("commit", "branch", "dirty", "diff_bytes")}
    pka = environment_of(run_a)["packages"]
    pkb = environment_of(run_b)["packages"]
    return VersionComparison(
        name=a.name,
        a=a.version,
        b=b.version,
        metrics=pair(ma, mb),
        params=pair(pa, pb),
        datasets=(labels(run_a), labels(run_b)),
        code=code,
        packages_added={k: pkb[k] for k in sorted(pkb.keys() - pka.keys())},
        packages_removed={k: pka[k] for k in sorted(pka.keys() - pkb.keys())},
        packages_changed={
            k: (pka[k], pkb[k]) for k in sorted(pka.keys() & pkb.keys()) if pka[k] != pkb[k]
        },
    )
