"""Exit statuses: a bug is one sentence and a logged traceback, a mistake is one sentence."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import mlops_desktop as mlops
from mlops_desktop.cli import main
from mlops_desktop.services.experiments import ExperimentService
from mlops_desktop.settings import Settings


def _one_run() -> str:
    with mlops.start_run("bugs", name="r") as run:
        run.log_metric("acc", 0.5)
        return run.id


def _list_runs_that_breaks(*_args: object, **_kwargs: object) -> None:
    raise RuntimeError("the catalog answered nonsense")


@pytest.mark.parametrize("json_flag", [[], ["--json"]])
def test_a_bug_is_one_sentence_naming_the_log_that_holds_its_traceback(
    temp_home: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    json_flag: list[str],
) -> None:
    _one_run()
    monkeypatch.setattr(ExperimentService, "list_runs", _list_runs_that_breaks)
    assert main(["runs", "list", *json_flag]) == 1
    out, err = capsys.readouterr()
    log = temp_home / "logs" / "app.log"
    assert out == "", "nothing half-written on stdout"
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("mlops-desktop: Internal error while running the `runs list` command")
    assert "RuntimeError: the catalog answered nonsense" in err and str(log) in err
    logged = log.read_text(encoding="utf-8")
    assert " ERROR " in logged and "Traceback (most recent call last)" in logged
    assert "_list_runs_that_breaks" in logged, "the log names the function that raised"


def test_a_mistake_is_status_2_and_logs_no_error(
    temp_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _one_run()
    assert main(["runs", "show", "ffffffffffff"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("mlops-desktop: ") and err.count("\n") == 1
    assert "Traceback" not in err and "Internal error" not in err
    log = temp_home / "logs" / "app.log"
    assert not log.exists() or " ERROR " not in log.read_text(encoding="utf-8")


@pytest.mark.parametrize(("raised", "status"), [(KeyboardInterrupt, 130), (BrokenPipeError, 0)])
def test_ctrl_c_and_a_closed_pipe_keep_their_statuses(
    temp_home: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    raised: type[BaseException],
    status: int,
) -> None:
    def stops(*_args: object, **_kwargs: object) -> None:
        raise raised

    monkeypatch.setattr(ExperimentService, "list_experiments", stops)
    assert main(["experiments"]) == status
    assert capsys.readouterr().err == ""
    log = temp_home / "logs" / "app.log"
    assert not log.exists() or " ERROR " not in log.read_text(encoding="utf-8")


def test_help_states_the_exit_statuses(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert "exit status:" in out
    for line in ("0    success", "1    internal error", "2    a mistake", "130  interrupted"):
        assert line in out


def test_a_broken_settings_file_is_said_once_and_the_command_still_answers(
    temp_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_id = _one_run()
    (temp_home / "settings.json").write_text('{"theme": "dark", "catalog_url": ')
    assert main(["runs", "list", "--json"]) == 0
    out, err = capsys.readouterr()
    assert [r["id"] for r in json.loads(out)] == [run_id]
    assert err.count("settings.json is not valid JSON") == 1 and err.startswith(
        "mlops-desktop: warning: "
    )
    assert (temp_home / "settings.json.broken").exists()


def test_the_gui_gets_the_settings_the_command_loaded(
    temp_home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (temp_home / "settings.json").write_text('{"ingest_interval_s": "2"}')
    opened: list[Settings] = []

    def run_gui(
        home: Path, url: str | None, argv: list[str], settings: Settings, **_options: object
    ) -> int:
        opened.append(settings)
        return 0

    monkeypatch.setattr("mlops_desktop.ui.app.run_gui", run_gui)
    assert main(["gui"]) == 0
    (settings,) = opened
    assert settings.ingest_interval_s == 1.0 and "ingest_interval_s" in settings.problems[0]
    assert "ingest_interval_s" in capsys.readouterr().err
