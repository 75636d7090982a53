"""The tracking API: what a script logs ends up in its spool, checked at the call site."""

from __future__ import annotations

import math
from collections.abc import Iterator
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

import mlops_desktop as mlops
from mlops_desktop.tracking import lifecycle
from mlops_desktop.tracking.home import run_spool_dir
from mlops_desktop.tracking.spool import read_spool
from mlops_desktop.tracking.writer import MAX_POINTS_PER_LINE


@pytest.fixture(autouse=True)
def _end_leftover_runs() -> Iterator[None]:
    yield
    for run in lifecycle.active_runs():
        run.end()


def start(**kwargs: Any) -> mlops.Run:
    kwargs.setdefault("capture_env", False)
    return mlops.start_run(**kwargs)


def events(run: mlops.Run) -> list[dict[str, Any]]:
    read = read_spool(run.events_path)
    assert read.problems == []
    assert read.torn_bytes == 0
    return read.events


def of_type(run: mlops.Run, kind: str) -> list[dict[str, Any]]:
    return [e for e in events(run) if e["type"] == kind]


def points(run: mlops.Run, key: str) -> list[tuple[int, float, float]]:
    """(step, timestamp, value) of one metric, in logging order, from every metrics line."""
    out: list[tuple[int, float, float]] = []
    for e in of_type(run, "metrics"):
        if key in e["cols"]:
            steps, times, values = e["cols"][key]
            out.extend(zip(steps, times, values))
    return out


def test_public_api_and_version() -> None:
    assert mlops.__version__ == "0.1.0"
    assert callable(mlops.start_run) and callable(mlops.active_run)
    assert set(mlops.__all__) >= {"start_run", "Run", "active_run", "__version__"}


def test_a_run_records_start_params_tags_metrics_and_end(temp_home: Path) -> None:
    with start(experiment="digits", params={"lr": 0.01}, tags={"team": "vision"}) as run:
        assert len(run.id) == 32 and int(run.id, 16) >= 0
        assert mlops.active_run() is run
        run.log_param("depth", 3)
        run.log_params({"opt": "adam", "wd": None, "nesterov": True})
        run.set_tag("seed", 7)
        run.log_metric("loss", 0.5, step=1)
        run.log_metrics({"acc": 0.9, "f1": 0.8}, step=1)
        run.use_dataset("digits", version="v2")
    assert mlops.active_run() is None
    assert run.spool_dir == run_spool_dir(temp_home, run.id)
    evs = events(run)
    assert [e["type"] for e in evs][:3] == ["start", "params", "tags"]
    start_event = evs[0]
    assert start_event["experiment"] == "digits"
    assert start_event["target"] == "local"
    assert start_event["name"].count("-") == 2
    for field in ("started_at", "command", "cwd", "pid", "host"):
        assert start_event[field]
    params: dict[str, Any] = {}
    for e in of_type(run, "params"):
        params.update(e["params"])
    assert params == {"lr": 0.01, "depth": 3, "opt": "adam", "wd": None, "nesterov": True}
    tags: dict[str, Any] = {}
    for e in of_type(run, "tags"):
        tags.update(e["tags"])
    assert tags == {"team": "vision", "seed": "7"}
    assert [p[0::2] for p in points(run, "loss")] == [(1, 0.5)]
    assert [p[0::2] for p in points(run, "f1")] == [(1, 0.8)]
    assert of_type(run, "dataset") == [
        {**of_type(run, "dataset")[0], "name": "digits", "version": "v2", "path": None}
    ]
    end = evs[-1]
    assert end["type"] == "end" and end["status"] == "finished" and end["error"] is None
    assert run.status == "finished"


def test_default_steps_count_per_key_and_follow_explicit_steps() -> None:
    with start() as run:
        for v in (1.0, 2.0, 3.0):
            run.log_metric("a", v)
        run.log_metric("b", 1.0)
        run.log_metric("a", 9.0, step=10)
        run.log_metric("a", 10.0)
        run.log_metrics({"a": 0.0, "b": 0.0})
        run.log_metric("t", 1.0, timestamp=123.5)
    assert [p[0] for p in points(run, "a")] == [0, 1, 2, 10, 11, 12]
    assert [p[0] for p in points(run, "b")] == [0, 1]
    assert points(run, "t")[0][1] == 123.5


def test_nan_and_infinities_round_trip_through_the_spool() -> None:
    with start() as run:
        run.log_metric("x", float("nan"))
        run.log_metric("x", float("inf"))
        run.log_metric("x", float("-inf"))
        run.log_metric("x", -0.0)
    values = [p[2] for p in points(run, "x")]
    assert math.isnan(values[0])
    assert values[1:3] == [math.inf, -math.inf]
    assert values[3] == 0.0 and math.copysign(1, values[3]) == -1


class NumpyLikeScalar:
    def __init__(self, value: float) -> None:
        self.value = value

    def __float__(self) -> float:
        return self.value


def test_numbers_that_are_not_floats_are_converted() -> None:
    with start() as run:
        run.log_metric("v", 3)
        run.log_metric("v", Fraction(1, 4))
        run.log_metric("v", Decimal("2.5"))
        run.log_metric("v", NumpyLikeScalar(7.25))
        run.log_metrics({"v": 1})
    assert [p[2] for p in points(run, "v")] == [3.0, 0.25, 2.5, 7.25, 1.0]


@pytest.mark.parametrize(
    ("key", "value", "error", "words"),
    [
        ("loss", "0.5", TypeError, ["'loss'", "'0.5'", "real number"]),
        ("loss", True, TypeError, ["'loss'", "True", "bool"]),
        ("loss", None, TypeError, ["'loss'", "None"]),
        ("loss", [1.0], TypeError, ["'loss'", "[1.0]"]),
        ("loss", 1j, TypeError, ["'loss'", "1j"]),
        ("loss", 10**400, ValueError, ["'loss'", "too large"]),
        (3, 1.0, TypeError, ["metric name", "3", "int"]),
        (("a",), 1.0, TypeError, ["metric name", "('a',)"]),
        (["a"], 1.0, TypeError, ["metric name", "['a']"]),
        ("", 1.0, ValueError, ["empty"]),
        ("a\nb", 1.0, ValueError, ["line breaks"]),
    ],
)
def test_bad_metrics_raise_at_the_call_site(
    key: Any, value: Any, error: type[Exception], words: list[str]
) -> None:
    with start() as run:
        with pytest.raises(error) as info:
            run.log_metric(key, value)
        for word in words:
            assert word in str(info.value)
        with pytest.raises(error):
            run.log_metric(key, value, step=3)
        with pytest.raises(error):
            run.log_metrics({key: value})
    assert of_type(run, "metrics") == []


@pytest.mark.parametrize(
    ("kwargs", "error", "word"),
    [
        ({"step": 1.5}, TypeError, "step must be an integer"),
        ({"step": "3"}, TypeError, "step must be an integer"),
        ({"step": True}, TypeError, "step must be an integer"),
        ({"step": 2**63}, ValueError, "int64"),
        ({"timestamp": "now"}, TypeError, "timestamp"),
        ({"timestamp": float("nan")}, ValueError, "finite"),
    ],
)
def test_bad_steps_and_timestamps(
    kwargs: dict[str, Any], error: type[Exception], word: str
) -> None:
    with start() as run:
        with pytest.raises(error, match=word):
            run.log_metric("loss", 1.0, **kwargs)
        with pytest.raises(error, match=word):
            run.log_metrics({"loss": 1.0}, **kwargs)


def test_log_metrics_records_nothing_when_one_value_is_bad() -> None:
    with start() as run:
        with pytest.raises(TypeError, match="'b'"):
            run.log_metrics({"a": 1.0, "b": "x", "c": 2.0})
        run.log_metric("a", 5.0)
        with pytest.raises(TypeError, match="dict"):
            run.log_metrics([("a", 1.0)])  # type: ignore[arg-type]
    assert [p[0::2] for p in points(run, "a")] == [(0, 5.0)]


def test_bad_params_tags_and_names() -> None:
    with start() as run:
        with pytest.raises(TypeError, match="param name"):
            run.log_param(1, 2)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="tag name"):
            run.set_tag(None, "x")  # type: ignore[arg-type]
        run.log_param("layers", [64, 32])
    assert of_type(run, "params") == [
        {**of_type(run, "params")[0], "params": {"layers": "[64, 32]"}}
    ]
    with pytest.raises(ValueError, match="experiment name"):
        mlops.start_run(experiment="")
    with pytest.raises(ValueError, match="status"):
        run.end("weird")


def test_logging_to_an_ended_run_says_so() -> None:
    run = start()
    run.end()
    run.end()  # twice is fine
    message = f"run {run.id} has ended"
    with pytest.raises(RuntimeError, match=message):
        run.log_metric("loss", 1.0)
    with pytest.raises(RuntimeError, match=message):
        run.log_metrics({"loss": 1.0})
    with pytest.raises(RuntimeError, match=message):
        run.log_param("a", 1)
    with pytest.raises(RuntimeError, match=message):
        run.log_artifact(__file__)
    run.flush()  # nothing left to do
    assert [e["type"] for e in events(run)] == ["start", "end"]


def test_sequence_numbers_increase_strictly_without_gaps() -> None:
    with start(params={"a": 1}) as run:
        for i in range(MAX_POINTS_PER_LINE * 2 + 123):
            run.log_metric("loss", float(i))
            if i % 5000 == 0:
                run.log_param(f"p{i}", i)
                run.log_metrics({"x": 1.0, "y": 2.0})
                run.flush()
        run.log_metric("loss", -1.0)
    evs = events(run)
    expected = 0
    for e in evs:
        assert e["seq"] == expected
        expected += e["n"]
    assert max(e["n"] for e in evs) <= MAX_POINTS_PER_LINE
    loss = points(run, "loss")
    assert [p[2] for p in loss] == [float(i) for i in range(MAX_POINTS_PER_LINE * 2 + 123)] + [-1]
    assert [p[0] for p in loss] == list(range(len(loss)))


def test_flush_writes_everything_logged_before_it() -> None:
    with start() as run:
        for i in range(1000):
            run.log_metric("loss", float(i))
        run.flush()
        # read while the run is still going: all 1000 points are on disk already
        assert len(points(run, "loss")) == 1000
        run.log_metric("loss", 1.0)
        run.flush(timeout=30)
        assert len(points(run, "loss")) == 1001


def test_failed_run_records_traceback_in_end_event_and_log() -> None:
    with pytest.raises(ZeroDivisionError), start() as run:
        print("before the crash")
        1 / 0  # noqa: B018
    end = events(run)[-1]
    assert end["status"] == "failed"
    assert "ZeroDivisionError" in end["error"] and "Traceback" in end["error"]
    log = run.log_path.read_text()
    assert "before the crash" in log
    assert "ZeroDivisionError" in log


def test_keyboard_interrupt_and_sys_exit_statuses() -> None:
    with pytest.raises(KeyboardInterrupt), start() as killed:
        raise KeyboardInterrupt
    assert events(killed)[-1]["status"] == "killed"
    with pytest.raises(SystemExit), start() as finished:
        raise SystemExit(0)
    assert events(finished)[-1]["status"] == "finished"
    with pytest.raises(SystemExit), start() as failed:
        raise SystemExit(2)
    assert events(failed)[-1]["status"] == "failed"


def test_output_is_copied_to_the_log_and_streams_restored(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import sys

    before = sys.stdout, sys.stderr
    with start() as run:
        print("to stdout")
        print("to stderr", file=sys.stderr)
        assert sys.stdout is not before[0]
        assert sys.stdout.encoding == before[0].encoding
    assert (sys.stdout, sys.stderr) == before
    print("after the run")
    log = run.log_path.read_text()
    assert "to stdout\n" in log and "to stderr\n" in log
    assert "after the run" not in log
    out, err = capsys.readouterr()
    assert "to stdout" in out and "to stderr" in err


def test_attach_to_a_run_prepared_by_a_launcher(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mlops_desktop.tracking import start as run_module

    monkeypatch.setattr(run_module, "_attached", False)
    spool = tmp_path / "remote-spool" / "abc123"
    spool.mkdir(parents=True)
    # a previous attempt left events and a torn line: numbering goes on after them
    (spool / "events.jsonl").write_bytes(
        b'{"v":1,"type":"tags","run":"abc123","seq":0,"n":1,"tags":{"a":"b"}}\n{"v":1,"ty'
    )
    monkeypatch.setenv("MLOPS_DESKTOP_RUN_ID", "abc123")
    monkeypatch.setenv("MLOPS_DESKTOP_SPOOL", str(spool))
    monkeypatch.setenv("MLOPS_DESKTOP_TARGET", "ssh:gpu1")
    with start(experiment="remote") as run:
        run.log_metric("loss", 1.0)
    assert run.id == "abc123" and run.spool_dir == spool
    read = read_spool(spool / "events.jsonl")
    assert len(read.problems) == 1  # the repaired torn fragment
    assert [e["seq"] for e in read.events] == [0, 1, 2, 3]
    assert read.events[1]["type"] == "start" and read.events[1]["target"] == "ssh:gpu1"
    with start() as second:  # only the first run of the process attaches
        pass
    assert second.id != "abc123"


def test_attach_without_spool_variable_uses_the_home(
    temp_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mlops_desktop.tracking import start as run_module

    monkeypatch.setattr(run_module, "_attached", False)
    monkeypatch.setenv("MLOPS_DESKTOP_RUN_ID", "f" * 32)
    with start() as run:
        pass
    assert run.spool_dir == run_spool_dir(temp_home, "f" * 32)
    monkeypatch.setattr(run_module, "_attached", False)
    monkeypatch.setenv("MLOPS_DESKTOP_RUN_ID", "../escape")
    with pytest.raises(ValueError, match="not a valid run id"):
        start()


def test_datasets_by_path(tmp_path: Path) -> None:
    data = tmp_path / "data" / "train.csv"
    data.parent.mkdir()
    data.write_text("a\n1\n")
    with start() as run:
        run.use_dataset(str(data))
        run.use_dataset(data.parent, version="3")
    got = [(e["name"], e["version"], e["path"]) for e in of_type(run, "dataset")]
    assert got == [("train.csv", None, str(data)), ("data", "3", str(data.parent))]


def test_run_without_with_is_ended_explicitly_and_two_runs_coexist() -> None:
    first = start(name="first")
    second = start(name="second")
    assert mlops.active_run() is second
    first.log_metric("a", 1.0)
    second.log_metric("a", 2.0)
    second.end("killed")
    assert mlops.active_run() is first
    first.end()
    assert events(first)[-1]["status"] == "finished"
    assert events(second)[-1]["status"] == "killed"
    assert [p[2] for p in points(second, "a")] == [2.0]


def test_the_tracking_client_imports_only_the_standard_library(tmp_path: Path) -> None:
    import subprocess
    import sys

    code = """
import sys
before = set(sys.modules)
import mlops_desktop as mlops
with mlops.start_run() as run:
    run.log_metric("a", 1.0)
extra = sorted(
    m for m in set(sys.modules) - before
    if m.split(".")[0] not in sys.stdlib_module_names and m.split(".")[0] != "mlops_desktop"
)
print(extra)
"""
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, check=True
    )
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_default_steps_never_run_past_int64() -> None:
    last = 2**63 - 2  # the largest explicit step: its default successor still fits
    with start() as run:
        run.log_metric("a", 1.0, step=last)
        run.log_metric("a", 2.0)  # step 2**63 - 1
        with pytest.raises(ValueError, match="int64"):
            run.log_metric("a", 3.0)
        with pytest.raises(ValueError, match="int64"):
            run.log_metrics({"a": 3.0, "b": 1.0})
        with pytest.raises(TypeError, match="step must be an integer"):
            run.log_metric("b", 1.0, step=float("nan"))  # type: ignore[arg-type]
        run.log_metric("b", 1.0)
    assert [p[0] for p in points(run, "a")] == [last, last + 1]
    assert [p[0] for p in points(run, "b")] == [0]
    assert read_spool(run.events_path).problems == []
