"""Issue 12: Hosts lists only hosts the person added or the app found, says where each came
from, and a local Slurm that does not answer is a readable sentence, not a phantom host."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

from mlops_desktop.cli import main
from mlops_desktop.core.compute import HostInfo, host_origin
from mlops_desktop.services.compute import JobService
from mlops_desktop.ui.dialogs.hosts import HostsDialog

CONTROLLER_DOWN = (
    "sinfo: error: Unable to contact slurm controller (connect failure)\n"
    "sinfo: error: slurm_load_partitions: Unable to contact slurm controller\n"
)


def fake_slurm(bin_dir: Path, sinfo_rc: int, stderr: str = "", stdout: str = "") -> None:
    """``sinfo`` and ``sbatch`` stand-ins at the outermost edge: the commands' own output."""
    bin_dir.mkdir(exist_ok=True)
    for name in ("sinfo", "sbatch"):
        script = bin_dir / name
        script.write_text(
            f"#!/bin/sh\ncat <<'OUT'\n{stdout}OUT\ncat >&2 <<'ERR'\n{stderr}ERR\nexit {sinfo_rc}\n"
        )
        script.chmod(0o755)


@pytest.fixture
def no_slurm(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A PATH with the basic tools but no Slurm command, and no SLURM_CONF."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("sh", "env", "cat", "python3"):
        for folder in os.environ.get("PATH", "").split(os.pathsep):
            if (Path(folder) / tool).exists():
                (bin_dir / tool).symlink_to(Path(folder) / tool)
                break
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.delenv("SLURM_CONF", raising=False)
    return bin_dir


def added_host(home: Path, added_at: float) -> None:
    host = HostInfo("gpu-box", "ssh", "me@gpu-box", host_key="SHA256:x", added_at=added_at)
    doc = {"version": 1, "hosts": [{f: getattr(host, f) for f in HostInfo.__dataclass_fields__}]}
    (home / "hosts.json").write_text(json.dumps(doc))


def hosts_dialog(qtbot: Any, jobs: JobService, runner: Any) -> HostsDialog:
    dialog = HostsDialog(jobs, runner)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.loaded, timeout=10_000)
    return dialog


def column(dialog: HostsDialog, col: int) -> list[str]:
    table = dialog.table
    return [table.item(r, col).text() for r in range(table.rowCount())]


def test_no_slurm_entry_without_sinfo_and_each_host_says_where_it_came_from(
    qtbot: Any, no_slurm: Path, service: Any, home: Path, runner: Any
) -> None:
    added = time.mktime((2026, 3, 2, 12, 0, 0, 0, 0, -1))
    added_host(home, added)
    jobs = JobService(service.catalog, home)
    assert [(h.name, h.kind) for h in jobs.hosts()] == [("gpu-box", "ssh")]
    assert jobs.local_slurm_problem() is None  # nothing installed: nothing to say
    dialog = hosts_dialog(qtbot, jobs, runner)
    assert column(dialog, 0) == ["gpu-box"]
    assert column(dialog, 4) == ["added by you on 2026-03-02"]
    assert not dialog.slurm_note.isVisibleTo(dialog)


def test_a_local_slurm_that_does_not_answer_is_one_sentence_not_a_host(
    qtbot: Any,
    no_slurm: Path,
    service: Any,
    home: Path,
    runner: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fake_slurm(no_slurm, 1, stderr=CONTROLLER_DOWN)
    jobs = JobService(service.catalog, home)
    assert jobs.hosts() == []
    sentence = (
        "Slurm on local does not answer: slurmctld is not running or cannot be reached "
        "(sinfo: Unable to contact slurm controller (connect failure))."
    )
    dialog = hosts_dialog(qtbot, jobs, runner)
    assert dialog.table.rowCount() == 0
    assert sentence in dialog.slurm_note.text() and dialog.slurm_note.isVisibleTo(dialog)
    assert "slurm_load_partitions" in dialog.slurm_note.toolTip()  # the raw output, aside
    assert main(["hosts", "check", "local"]) == 2
    err = capsys.readouterr().err
    assert sentence in err and "slurm_load_partitions" not in err and "Traceback" not in err


def test_a_local_slurm_that_answers_is_listed_as_found(
    no_slurm: Path, service: Any, home: Path
) -> None:
    fake_slurm(no_slurm, 0, stdout="debug*\n")
    jobs = JobService(service.catalog, home)
    (local,) = jobs.hosts()
    assert (local.name, local.kind) == ("local", "slurm")
    assert host_origin(local) == "found: local Slurm (sinfo answered)"
