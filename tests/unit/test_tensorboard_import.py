"""``mlops-desktop import tensorboard DIR``: event files read by hand, CRCs checked, idempotent."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest
from tensorboard_files import (
    event,
    file_version,
    hparams_value,
    record,
    simple_value,
    tensor_value,
    write_scalars,
)

from mlops_desktop.cli.main import main
from mlops_desktop.services.tensorboard_import import tensorboard_run_id
from mlops_desktop.services.tensorboard_records import crc32c

F32 = [0.1, 0.25, 1e-7, 3.3333333]


def f32(value: float) -> float:
    return float(struct.unpack("<f", struct.pack("<f", value))[0])


def cli_json(capsys: pytest.CaptureFixture[str], *args: str) -> object:
    capsys.readouterr()
    assert main(list(args)) == 0
    return json.loads(capsys.readouterr().out)


def metric_points(capsys: pytest.CaptureFixture[str], folder: Path, tag: str) -> list[list[float]]:
    doc = cli_json(capsys, "runs", "metric", tensorboard_run_id(folder), tag, "--json")
    assert isinstance(doc, dict)
    return [list(p) for p in doc["points"]]


def test_crc32c_matches_the_castagnoli_check_value() -> None:
    assert crc32c(b"123456789") == 0xE3069283


def test_simple_values_of_two_runs_land_exactly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    logs = tmp_path / "logs"
    write_scalars(logs / "a" / "events.out.tfevents.1.host", {"loss": F32, "acc": [0.5, 0.75]})
    write_scalars(logs / "b" / "events.out.tfevents.2.host", {"loss": [2.0, 1.0]})
    doc = cli_json(capsys, "import", "tensorboard", str(logs), "--json")
    assert doc == {"experiments": 1, "runs": 2, "metrics_points": 8, "models": 0, "versions": 0}
    runs = cli_json(capsys, "runs", "list", "--experiment", "logs", "--json")
    assert isinstance(runs, list)
    assert sorted(r["name"] for r in runs) == ["a", "b"]
    points = metric_points(capsys, logs / "a", "loss")
    assert [p[0] for p in points] == [0, 1, 2, 3]
    assert [p[2] for p in points] == [f32(v) for v in F32]
    assert [p[1] for p in points] == [1_700_000_000.0 + i for i in range(4)]
    assert [p[2] for p in metric_points(capsys, logs / "a", "acc")] == [0.5, 0.75]


def test_tf2_tensor_scalars_and_hparams(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    logs = tmp_path / "tf2"
    parts = [file_version(), record(event(0, 1.0, [hparams_value({"lr": 0.01, "opt": "adam"})]))]
    parts.append(record(event(1, 2.0, [tensor_value("f", 0.1)])))
    parts.append(record(event(1, 2.0, [tensor_value("d", 0.1, double=True)])))
    parts.append(record(event(2, 3.0, [tensor_value("d", 1 / 3, double=True, content=True)])))
    parts.append(record(event(2, 3.0, [tensor_value("f", 2.5, content=True)])))
    (logs / "run").mkdir(parents=True)
    (logs / "run" / "events.out.tfevents.3.host.v2").write_bytes(b"".join(parts))
    doc = cli_json(capsys, "import", "tensorboard", str(logs), "--experiment", "E", "--json")
    assert doc["runs"] == 1 and doc["metrics_points"] == 4
    assert [p[2] for p in metric_points(capsys, logs / "run", "f")] == [f32(0.1), 2.5]
    assert [p[2] for p in metric_points(capsys, logs / "run", "d")] == [0.1, 1 / 3]
    run = cli_json(capsys, "runs", "show", tensorboard_run_id(logs / "run"), "--json")
    assert isinstance(run, dict)
    assert run["params"] == {"lr": 0.01, "opt": "adam"}
    assert run["experiment"] == "E"


def test_a_damaged_record_is_reported_and_the_rest_imported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    logs = tmp_path / "logs"
    good = [record(event(i, float(i), [simple_value("x", float(i))])) for i in range(5)]
    damaged = bytearray(good[2])
    damaged[20] ^= 0xFF  # in the data: its checksum no longer matches
    data = file_version() + b"".join([good[0], good[1], bytes(damaged), good[3], good[4]])
    offset = len(file_version()) + len(good[0]) + len(good[1])
    (logs / "r").mkdir(parents=True)
    (logs / "r" / "events.out.tfevents.1.h").write_bytes(data)
    capsys.readouterr()
    assert main(["import", "tensorboard", str(logs)]) == 0
    captured = capsys.readouterr()
    assert "Imported 1 new run and 4 metric points." in captured.out
    assert (
        f"warning: {logs / 'r' / 'events.out.tfevents.1.h'}: the record at byte {offset} is"
        in captured.err
    )
    assert "Traceback" not in captured.err
    assert [p[2] for p in metric_points(capsys, logs / "r", "x")] == [0.0, 1.0, 3.0, 4.0]


def test_a_damaged_length_is_skipped_up_to_the_next_record(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    logs = tmp_path / "logs"
    good = [record(event(i, float(i), [simple_value("x", float(i))])) for i in range(4)]
    damaged = bytearray(good[1])
    damaged[0] ^= 0x01  # the length: the framing is lost until the next record
    data = file_version() + good[0] + bytes(damaged) + good[2] + good[3]
    (logs / "r").mkdir(parents=True)
    (logs / "r" / "events.out.tfevents.1.h").write_bytes(data)
    doc = cli_json(capsys, "import", "tensorboard", str(logs), "--json")
    assert doc["metrics_points"] == 3
    assert [p[2] for p in metric_points(capsys, logs / "r", "x")] == [0.0, 2.0, 3.0]


def test_torn_tail_then_appends_are_imported_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    logs = tmp_path / "logs"
    path = write_scalars(logs / "r" / "events.out.tfevents.1.h", {"x": [1.0, 2.0]})
    third = record(event(2, 3.0, [simple_value("x", 3.0)]))
    with open(path, "ab") as fh:
        fh.write(third[:10])  # the writer is in the middle of a record
    doc = cli_json(capsys, "import", "tensorboard", str(logs), "--json")
    assert doc["metrics_points"] == 2
    assert capsys.readouterr().err == ""
    with open(path, "ab") as fh:
        fh.write(third[10:])
    doc = cli_json(capsys, "import", "tensorboard", str(logs), "--json")
    assert doc == {"experiments": 0, "runs": 0, "metrics_points": 1, "models": 0, "versions": 0}
    doc = cli_json(capsys, "import", "tensorboard", str(logs), "--json")
    assert doc == {"experiments": 0, "runs": 0, "metrics_points": 0, "models": 0, "versions": 0}
    assert [p[2] for p in metric_points(capsys, logs / "r", "x")] == [1.0, 2.0, 3.0]
    runs = cli_json(capsys, "runs", "list", "--json")
    assert isinstance(runs, list) and len(runs) == 1


def test_a_folder_without_event_files_is_one_sentence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "empty").mkdir()
    assert main(["import", "tensorboard", str(tmp_path / "empty")]) == 2
    err = capsys.readouterr().err
    assert "No TensorBoard event files" in err and "Traceback" not in err
    assert main(["import", "tensorboard", str(tmp_path / "missing")]) == 2
    assert "is not a folder" in capsys.readouterr().err


def test_pytorch_summary_writer_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tensorboard = pytest.importorskip("torch.utils.tensorboard")
    logs = tmp_path / "torch"
    writer = tensorboard.SummaryWriter(str(logs / "run"))
    for step in range(3):
        writer.add_scalar("loss", 1.0 / (step + 1), step)
    writer.close()
    doc = cli_json(capsys, "import", "tensorboard", str(logs), "--json")
    assert doc["metrics_points"] == 3
    points = metric_points(capsys, logs / "run", "loss")
    assert [p[2] for p in points] == [f32(1.0), f32(0.5), f32(1 / 3)]
