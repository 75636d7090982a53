"""``import tensorboard DIR``: TensorBoard logs into the catalog, one run per event-file folder.

The run of a folder has an id derived from the folder's absolute path, its name is the folder
relative to ``DIR`` (``.`` for ``DIR`` itself) and its experiment is the one given or ``DIR``'s
name. How far each event file was read is kept in the catalog's ingest state (key
``<run id>/tb<digest of the file name>``), so importing again adds only what was appended
since, and nothing when nothing was.

Progress is counted in bytes of event files read (phase ``"metrics"``); a stop is honoured
between blocks of records (a few MB each), after the block before it was written, so a
cancelled import keeps whole blocks and importing again goes on from there.
"""

from __future__ import annotations

import hashlib
import os
import time
from array import array
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from mlops_desktop.catalog.engine import Catalog
from mlops_desktop.catalog.schema import experiment_t, ingest_state_t, run_t
from mlops_desktop.catalog.upsert import insert_ignore
from mlops_desktop.catalog.writes import apply_events
from mlops_desktop.core.errors import TensorBoardImportError
from mlops_desktop.services.import_progress import (
    ImportCancelled,
    ImportProgress,
    ImportReport,
    ProgressCallback,
    StopCheck,
)
from mlops_desktop.services.tensorboard_decoder import EventDecoder
from mlops_desktop.services.tensorboard_events import DecodedEvents
from mlops_desktop.services.tensorboard_records import read_record_blocks

EVENT_FILE_MARK = "tfevents"
SOURCE_TAG = "mlops.imported_from"


def event_folders(log_dir: Path) -> dict[Path, list[str]]:
    """{folder: sorted event file names} for every folder under ``log_dir`` holding some."""
    found: dict[Path, list[str]] = {}
    for folder, _dirs, files in os.walk(log_dir):
        names = sorted(f for f in files if EVENT_FILE_MARK in f and not f.endswith(".tmp"))
        if names:
            found[Path(folder)] = names
    return dict(sorted(found.items()))


def tensorboard_run_id(folder: Path) -> str:
    """The run id of an event-file folder: the same on every import of it."""
    return hashlib.sha256(f"tensorboard:{folder.resolve()}".encode()).hexdigest()[:32]


def tensorboard_experiment(log_dir: Path, experiment: str | None) -> str:
    """The experiment the runs of ``log_dir`` go to: ``experiment``, else the folder's name."""
    return experiment or Path(log_dir).expanduser().resolve().name or "tensorboard"


class _Progress:
    """Bytes of event files read so far, reported through ``on_progress``."""

    def __init__(self, total: int, on_progress: ProgressCallback | None) -> None:
        self.total = total
        self.done = 0
        self._on_progress = on_progress

    def report(self, done: int, message: str) -> None:
        self.done = min(done, self.total)  # a file still being written may outgrow the total
        if self._on_progress is not None:
            self._on_progress(ImportProgress("metrics", done, self.total, message))


def import_tensorboard(
    catalog: Catalog,
    log_dir: Path,
    experiment: str | None,
    *,
    on_progress: ProgressCallback | None = None,
    should_stop: StopCheck | None = None,
) -> ImportReport:
    """Import every event-file folder under ``log_dir``.

    Args:
        on_progress: called after each block with the bytes of event files read so far (of
            all of them; what an earlier import read counts as read).
        should_stop: polled before each block; True stops the import after the last block
            written.

    Raises:
        TensorBoardImportError: ``log_dir`` is not a folder or holds no event files.
        ImportCancelled: ``should_stop`` said so; its report says what was kept.
    """
    log_dir = Path(log_dir).expanduser()
    if not log_dir.is_dir():
        raise TensorBoardImportError(
            f"{log_dir} is not a folder: give the folder you pass to `tensorboard --logdir`."
        )
    folders = event_folders(log_dir)
    if not folders:
        raise TensorBoardImportError(
            f"No TensorBoard event files (events.out.tfevents.*) under {log_dir}: give the"
            " folder you pass to `tensorboard --logdir`."
        )
    name = tensorboard_experiment(log_dir, experiment)
    report = ImportReport()
    with catalog.session_scope() as s:
        known = s.execute(select(experiment_t.c.id).where(experiment_t.c.name == name)).first()
    report.experiments = 0 if known else 1
    progress = _Progress(_total_bytes(folders), on_progress)
    progress.report(0, f"{len(folders)} folders of event files")
    stop = should_stop or (lambda: False)
    try:
        for folder, files in folders.items():
            relative = folder.relative_to(log_dir).as_posix()
            _import_folder(catalog, folder, files, name, relative, report, progress, stop)
    except ImportCancelled:
        _drop_unused_experiment(report)
        raise
    _drop_unused_experiment(report)
    progress.report(progress.total, "done")
    return report


def _drop_unused_experiment(report: ImportReport) -> None:
    if not report.runs and not report.metrics_points:
        report.experiments = 0


def _total_bytes(folders: dict[Path, list[str]]) -> int:
    total = 0
    for folder, files in folders.items():
        for file_name in files:
            try:
                total += os.stat(os.path.join(folder, file_name)).st_size
            except OSError:
                pass  # said when the file is read
    return total


def _state_key(run_id: str, file_name: str) -> str:
    return f"{run_id}/tb{hashlib.sha1(file_name.encode()).hexdigest()[:16]}"


def _import_folder(
    catalog: Catalog,
    folder: Path,
    files: list[str],
    experiment: str,
    name: str,
    report: ImportReport,
    progress: _Progress,
    stop: StopCheck,
) -> None:
    run_id = tensorboard_run_id(folder)
    with catalog.session_scope() as s:
        exists = s.execute(select(run_t.c.id).where(run_t.c.id == run_id)).first() is not None
        keys = [_state_key(run_id, f) for f in files]
        rows = s.execute(
            select(
                ingest_state_t.c.run_id, ingest_state_t.c.byte_offset, ingest_state_t.c.last_seq
            ).where(ingest_state_t.c.run_id.in_([*keys, run_id + "/tb"]))
        ).all()
    state = {key: (int(off), int(seq)) for key, off, seq in rows} if exists else {}
    last_seq = state.get(run_id + "/tb", (0, -1))[1]
    decoder = EventDecoder()
    for file_name, key in zip(files, keys):
        offset = state.get(key, (0, -1))[0]
        path = os.path.join(folder, file_name)
        file_start = progress.done
        try:
            size = os.stat(path).st_size
            progress.report(file_start + min(offset, size), f"{name}/{file_name}")
            blocks = read_record_blocks(path, offset, path)
            for block in blocks:
                if stop():
                    raise ImportCancelled(report)
                decoded, bad = decoder.decode_block(block.records)
                report.problems.extend(block.problems)
                report.problems.extend(
                    f"{path}: the record at byte {at} is not a TensorBoard event and was skipped."
                    for at in bad
                )
                events, last_seq = _events(
                    run_id, experiment, name, folder, decoded, last_seq, exists
                )
                with catalog.session_scope(write=True) as s:
                    applied = apply_events(s, run_id, events) if events else None
                    for state_key, off in ((key, block.end_offset), (run_id + "/tb", 0)):
                        insert_ignore(
                            s,
                            ingest_state_t,
                            {
                                "run_id": state_key,
                                "byte_offset": 0,
                                "last_seq": -1,
                                "updated_at": 0,
                            },
                            ["run_id"],
                        )
                        values: dict[str, Any] = {"updated_at": time.time(), "last_seq": last_seq}
                        if state_key == key:
                            values["byte_offset"] = off
                        s.execute(
                            update(ingest_state_t)
                            .where(ingest_state_t.c.run_id == state_key)
                            .values(**values)
                        )
                if applied is not None:
                    report.metrics_points += applied.points
                    report.runs += 0 if exists else 1
                    exists = True
                progress.report(file_start + min(block.end_offset, size), f"{name}/{file_name}")
            progress.report(file_start + size, f"{name}/{file_name}")
        except OSError as exc:
            report.problems.append(f"{path} cannot be read ({exc.strerror}) and was skipped.")


def _events(
    run_id: str,
    experiment: str,
    name: str,
    folder: Path,
    decoded: DecodedEvents,
    last_seq: int,
    exists: bool,
) -> tuple[list[dict[str, Any]], int]:
    """The spool-format events of one decoded block, with the run's next sequence numbers."""
    events: list[dict[str, Any]] = []

    def add(event: dict[str, Any], n: int = 1) -> None:
        nonlocal last_seq
        event.update(v=1, run=run_id, seq=last_seq + 1, n=n)
        last_seq += n
        events.append(event)

    started = decoded.first_wall_time if decoded.first_wall_time is not None else time.time()
    if not exists:
        add(
            {
                "type": "start",
                "experiment": experiment,
                "name": name,
                "started_at": started,
                "command": "",
                "cwd": str(folder.resolve()),
                "target": "local",
            }
        )
        add(
            {
                "type": "tags",
                "tags": {SOURCE_TAG: "tensorboard", "tensorboard.logdir": str(folder.resolve())},
            }
        )
    if decoded.hparams:
        add({"type": "params", "params": decoded.hparams})
    if decoded.scalars:
        cols = {
            tag: (array("q", steps), array("d", times), array("d", values))
            for tag, (steps, times, values) in decoded.scalars.items()
        }
        add({"type": "metrics", "cols": cols}, decoded.count)
    if not exists or decoded.scalars:
        ended = decoded.last_wall_time if decoded.last_wall_time is not None else started
        add({"type": "end", "status": "finished", "ended_at": ended, "error": None})
    return (events if (not exists or decoded.scalars or decoded.hparams) else []), last_seq
