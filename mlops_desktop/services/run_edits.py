"""Run management for the GUI and the ``runs`` commands: rename, tag, trash, restore, empty.

:class:`RunEdits` is a mixin of :class:`~mlops_desktop.services.experiments.ExperimentService`,
so the Experiments pane reaches it through the service it already holds.
"""

from __future__ import annotations

import dataclasses
import shlex
import shutil
import threading
from collections.abc import Iterable
from pathlib import Path

from mlops_desktop.catalog import job_repo, run_edits, run_queries
from mlops_desktop.catalog.engine import Catalog
from mlops_desktop.core.compute import RunSpec
from mlops_desktop.core.run_edits import EmptiedTrash, TrashedRun
from mlops_desktop.tracking.home import run_spool_dir


class RunEdits:
    """Edits of runs; every method opens its own catalog session (thread-safe)."""

    catalog: Catalog
    home: Path
    _ingest_lock: threading.Lock

    def rename_run(self, run_id: str, name: str) -> str:
        """Give a run (id or unique prefix) a new name; returns its full id.

        Raises:
            RunNotFound, RunEditError: no such run; an empty or multi-line name.
        """
        with self.catalog.session_scope(write=True) as s:
            return run_edits.rename(s, run_id, name)

    def tag_run(
        self, run_id: str, tags: dict[str, str] | None = None, remove: Iterable[str] = ()
    ) -> str:
        """Add or replace the ``tags`` of a run and remove the tags of ``remove``, in one
        transaction; returns the run's full id.

        Raises:
            RunNotFound, RunEditError: no such run; an invalid key; no tag to remove.
        """
        with self.catalog.session_scope(write=True) as s:
            rid = run_edits.set_tags(s, run_id, tags or {})
            keys = list(remove)
            if keys:
                run_edits.remove_tags(s, rid, keys)
            return rid

    def trash_runs(self, run_ids: Iterable[str]) -> list[str]:
        """Move ended runs to the trash, all or none; returns their full ids.

        Raises:
            RunNotFound, RunEditError: no such run; a run that has not ended.
        """
        with self.catalog.session_scope(write=True) as s:
            return run_edits.move_to_trash(s, run_ids)

    def restore_runs(self, run_ids: Iterable[str]) -> list[str]:
        """Take runs out of the trash, all or none; returns their full ids.

        Raises:
            RunNotFound, RunEditError: no such run; a run that is not in the trash.
        """
        with self.catalog.session_scope(write=True) as s:
            return run_edits.restore(s, run_ids)

    def trashed_runs(self) -> list[TrashedRun]:
        """The runs in the trash, most recently trashed first."""
        with self.catalog.session_scope() as s:
            return run_edits.trashed_runs(s)

    def empty_trash(self) -> EmptiedTrash:
        """Delete the trashed runs for good: their rows, then their spool folders.

        Runs that model versions were registered from stay in the trash (reported in
        ``kept``). The runs' artifact files stay in the store until ``models gc``.
        """
        with self._ingest_lock:  # no ingest of this process reads a spool being removed
            with self.catalog.session_scope(write=True) as s:
                emptied = run_edits.delete_trashed(s)
            gone = []
            for rid in emptied.deleted:
                folder = run_spool_dir(self.home, rid)
                shutil.rmtree(folder, ignore_errors=True)
                if not folder.exists():
                    gone.append(rid)
            with self.catalog.session_scope(write=True) as s:
                run_edits.forget_ingest_state(s, gone)
        return emptied

    def launch_spec(self, run_id: str) -> RunSpec:
        """What to launch to run ``run_id`` again: the spec its job was launched with, else
        the run's own command, folder, target and experiment (for the Launch dialog).

        Raises:
            RunNotFound: no such run.
        """
        with self.catalog.session_scope() as s:
            rid = run_queries.resolve_run_id(s, run_id)
            stored = job_repo.get_spec(s, rid)
            run = run_queries.summaries(s, run_ids=[rid])[0]
            command, cwd = run_edits.command_and_folder(s, rid)
        names = {f.name for f in dataclasses.fields(RunSpec)}
        fields = {k: v for k, v in stored.items() if k in names}
        if not fields.get("command"):
            try:
                fields["command"] = shlex.split(command or "")
            except ValueError:
                fields["command"] = (command or "").split()
            fields["target"] = run.target or "local"
            fields["workdir"] = cwd or ""
        fields.setdefault("experiment", run.experiment)
        fields["name"] = None  # a new run: the launcher names it
        return RunSpec(**fields)
