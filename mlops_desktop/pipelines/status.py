"""Whether each stage would run, and why: ``cached``, ``restorable`` or ``stale`` with reasons.

A stage is *cached* when a record of its fingerprint exists and every out of that record is on
disk with its digest; *restorable* when the record exists but an out is missing or changed and
the store holds every file of it (it is copied back, not rerun); *stale* otherwise. The reasons
of a stale stage come from comparing its inputs with its newest record ("param train.lr
changed: 0.1 -> 0.2", "dep data/raw changed", "code train.py changed", "never ran"...). A
stage downstream of a stale one is stale too ("upstream prepare will run") and its fingerprint
is unknown (""), since the deps it reads will change.

Deps that are outs of an upstream cached or restorable stage take the digests recorded for
those outs, so a stage after a restorable one is judged as it will be after the restore.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from typing import Any

from mlops_desktop.core.errors import PipelineError
from mlops_desktop.core.pipelines import Pipeline, Stage, StageStatus
from mlops_desktop.pipelines.fingerprint import PathHasher, StageInputs, stage_inputs
from mlops_desktop.pipelines.graph import all_downstream, downstream, topological_order
from mlops_desktop.pipelines.records import BlobStore, CachedStage, OutRecord, StageCache


def pipeline_status(
    pipeline: Pipeline,
    cache: StageCache,
    hasher: PathHasher,
    datasets: Mapping[str, str],
    blobs: BlobStore | None,
    force: Collection[str] = (),
    from_stage: str | None = None,
) -> list[StageStatus]:
    """The status of every stage, in topological order.

    Args:
        cache: the records of earlier runs.
        hasher: hashes deps, code and outs through the stat cache.
        datasets: each dataset ref the stages name -> its resolved version's fingerprint.
        blobs: the store outs are restored from (None: nothing is restorable).
        force: stages to run whatever their state ("forced").
        from_stage: run this stage and everything downstream of it.

    Raises:
        PipelineError: an unknown stage in ``force``/``from_stage``, a missing params key or
            an unregistered dataset.
    """
    names = {s.name for s in pipeline.stages}
    forced = set(force) | ({from_stage} if from_stage is not None else set())
    unknown = sorted(forced - names)
    if unknown:
        raise PipelineError(
            f"{pipeline.path.name} has no stage {unknown[0]}; "
            f"the stages are {', '.join(sorted(names))}."
        )
    if from_stage is not None:
        forced |= downstream(pipeline, from_stage)
    down = all_downstream(pipeline)
    known: dict[str, str] = {}  # out path -> recorded digest, for stages that will not run
    will_run: list[str] = []
    result: list[StageStatus] = []
    for name in topological_order(pipeline):
        stage = pipeline.stage(name)
        ups = [u for u in will_run if name in down[u]]
        if ups:
            reasons = ["forced"] if name in forced else []
            reasons.append(f"upstream {ups[0]} will run")
            will_run.append(name)
            result.append(StageStatus(name, "stale", tuple(reasons)))
            continue
        status, record = _one(pipeline, stage, cache, hasher, datasets, blobs, known, forced)
        if status.state == "stale":
            will_run.append(name)
        elif record is not None:
            known.update(recorded_digests(record))
        result.append(status)
    return result


def _one(
    pipeline: Pipeline,
    stage: Stage,
    cache: StageCache,
    hasher: PathHasher,
    datasets: Mapping[str, str],
    blobs: BlobStore | None,
    known: Mapping[str, str],
    forced: set[str],
) -> tuple[StageStatus, CachedStage | None]:
    name = stage.name
    inputs = stage_inputs(pipeline, stage, hasher, datasets, known=known)
    fp = inputs.digest()
    if name in forced:
        return StageStatus(name, "stale", ("forced",), fp), None
    if stage.always_changed:
        return StageStatus(name, "stale", ("always changed",), fp), None
    record = cache.lookup(pipeline.name, name, fp)
    if record is None:
        last = cache.last(pipeline.name, name)
        reasons = changes(last.inputs, inputs) if last else ["never ran"]
        return StageStatus(name, "stale", tuple(reasons or ["inputs changed"]), fp), None
    missing = out_problems(pipeline, record, hasher)
    if not missing:
        return StageStatus(name, "cached", (), fp, record.run_id), record
    lost = [p for p, rec in record.outs.items() if p in missing and not _restorable(rec, blobs)]
    problems = tuple(missing.values())
    if lost:
        return StageStatus(name, "stale", problems, fp, record.run_id), None
    return StageStatus(name, "restorable", problems, fp, record.run_id), record


def recorded_digests(record: CachedStage) -> dict[str, str]:
    """Path -> digest of every recorded out and of every file inside a recorded folder."""
    found: dict[str, str] = {}
    for path, rec in record.outs.items():
        found[path] = rec.digest
        for rel, digest, _size in rec.files:
            found[f"{path}/{rel}"] = digest
    return found


def _restorable(rec: OutRecord, blobs: BlobStore | None) -> bool:
    if blobs is None or not rec.cache:
        return False
    return all(blobs.has(d) for d in rec.blob_digests())


def out_problems(pipeline: Pipeline, record: CachedStage, hasher: PathHasher) -> dict[str, str]:
    """Each recorded out that is not on disk as recorded -> "out X missing" / "out X changed"."""
    problems: dict[str, str] = {}
    for path, rec in record.outs.items():
        digest = hasher.digest(pipeline.root / path)
        if digest is None:
            problems[path] = f"out {path} missing"
        elif digest != rec.digest:
            problems[path] = f"out {path} changed"
    return problems


def _show(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= 40 else text[:37] + "..."


def _label(version: str) -> str:
    """A dataset version as shown: "v4" from "v4 blake3:...", else a short fingerprint."""
    head = version.split(" ", 1)[0]
    return head if " " in version else head.removeprefix("blake3:")[:12]


def changes(old: StageInputs, new: StageInputs) -> list[str]:
    """What differs from ``old`` to ``new``, one short phrase each."""
    out: list[str] = []
    if old.cmd != new.cmd:
        out.append("cmd changed")
    if old.wdir != new.wdir:
        out.append(f"wdir changed: {old.wdir} -> {new.wdir}")
    for what, a, b in (("dep", old.deps, new.deps), ("code", old.code, new.code)):
        for path in sorted(set(a) | set(b)):
            if path not in a:
                out.append(f"{what} {path} added")
            elif path not in b:
                out.append(f"{what} {path} removed")
            elif a[path] != b[path]:
                out.append(f"{what} {path} {'missing' if not b[path] else 'changed'}")
    for key in sorted(set(old.params) | set(new.params)):
        if key not in old.params:
            out.append(f"param {key} added")
        elif key not in new.params:
            out.append(f"param {key} removed")
        elif old.params[key] != new.params[key]:
            out.append(f"param {key} changed: {_show(old.params[key])} -> {_show(new.params[key])}")
    for ref in sorted(set(old.datasets) | set(new.datasets)):
        if ref not in old.datasets:
            out.append(f"dataset {ref} added")
        elif ref not in new.datasets:
            out.append(f"dataset {ref} removed")
        elif old.datasets[ref] != new.datasets[ref]:
            old_l, new_l = _label(old.datasets[ref]), _label(new.datasets[ref])
            out.append(f"dataset {ref}: {old_l} -> {new_l}")
    if sorted(old.outs) != sorted(new.outs):
        out.append("outs changed")
    return out
