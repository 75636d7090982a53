"""The stdlib launcher: job.json, exit.json, spool start/end, GPU leases, literal arguments."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlops_desktop.tracking import gpu_leases
from mlops_desktop.tracking.spool import read_spool

LAUNCHER = [sys.executable, "-m", "mlops_desktop.tracking.launcher"]


@pytest.fixture
def launched() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Launchers started by a test; every one still running is killed with its group."""
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, 9)
            except ProcessLookupError:
                pass
            proc.wait(10)


def launch(
    started: list[subprocess.Popen[bytes]], run_dir: Path, cmd: list[str], *opts: str, **env: str
) -> subprocess.Popen[bytes]:
    argv = [*LAUNCHER, "--run-id", run_dir.name, "--run-dir", str(run_dir), *opts, "--", *cmd]
    proc = subprocess.Popen(argv, start_new_session=True, env={**os.environ, **env})
    started.append(proc)
    return proc


def events(run_dir: Path, name: str = "events.jsonl") -> list[dict]:
    return read_spool(run_dir / "spool" / name).events


@pytest.mark.parametrize(
    ("code", "status", "error"),
    [("0", "finished", None), ("3", "failed", "exit code 3"), ("kill", "killed", "signal 9")],
)
def test_exit_codes_become_statuses(tmp_path, launched, code, status, error):
    body = "import os; os.kill(os.getpid(), 9)" if code == "kill" else f"raise SystemExit({code})"
    run = tmp_path / "run1"
    proc = launch(launched, run, [sys.executable, "-c", body], "--experiment", "e1")
    rc = proc.wait(30)
    exit_rec = json.loads((run / "exit.json").read_text())
    job = json.loads((run / "job.json").read_text())
    evs = events(run)
    assert [e["type"] for e in evs] == ["start", "end"]
    assert evs[0]["experiment"] == "e1" and evs[0]["pid"] == proc.pid
    assert evs[1]["status"] == status and evs[1]["seq"] == 1
    if code == "kill":
        assert rc == 128 + 9 and exit_rec["signal"] == 9 and exit_rec["exit_code"] is None
        assert error in evs[1]["error"]
    else:
        assert rc == int(code) and exit_rec["exit_code"] == int(code)
        assert evs[1]["error"] == error
    assert job["pid"] == job["pgid"] == proc.pid and job["start_ticks"] > 0
    assert job["state"] == ("finished" if code == "0" else "failed")


def test_arguments_and_env_arrive_literally(tmp_path, launched):
    nasty = ["a; rm -rf /", "$(touch pwned)", "`id`", 'it\'s "quoted"', "line\nbreak", "*"]
    env_file = tmp_path / "env.json"
    env_file.write_text(json.dumps({"NASTY": "$(touch pwned2); echo 'x'\n"}))
    run = tmp_path / "run2"
    script = (
        "import json, os, sys; print(json.dumps([sys.argv[1:], os.environ['NASTY'], "
        "os.environ['MLOPS_DESKTOP_RUN_ID'], os.environ['MLOPS_DESKTOP_SPOOL'], os.getcwd()]))"
    )
    cmd = [sys.executable, "-c", script, *nasty]
    opts = ("--env-file", str(env_file), "--cwd", str(tmp_path))
    assert launch(launched, run, cmd, *opts).wait(30) == 0
    argv, value, run_id, spool, cwd = json.loads((run / "spool" / "output.log").read_text())
    assert argv == nasty and value == "$(touch pwned2); echo 'x'\n"
    assert run_id == "run2" and spool == str(run / "spool") and cwd == str(tmp_path)
    assert not list(tmp_path.glob("pwned*")) and not list(Path.cwd().glob("pwned*"))


def test_run_tags_of_the_env_file_are_recorded_not_passed(tmp_path, launched):
    env_file = tmp_path / "env.json"
    tags = {"monitor": "m1", "alert": "7"}
    env_file.write_text(json.dumps({"MLOPS_DESKTOP_RUN_TAGS": json.dumps(tags)}))
    run = tmp_path / "run-tags"
    script = "import os; print(os.environ.get('MLOPS_DESKTOP_RUN_TAGS', 'absent'))"
    cmd = [sys.executable, "-c", script]
    assert launch(launched, run, cmd, "--env-file", str(env_file)).wait(30) == 0
    kinds = [e["type"] for e in events(run)]
    assert kinds.index("tags") == kinds.index("start") + 1
    assert next(e for e in events(run) if e["type"] == "tags")["tags"] == tags
    assert (run / "spool" / "output.log").read_text().strip() == "absent"


def test_sampler_writes_system_spool(tmp_path, launched):
    run = tmp_path / "run3"
    cmd = [sys.executable, "-c", "import time; time.sleep(1.5)"]
    launch(launched, run, cmd, "--sample-interval", "0.3").wait(30)
    samples = events(run, "system.jsonl")
    assert samples and all(e["type"] == "metrics" for e in samples)
    assert {"sys/cpu_percent", "sys/rss_mb"} <= set(samples[0]["cols"])
    seqs = [e["seq"] for e in samples]
    assert seqs == sorted(seqs) and seqs[0] == 0


def test_sampler_records_power_temperature_and_energy_of_leased_gpus(tmp_path, launched):
    """Fake GPUs with a power draw: energy is integrated from the run's start, per GPU and
    in total, and the run is tagged with where its energy figures come from."""
    fake = json.dumps([{"power": 50}, {"power": 200, "temperature": 61, "utilization": 40}])
    run = tmp_path / "run-energy"
    cmd = [sys.executable, "-c", "import time; time.sleep(1.6)"]
    opts = ("--gpu-indices", "1", "--gpu-lock-dir", str(tmp_path / "locks"))
    launch(launched, run, cmd, *opts, "--sample-interval", "0.3", MLOPS_DESKTOP_FAKE_GPUS=fake)
    assert launched[-1].wait(30) == 0
    evs = events(run, "system.jsonl")
    tags = [e["tags"] for e in evs if e["type"] == "tags"]
    assert tags == [{"sys.energy_source": "integrated"}]
    samples = [e["cols"] for e in evs if e["type"] == "metrics"]
    assert len(samples) >= 3
    last = {k: v[2][0] for k, v in samples[-1].items()}
    assert last["sys/gpu1_power_w"] == 200.0 and last["sys/gpu1_temp_c"] == 61.0
    assert last["sys/gpu1_util"] == 40.0 and last["sys/gpu1_mem_mb"] == 0.0
    assert not any(k.startswith("sys/gpu0") for k in last)  # not leased
    energy = [c["sys/gpu1_energy_j"][2][0] for c in samples]
    assert energy == sorted(energy) and energy[0] >= 0
    # 200 W from the sampler's start to the last sample (at least 3 x 0.3 s)
    assert last["sys/gpu1_energy_j"] > 200 * 0.3 * 2.5
    assert last["sys/energy_j"] == last["sys/gpu1_energy_j"]
    seqs = [(e["seq"], e["n"]) for e in evs]
    assert all(a + n == b for (a, n), (b, _) in itertools.pairwise(seqs))


def test_fake_gpus_and_free_memory_threshold(tmp_path, monkeypatch):
    fake = json.dumps([{"memory_total": 16000, "memory_used": 15000}, {"memory_total": 16000}])
    monkeypatch.setenv(gpu_leases.FAKE_GPUS_ENV, fake)
    locks = tmp_path / "locks"
    lease, why = gpu_leases.try_lease("r1", count=1, min_free_mb=4000, lock_dir=locks)
    assert lease is not None and lease.indices == [1]
    assert gpu_leases.read_leases(locks) == {1: "r1"}
    second, why = gpu_leases.try_lease("r2", count=1, min_free_mb=4000, lock_dir=locks)
    assert second is None and "under 4000 MiB free" in why
    lease.release()
    assert gpu_leases.read_leases(locks) == {}
    assert oct(locks.stat().st_mode & 0o7777) == oct(0o1777)
    with pytest.raises(ValueError):
        gpu_leases.try_lease("r3", count=3, lock_dir=locks)


def test_fake_gpu_spec_forms():
    assert [g.memory_total for g in gpu_leases.fake_gpus("2")] == [16000, 16000]
    assert [g.memory_free for g in gpu_leases.fake_gpus("1:8000")] == [8000]


def test_only_gpu_queues_second_run(tmp_path, launched):
    locks = str(tmp_path / "locks")
    gpu_env = {gpu_leases.FAKE_GPUS_ENV: "1"}
    script = (
        "import os, sys, time; "
        "open(sys.argv[1], 'w').write(os.environ['CUDA_VISIBLE_DEVICES']); "
        "time.sleep(float(sys.argv[2]))"
    )
    opts = ("--gpus", "1", "--gpu-lock-dir", locks)
    first, second = tmp_path / "first", tmp_path / "second"
    p1 = launch(launched, first, [sys.executable, "-c", script, str(tmp_path / "a"), "1.5"], *opts,
                **gpu_env)  # fmt: skip
    deadline = time.monotonic() + 20
    while not (tmp_path / "a").exists():
        assert time.monotonic() < deadline
        time.sleep(0.02)
    p2 = launch(launched, second, [sys.executable, "-c", script, str(tmp_path / "b"), "0"], *opts,
                **gpu_env)  # fmt: skip
    while True:
        job = (
            json.loads((second / "job.json").read_text()) if (second / "job.json").exists() else {}
        )
        if job.get("state") == "queued":
            break
        assert time.monotonic() < deadline and p2.poll() is None
        time.sleep(0.02)
    assert "1 GPU" in job["detail"] and not (tmp_path / "b").exists()
    assert gpu_leases.read_leases(locks) == {0: "first"}
    assert p1.wait(30) == 0 and p2.wait(30) == 0
    assert (tmp_path / "a").read_text() == "0" and (tmp_path / "b").read_text() == "0"
    ended_first = json.loads((first / "exit.json").read_text())["ended_at"]
    started_second = json.loads((second / "job.json").read_text())["started_at"]
    assert started_second >= ended_first
    assert gpu_leases.read_leases(locks) == {}


def test_cancel_while_queued(tmp_path, launched, monkeypatch):
    locks = str(tmp_path / "locks")
    env = {gpu_leases.FAKE_GPUS_ENV: "1"}
    monkeypatch.setenv(gpu_leases.FAKE_GPUS_ENV, "1")
    run = tmp_path / "waiter"
    lease, _ = gpu_leases.try_lease("holder", count=1, lock_dir=locks)
    assert lease is not None
    try:
        proc = launch(launched, run, ["true"], "--gpus", "1", "--gpu-lock-dir", locks, **env)
        deadline = time.monotonic() + 20
        while '"queued"' not in (
            (run / "job.json").read_text() if (run / "job.json").exists() else ""
        ):
            assert time.monotonic() < deadline
            time.sleep(0.02)
        proc.terminate()
        assert proc.wait(10) == 128 + 15
    finally:
        lease.release()
    assert json.loads((run / "job.json").read_text())["state"] == "cancelled"
    assert [e["type"] for e in events(run)] == ["start", "end"]


def test_a_script_that_starts_a_run_joins_the_launch(tmp_path, launched):
    """start_run() with no arguments takes the launch's experiment and name, and its printed
    lines reach the log once (the launcher already captures stdout and stderr)."""
    body = (
        "import mlops_desktop as mlops\n"
        "with mlops.start_run() as run:\n"
        "    print('hello from the script', flush=True)\n"
        "    run.log_metric('loss', 0.5)\n"
    )
    run = tmp_path / "run-join"
    proc = launch(
        launched, run, [sys.executable, "-c", body], "--experiment", "sweep", "--name", "trial-7"
    )
    assert proc.wait(60) == 0
    starts = [e for e in events(run) if e["type"] == "start"]
    assert {(e["experiment"], e["name"]) for e in starts} == {("sweep", "trial-7")}
    log = (run / "spool" / "output.log").read_text()
    assert log.count("hello from the script") == 1


def test_a_launched_run_is_sampled_by_its_launcher_only(tmp_path, launched):
    """The script's start_run() attaches to the launch and starts no sampler of its own."""
    body = (
        "import threading, time, mlops_desktop as mlops\n"
        "with mlops.start_run() as run:\n"
        "    time.sleep(1.0)\n"
        "    names = [t.name for t in threading.enumerate()]\n"
        "    print('samplers:', names.count('mlops-sampler'), flush=True)\n"
    )
    run = tmp_path / "run-once"
    launch(launched, run, [sys.executable, "-c", body], "--sample-interval", "0.2")
    assert launched[-1].wait(60) == 0
    assert "samplers: 0" in (run / "spool" / "output.log").read_text()
    samples = events(run, "system.jsonl")
    steps = [e["cols"]["sys/cpu_percent"][0][0] for e in samples]
    assert steps == list(range(len(steps))) and len(steps) >= 3
