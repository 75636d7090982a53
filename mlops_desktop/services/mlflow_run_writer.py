"""Writing MLflow runs into the catalog as spool-format events (``catalog.writes.apply_events``).

A run keeps MLflow's run id, so importing again finds it. What a second import adds:

- a new run: everything; a known run: its new params, changed tags, new dataset inputs, new
  artifact files, its status when MLflow's changed, and the metric points past those already
  imported (per key, the first ``metric_latest.count`` points in MLflow's order are skipped:
  file order for a file store; for a SQL store, by step, then in the order MLflow stored
  them);
- ``ingest_state`` row ``<run id>/mlflow`` keeps the run's last event sequence number.

Runs are written many to a transaction (up to :data:`FLUSH_POINTS` points or
:data:`FLUSH_RUNS` runs), and ``should_stop`` is asked after each transaction. A run new to the
catalog goes in as rows in bulk (:mod:`mlflow_new_runs`, the rows ``apply_events`` would
write); a known run gets what is new as spool-format events through ``apply_events``.

An MLflow run still RUNNING (or SCHEDULED) has no process here that could ever end it: it is
imported as "killed" with the tag ``mlops.imported_status`` = ``RUNNING``, and a later import
after MLflow finished it brings its real status (and drops the tag).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from mlops_desktop.catalog.engine import Catalog
from mlops_desktop.catalog.schema import (
    artifact_t,
    chunk_t,
    ingest_state_t,
    latest_t,
    param_t,
    run_input_t,
    run_t,
    tag_t,
)
from mlops_desktop.catalog.upsert import upsert
from mlops_desktop.catalog.writes import apply_events
from mlops_desktop.services.import_progress import ImportCancelled, ImportReport
from mlops_desktop.services.mlflow_new_runs import NewRunRows
from mlops_desktop.services.mlflow_records import OUR_STATUS, MlflowRun, MlflowStore
from mlops_desktop.tracking.artifacts import store_file
from mlops_desktop.tracking.home import artifact_root

FLUSH_POINTS = 500_000
FLUSH_RUNS = 500
SOURCE_TAG = "mlops.imported_from"
STORE_TAG = "mlops.imported_store"
STATUS_TAG = "mlops.imported_status"
STATE_SUFFIX = "/mlflow"
DATASET_VERSION_PREFIX = "mlflow:"  # an imported input's version: "mlflow:<digest>"


def our_status(run: MlflowRun) -> tuple[str, float]:
    """(status, ended_at) of an MLflow run in this catalog."""
    status = OUR_STATUS.get(run.status.upper(), "killed")
    end = run.end_time if run.end_time is not None else run.start_time
    return status, (end / 1000.0 if end is not None else time.time())


class _Known:
    """What the catalog already holds of one run (empty for a new run)."""

    def __init__(self) -> None:
        self.status: tuple[str, float | None] | None = None
        self.last_seq = -1
        self.counts: dict[str, int] = {}
        self.params: set[str] = set()
        self.tags: dict[str, str] = {}
        self.inputs: set[tuple[str, str | None]] = set()
        self.artifacts: dict[str, int] = {}


class RunWriter:
    """Imports the runs of one store, a transaction per many runs."""

    def __init__(
        self,
        catalog: Catalog,
        home: Path,
        store: MlflowStore,
        experiment_names: dict[str, str],
        report: ImportReport,
        should_stop: Callable[[], bool],
        progress: Callable[[int, int], None],
    ) -> None:
        self.catalog = catalog
        self.artifacts = artifact_root(home)
        self.store = store
        self.experiment_names = experiment_names
        self.report = report
        self.should_stop = should_stop
        self.progress = progress
        self.pending: list[tuple[str, list[dict[str, Any]]]] = []
        self.pending_points = 0
        self.new = NewRunRows()
        self.new_runs = 0
        self.last_seq: dict[str, int] = {}  # run id -> its last event number, to keep
        self.untag: list[str] = []
        self.seq: dict[str, int] = {}
        self.remote: dict[str, int] = {}  # artifact URI scheme -> runs whose files are elsewhere
        self.done = 0
        self.total = 0

    def run_all(self) -> None:
        self.total = self.store.run_count()
        self.progress(0, self.total)
        group: list[MlflowRun] = []
        for run in self.store.runs():
            group.append(run)
            if len(group) >= FLUSH_RUNS:
                self._import_group(group)
                group = []
        self._import_group(group)
        for scheme, n in sorted(self.remote.items()):
            self.report.problems.append(
                f"{n} run(s) keep their artifacts at {scheme}: URIs, which are not on this"
                " disk; their artifacts were not copied."
            )

    def _import_group(self, runs: list[MlflowRun]) -> None:
        """Import ``runs`` (new ones in bulk), then write what is pending."""
        known = self._known_runs([r.id for r in runs])
        for run in runs:
            if run.id in known:
                self._import_run(run, known[run.id])
            else:
                self._import_new_run(run)
            self.done += 1
        self._flush()

    def experiment_name(self, run: MlflowRun) -> str:
        """The name of the run's experiment here (MLflow's id when the store lacks it)."""
        found = self.experiment_names.get(run.experiment_id)
        return found if found is not None else f"mlflow experiment {run.experiment_id}"

    def _tags(self, run: MlflowRun) -> dict[str, str]:
        tags = dict(run.tags)
        tags[SOURCE_TAG] = "mlflow"
        tags[STORE_TAG] = self.store.location
        if run.status.upper() not in OUR_STATUS:
            tags[STATUS_TAG] = run.status.upper()
        return tags

    def _import_new_run(self, run: MlflowRun) -> None:
        """A run the catalog does not have: its rows straight into :class:`NewRunRows`."""
        rid, rows = run.id, self.new
        status, ended = our_status(run)
        tags = self._tags(run)
        deleted = None
        if run.deleted:
            deleted = run.deleted_time / 1000.0 if run.deleted_time else time.time()
        row = {
            "id": rid,
            "name": (run.name or tags.get("mlflow.runName", ""))[:255],
            "status": status,
            "started_at": run.start_time / 1000.0 if run.start_time is not None else ended,
            "ended_at": ended,
            "target": "local",
            "command": "",
            "cwd": "",
            "notes": "",
            "has_start": True,
            "deleted_at": deleted,
            "error": None,
            "parent_run_id": tags.get("mlflow.parentRunId") or None,  # nested under it
        }
        rows.add_run(row, self.experiment_name(run))
        rows.add_params(rid, run.params)
        rows.add_tags(rid, tags)
        seq = 3  # 0 start, 1 params, 2 tags, as the events would be numbered
        for used in run.inputs:
            rows.add_input(rid, used.name, DATASET_VERSION_PREFIX + used.digest, seq)
            seq += 1
        self.new_runs += 1
        for batch in self.store.metrics(run, {}):
            rows.add_metrics(rid, batch, seq)
            seq += len(batch.values)
            if rows.points >= FLUSH_POINTS:
                self.last_seq[rid] = seq - 1
                self._flush()
        for name, digest, size in self._copy_artifacts(run, {}):
            rows.add_artifact(rid, name, digest, size)
            seq += 1
        self.last_seq[rid] = seq  # the end event's number

    # -- a run the catalog has: what is new, as events ------------------------------------------

    def _known_runs(self, ids: list[str]) -> dict[str, _Known]:
        """What the catalog holds of each run of ``ids`` it has (a query per table)."""
        found: dict[str, _Known] = {}
        if not ids:
            return found
        with self.catalog.session_scope() as s:
            for rid, status, ended in s.execute(
                select(run_t.c.id, run_t.c.status, run_t.c.ended_at).where(run_t.c.id.in_(ids))
            ).all():
                known = found[rid] = _Known()
                known.status = (str(status), ended)
            ids = list(found)
            if not ids:
                return found
            for key, last in s.execute(
                select(ingest_state_t.c.run_id, ingest_state_t.c.last_seq).where(
                    ingest_state_t.c.run_id.in_([r + STATE_SUFFIX for r in ids])
                )
            ).all():
                found[key[: -len(STATE_SUFFIX)]].last_seq = int(last)
            for rid, key, count in s.execute(
                select(latest_t.c.run_id, latest_t.c.key, latest_t.c.count).where(
                    latest_t.c.run_id.in_(ids)
                )
            ).all():
                found[rid].counts[key] = int(count)
            for rid, key in s.execute(
                select(param_t.c.run_id, param_t.c.key).where(param_t.c.run_id.in_(ids))
            ).all():
                found[rid].params.add(key)
            for rid, key, value in s.execute(
                select(tag_t.c.run_id, tag_t.c.key, tag_t.c.value).where(tag_t.c.run_id.in_(ids))
            ).all():
                found[rid].tags[key] = value
            for rid, dataset, version in s.execute(
                select(run_input_t.c.run_id, run_input_t.c.dataset, run_input_t.c.version).where(
                    run_input_t.c.run_id.in_(ids)
                )
            ).all():
                found[rid].inputs.add((str(dataset), version))
            for rid, name, size in s.execute(
                select(artifact_t.c.run_id, artifact_t.c.name, artifact_t.c.size).where(
                    artifact_t.c.run_id.in_(ids)
                )
            ).all():
                found[rid].artifacts[name] = int(size)
            for rid, known in found.items():
                if known.last_seq < 0:  # a run of ours, or imported before without the state
                    known.last_seq = self._highest_seq(s, rid)
        return found

    @staticmethod
    def _highest_seq(s: Session, run_id: str) -> int:
        top = s.execute(
            select(func.max(chunk_t.c.seq_first + chunk_t.c.n - 1)).where(
                chunk_t.c.run_id == run_id
            )
        ).scalar()
        seqs = s.execute(
            select(func.max(run_input_t.c.seq)).where(run_input_t.c.run_id == run_id)
        ).scalar()
        return max(int(top or 0), int(seqs or 0))

    def _add(self, run_id: str, event: dict[str, Any], n: int = 1) -> None:
        seq = self.seq[run_id]
        event.update(v=1, run=run_id, seq=seq + 1, n=n)
        self.seq[run_id] = seq + n
        if self.pending and self.pending[-1][0] == run_id:
            self.pending[-1][1].append(event)
        else:
            self.pending.append((run_id, [event]))

    def _import_run(self, run: MlflowRun, known: _Known) -> None:
        """A run the catalog has: what MLflow has that it lacks, as events."""
        rid = run.id
        self.seq[rid] = known.last_seq
        status, ended = our_status(run)
        tags = self._tags(run)
        running = STATUS_TAG in tags
        if STATUS_TAG in known.tags and not running:
            self.untag.append(rid)
        params = {k: v for k, v in run.params.items() if k not in known.params}
        if params:
            self._add(rid, {"type": "params", "params": params})
        changed = {k: v for k, v in tags.items() if known.tags.get(k) != v}
        if changed:
            self._add(rid, {"type": "tags", "tags": changed})
        for used in run.inputs:
            version = DATASET_VERSION_PREFIX + used.digest
            if (used.name, version) not in known.inputs:
                self._add(rid, {"type": "dataset", "name": used.name, "version": version})
        for batch in self.store.metrics(run, known.counts):
            cols = {batch.key: (batch.steps, batch.times, batch.values)}
            self._add(rid, {"type": "metrics", "cols": cols}, len(batch.values))
            self.pending_points += len(batch.values)
            if self.pending_points >= FLUSH_POINTS:
                self._flush()
        for name, digest, size in self._copy_artifacts(run, known.artifacts):
            self._add(rid, {"type": "artifact", "name": name, "digest": digest, "size": size})
        if known.status is None or known.status != (status, ended):
            self._add(rid, {"type": "end", "status": status, "ended_at": ended, "error": None})

    def _copy_artifacts(
        self, run: MlflowRun, have: dict[str, int]
    ) -> Iterator[tuple[str, str, int]]:
        """(name, digest, size) of each artifact file copied into the store, leaving out
        those in ``have`` with the same size (imported before)."""
        folder = self.store.artifact_folder(run)
        if folder is None:
            scheme = run.artifact_uri.split(":", 1)[0] if "://" in run.artifact_uri else ""
            if scheme and scheme != "file":
                self.remote[scheme] = self.remote.get(scheme, 0) + 1
            return
        for root, _dirs, files in os.walk(folder):
            for name in sorted(files):
                path = Path(root) / name
                rel = path.relative_to(folder).as_posix()
                if path.is_symlink():
                    self.report.problems.append(f"{path} is a link and was not copied.")
                    continue
                try:
                    if have.get(rel) == path.stat().st_size:
                        continue
                    hexd, size = store_file(path, self.artifacts)
                except OSError as exc:
                    self.report.problems.append(
                        f"{path} could not be copied ({exc.strerror or exc}) and was skipped."
                    )
                    continue
                self.report.artifacts += 1
                yield rel, f"sha256:{hexd}", size

    # -- writing --------------------------------------------------------------------------------

    def _flush(self) -> None:
        """Write what is pending in one transaction; then stop if asked to."""
        if self.pending or self.new:
            with self.catalog.session_scope(write=True) as s:
                self._write(s)
            self.pending, self.pending_points = [], 0
            self.untag, self.last_seq = [], {}
        self.progress(self.done, self.total)
        if self.should_stop():
            raise ImportCancelled(self.report)

    def _write(self, s: Session) -> None:
        new_runs, points = self.new_runs, self.new.points
        self.new.write(s)
        self.new_runs = 0
        last = dict(self.last_seq)
        for run_id, events in self.pending:
            applied = apply_events(s, run_id, events)
            new_runs += applied.new_run
            points += applied.points
            last[run_id] = events[-1]["seq"] + events[-1]["n"] - 1
        now = time.time()
        rows = [
            {"run_id": r + STATE_SUFFIX, "byte_offset": 0, "last_seq": q, "updated_at": now}
            for r, q in last.items()
        ]
        upsert(s, ingest_state_t, rows, ["run_id"])
        if self.untag:
            s.execute(
                delete(tag_t).where(tag_t.c.run_id.in_(self.untag), tag_t.c.key == STATUS_TAG)
            )
        self.report.runs += new_runs
        self.report.metrics_points += points
