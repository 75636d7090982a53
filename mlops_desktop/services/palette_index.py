"""The command palette's index: the names of everything in the catalog, and the hosts.

Cheap on purpose: one query per kind, names and a short detail only, so the palette can load
it afresh each time it opens (on a worker thread) even with 10,000s of runs.
"""

from __future__ import annotations

import logging
from pathlib import Path

from mlops_desktop.catalog import palette_names
from mlops_desktop.catalog.engine import Catalog
from mlops_desktop.core import palette as p
from mlops_desktop.core.compute import HostInfo
from mlops_desktop.core.errors import HostError
from mlops_desktop.core.palette import PaletteEntry
from mlops_desktop.services.catalog_open import CatalogService
from mlops_desktop.services.compute import JobService

_log = logging.getLogger(__name__)


class PaletteIndexService(CatalogService):
    """Lists what the command palette finds.

    Args:
        jobs: where the hosts come from (added ones and ``~/.ssh/config``; no host is probed).
    """

    def __init__(self, catalog: Catalog, home: Path, jobs: JobService | None = None) -> None:
        super().__init__(catalog, home)
        self._jobs = jobs

    def entries(self) -> list[PaletteEntry]:
        """Experiments, runs (newest first), datasets, models, versions, aliases, monitors,
        then hosts."""
        with self.catalog.session_scope() as s:
            entries = palette_names.catalog_entries(s)
        return entries + self.host_entries()

    def host_entries(self) -> list[PaletteEntry]:
        """The hosts the Hosts dialog lists, without asking any of them anything."""
        if self._jobs is None:
            return []
        try:
            hosts: list[HostInfo] = list(self._jobs.targets.inventory().list())
        except (ImportError, OSError, HostError) as exc:  # an unreadable hosts.json
            _log.info("Hosts left out of the palette: %s", exc)
            return []
        return [PaletteEntry(p.HOST, h.name, _host_detail(h), h.name) for h in hosts]


def _host_detail(host: HostInfo) -> str:
    kind = "Slurm cluster" if host.kind == "slurm" else "SSH host"
    where = " (~/.ssh/config)" if host.from_ssh_config else ""
    return f"{kind} · {host.address}{where}"
