"""The Slurm executor against a real single-node Slurm with two fake GPUs (slurm_fixture.py)."""

from __future__ import annotations

import json
import os
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from mlops_desktop.compute.slurm import SlurmExecutor
from mlops_desktop.compute.slurm_script import batch_script, slurm_options
from mlops_desktop.core.compute import TERMINAL_STATES, HostInfo, RunSpec
from mlops_desktop.core.errors import JobError
from mlops_desktop.tracking.spool import read_spool

CLUSTER = HostInfo(name="lab", kind="slurm", address="local")
PY = sys.executable


def _executor(home: Path) -> SlurmExecutor:
    return SlurmExecutor(CLUSTER, home)


def _submit(ex: SlurmExecutor, spec: RunSpec) -> tuple[str, dict[str, Any], Path]:
    run_id = uuid.uuid4().hex
    spool = ex.home / "spool" / run_id
    return run_id, ex.start(run_id, spec, None, spool), spool


def _wait(
    ex: SlurmExecutor, handle: dict[str, Any], states: set[str], timeout: float = 60.0
) -> tuple[str, int | None, str]:
    deadline = time.monotonic() + timeout
    while True:
        polled = ex.poll(handle)
        if polled[0] in states:
            return polled
        assert time.monotonic() < deadline, f"job stayed {polled} (wanted {states})"
        time.sleep(0.1)


def _output(spool: Path) -> str:
    path = spool / "output.log"
    return path.read_text() if path.exists() else ""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] == "Z")


# --- without a cluster -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "slurm",
    [{"partition": "gpu; rm -rf /"}, {"time": "1h"}, {"mem": "$(id)"}, {"cpus": "0"}, {"qos": "x"}],
)
def test_invalid_slurm_settings_are_refused(slurm: dict[str, str]) -> None:
    with pytest.raises(JobError):
        slurm_options(RunSpec(command=["true"], slurm=slurm))


def test_script_quotes_every_value(tmp_path: Path) -> None:
    spec = RunSpec(
        command=["echo", "$(id)", "a'b"],
        gpus=2,
        env={"X": "`id`"},
        slurm={"partition": "debug", "time": "1-02:00:00", "mem": "4G", "cpus": "2"},
    )
    text = batch_script("r1", spec, tmp_path / "run", tmp_path / "spool", cwd=None, target="t")
    assert "#SBATCH --gres=gpu:2" in text and "#SBATCH --cpus-per-task=2" in text
    assert "'$(id)'" in text and "'a'\"'\"'b'" in text and "export X='`id`'" in text
    with pytest.raises(JobError):
        batch_script(
            "r1", RunSpec(command=["x"], env={"A B": "1"}), tmp_path, tmp_path, cwd=None, target="t"
        )


def test_forgotten_job_without_exit_record_is_lost(tmp_path: Path, slurm_env: Path) -> None:
    ex = _executor(tmp_path)
    (tmp_path / "gone").mkdir()
    state, code, detail = ex.poll({"slurm_job_id": "999999", "run_dir": str(tmp_path / "gone")})
    assert (state, code) == ("lost", None) and "999999" in detail


# --- on the test cluster -----------------------------------------------------------------------


@pytest.mark.system
def test_job_runs_to_completion_with_output_and_exit_code(temp_home: Path, slurm_env: Path) -> None:
    ex = _executor(temp_home)
    code = "import sys; print('hello from slurm', flush=True); sys.exit(3)"
    _, handle, spool = _submit(ex, RunSpec(command=[PY, "-c", code], python=PY))
    assert handle["slurm_job_id"].isdigit() and handle["cluster"] == "lab"
    state, exit_code, _ = _wait(ex, handle, TERMINAL_STATES)
    assert (state, exit_code) == ("failed", 3)
    assert "hello from slurm" in _output(spool)
    assert json.loads((Path(handle["run_dir"]) / "exit.json").read_text())["exit_code"] == 3

    _, handle, spool = _submit(ex, RunSpec(command=[PY, "-c", "print('ok')"], python=PY))
    assert _wait(ex, handle, TERMINAL_STATES)[:2] == ("finished", 0)


@pytest.mark.system
def test_two_fake_gpus_run_two_jobs_and_the_third_waits(temp_home: Path, slurm_env: Path) -> None:
    ex = _executor(temp_home)
    code = (
        "import os, time; print('GPU', os.environ.get('CUDA_VISIBLE_DEVICES'), time.time(),"
        " flush=True); time.sleep(4); print('END', time.time(), flush=True)"
    )
    jobs = [_submit(ex, RunSpec(command=[PY, "-c", code], python=PY, gpus=1)) for _ in range(3)]
    states = [_wait(ex, h, {"running"}, 30)[0] for _, h, _ in jobs[:2]]
    third = ex.poll(jobs[2][1])
    assert states == ["running", "running"] and third[0] == "queued", third
    assert ex.node_gpus()[0]["gpus_used"] == 2
    for _, handle, _ in jobs:
        assert _wait(ex, handle, TERMINAL_STATES, 60)[:2] == ("finished", 0)
    seen = []
    for _, _, spool in jobs:
        lines = _output(spool).split()
        seen.append((lines[1], float(lines[2]), float(lines[lines.index("END") + 1])))
    assert {seen[0][0], seen[1][0]} == {"0", "1"} and seen[2][0] in {"0", "1"}
    assert seen[2][1] >= min(seen[0][2], seen[1][2]) - 0.5  # the third started after one ended


@pytest.mark.system
def test_cancel_leaves_no_process(temp_home: Path, slurm_env: Path) -> None:
    ex = _executor(temp_home)
    pids = temp_home / "pids"
    code = (
        "import os, signal, subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import signal, time;"
        " signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)'])\n"
        f"open({str(pids)!r}, 'w').write(f'{{os.getpid()}} {{child.pid}}')\n"
        "time.sleep(600)\n"
    )
    spec = RunSpec(command=[PY, "-c", code], python=PY, gpus=1, cancel_grace_s=1.0)
    _, handle, _ = _submit(ex, spec)
    _wait(ex, handle, {"running"}, 30)
    deadline = time.monotonic() + 30
    while not (pids.exists() and len(pids.read_text().split()) == 2):
        assert time.monotonic() < deadline, "the command never wrote its pids"
        time.sleep(0.1)
    procs = [int(p) for p in pids.read_text().split()]
    started = time.monotonic()
    ex.cancel(handle, grace_s=1.0)
    assert time.monotonic() - started < 15
    assert ex.poll(handle)[0] == "cancelled"
    deadline = time.monotonic() + 10
    while any(_alive(p) for p in procs):
        assert time.monotonic() < deadline, f"processes survived the cancel: {procs}"
        time.sleep(0.1)


@pytest.mark.system
def test_cancel_a_pending_job(temp_home: Path, slurm_env: Path) -> None:
    ex = _executor(temp_home)
    blockers = [
        _submit(ex, RunSpec(command=[PY, "-c", "import time; time.sleep(60)"], python=PY, gpus=1))
        for _ in range(2)
    ]
    _, handle, _ = _submit(ex, RunSpec(command=["true"], python=PY, gpus=1))
    assert _wait(ex, handle, {"queued"})[0] == "queued"
    for _, h, _ in [*blockers, (None, handle, None)]:
        ex.cancel(h, grace_s=1.0)
        assert ex.poll(h)[0] == "cancelled"


@pytest.mark.system
def test_injection_strings_arrive_literally(temp_home: Path, slurm_env: Path) -> None:
    ex = _executor(temp_home)
    evil = ["a; touch PWNED", "$(touch PWNED2)", "`touch PWNED3`", "'\"", "new\nline", "*"]
    code = "import json, os, sys; print(json.dumps([sys.argv[1:], os.environ['EVIL']]))"
    spec = RunSpec(
        command=[PY, "-c", code, *evil],
        python=PY,
        name="x; touch PWNED4 $(id) `id`",
        env={"EVIL": "$(touch PWNED5); `id` 'q\""},
        workdir=str(temp_home),
    )
    _, handle, spool = _submit(ex, spec)
    assert _wait(ex, handle, TERMINAL_STATES)[:2] == ("finished", 0), _output(spool)
    line = next(x for x in _output(spool).splitlines() if x.startswith("[["))
    assert json.loads(line) == [evil, spec.env["EVIL"]]
    assert not list(temp_home.glob("PWNED*")) and not list(Path(handle["run_dir"]).glob("PWNED*"))


@pytest.mark.system
def test_a_script_logs_into_the_launched_run(temp_home: Path, slurm_env: Path) -> None:
    ex = _executor(temp_home)
    script = temp_home / "train.py"
    script.write_text(
        "import mlops_desktop\n"
        "run = mlops_desktop.start_run(experiment='slurm-exp', capture_env=False)\n"
        "for step in range(5):\n"
        "    run.log_metric('loss', 1.0 / (step + 1), step=step)\n"
        "run.end()\n"
    )
    run_id, handle, spool = _submit(
        ex, RunSpec(command=[PY, str(script)], python=PY, experiment="slurm-exp")
    )
    assert _wait(ex, handle, TERMINAL_STATES)[:2] == ("finished", 0), _output(spool)
    read = read_spool(spool / "events.jsonl")
    assert not read.problems and read.torn_bytes == 0
    assert {e.get("run_id", run_id) for e in read.events} == {run_id}
    types = [e["type"] for e in read.events]
    assert types[0] == "start" and types[-1] == "end"
    losses = [v for e in read.events if e["type"] == "metrics" for v in e["cols"]["loss"][2]]
    assert losses == [1.0 / (step + 1) for step in range(5)]


@pytest.mark.system
def test_cluster_info_shows_partitions_and_gpus(slurm_env: Path, tmp_path: Path) -> None:
    info = _executor(tmp_path).cluster_info()
    assert info["nodes"] == 1 and info["gpus"] == 2
    (part,) = info["partitions"]
    assert part["name"] == "debug" and part["default"] and part["gpus"] == 2
    (node,) = _executor(tmp_path).node_gpus()
    assert node["gpus"] == 2 and node["partitions"] == ["debug"]
