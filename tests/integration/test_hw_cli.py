"""The ``hw`` command on this machine: one sample, a watch, processes mapped to runs, bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlops_desktop.cli import main

HOLD = "import time\nprint('ready', flush=True)\ntime.sleep(60)\n"
BY_HAND = (
    "import time, mlops_desktop as m\n"
    "r = m.start_run('hw', name='by-hand', system_metrics=False)\n"
    "r.log_metric('x', 1.0)\n"
    "r.flush()\n"
    "print('ready', flush=True)\n"
    "time.sleep(60)\n"
)


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def child(request: pytest.FixtureRequest, temp_home: Path) -> Iterator[subprocess.Popen[str]]:
    env = dict(os.environ, **getattr(request, "param", {}).get("env", {}))
    script = getattr(request, "param", {}).get("script", HOLD)
    proc = subprocess.Popen(
        [sys.executable, "-c", script], env=env, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    yield proc
    proc.kill()
    proc.wait()


def test_hw_json_has_the_documented_keys(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "hw", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert {"host", "cpu_percent", "memory", "gpus", "processes"} <= set(doc)
    assert doc["host"] == "local"
    assert 0 <= doc["cpu_percent"] <= 100
    assert 0 < doc["memory"]["used"] < doc["memory"]["total"]
    for proc in doc["processes"]:
        assert {"pid", "user", "command", "cpu_percent", "rss", "gpu_memory", "run"} <= set(proc)


def test_hw_shows_fake_gpus_and_text(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "MLOPS_DESKTOP_FAKE_GPUS",
        '[{"name": "Fake A100", "memory_total": 40000, "memory_used": 1000, "utilization": 42}]',
    )
    code, out, _ = _run(capsys, "hw", "--json")
    gpus = json.loads(out)["gpus"]
    assert code == 0
    assert [(g["index"], g["name"], g["util"]) for g in gpus] == [(0, "Fake A100", 42.0)]
    assert gpus[0]["memory_total"] == 40000 * (1 << 20)
    code, out, _ = _run(capsys, "hw")
    assert code == 0 and "GPU 0" in out and "Fake A100" in out and "util 42 %" in out


@pytest.mark.parametrize(
    "child", [{"env": {"MLOPS_DESKTOP_RUN_ID": "0123456789abcdef"}}], indirect=True
)
def test_a_process_of_a_launched_run_maps_to_its_run(
    capsys: pytest.CaptureFixture[str], child: subprocess.Popen[str]
) -> None:
    code, out, err = _run(capsys, "hw", "--json")
    assert code == 0, err
    procs = {p["pid"]: p for p in json.loads(out)["processes"]}
    assert procs[child.pid]["run"] == "0123456789abcdef"


@pytest.mark.parametrize("child", [{"script": BY_HAND}], indirect=True)
def test_a_run_started_by_hand_maps_by_its_pid(
    capsys: pytest.CaptureFixture[str], child: subprocess.Popen[str]
) -> None:
    code, out, err = _run(capsys, "hw", "--json")
    assert code == 0, err
    procs = {p["pid"]: p for p in json.loads(out)["processes"]}
    assert procs[child.pid]["run"] is not None
    assert procs[child.pid]["run_name"] == "by-hand"


def test_hw_watch_prints_one_document_per_line(capsys: pytest.CaptureFixture[str]) -> None:
    started = time.monotonic()
    code, out, err = _run(capsys, "hw", "--watch", "--json", "--interval", "0.2", "--count", "3")
    assert code == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    assert len(lines) == 3 and all(doc["host"] == "local" for doc in lines)
    times = [doc["time"] for doc in lines]
    assert times == sorted(times) and times[-1] - times[0] >= 0.3
    assert time.monotonic() - started < 20


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["hw", "--host", "nosuch"], "No machine named 'nosuch'"),
        (["hw", "--watch", "--interval", "0"], "--interval 0"),
        (["hw", "--watch", "--count", "0"], "--count 0"),
    ],
)
def test_bad_input_is_one_sentence_and_exit_2(
    capsys: pytest.CaptureFixture[str], args: list[str], says: str
) -> None:
    code, out, err = _run(capsys, *args)
    assert code == 2
    assert says in err and "Traceback" not in err and out == ""
