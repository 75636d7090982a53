"""Streaming the hardware agent from a real sshd on loopback (the "remote" is this machine, so
its processes are visible in /proc here)."""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mlops_desktop.compute.ssh import SshClient
from mlops_desktop.core.compute import HostInfo
from mlops_desktop.monitoring.agent_ship import MARKER, agent_digest, ensure_agent
from mlops_desktop.monitoring.remote import AgentStream, Backoff, SshAgentSource
from tests.hw_stream_helpers import Recorder, agent_pids, samples, wait_gone

pytestmark = pytest.mark.system
FAKE = {"MLOPS_DESKTOP_FAKE_GPUS": "2"}


@pytest.fixture
def stream_of(ssh_host: HostInfo, temp_home: Path) -> Iterator[Callable[..., AgentStream]]:
    made: list[AgentStream] = []

    def make(rec: Recorder, interval: float = 0.3, **kw: object) -> AgentStream:
        source = SshAgentSource(ssh_host, temp_home, interval, env=FAKE)
        stream = AgentStream(ssh_host.name, source, interval, rec, **kw)  # type: ignore[arg-type]
        made.append(stream)
        stream.start()
        return stream

    yield make
    for s in made:
        s.stop()


def test_samples_come_from_the_host_with_fake_gpus(
    stream_of: Callable[..., AgentStream], ssh_host: HostInfo, tmp_path: Path
) -> None:
    rec = Recorder()
    stream_of(rec)
    rec.wait_for(lambda u: samples(u) >= 3)
    sample = next(u.sample for u in rec.updates if u.sample is not None)
    assert sample.host == "alpha"
    assert sample.hostname == socket.gethostname()
    assert sample.memory_total and sample.memory_total > 0
    assert [g.index for g in sample.gpus] == [0, 1]
    assert (tmp_path / "agent" / agent_digest() / MARKER).exists()


def test_the_agent_is_shipped_once(ssh_host: HostInfo, temp_home: Path, tmp_path: Path) -> None:
    client = SshClient(ssh_host, temp_home)
    lib = ensure_agent(client)
    assert lib == str((tmp_path / "agent" / agent_digest()).resolve())
    assert (Path(lib) / "mlops_desktop" / "tracking" / "hw_agent.py").exists()
    marker = Path(lib) / MARKER
    before = marker.stat().st_mtime_ns
    assert ensure_agent(client) == lib
    assert marker.stat().st_mtime_ns == before
    assert [p.name for p in (tmp_path / "agent").iterdir()] == [agent_digest()]  # no temp left


def test_a_killed_master_gives_unreachable_then_samples_again(
    stream_of: Callable[..., AgentStream], ssh_host: HostInfo, temp_home: Path, tmp_path: Path
) -> None:
    rec = Recorder()
    stream = stream_of(rec, backoff=Backoff((0.2, 0.5)))
    rec.wait_for(lambda u: samples(u) >= 2)
    first_agents = agent_pids(str(tmp_path / "agent"))
    assert len(first_agents) == 1
    pid = SshClient(ssh_host, temp_home).master_pid()
    assert pid is not None
    os.kill(pid, signal.SIGTERM)
    rec.wait_for(lambda u: any(x.state == "unreachable" for x in u))
    down = next(i for i, x in enumerate(rec.updates) if x.state == "unreachable")
    problem = rec.updates[down].problem or ""
    assert problem.startswith("alpha: ") and len(problem) > len("alpha: "), problem
    rec.wait_for(lambda u: samples(u[down:]) >= 2)
    assert stream.connects >= 2
    assert not set(first_agents) & set(wait_gone_except(str(tmp_path / "agent"), first_agents))


def wait_gone_except(marker: str, old: list[int], timeout: float = 10.0) -> list[int]:
    """The agents still running once the ``old`` ones have exited (or the timeout passed)."""
    deadline = time.monotonic() + timeout
    while set(old) & set(now := agent_pids(marker)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return now


def test_stop_leaves_no_agent_behind(stream_of: Callable[..., AgentStream], tmp_path: Path) -> None:
    rec = Recorder()
    stream = stream_of(rec)
    rec.wait_for(lambda u: samples(u) >= 2)
    assert agent_pids(str(tmp_path / "agent"))
    began = time.monotonic()
    stream.stop()
    assert time.monotonic() - began < 5
    assert rec.updates[-1].state == "stopped"
    assert wait_gone(str(tmp_path / "agent")) == []


def test_an_unreachable_host_says_why_and_keeps_trying(temp_home: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once the block ends: nothing listens there
    host = HostInfo(name="gpu1", kind="ssh", address=f"nobody@127.0.0.1:{port}")
    calls = []
    source = SshAgentSource(host, temp_home, 1.0)

    def start() -> list[str]:
        calls.append(1)
        return source()

    rec = Recorder()
    stream = AgentStream("gpu1", start, 1.0, rec, backoff=Backoff((0.1, 0.2)))
    stream.start()
    try:
        rec.wait_for(lambda u: len(calls) >= 3 and sum(x.state == "unreachable" for x in u) >= 2)
    finally:
        stream.stop()
    problems = {u.problem for u in rec.updates if u.state == "unreachable"}
    assert problems == {f"gpu1: ssh: connect to host 127.0.0.1 port {port}: Connection refused"}


def test_two_apps_shipping_at_once_leave_one_whole_copy(
    ssh_host: HostInfo, temp_home: Path, tmp_path: Path
) -> None:
    client = SshClient(ssh_host, temp_home)
    client.check_connection()
    results: list[str] = []
    threads = [
        threading.Thread(target=lambda: results.append(ensure_agent(client))) for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    folder = tmp_path / "agent" / agent_digest()
    assert results == [str(folder.resolve())] * 4
    assert [p.name for p in (tmp_path / "agent").iterdir()] == [agent_digest()]
    assert (folder / MARKER).exists()
    assert (folder / "mlops_desktop" / "tracking" / "hw_agent.py").exists()
