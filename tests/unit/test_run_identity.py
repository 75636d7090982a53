"""Runs are judged alive by a local pid check only on their own machine (machine id plus boot
id, not hostname), and never when mirrored from an SSH host or Slurm."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

from catalog_spools import SpoolBuilder

from mlops_desktop.services.experiments import ExperimentService
from mlops_desktop.tracking.machine import machine_identity


def test_only_runs_of_this_machine_are_marked_killed(
    temp_home: Path, catalog_url: str | None
) -> None:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()  # a pid that is gone
    host, here = socket.gethostname(), machine_identity()
    ours = SpoolBuilder(temp_home).start(pid=proc.pid, host=host, machine=here)
    ours.series("x", [1.0]).write()
    clone = SpoolBuilder(temp_home).start(pid=proc.pid, host=host, machine="other-id:boot")
    clone.series("x", [1.0]).write()
    mirrored = SpoolBuilder(temp_home).start(
        pid=proc.pid, host=host, machine=here, target="ssh:loopback"
    )
    mirrored.series("x", [1.0]).write()
    svc = ExperimentService.open(temp_home, catalog_url)
    try:
        svc.ingest()
        runs = {r.id: r.status for r in svc.list_runs()}
        assert runs[ours.run_id] == "killed"
        assert runs[clone.run_id] == "running"  # same hostname, another machine
        assert runs[mirrored.run_id] == "running"  # its job's poll decides
    finally:
        svc.close()


def test_machine_identity_is_machine_and_boot_id() -> None:
    ident = machine_identity()
    machine_id = Path("/etc/machine-id")
    if machine_id.is_file() and machine_id.read_text().strip():
        assert ident.startswith(machine_id.read_text().strip() + ":")
    else:
        assert ident == f"host:{socket.gethostname()}"
