"""Model cards, lineage graphs and version comparisons, built from the catalog.

Plain functions over an open session (read only) used by :class:`ModelService`; the input
signature is read from an input example in a child-free way (a table file's header and types,
never a pickle).
"""

from __future__ import annotations

import os
import shutil
import tempfile
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

INPUT_EXAMPLE = "input_example."


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


def _example_signature(home: Path, candidates: list[tuple[str, str]]) -> list[tuple[str, str]]:
    try:
        from mlops_desktop.models.signature import signature_from_file
    except ImportError:
        return []
    for name, digest in candidates:
        blob = blob_path_or_none(home, digest)
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


def signature_of(
    home: Path, version: ModelVersion, run: RunDetail | None, datasets: Any
) -> tuple[list[tuple[str, str]], str]:
    """(signature, its source): an input example of the model or run, else the first table
    of the run's first dataset version (through ``datasets``, a DatasetService)."""
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
    sig = _example_signature(home, candidates)
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
