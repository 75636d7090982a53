"""Launch, follow, cut and cancel runs on a real sshd on loopback (the remote is this machine,
so the remote files can be compared byte for byte with the local mirror)."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from mlops_desktop.compute.ssh import SshClient
from mlops_desktop.compute.ssh_executor import SPOOL_FILES, SshExecutor
from mlops_desktop.core.compute import TERMINAL_STATES, HostInfo, RunSpec

pytestmark = pytest.mark.system

INJECT = ["; touch /tmp/pwned-{t}", "$(id)", "`id`", 'it\'s "q"', "a\nb", "$HOME", "*", "-x"]
ECHO = "import json, sys; open(sys.argv[1], 'w').write(json.dumps(sys.argv[2:]))"
TRAIN = """
import sys, time
import mlops_desktop as mlops
n, delay = int(sys.argv[1]), float(sys.argv[2])
with mlops.start_run() as run:
    for i in range(n):
        print(f"line {i} " + "x" * 50, flush=True)
        run.log_metric("loss", 1.0 / (i + 1), step=i)
        time.sleep(delay)
"""
PLAIN = """
import sys, time
for i in range(int(sys.argv[1])):
    print(f"line {i} " + "x" * 50, flush=True)
    time.sleep(float(sys.argv[2]))
"""


def _losses(spool: Path) -> list[int]:
    """Steps of the "loss" metric in the mirrored events (each must appear once)."""
    steps: list[int] = []
    for line in (spool / "events.jsonl").read_text().splitlines():
        event = json.loads(line)
        if event.get("type") == "metrics" and "loss" in event.get("cols", {}):
            steps += event["cols"]["loss"][0]
    return steps


def _follow(ex: SshExecutor, handle: dict[str, Any], spool: Path, timeout: float = 60) -> tuple:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = ex.poll(handle)
        ex.sync(handle, spool)
        if state[0] in TERMINAL_STATES:
            ex.sync(handle, spool)
            return state
        time.sleep(0.2)
    raise AssertionError("the run did not end")


def _assert_mirrored(handle: dict[str, Any], spool: Path) -> None:
    for name in SPOOL_FILES:
        remote = Path(handle["run_dir"]) / "spool" / name
        if remote.exists():
            local = (spool / name).read_bytes() if (spool / name).exists() else b""
            assert local == remote.read_bytes(), name


def _code(tmp_path: Path) -> Path:
    code = tmp_path / "code"
    code.mkdir()
    (code / "train.py").write_text(TRAIN)
    (code / "echo.py").write_text(ECHO)
    (code / "plain.py").write_text(PLAIN)
    return code


def test_injection_strings_arrive_literally(ssh_host: HostInfo, temp_home: Path, tmp_path):
    inject = [s.format(t=os.getpid()) for s in INJECT]
    out = tmp_path / "argv.json"
    SshClient(ssh_host, temp_home).run(["python3", "-c", ECHO, str(out), *inject])
    assert json.loads(out.read_text()) == inject
    # through the executor: the command, the env, the run name
    ex = SshExecutor(ssh_host, temp_home)
    out2 = tmp_path / "argv2.json"
    env = {"WEIRD": inject[0] + inject[1] + inject[4]}
    cmd = ["python3", "echo.py", str(out2), *inject]
    spec = RunSpec(command=cmd, target="ssh:alpha", env=env, name=inject[2], experiment=inject[3])
    handle = ex.start("inj1", spec, _code(tmp_path), tmp_path / "spool")
    assert _follow(ex, handle, tmp_path / "spool")[0] == "finished"
    assert json.loads(out2.read_text()) == inject
    env_spec = RunSpec(command=["sh", "-c", 'printf %s "$WEIRD" > "$0"', str(tmp_path / "env")])
    env_spec = RunSpec(command=env_spec.command, env=env)
    handle = ex.start("inj2", env_spec, None, tmp_path / "spool2")
    assert _follow(ex, handle, tmp_path / "spool2")[0] == "finished"
    assert (tmp_path / "env").read_text() == env["WEIRD"]
    assert not Path(f"/tmp/pwned-{os.getpid()}").exists()


def test_launch_and_follow_to_completion(ssh_host: HostInfo, temp_home: Path, tmp_path: Path):
    ex = SshExecutor(ssh_host, temp_home)
    spool = tmp_path / "spool"
    spec = RunSpec(command=["python3", "plain.py", "20", "0.02"], code="folder", name="r")
    handle = ex.start("run1", spec, _code(tmp_path), spool)
    assert handle["run_dir"].startswith(str(tmp_path / "remote-alpha"))
    state, code, _ = _follow(ex, handle, spool)
    assert (state, code) == ("finished", 0)
    _assert_mirrored(handle, spool)
    log = (spool / "output.log").read_text()
    assert log == "".join(f"line {i} " + "x" * 50 + "\n" for i in range(20))
    job = json.loads((Path(handle["run_dir"]) / "job.json").read_text())
    assert job["pid"] == handle["pid"] and job["start_ticks"] == handle["start_ticks"]
    assert ex.sync(handle, spool) == 0  # nothing new, nothing twice
    start = json.loads((spool / "events.jsonl").read_text().splitlines()[0])
    login = ssh_host.address.split("@", 1)[0]  # the remote user the run ran as
    assert (start["type"], start["user"]) == ("start", login)


def test_killed_master_loses_nothing(ssh_host: HostInfo, temp_home: Path, tmp_path: Path):
    ex = SshExecutor(ssh_host, temp_home)
    spool = tmp_path / "spool"
    spec = RunSpec(command=["python3", "train.py", "60", "0.05"])
    handle = ex.start("cut1", spec, _code(tmp_path), spool)
    kills = 0
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        state = ex.poll(handle)
        ex.sync(handle, spool)
        if state[0] in TERMINAL_STATES:
            break
        if kills < 3 and (spool / "output.log").exists():
            pid = ex.client.master_pid()
            if pid:
                os.kill(pid, signal.SIGKILL)  # the connection drops mid-run
                kills += 1
        time.sleep(0.3)
    ex.sync(handle, spool)
    assert kills >= 1
    assert ex.poll(handle)[:2] == ("finished", 0)
    _assert_mirrored(handle, spool)
    lines = (spool / "output.log").read_text().splitlines()
    assert sorted(set(lines)) == sorted(f"line {i} " + "x" * 50 for i in range(60))
    assert _losses(spool) == list(range(60))


def test_cancel_leaves_no_remote_process(ssh_host: HostInfo, temp_home: Path, tmp_path: Path):
    ex = SshExecutor(ssh_host, temp_home)
    up = tmp_path / "up"
    stubborn = 'trap "" TERM; sleep 300 & echo up > "$0"; while true; do sleep 1; done'
    spec = RunSpec(command=["sh", "-c", stubborn, str(up)])
    handle = ex.start("cancel1", spec, None, tmp_path / "spool")
    deadline = time.monotonic() + 20
    while not up.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert ex.poll(handle)[0] == "running"
    t0 = time.monotonic()
    ex.cancel(handle, grace_s=1.0)
    assert time.monotonic() - t0 < 15
    pgid = handle["pid"]
    left = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            raw = stat.read_text()
        except OSError:
            continue
        if int(raw[raw.rfind(")") + 2 :].split()[2]) == pgid:
            left.append(stat.parent.name)
    assert left == []
    assert ex.poll(handle)[0] == "cancelled"
    ex.cancel(handle, grace_s=1.0)  # idempotent


def test_lost_launcher_is_reported(ssh_host: HostInfo, temp_home: Path, tmp_path: Path):
    ex = SshExecutor(ssh_host, temp_home)
    handle = ex.start("lost1", RunSpec(command=["sleep", "300"]), None, tmp_path / "spool")
    time.sleep(0.5)
    os.killpg(handle["pid"], signal.SIGKILL)
    deadline = time.monotonic() + 10
    while ex.poll(handle)[0] != "lost" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert ex.poll(handle)[0] == "lost"
    reused = dict(handle, start_ticks=1)  # a reused pid is not the launcher
    assert ex.poll(reused)[0] == "lost"
