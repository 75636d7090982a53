"""Which registered dataset version a run used, resolved when its events are ingested.

A ``dataset`` event names a registered dataset (and maybe a version) or carries a path. A name
without a version resolves to the newest version created at or before the event's ``at`` (the
time ``use_dataset`` was called; the ingest time for older spools); an unknown dataset or
version is stored without a version and flagged on the run. A path resolves to the
dataset whose source path equals it or is a folder containing it. A run's command line is
scanned too: an argument that is an existing path of a registered dataset records that dataset.
"""

from __future__ import annotations

import os
import shlex
from typing import Any

from sqlalchemy.orm import Session

from mlops_desktop.catalog import dataset_repo
from mlops_desktop.core.errors import DatasetNotFound

MAX_ARGS = 200  # command-line arguments looked at per run


class DatasetResolver:
    """Resolves dataset events of one ingest transaction (registered sources read once)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._sources: list[tuple[str, str]] | None = None
        self._versions: dict[str, list[int] | None] = {}

    def sources(self) -> list[tuple[str, str]]:
        if self._sources is None:
            self._sources = dataset_repo.sources(self.session)
        return self._sources

    def match_path(self, path: str) -> str | None:
        """The dataset registered from ``path`` or from a folder containing it (longest wins)."""
        best: tuple[int, str] | None = None
        norm = os.path.normpath(path)
        for name, source in self.sources():
            src = os.path.normpath(source)
            inside = norm == src or norm.startswith(src.rstrip(os.sep) + os.sep)
            if inside and (best is None or len(src) > best[0]):
                best = (len(src), name)
        return None if best is None else best[1]

    def versions(self, name: str) -> list[int] | None:
        """The version numbers of ``name`` (None: not registered), read once per ingest."""
        if name not in self._versions:
            ds_id = dataset_repo.dataset_id(self.session, name)
            self._versions[name] = (
                None
                if ds_id is None
                else [v.number for v in dataset_repo.list_versions(self.session, name)]
            )
        return self._versions[name]

    def resolve(
        self, name: str, version: Any, path: str | None, at: float | None
    ) -> tuple[str, str | None, str | None]:
        """(dataset name, version label, problem) to store for one ``dataset`` event.

        A registered dataset's version that the registry lacks (an old script's
        ``use_dataset("wine", version="v9")``), or a name no dataset has, is stored without
        a version and ``problem`` says why, for the run's flag; a version is never invented.
        """
        registered = True
        if path:
            matched = self.match_path(path)
            if matched is not None:
                name = matched
            elif not version:
                return name, None, None
            else:
                registered = False  # an unregistered path: its version is the script's label
        try:
            number = dataset_repo.parse_version(None if version is None else str(version))
        except DatasetNotFound:
            number = -1
        if number is None:
            if registered and self.versions(name) is None:
                return name, None, f"No dataset named {name!r} is registered."
            return name, dataset_repo.version_at(self.session, name, at), None
        if not registered:
            return name, dataset_repo.version_label(number) if number >= 0 else str(version), None
        known = self.versions(name)
        if known is None:
            return name, None, f"No dataset named {name!r} is registered."
        if number not in known:
            listed = ", ".join(dataset_repo.version_label(n) for n in sorted(known)) or "none"
            return name, None, f"Dataset {name!r} has no version {version!s} (it has {listed})."
        return name, dataset_repo.version_label(number), None

    def from_command(
        self, command: Any, cwd: str, at: float | None
    ) -> list[tuple[str, str | None, str]]:
        """(dataset, version, path) for each argument that is a registered dataset's path."""
        if isinstance(command, str):
            try:
                args = shlex.split(command)
            except ValueError:
                args = command.split()
        elif isinstance(command, list):
            args = [str(a) for a in command]
        else:
            return []
        if len(args) < 2 or not self.sources():
            return []
        found: list[tuple[str, str | None, str]] = []
        seen: set[str] = set()
        for arg in args[1 : MAX_ARGS + 1]:
            text = arg.split("=", 1)[1] if arg.startswith("-") and "=" in arg else arg
            if not text or text.startswith("-"):
                continue
            path = os.path.abspath(os.path.join(cwd or os.getcwd(), os.path.expanduser(text)))
            if path in seen or not os.path.exists(path):
                continue
            seen.add(path)
            name = self.match_path(path)
            if name is not None:
                found.append((name, dataset_repo.version_at(self.session, name, at), path))
        return found
