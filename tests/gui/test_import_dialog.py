"""File > Import > TensorBoard… (and MLflow…): a real import on the runner, through the dialog."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from tensorboard_files import write_scalars

from mlops_desktop.services.bundle import Services
from mlops_desktop.services.importing import ImportService
from mlops_desktop.services.tensorboard_import import tensorboard_run_id
from mlops_desktop.settings import Settings
from mlops_desktop.ui.app import build_main_window
from mlops_desktop.ui.dialogs.import_history import ImportDialog

RUNS = 40
POINTS = 300


@pytest.fixture
def window(qtbot: Any, services: Services, home: Path) -> Any:
    win = build_main_window(services, Settings.load(home), start_ingest=False)
    qtbot.addWidget(win)
    win.show()
    yield win
    win.shutdown()


def write_logs(logs: Path, runs: int = 2, points: int = 5) -> None:
    for i in range(runs):
        values = [float(i * 10_000 + k) for k in range(points)]
        write_scalars(logs / f"run{i:02d}" / "events.out.tfevents.1.h", {"loss": values})


def menu_action(window: Any, *path: str) -> Any:
    actions = window.menuBar().actions()
    for text in path:
        action = next(a for a in actions if a.text().replace("&", "") == text)
        actions = action.menu().actions() if action.menu() is not None else []
    return action


def open_dialog(qtbot: Any, window: Any, kind: str) -> ImportDialog:
    menu_action(
        window, "File", "Import", "MLflow…" if kind == "mlflow" else "TensorBoard…"
    ).trigger()
    dialog = window.findChildren(ImportDialog)[-1]
    qtbot.waitExposed(dialog)
    return dialog


def start(qtbot: Any, dialog: ImportDialog, source: Path, name: str = "") -> list[float]:
    """Click Import; returns the progress fractions seen, filled in as they come."""
    dialog.source_edit.setText(str(source))
    dialog.name_edit.setText(name)
    seen: list[float] = []
    dialog.import_button.click()
    handle = dialog._handle
    assert handle is not None
    handle.progress.connect(lambda fraction, _message: seen.append(fraction))
    return seen


def test_tensorboard_import_through_the_dialog_refreshes_and_opens(
    qtbot: Any, window: Any, tmp_path: Path, services: Services
) -> None:
    logs = tmp_path / "tb"
    write_logs(logs)
    pane = window.panes["Experiments"]
    qtbot.waitUntil(lambda: pane.stack.currentWidget() is pane.empty, timeout=5000)
    dialog = open_dialog(qtbot, window, "tensorboard")
    assert dialog.windowTitle() == "Import from TensorBoard"
    with qtbot.waitSignal(dialog.imported, timeout=20000) as blocker:
        seen = start(qtbot, dialog, logs, "vision")
    outcome = blocker.args[0]
    assert (outcome.report.runs, outcome.report.metrics_points, outcome.cancelled) == (2, 10, False)
    assert seen and seen[-1] == 1.0
    assert dialog.message.text() == "<b>Imported 2 runs and 10 metric points into “vision”.</b>"
    assert not dialog.problems_text.isVisible()
    qtbot.waitUntil(lambda: not dialog.is_running())
    assert dialog.import_button.text() == "Import again" and dialog.cancel_button.text() == "Close"
    # the Experiments pane reloaded by itself: the imported experiment is listed
    qtbot.waitUntil(lambda: pane.stack.currentWidget() is pane.hsplit, timeout=5000)
    qtbot.waitUntil(
        lambda: "vision" in [e.name for e in pane.experiments_list.experiments], timeout=5000
    )
    qtbot.waitUntil(lambda: "2 runs" in window.status.counts_label.text(), timeout=5000)
    assert dialog.open_button.isVisible() and dialog.open_button.text() == "Open “vision”"
    dialog.open_button.click()
    assert not dialog.isVisible()
    assert window.current_pane() is pane
    assert pane.experiments_list.current_experiment() == "vision"
    qtbot.waitUntil(lambda: pane.model.rowCount() == 2, timeout=5000)
    # the source is remembered for next time
    again = open_dialog(qtbot, window, "tensorboard")
    assert again.source_edit.text() == str(logs)
    with qtbot.waitSignal(again.import_button.clicked):
        again.import_button.click()
    qtbot.waitUntil(lambda: again.outcome is not None, timeout=20000)
    assert again.message.text() == "<b>Nothing new: all of it is already in the catalog.</b>"
    assert not again.open_button.isVisible()


def test_cancel_midway_keeps_what_was_written_and_importing_again_completes(
    qtbot: Any,
    window: Any,
    tmp_path: Path,
    services: Services,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    logs = tmp_path / "tb"
    write_logs(logs, RUNS, POINTS)
    dialog = open_dialog(qtbot, window, "tensorboard")
    cancelled_at: list[float] = []
    cancel_clicked = threading.Event()
    real_import = ImportService.import_tensorboard

    def import_held_at_first_progress(
        self: ImportService, log_dir: Any, experiment: Any, on_progress: Any, should_stop: Any
    ) -> Any:
        """The real import, whose worker waits at its first progress report (with some of the
        runs written) until Cancel was clicked: a fast machine can't finish before it."""

        def progress(report: Any) -> None:
            on_progress(report)
            if report.done > 0:
                cancel_clicked.wait(timeout=20)

        return real_import(self, log_dir, experiment, progress, should_stop)

    monkeypatch.setattr(ImportService, "import_tensorboard", import_held_at_first_progress)

    def cancel_once(fraction: float, _message: str) -> None:
        if not cancelled_at and fraction > 0:
            cancelled_at.append(fraction)
            dialog.cancel_button.click()  # Cancel while the import runs
            cancel_clicked.set()

    dialog.source_edit.setText(str(logs))
    dialog.import_button.click()
    assert dialog.cancel_button.text() == "Cancel"
    assert dialog._handle is not None
    dialog._handle.progress.connect(cancel_once)
    qtbot.waitUntil(lambda: dialog.outcome is not None, timeout=30000)
    first = dialog.outcome
    assert first is not None and first.cancelled
    kept = first.report.runs
    assert 0 < kept < RUNS, "the import should have stopped midway"
    assert dialog.message.text() == (
        f"<b>Cancelled: {kept} run{'s' if kept != 1 else ''} and {kept * POINTS:,} metric"
        " points imported so far; import again to go on.</b>"
    )
    assert dialog.isVisible()  # Cancel stopped the import; it did not close the dialog
    assert len(services.experiments.list_runs("tb")) == kept
    qtbot.waitUntil(lambda: not dialog.is_running())
    dialog.import_button.click()
    qtbot.waitUntil(lambda: dialog.outcome is not None and not dialog.is_running(), timeout=60000)
    second = dialog.outcome
    assert second is not None and not second.cancelled
    assert (second.report.runs, second.report.metrics_points) == (
        RUNS - kept,
        (RUNS - kept) * POINTS,
    )
    assert len(services.experiments.list_runs("tb")) == RUNS
    for i in (0, RUNS - 1):
        series = services.experiments.metric_series(
            tensorboard_run_id(logs / f"run{i:02d}"), "loss"
        )
        assert [float(v) for v in series.values] == [float(i * 10_000 + k) for k in range(POINTS)]


def test_a_bad_folder_is_one_sentence(qtbot: Any, window: Any, tmp_path: Path) -> None:
    bugs: list[Any] = []
    window.runner.reporter.bugReported.connect(bugs.append)
    dialog = open_dialog(qtbot, window, "tensorboard")
    (tmp_path / "empty").mkdir()
    for folder, words in (("missing", "is not a folder"), ("empty", "No TensorBoard event files")):
        start(qtbot, dialog, tmp_path / folder)
        qtbot.waitUntil(lambda: not dialog.is_running(), timeout=10000)
        text = dialog.message.text()
        assert words in text and "Cannot import:" in text and "#d62728" in text
        assert "Traceback" not in text and not dialog.progress_bar.isVisible()
    assert dialog.outcome is None and not dialog.open_button.isVisible() and bugs == []
    dialog.source_edit.setText("")
    assert not dialog.import_button.isEnabled()


def write_mlruns(root: Path) -> None:
    """A small MLflow file store, as MLflow writes it: 2 experiments, 3 runs of 4 points."""
    for exp_id, name, runs in (("1", "wine", ["r1", "r2"]), ("2", "digits", ["r3"])):
        folder = root / exp_id
        folder.mkdir(parents=True)
        (folder / "meta.yaml").write_text(
            f"experiment_id: '{exp_id}'\nname: {name}\nlifecycle_stage: active\n"
        )
        for run in runs:
            run_dir = folder / f"{run}aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
            (run_dir / "metrics").mkdir(parents=True)
            (run_dir / "params").mkdir()
            (run_dir / "tags").mkdir()
            (run_dir / "meta.yaml").write_text(
                f"run_id: {run_dir.name}\nrun_name: {run}\nexperiment_id: '{exp_id}'\n"
                "status: 3\nstart_time: 1700000000000\nend_time: 1700000060000\n"
                "lifecycle_stage: active\n"
            )
            lines = [f"{1700000000000 + k * 1000} {1.0 / (k + 1)} {k}" for k in range(4)]
            (run_dir / "metrics" / "loss").write_text("\n".join(lines) + "\n")
            (run_dir / "params" / "alpha").write_text("0.5")
            (run_dir / "tags" / "mlflow.runName").write_text(run)


def test_mlflow_import_through_the_dialog(
    qtbot: Any, window: Any, tmp_path: Path, services: Services
) -> None:
    write_mlruns(tmp_path / "mlruns")
    dialog = open_dialog(qtbot, window, "mlflow")
    assert dialog.windowTitle() == "Import from MLflow"
    assert dialog.source_edit.file_button.isVisibleTo(dialog)  # mlflow.db
    assert dialog.source_edit.folder_button.isVisibleTo(dialog)  # mlruns
    assert dialog.name_edit.placeholderText() == "None: keep MLflow's experiment names"
    messages: list[str] = []
    with qtbot.waitSignal(dialog.imported, timeout=30000) as blocker:
        start(qtbot, dialog, tmp_path / "mlruns", "mlflow/")
        assert dialog._handle is not None
        dialog._handle.progress.connect(lambda _f, message: messages.append(message))
    outcome = blocker.args[0]
    assert (outcome.report.runs, outcome.report.metrics_points) == (3, 12)
    assert sorted(outcome.experiments) == ["mlflow/digits", "mlflow/wine"]
    assert (
        dialog.message.text() == "<b>Imported 3 runs and 12 metric points into 2 experiments.</b>"
    )
    assert any(m.startswith("Importing runs:") for m in messages), messages
    runs = services.experiments.list_runs("mlflow/wine")
    assert sorted(r.name for r in runs) == ["r1", "r2"]
    pane = window.panes["Experiments"]
    qtbot.waitUntil(
        lambda: "mlflow/wine" in [e.name for e in pane.experiments_list.experiments], timeout=5000
    )
    first = outcome.experiments[0]
    dialog.open_button.click()
    assert pane.experiments_list.current_experiment() == first


def test_the_mlflow_dialog_says_what_is_not_a_store(
    qtbot: Any, window: Any, tmp_path: Path
) -> None:
    dialog = open_dialog(qtbot, window, "mlflow")
    (tmp_path / "plain").mkdir()
    start(qtbot, dialog, tmp_path / "plain")
    qtbot.waitUntil(lambda: not dialog.is_running(), timeout=10000)
    text = dialog.message.text()
    assert "Cannot import:" in text and "#d62728" in text and "Traceback" not in text
