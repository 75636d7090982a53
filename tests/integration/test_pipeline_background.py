"""Runs that triggers start go on in the background: ``start`` returns once the run exists, a
schedule fires once per slot of an injected clock, a second run of a pipeline is refused while
one goes (unless its process died), ``pipelines watch --once`` runs what the triggers start,
and closing the services leaves no thread behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from triggered_project import add_wine_version, write_counted, write_held

from mlops_desktop.cli import main
from mlops_desktop.core.errors import PipelineError
from mlops_desktop.services.bundle import Services
from mlops_desktop.tracking.who import host_name, os_user

RUN_TIMEOUT_S = 60.0


@pytest.fixture
def services(temp_home: Path, tmp_path: Path) -> Iterator[Services]:
    with Services.open(temp_home, gpu_lock_dir=tmp_path / "gpu-locks") as opened:
        yield opened
        opened.pipelines.cancel()
        opened.pipelines.close()
        for job in opened.jobs.jobs(active_only=True):  # never leave a process behind
            opened.jobs.cancel(job.run_id, grace_s=0)


def _pipeline_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("pipeline-")]


def test_a_schedule_starts_one_background_run_per_slot_of_the_clock(
    services: Services, tmp_path: Path
) -> None:
    add_wine_version(services, tmp_path / "wine", 3)
    root = write_counted(tmp_path / "counted", schedule="1h")
    info = services.pipelines.add(root)
    slot = (int(info.added_at // 3600) + 1) * 3600.0  # the next hour, by the injected clock

    assert services.triggers.due(now=slot - 1) == []  # the slot it was added in
    (event,) = services.triggers.due(now=slot + 5)
    assert (event.kind, event.detail, event.outcome) == ("schedule", "every 1 h", "started")
    assert event.pipeline_run_id is not None
    run = services.pipelines.wait(event.pipeline_run_id, RUN_TIMEOUT_S)
    assert (run.state, run.trigger, run.trigger_detail) == ("done", "schedule", "every 1 h")
    assert (root / "count.txt").read_text() == "3\n"
    assert services.triggers.due(now=slot + 1800) == []  # the same slot: once
    (later,) = services.triggers.due(now=slot + 3600)  # the next slot: all cached
    assert later.pipeline_run_id is not None
    again = services.pipelines.wait(later.pipeline_run_id, RUN_TIMEOUT_S)
    assert again.state == "done" and [s.state for s in again.stages] == ["cached"]
    assert services.pipelines.going() == {} and _pipeline_threads() == []


def test_a_second_run_is_refused_while_one_goes(
    services: Services, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    release = tmp_path / "release"
    root = write_held(tmp_path / "held", release)
    started = services.pipelines.start(root, "manual", "")
    assert started.state == "running" and services.pipelines.going() == {started.run_id: "held"}

    sentence = (
        f"held is running already (run {started.run_id[:8]}, started by {os_user()} on "
        f"{host_name()} just now); wait for it or cancel it."
    )
    with pytest.raises(PipelineError) as refused:
        services.pipelines.run(root)
    assert str(refused.value) == sentence
    assert main(["pipelines", "run", str(root)]) == 2  # another process, the same catalog
    assert capsys.readouterr().err.strip().endswith(sentence)
    assert [r.run_id for r in services.pipelines.runs("held")] == [started.run_id]

    release.touch()
    ended = services.pipelines.wait(started.run_id, RUN_TIMEOUT_S)
    assert ended.state == "done" and (root / "held.txt").read_text() == "released\n"
    assert services.pipelines.run(root).state == "done"  # none goes: runs (all cached)


def test_a_run_whose_process_died_does_not_refuse_the_next(
    services: Services, temp_home: Path, tmp_path: Path
) -> None:
    release = tmp_path / "release"
    root = write_held(tmp_path / "held", release)
    services.pipelines.add(root)
    walker = subprocess.Popen(
        [sys.executable, "-m", "mlops_desktop", "pipelines", "run", str(root)],
        env={**os.environ, "MLOPS_DESKTOP_HOME": str(temp_home)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + RUN_TIMEOUT_S
        while not _stage_running(services):
            assert time.monotonic() < deadline, "the walking process never started its stage"
            time.sleep(0.1)
    finally:
        walker.send_signal(signal.SIGKILL)
        walker.wait()
    second = services.pipelines.start(root, "manual", "")  # not refused: its walker is dead
    release.touch()
    assert services.pipelines.wait(second.run_id, RUN_TIMEOUT_S).state == "done"
    (_, dead) = services.pipelines.runs("held")
    assert dead.state == "failed" and dead.stages[0].state == "cancelled"


def _stage_running(services: Services) -> bool:
    return any(s.state == "running" for r in services.pipelines.runs("held") for s in r.stages)


def test_closing_waits_for_the_background_runs_or_cancels_them(
    temp_home: Path, tmp_path: Path
) -> None:
    services = Services.open(temp_home)
    release = tmp_path / "release"
    run = services.pipelines.start(write_held(tmp_path / "held", release), "manual", "")
    assert _pipeline_threads() == ["pipeline-held"]
    assert services.pipelines.cancel() == [run.run_id]
    services.close()  # waits for the cancelled run to end
    assert _pipeline_threads() == []
    with Services.open(temp_home) as reopened:
        ended = reopened.pipelines.show(run.run_id)
        assert ended.state == "cancelled" and ended.stages[0].state == "cancelled"
        second = reopened.pipelines.start(tmp_path / "held", "manual", "")
        release.touch()
    # closing without cancelling waited for the run to end by itself
    with Services.open(temp_home) as reopened:
        assert reopened.pipelines.show(second.run_id).state == "done"
    assert _pipeline_threads() == []


def test_watch_once_runs_what_the_triggers_start(
    services: Services, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    add_wine_version(services, tmp_path / "wine", 3)
    root = write_counted(tmp_path / "counted")
    services.pipelines.add(root)
    assert main(["pipelines", "watch", "--once"]) == 0
    out = capsys.readouterr().out
    assert "checking the triggers of counted once" in out
    assert "started run" not in out  # v1 is older than the pipeline

    number = add_wine_version(services, tmp_path / "wine", 5)
    assert main(["pipelines", "watch", "--once", "--interval", "5m"]) == 0
    out = capsys.readouterr().out
    (event,) = services.pipelines.triggers("counted")
    assert event.pipeline_run_id is not None
    short = event.pipeline_run_id[:8]
    assert f"counted  dataset wine v{number}: started run {short}" in out
    assert "count: running" in out
    assert f"counted  run {short} done (count: done)" in out
    assert (root / "count.txt").read_text() == "5\n"

    assert main(["pipelines", "watch", "--interval", "10"]) == 2
    assert "shorter than a minute" in capsys.readouterr().err


def test_ctrl_c_ends_watch_cleanly_cancelling_the_run_it_started(
    services: Services, temp_home: Path, tmp_path: Path
) -> None:
    add_wine_version(services, tmp_path / "wine", 3)
    services.pipelines.add(write_counted(tmp_path / "counted", hold=tmp_path / "never"))
    add_wine_version(services, tmp_path / "wine", 4)
    watcher = subprocess.Popen(
        [sys.executable, "-m", "mlops_desktop", "pipelines", "watch"],
        env={**os.environ, "MLOPS_DESKTOP_HOME": str(temp_home)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert watcher.stdout is not None
        lines: list[str] = []
        while not any("count: running" in line for line in lines):
            line = watcher.stdout.readline()
            assert line, f"watch ended early: {lines}"
            lines.append(line)
        assert any("counted  dataset wine v2: started run" in line for line in lines)
        watcher.send_signal(signal.SIGINT)
        rest, _ = watcher.communicate(timeout=RUN_TIMEOUT_S)
    finally:
        if watcher.poll() is None:
            watcher.kill()
            watcher.wait()
    assert watcher.returncode == 130, rest
    assert "cancelling 1 pipeline run(s)" in rest and "counted  run " in rest
    (run,) = services.pipelines.runs("counted")
    assert (run.state, run.trigger, run.stages[0].state) == ("cancelled", "dataset", "cancelled")
