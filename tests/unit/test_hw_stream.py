"""AgentStream with local stand-in commands: parsing, gaps, exits, backoff and stop."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import pytest
from hw_stream_helpers import Recorder

from mlops_desktop.core.errors import HostError
from mlops_desktop.core.hardware import HostUpdate
from mlops_desktop.monitoring import remote
from mlops_desktop.monitoring.remote import AgentStream, Backoff, exit_problem

FAST = Backoff((0.05, 0.1))
DOC = json.dumps({"time": 1.0, "cpu_percent": 12.5, "memory": {"used": 1, "total": 2}})


def py(code: str) -> list[str]:
    return [sys.executable, "-u", "-c", code]


def printer(lines: list[str], then: str = "time.sleep(30)") -> list[str]:
    body = "".join(f"print({line!r}, flush=True)\n" for line in lines)
    return py(f"import sys, time\n{body}{then}\n")


def test_lines_become_samples_and_malformed_lines_are_skipped() -> None:
    rec = Recorder()
    cmd = printer([DOC, "not json", "[1, 2]", '{"no": "time"}', DOC])
    stream = AgentStream("h1", lambda: cmd, 1.0, rec, backoff=FAST)
    stream.start()
    rec.wait_for(lambda u: sum(x.sample is not None for x in u) >= 2)
    stream.stop()
    samples = rec.samples()
    assert samples[0].sample is not None and samples[0].sample.host == "h1"
    assert samples[0].sample.cpu_percent == 12.5 and samples[0].state == "live"
    assert stream.malformed == 3
    assert rec.updates[0].state == "connecting"
    assert rec.updates[-1].state == "stopped"


def test_silence_gives_a_gap_while_the_process_lives() -> None:
    rec = Recorder()
    stream = AgentStream("h1", lambda: printer([DOC]), 0.1, rec, backoff=FAST)
    stream.start()
    rec.wait_for(lambda u: any(x.sample is None and x.state == "live" for x in u))
    stream.stop()
    gap = next(x for x in rec.updates if x.sample is None and x.state == "live")
    assert gap.problem == "h1: no answer for 0.2 s"
    assert rec.samples(), "the line before the silence arrived"


def test_an_ssh_failure_says_sshs_line_and_reconnects() -> None:
    rec = Recorder()
    calls: list[float] = []
    err = "ssh: connect to host 10.0.0.9 port 22: Connection refused"

    def start() -> list[str]:
        calls.append(time.monotonic())
        return printer([DOC], then=f"sys.stderr.write({err!r}); sys.exit(255)")

    stream = AgentStream("gpu1", start, 1.0, rec, backoff=FAST)
    stream.start()
    rec.wait_for(lambda u: len(calls) >= 3 and sum(x.state == "unreachable" for x in u) >= 2)
    stream.stop()
    down = next(x for x in rec.updates if x.state == "unreachable")
    assert down.problem == f"gpu1: {err}"
    assert down.sample is None
    assert len(rec.samples()) >= 2, "samples again after each reconnect"


def test_a_failing_start_command_is_the_problem_and_is_retried() -> None:
    rec = Recorder()
    calls = []

    def start() -> list[str]:
        calls.append(1)
        raise HostError("gpu2: Could not resolve hostname gpu2")

    stream = AgentStream("gpu2", start, 1.0, rec, backoff=FAST)
    stream.start()
    rec.wait_for(lambda u: len(calls) >= 3)
    stream.stop()
    assert {x.problem for x in rec.updates if x.state == "unreachable"} == {
        "gpu2: Could not resolve hostname gpu2"
    }


def test_agent_exit_without_ssh_says_its_last_line() -> None:
    assert exit_problem("h", 1, "Traceback\nModuleNotFoundError: x\n") == (
        "h: the hardware agent stopped: ModuleNotFoundError: x"
    )
    assert exit_problem("h", 0, "") == "h: the hardware agent stopped (exit code 0)"
    assert exit_problem("h", 255, "") == "h: the SSH connection was closed"
    assert exit_problem("h", 255, "Warning: x\nssh: Permission denied (publickey).") == (
        "h: ssh: Permission denied (publickey)."
    )


def test_backoff_steps_and_reset() -> None:
    b = Backoff()
    assert [b.next_delay() for _ in range(8)] == [1, 2, 4, 8, 15, 30, 30, 30]
    b.reset()
    assert b.next_delay() == 1


def test_a_good_minute_resets_the_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(remote, "GOOD_RUN_S", 0.3)
    rec = Recorder()
    backoff = Backoff((0.05, 5.0))
    backoff.failures = 1  # failed before: without a reset the next wait would be 5 s
    delays: list[float] = []
    next_delay = backoff.next_delay

    def recorded() -> float:
        delays.append(next_delay())
        return delays[-1]

    monkeypatch.setattr(backoff, "next_delay", recorded)
    runs = []

    def start() -> list[str]:
        runs.append(1)  # the first run is good for > GOOD_RUN_S, later ones die at once
        if len(runs) == 1:
            return printer([DOC], then="time.sleep(0.5)")
        return printer([DOC], then="sys.exit(3)")

    stream = AgentStream("h", start, 1.0, rec, backoff=backoff)
    stream.start()
    rec.wait_for(lambda u: len(runs) >= 2)
    stream.stop()
    assert delays[0] == 0.05  # reset after the good run: the short step again


def test_stop_ends_the_process_group_and_stopped_comes_last(tmp_path: Path) -> None:
    rec = Recorder()
    pids = tmp_path / "pids"
    code = (
        "import os, subprocess, sys, time\n"
        "c = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        f"open({str(pids)!r}, 'w').write(f'{{os.getpid()}} {{c.pid}}')\n"
        f"while True:\n    print({DOC!r}, flush=True); time.sleep(0.05)\n"
    )
    stream = AgentStream("h", lambda: py(code), 0.05, rec, backoff=FAST)
    stream.start()
    rec.wait_for(lambda u: len([x for x in u if x.sample]) >= 3 and pids.exists())
    began = time.monotonic()
    stream.stop()
    assert time.monotonic() - began < 5
    assert not stream.running
    count = len(rec.updates)
    assert rec.updates[-1].state == "stopped"
    for pid in map(int, pids.read_text().split()):
        deadline = time.monotonic() + 3  # SIGKILL is sent; the kernel may take a moment
        while Path(f"/proc/{pid}").exists() and not _zombie(pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not Path(f"/proc/{pid}").exists() or _zombie(pid), pid
    time.sleep(0.2)  # nothing may arrive after "stopped"
    assert len(rec.updates) == count


def test_a_missing_program_is_a_problem_not_a_crash() -> None:
    rec = Recorder()
    stream = AgentStream("h", lambda: ["/nonexistent/agent"], 1.0, rec, backoff=FAST)
    stream.start()
    rec.wait_for(lambda u: any(x.state == "unreachable" for x in u))
    stream.stop()
    assert "could not run /nonexistent/agent" in (rec.updates[1].problem or "")


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def test_handler_errors_do_not_end_the_stream() -> None:
    got = []

    def handler(update: HostUpdate) -> None:
        got.append(update)
        raise RuntimeError("consumer bug")

    stream = AgentStream("h", lambda: printer([DOC, DOC, DOC]), 1.0, handler, backoff=FAST)
    stream.start()
    deadline = time.monotonic() + 10
    while sum(u.sample is not None for u in got) < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    stream.stop()
    assert sum(u.sample is not None for u in got) == 3
    assert os.getpid()  # still here
