"""Reclaiming the spools of ended runs: once every event is in the catalog, the raw lines go.

A spool (``events.jsonl`` or ``system.jsonl``) is reclaimed when its run has ended in the
catalog, no launched job of the run is still active, everything up to its last newline is
ingested (a dead writer's incomplete last line, already reported, goes too) and it has not
changed for :data:`QUIET_S` seconds. It is replaced, atomically, by one line: its last event
when that is short, else an empty ``tags`` event with the last sequence number. That line keeps
what exactly-once needs: a writer that reopens the spool (a relaunch attaching to the run)
numbers its events after it, and the ingester, whose offset is moved to the new end in the same
transaction, reads only what comes after. ``reclaimed.json`` beside it counts the bytes removed
per file, so a mirror of a remote spool still asks the host for the right offset.
"""

from __future__ import annotations

import json
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from mlops_desktop.catalog.engine import Catalog
from mlops_desktop.catalog.schema import ingest_state_t, run_t
from mlops_desktop.core.compute import TERMINAL_STATES
from mlops_desktop.tracking.atomic import write_bytes_atomic
from mlops_desktop.tracking.home import RECLAIMED_FILENAME, reclaimed_bytes
from mlops_desktop.tracking.spool import encode_event, parse_lines

try:  # the mirror of a remote spool holds this lock while it appends (POSIX only)
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

QUIET_S = 10.0  # a spool written to less than this long ago may still have a writer closing
MIN_BYTES = 4096  # smaller spools are not worth rewriting (a reclaimed one is one line)
KEEP_LINE_MAX = 4096  # a last line up to this size is kept as it is
SYNC_LOCK_FILENAME = ".sync.lock"
ENDED = ("finished", "failed", "killed")

SPOOL_MODE = 0o644  # as the spool writer creates its files


@contextmanager
def _sync_lock(spool_dir: Path) -> Any:
    if fcntl is None:
        yield
        return
    with open(spool_dir / SYNC_LOCK_FILENAME, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _job_active(catalog: Catalog, run_ids: list[str]) -> set[str]:
    from mlops_desktop.catalog.job_schema import job_t

    with catalog.session_scope() as s:
        rows = s.execute(
            select(job_t.c.run_id).where(
                job_t.c.run_id.in_(run_ids), job_t.c.state.not_in(TERMINAL_STATES)
            )
        ).all()
    return {r[0] for r in rows}


def reclaim_spools(
    catalog: Catalog,
    spools: dict[str, tuple[Path, int, float]],
    offsets: dict[str, int],
    torn: dict[str, int],
    run_of: dict[str, str],
) -> int:
    """Reclaim the spools that qualify; returns the bytes freed.

    Args:
        catalog: the catalog the spools were ingested into.
        spools: {ingest state key: (file, size, mtime)} as the ingest pass found them.
        offsets: {key: offset ingested} after the pass.
        torn: {key: size of a dead writer's incomplete last line}.
        run_of: {key: run id}.
    """
    now = time.time()
    ready = {
        key: spool
        for key, spool in spools.items()
        if spool[1] >= MIN_BYTES
        and now - spool[2] >= QUIET_S
        and spool[1] == offsets.get(key, -1) + torn.get(key, 0)
    }
    if not ready:
        return 0
    run_ids = sorted({run_of[k] for k in ready})
    with catalog.session_scope() as s:
        ended = {
            r[0]
            for r in s.execute(
                select(run_t.c.id).where(run_t.c.id.in_(run_ids), run_t.c.status.in_(ENDED))
            ).all()
        }
    ended -= _job_active(catalog, sorted(ended)) if ended else set()
    freed = 0
    for key, (path, _size, _mtime) in ready.items():
        if run_of[key] in ended:
            freed += _reclaim_one(catalog, key, path, torn.get(key, 0))
    return freed


def _last_line(path: Path, size: int, torn: int, last_seq: int, run_id: str) -> bytes:
    """The line the reclaimed spool keeps: its last event when short, else a stand-in."""
    end = size - torn
    with open(path, "rb") as fh:
        fh.seek(max(0, end - KEEP_LINE_MAX - 1))
        tail = fh.read(end - fh.tell())
    start = tail.rfind(b"\n", 0, len(tail) - 1) + 1
    line = tail[start:]
    if start > 0 or len(tail) == end:
        read = parse_lines(line)
        if len(read.events) == 1 and not read.problems:
            e = read.events[0]
            if e["seq"] + e["n"] - 1 == last_seq:
                return line
    stand_in = {"v": 1, "type": "tags", "run": run_id, "seq": last_seq, "n": 1, "tags": {}}
    return encode_event(stand_in)


def _reclaim_one(catalog: Catalog, key: str, path: Path, torn: int) -> int:
    spool_dir = path.parent
    with _sync_lock(spool_dir), catalog.session_scope(write=True) as s:
        row = s.execute(
            select(ingest_state_t.c.byte_offset, ingest_state_t.c.last_seq).where(
                ingest_state_t.c.run_id == key
            )
        ).one_or_none()
        try:
            size = path.stat().st_size
        except OSError:
            return 0
        if row is None or row[1] < 0 or size != row[0] + torn or size < MIN_BYTES:
            return 0  # something was appended or ingested meanwhile: next pass
        run_id = key.split("/", 1)[0]
        line = _last_line(path, size, torn, int(row[1]), run_id)
        removed = reclaimed_bytes(spool_dir)
        removed[path.name] = removed.get(path.name, 0) + size - len(line)
        # the spool first: a crash before the count re-mirrors, never skips
        write_bytes_atomic(path, line, SPOOL_MODE)
        counts = json.dumps(removed).encode()
        write_bytes_atomic(spool_dir / RECLAIMED_FILENAME, counts, SPOOL_MODE)
        s.execute(
            update(ingest_state_t)
            .where(ingest_state_t.c.run_id == key)
            .values(byte_offset=len(line), updated_at=time.time())
        )
    return size - len(line)
