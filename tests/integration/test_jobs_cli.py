"""The ``launch``, ``jobs`` and ``hosts`` commands on the local target."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mlops_desktop.cli import main

PY = sys.executable


def _json(capsys: pytest.CaptureFixture[str], *args: str, catalog: str | None = None) -> object:
    pre = ["--catalog", catalog] if catalog else []
    code = main([*pre, *args, "--json"] if "--" not in args else [*pre, *args])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


def _wait_ended(capsys: pytest.CaptureFixture[str], run: str, catalog: str | None) -> dict:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        jobs = _json(capsys, "jobs", "list", "--all", catalog=catalog)
        job = next(j for j in jobs if j["run"] == run)  # type: ignore[union-attr]
        if job["state"] in ("finished", "failed", "cancelled", "lost"):
            return job  # type: ignore[no-any-return]
        time.sleep(0.1)
    raise AssertionError(f"{run} did not end")


def test_launch_list_logs_and_runs(
    temp_home: Path, tmp_path: Path, catalog_url: str | None, capsys: pytest.CaptureFixture[str]
) -> None:
    train = tmp_path / "train.py"
    train.write_text(
        "import mlops_desktop as m\n"
        "with m.start_run() as r:\n"
        "    r.log_metric('acc', 0.9, step=1)\n"
        "print('epoch 1 done')\n"
    )
    pre = ["--catalog", catalog_url] if catalog_url else []
    code = main([*pre, "launch", "--json", "--experiment", "cli-jobs", "--", PY, str(train)])
    out, err = capsys.readouterr()
    assert code == 0, err
    doc = json.loads(out)
    assert set(doc) == {"run", "target", "state"} and doc["target"] == "local"
    job = _wait_ended(capsys, doc["run"], catalog_url)
    assert {"run", "target", "state", "gpus", "command", "exit_code", "started_at"} <= set(job)
    assert job["state"] == "finished" and job["exit_code"] == 0
    assert job["command"] == [PY, str(train)]
    assert main([*pre, "jobs", "logs", doc["run"][:8]]) == 0
    assert "epoch 1 done" in capsys.readouterr().out
    runs = _json(capsys, "runs", "list", catalog=catalog_url)
    script_metrics = [  # the launcher's sys/* samples come too when the job runs long enough
        (r["id"], {k: v for k, v in r["metrics"].items() if not k.startswith("sys/")})  # type: ignore[index, union-attr]
        for r in runs
    ]
    assert script_metrics == [(doc["run"], {"acc": 0.9})]

    assert main([*pre, "launch", "--", PY, "-c", "print(1)"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("Launched run ") and " on local (" in text
    assert main([*pre, "jobs", "list"]) == 0
    assert doc["run"][:12] in capsys.readouterr().out


def test_user_errors_are_one_sentence(temp_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cases = [
        ["launch", "--"],
        ["launch", "--target", "ssh:ghost", "--", "true"],
        ["launch", "--target", "moon", "--", "true"],
        ["launch", "--env", "NOEQUALS", "--", "true"],
        ["launch", "--gpu-indices", "a,b", "--", "true"],
        ["jobs", "cancel", "deadbeef"],
        ["jobs", "logs", "deadbeef"],
        ["hosts", "check", "ghost"],
    ]
    for args in cases:
        assert main(args) == 2, args
        _out, err = capsys.readouterr()
        assert err.startswith("mlops-desktop: ") and "Traceback" not in err, (args, err)


def test_hosts_add_unreachable_and_list(
    temp_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    assert main(["hosts", "add", "box", "--ssh", f"me@127.0.0.1:{port}"]) == 2
    assert "mlops-desktop: " in capsys.readouterr().err
    hosts = _json(capsys, "hosts", "list")
    assert all(h["name"] != "box" for h in hosts)  # type: ignore[union-attr, index]


def test_cancel_from_the_cli(temp_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = _json(capsys, "launch", "--json", "--", PY, "-c", "import time; time.sleep(600)")
    run = doc["run"]  # type: ignore[index]
    assert main(["jobs", "cancel", run, "--grace", "1", "--json"]) == 0
    job = json.loads(capsys.readouterr().out)
    assert job["state"] == "cancelled"


def test_follow_stops_on_ctrl_c_but_the_job_runs_on(temp_home: Path, tmp_path: Path) -> None:
    env = dict(os.environ, MLOPS_DESKTOP_HOME=str(temp_home))
    flag = tmp_path / "go"
    code = (
        "import pathlib, time\nprint('tick', flush=True)\n"
        f"while not pathlib.Path({str(flag)!r}).exists(): time.sleep(0.05)\nprint('bye')"
    )
    cli = [PY, "-m", "mlops_desktop"]
    out = subprocess.run(
        [*cli, "launch", "--json", "--", PY, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    run = json.loads(out.stdout)["run"]
    follower = subprocess.Popen(
        [*cli, "jobs", "logs", run, "--follow"], env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert follower.stdout is not None
        assert "tick" in follower.stdout.readline()
        follower.send_signal(signal.SIGINT)
        assert follower.wait(timeout=20) == 130
    finally:
        if follower.poll() is None:
            follower.kill()
            follower.wait()
    listed = subprocess.run(
        [*cli, "jobs", "list", "--json"], env=env, capture_output=True, text=True, timeout=60
    )
    assert next(j for j in json.loads(listed.stdout) if j["run"] == run)["state"] == "running"
    flag.write_text("")
    follow = subprocess.run(
        [*cli, "jobs", "logs", run, "--follow"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert follow.returncode == 0 and "bye" in follow.stdout
