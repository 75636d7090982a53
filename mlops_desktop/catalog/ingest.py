"""The ingester: moves new events of local spools into the catalog, exactly once.

Every pass stats each ``HOME/spool/<run id>/events.jsonl`` (and ``system.jsonl``, the hardware
samples a launcher writes with sequence numbers of their own, under the ingest state key
``<run id>/system``) and skips those whose size equals the offset already consumed (cheap
enough to run every second). A spool that grew is read from
that offset and applied in one write transaction that first re-reads the spool's ingest state
(``BEGIN IMMEDIATE`` on SQLite, ``SELECT ... FOR UPDATE`` on PostgreSQL) and drops every event
whose sequence numbers are already stored: a repeated or concurrent ingest never duplicates.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from mlops_desktop.catalog.change_feed import note_change
from mlops_desktop.catalog.engine import Catalog
from mlops_desktop.catalog.ingest_changes import ChangeLog
from mlops_desktop.catalog.schema import ingest_state_t, run_t, tag_t
from mlops_desktop.catalog.spool_reclaim import reclaim_spools
from mlops_desktop.catalog.upsert import insert_ignore, upsert
from mlops_desktop.catalog.writes import apply_events
from mlops_desktop.core.catalog_changes import RUNS
from mlops_desktop.tracking.home import EVENTS_FILENAME, SYSTEM_FILENAME, spool_root
from mlops_desktop.tracking.machine import machine_identity
from mlops_desktop.tracking.spool import SpoolRead, parse_lines

try:  # orjson parses metric lines about three times faster; NaN lines fall back to json
    from orjson import loads as _fast_loads
except ImportError:  # pragma: no cover - optional
    _fast_loads = json.loads  # type: ignore[assignment]

SYSTEM_KEY_SUFFIX = "/system"  # ingest state key of a run's system.jsonl: "<run id>/system"
READ_BYTES = 64 << 20  # at most this much of one spool per transaction
_RETRYABLE_PG = {"40001", "40P01"}  # serialization failure, deadlock
TORN_TAG = "mlops.spool_torn_bytes"  # on a killed run: size of the incomplete line it left
TORN_TAIL_MAX = 64 << 20  # a longer unread rest is not a torn line: the run is not stopped


def _loads(line: bytes) -> Any:
    try:
        return _fast_loads(line)
    except ValueError:
        return json.loads(line)  # NaN and Infinity, or a real error


def parse_spool_bytes(data: bytes, base_offset: int) -> SpoolRead:
    """``tracking.spool.parse_lines`` with the fast JSON parser when there is one."""
    return parse_lines(data, base_offset, loads=_loads)


@dataclass
class IngestResult:
    """What one pass did (the service turns it into an ``IngestReport``).

    ``changes`` tells, per run, the keys stored and each metric key's new sequence range.
    """

    changed_runs: set[str] = field(default_factory=set)
    new_runs: set[str] = field(default_factory=set)
    points: int = 0
    problems: list[str] = field(default_factory=list)
    reclaimed_bytes: int = 0
    changes: ChangeLog = field(default_factory=ChangeLog)


class Ingester:
    """Moves spools of one home into one catalog. Safe to run in several threads or processes."""

    def __init__(self, catalog: Catalog, home: Path, reclaim: bool = True) -> None:
        """
        Args:
            catalog: where the events go.
            home: whose ``spool`` folder to read.
            reclaim: reclaim the spools of ended runs once ingested (see ``spool_reclaim``).
        """
        self.catalog = catalog
        self.home = Path(home)
        self.hostname = socket.gethostname()
        self.reclaim = reclaim
        self.machine = machine_identity()

    def run_pass(self) -> IngestResult:
        """Ingest every spool that grew, then mark runs whose process died as killed."""
        result = IngestResult()
        spools = self._scan(result)
        if not spools:
            return result
        with self.catalog.session_scope() as s:
            offsets = dict(
                s.execute(select(ingest_state_t.c.run_id, ingest_state_t.c.byte_offset)).all()
            )
        torn: dict[str, int] = {}
        for key, (path, size, _mtime) in spools.items():
            offset = offsets.get(key, 0)
            if size < offset:  # replaced by a reclaim whose commit was lost: sequence
                offset = 0  # numbers keep a re-read from storing anything twice
            while size > offset:
                offset, done = self._ingest_spool(key, path, offset, result)
                if done:
                    break
            offsets[key] = offset
            if size > offset:
                torn[key] = self._torn_tail(path, offset, size)
        self._mark_killed(spools, offsets, torn, result)
        if self.reclaim:
            run_of = {key: key.removesuffix(SYSTEM_KEY_SUFFIX) for key in spools}
            result.reclaimed_bytes = reclaim_spools(self.catalog, spools, offsets, torn, run_of)
        return result

    @staticmethod
    def _torn_tail(path: Path, offset: int, size: int) -> int:
        """Bytes after ``offset`` when they are one incomplete line (no newline), else 0."""
        if size <= offset or size - offset > TORN_TAIL_MAX:
            return 0
        try:
            with open(path, "rb") as fh:
                fh.seek(offset)
                rest = fh.read(size - offset)
        except OSError:
            return 0
        return len(rest) if b"\n" not in rest else 0

    def _scan(self, result: IngestResult) -> dict[str, tuple[Path, int, float]]:
        """{ingest state key: (spool file, size, mtime)}; a run's events before its system."""
        root = spool_root(self.home)
        found: dict[str, tuple[Path, int, float]] = {}
        try:
            entries = sorted(os.scandir(root), key=lambda d: d.name)
        except FileNotFoundError:
            return found
        except OSError as exc:
            result.problems.append(f"The spool folder {root} cannot be read: {exc}")
            return found
        for entry in entries:
            for filename, key in (
                (EVENTS_FILENAME, entry.name),
                (SYSTEM_FILENAME, entry.name + SYSTEM_KEY_SUFFIX),
            ):
                path = Path(entry.path) / filename
                try:
                    st = path.stat()
                except FileNotFoundError:
                    continue
                except OSError as exc:
                    result.problems.append(f"spool {entry.name}: cannot be read ({exc})")
                    continue
                found[key] = (path, st.st_size, st.st_mtime)
        return found

    def _ingest_spool(
        self, key: str, path: Path, offset: int, result: IngestResult
    ) -> tuple[int, bool]:
        """Read and apply one piece of a spool; returns (new offset, nothing more to read)."""
        run_id = key.removesuffix(SYSTEM_KEY_SUFFIX)
        try:
            with open(path, "rb") as fh:
                fh.seek(offset)
                data = fh.read(READ_BYTES)
                while data and b"\n" not in data and len(data) % READ_BYTES == 0:
                    more = fh.read(READ_BYTES)  # one line longer than READ_BYTES
                    if not more:
                        break
                    data += more
        except OSError as exc:
            result.problems.append(f"spool {run_id}: cannot be read ({exc})")
            return offset, True
        read = parse_spool_bytes(data, offset)
        if read.end_offset == offset:
            return offset, True  # only a torn line: wait for the rest
        result.problems.extend(f"spool {run_id}: {p}" for p in read.problems)
        events = []
        for e in read.events:
            if e["run"] != run_id:
                result.problems.append(f"spool {run_id}: event of another run ({e['run']}) skipped")
            else:
                events.append(e)
        for attempt in range(5):
            try:
                new_offset = self._store(key, run_id, path, read.end_offset, events, result)
                break
            except DBAPIError as exc:
                code = getattr(exc.orig, "sqlstate", None)
                if code not in _RETRYABLE_PG or attempt == 4:
                    raise
                time.sleep(0.05 * (attempt + 1))
        return new_offset, len(data) < READ_BYTES  # a full read ends mid-line: read on

    def _store(
        self,
        key: str,
        run_id: str,
        path: Path,
        end_offset: int,
        events: list[dict[str, Any]],
        result: IngestResult,
    ) -> int:
        with self.catalog.session_scope(write=True) as s:
            offset, last_seq = self._lock_state(s, key)
            if end_offset > _size(path):  # reclaimed since it was read: all of it is stored
                return offset
            fresh = [e for e in events if e["seq"] > last_seq]
            if fresh:
                applied = apply_events(s, run_id, fresh)
                result.points += applied.points
                result.problems.extend(applied.problems)
                result.changed_runs.add(run_id)
                if applied.new_run:
                    result.new_runs.add(run_id)
                result.changes.stored(run_id, fresh, applied.new_run)
                last_seq = max(last_seq, max(e["seq"] + e["n"] - 1 for e in fresh))
            offset = max(offset, end_offset)
            s.execute(
                update(ingest_state_t)
                .where(ingest_state_t.c.run_id == key)
                .values(byte_offset=offset, last_seq=last_seq, updated_at=time.time())
            )
            return offset

    def _lock_state(self, s: Session, run_id: str) -> tuple[int, int]:
        """The (offset, last seq) of the spool with ingest state key ``run_id``, locked."""
        insert_ignore(
            s,
            ingest_state_t,
            {"run_id": run_id, "byte_offset": 0, "last_seq": -1, "updated_at": time.time()},
            ["run_id"],
        )
        stmt = select(ingest_state_t.c.byte_offset, ingest_state_t.c.last_seq).where(
            ingest_state_t.c.run_id == run_id
        )
        if not self.catalog.is_sqlite:
            stmt = stmt.with_for_update()
        offset, last_seq = s.execute(stmt).one()
        return int(offset), int(last_seq)

    def _mark_killed(
        self,
        spools: dict[str, tuple[Path, int, float]],
        offsets: dict[str, int],
        torn_tails: dict[str, int],
        result: IngestResult,
    ) -> None:
        """A running run of this machine whose process is gone and whose spool stopped: killed.

        Only runs whose machine identity (machine id plus boot id) is this one's are judged (a
        run of an older client, without one, by its hostname), and never a mirrored run
        (launched on an SSH host or Slurm): its liveness is its job's, polled by JobService.
        A spool stopped when everything up to its last newline is ingested: an incomplete
        last line of a dead writer can never be completed, so it is not waited on but told
        (a problem, and the tag ``mlops.spool_torn_bytes`` holding its size).
        """
        same_machine = run_t.c.machine == self.machine
        legacy = run_t.c.machine.is_(None) & (run_t.c.host == self.hostname)
        with self.catalog.session_scope() as s:
            rows = s.execute(
                select(run_t.c.id, run_t.c.pid).where(
                    run_t.c.status == "running",
                    same_machine | legacy,
                    run_t.c.target == "local",
                    run_t.c.pid.is_not(None),
                )
            ).all()
        dead: dict[str, tuple[float, int]] = {}
        for run_id, pid in rows:
            spool = spools.get(run_id)
            if spool is None:
                continue
            _path, size, mtime = spool
            offset = offsets.get(run_id, 0)
            torn = torn_tails.get(run_id, 0)
            if size != offset + torn or not _process_gone(pid):
                continue  # unread lines (or a live writer): not stopped yet
            dead[run_id] = (mtime, torn)
        if not dead:
            return
        with self.catalog.session_scope(write=True) as s:
            for run_id, (mtime, torn) in dead.items():
                marked = s.execute(
                    update(run_t)
                    .where(run_t.c.id == run_id, run_t.c.status == "running")
                    .values(status="killed", ended_at=mtime)
                )
                if torn and getattr(marked, "rowcount", 0):
                    row = {"run_id": run_id, "key": TORN_TAG, "value": str(torn)}
                    upsert(s, tag_t, [row], ["run_id", "key"])
                    result.changes.status_changed([run_id], [TORN_TAG])
                    result.problems.append(
                        f"spool {run_id}: the run's process died while writing; its "
                        f"incomplete last line ({torn} bytes) was not ingested"
                    )
            note_change(s, RUNS, dead)
        result.changed_runs.update(dead)
        result.changes.status_changed(dead)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _process_gone(pid: int) -> bool:
    if pid <= 0:
        return False
    if sys.platform == "win32":  # os.kill(pid, 0) would terminate the process there
        import psutil

        return not psutil.pid_exists(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except (PermissionError, OSError):
        return False
    return False
