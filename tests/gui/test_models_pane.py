"""The Models pane against a real ModelService on a temp home."""

from __future__ import annotations

import tarfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QMessageBox

import mlops_desktop
from mlops_desktop.services.models import ModelService
from mlops_desktop.ui.panes.models.detail import TAB_COMPARE, TAB_LINEAGE
from mlops_desktop.ui.panes.models.pane import ModelsPane

INSPECT_TIMEOUT_MS = 60_000


def write_model(folder: Path) -> Path:
    joblib = pytest.importorskip("joblib")
    ensemble = pytest.importorskip("sklearn.ensemble")
    x = [[0.0, 1.0, 2.0], [1.0, 0.0, 1.0], [2.0, 2.0, 0.0], [3.0, 1.0, 1.0]]
    model = ensemble.RandomForestClassifier(n_estimators=5, max_depth=2, random_state=0)
    model.fit(x, [0, 1, 0, 1])
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "model.joblib"
    joblib.dump(model, path)
    return path


@pytest.fixture
def models(service: Any, home: Path) -> ModelService:
    return ModelService(service.catalog, home)  # shares the catalog: closed once, by service


@pytest.fixture
def registered(
    tmp_path: Path, home: Path, services: Any, service: Any, models: ModelService
) -> str:
    """wine-clf v1 (from a run that used wine@v1, accuracy 0.93) and v2 (from a file)."""
    path = write_model(tmp_path / "m")
    (tmp_path / "wine").mkdir()
    (tmp_path / "wine" / "wine.csv").write_text("alcohol;quality\n9.4;5\n")
    services.datasets.add(tmp_path / "wine", "wine")  # use_dataset checks it exists
    run = mlops_desktop.start_run(
        "wine",
        "rf-5",
        params={"n_estimators": 5},
        home=home,
        capture_env=False,
        capture_output=False,
    )
    with run:
        run.log_metric("accuracy", 0.93)
        run.use_dataset("wine", "v1")
        run.log_artifact(path)
    service.ingest()
    models.register(
        "wine-clf", run_id=run.id, artifact="model.joblib", description="# Wine\nA **good** one"
    )
    models.register("wine-clf", path=path)
    return run.id


def make_pane(qtbot: Any, models: Any, runner: Any) -> Iterator[ModelsPane]:
    pane = ModelsPane(models, runner)
    qtbot.addWidget(pane)
    pane.resize(1280, 800)
    pane.show()
    yield pane
    for widget in (
        pane.model_actions.dialog,
        pane.model_actions.message_box,
        pane.model_actions.progress,
    ):
        if widget is not None:
            widget.close()


@pytest.fixture
def pane(qtbot: Any, models: Any, runner: Any, registered: str) -> Iterator[ModelsPane]:
    yield from make_pane(qtbot, models, runner)


def wait_card(qtbot: Any, pane: ModelsPane, version: int) -> None:
    def shown() -> bool:
        card = pane.detail.card.card
        return card is not None and card.version.version == version

    qtbot.waitUntil(shown, timeout=10000)


def test_empty_state_explains_how_to_register(qtbot: Any, models: Any, runner: Any) -> None:
    for pane in make_pane(qtbot, models, runner):
        qtbot.waitUntil(lambda p=pane: p.loaded)
        assert pane.stack.currentWidget() is pane.empty
        text = pane.empty.text()
        assert 'run.log_artifact("model.joblib")' in text
        assert "models register RUN model.joblib --name NAME" in text
        assert "Register from file" in text


def test_list_versions_card_and_lineage(qtbot: Any, pane: ModelsPane, registered: str) -> None:
    wait_card(qtbot, pane, 2)
    assert pane.list.model.total_rows() == 1
    assert [v.version for v in pane.detail.versions] == [2, 1]
    pane.detail.select_version(1)
    wait_card(qtbot, pane, 1)
    text = pane.detail.card.text()
    assert "accuracy" in text and "0.93" in text
    assert "Wine" in text and "good" in text
    assert "wine@v1" in text
    assert registered in pane.detail.lineage.node_keys("run")
    assert "wine@v1" in pane.detail.lineage.node_keys("dataset")
    pane.detail.tabs.setCurrentIndex(TAB_LINEAGE)
    with qtbot.waitSignal(pane.detail.runActivated) as blocker:
        pane.detail.lineage.click_node(registered)
    assert blocker.args == [registered]
    with qtbot.waitSignal(pane.detail.compare.compared, timeout=10000):
        pane.detail.tabs.setCurrentIndex(TAB_COMPARE)


def test_set_alias_moves_it_and_the_audit_says_so(
    qtbot: Any, pane: ModelsPane, models: ModelService
) -> None:
    models.set_alias("wine-clf", 1, "champion")
    pane.refresh()
    wait_card(qtbot, pane, 2)
    qtbot.waitUntil(lambda: pane.detail.aliases() == {"champion": 1})
    pane.model_actions.set_alias.trigger()
    dialog = pane.model_actions.dialog
    dialog.combo.setCurrentText("champion")
    assert "move from v1 to v2" in dialog.note.text()
    dialog.accept()
    box = pane.model_actions.message_box
    assert box is not None and "from v1 to v2" in box.text()
    next(b for b in box.buttons() if b.text() == "Move to v2").click()
    qtbot.waitUntil(lambda: pane.detail.aliases() == {"champion": 2}, timeout=10000)
    qtbot.waitUntil(lambda: "champion: v1 → v2" in pane.detail.card.text(), timeout=10000)
    assert pane.list.model.row_at(0).aliases == {"champion": 2}


def test_delete_refused_while_aliased_then_forced(
    qtbot: Any, pane: ModelsPane, models: ModelService
) -> None:
    models.set_alias("wine-clf", 2, "champion")
    wait_card(qtbot, pane, 2)
    pane.model_actions.delete_version("wine-clf", 2)
    qtbot.waitUntil(lambda: pane.model_actions.message_box is not None, timeout=10000)
    box = pane.model_actions.message_box
    assert "champion" in box.text()
    anyway = next(b for b in box.buttons() if b.text() == "Delete anyway")
    anyway.click()
    qtbot.waitUntil(lambda: [v.version for v in pane.detail.versions] == [1], timeout=10000)


def test_import_of_a_bad_archive_shows_the_error(
    qtbot: Any, pane: ModelsPane, tmp_path: Path
) -> None:
    bad = tmp_path / "evil.tar.gz"
    payload = tmp_path / "payload.txt"
    payload.write_text("x")
    with tarfile.open(bad, "w:gz") as tar:
        tar.add(payload, arcname="../../escape.txt")
    wait_card(qtbot, pane, 2)
    pane.model_actions.import_from(str(bad))
    qtbot.waitUntil(lambda: pane.model_actions.message_box is not None, timeout=10000)
    box: QMessageBox = pane.model_actions.message_box
    assert "Cannot import evil.tar.gz; nothing was written." in box.text()
    assert pane.list.model.total_rows() == 1


def test_inspect_shows_the_type(qtbot: Any, pane: ModelsPane) -> None:
    wait_card(qtbot, pane, 2)
    pane.model_actions.inspect.trigger()
    dialog = pane.model_actions.dialog
    assert "separate process, never in the app" in dialog.note.text()
    qtbot.waitUntil(lambda: dialog.result_value is not None, timeout=INSPECT_TIMEOUT_MS)
    assert "RandomForestClassifier" in dialog.text()
    assert dialog.params.rowCount() > 3


def test_export_dialog_offers_zip_and_tar_gz() -> None:
    from mlops_desktop.ui.panes.models import actions

    assert "*.zip" in actions.EXPORT_FILTER and "*.tar.gz" in actions.EXPORT_FILTER
    assert actions.export_path("/x/m", actions.ZIP_FILTER) == "/x/m.zip"
    assert actions.export_path("/x/m", actions.TAR_FILTER) == "/x/m.tar.gz"
    assert actions.export_path("/x/m.ZIP", actions.TAR_FILTER) == "/x/m.ZIP"
    assert actions.export_path("/x/m.tgz", actions.ZIP_FILTER) == "/x/m.tgz"


@pytest.mark.parametrize("answer", ["no", "yes"])
def test_inspect_without_a_sandbox_asks_first(
    qtbot: Any, pane: ModelsPane, monkeypatch: pytest.MonkeyPatch, answer: str
) -> None:
    from mlops_desktop.models.sandbox import SANDBOX_ENV

    monkeypatch.setenv(SANDBOX_ENV, "none")  # as on a machine where no sandbox works
    asked: list[str] = []
    button = QMessageBox.StandardButton.Yes if answer == "yes" else QMessageBox.StandardButton.No

    def question(parent: Any, title: str, text: str, *args: Any) -> Any:
        asked.append(text)
        return button

    monkeypatch.setattr(QMessageBox, "question", question)
    wait_card(qtbot, pane, 2)
    pane.model_actions.inspect.trigger()
    dialog = pane.model_actions.dialog
    if answer == "no":
        qtbot.waitUntil(lambda: "Not loaded" in dialog.text(), timeout=INSPECT_TIMEOUT_MS)
        assert dialog.result_value is None
    else:
        qtbot.waitUntil(lambda: dialog.result_value is not None, timeout=INSPECT_TIMEOUT_MS)
        assert "RandomForestClassifier" in dialog.text()
    assert len(asked) == 1 and "without isolation" in asked[0]


def test_register_dialog_export_and_archive(qtbot: Any, pane: ModelsPane, tmp_path: Path) -> None:
    wait_card(qtbot, pane, 2)
    path = write_model(tmp_path / "other")
    dialog = pane.open_register_dialog()
    dialog.path_edit.setText(str(path))
    dialog.name_edit.setText("digits-clf")
    with qtbot.waitSignal(dialog.registered, timeout=10000):
        dialog.register_button.click()
    qtbot.waitUntil(lambda: pane.detail.name == "digits-clf", timeout=10000)
    wait_card(qtbot, pane, 1)
    assert pane.list.model.total_rows() == 2
    target = tmp_path / "out.tar.gz"
    with qtbot.waitSignal(pane.model_actions.status, timeout=10000) as done:
        pane.model_actions.export_to(pane.detail.current_version(), str(target))
    assert target.exists() and tarfile.is_tarfile(target) and not zipfile.is_zipfile(target)
    assert done.args == [f"Exported to {target} (tar.gz)"]
    as_zip = tmp_path / "out.zip"
    with qtbot.waitSignal(pane.model_actions.status, timeout=10000) as done:
        pane.model_actions.export_to(pane.detail.current_version(), str(as_zip))
    assert zipfile.is_zipfile(as_zip) and done.args == [f"Exported to {as_zip} (zip)"]
    pane.model_actions.archive.trigger()
    qtbot.waitUntil(lambda: pane.detail.versions[0].archived, timeout=10000)
    assert pane.model_actions.archive.text() == "Unarchive"


def test_run_artifact_registers_through_the_main_window(
    qtbot: Any, home: Path, services: Any, registered: str
) -> None:
    from mlops_desktop.settings import Settings
    from mlops_desktop.ui.app import build_main_window

    window = build_main_window(services, Settings.load(home), start_ingest=False)
    qtbot.addWidget(window)
    window.show()
    experiments = window.show_pane("Experiments")
    experiments.show_run(registered)
    artifacts = experiments.detail.artifacts
    qtbot.waitUntil(lambda: artifacts.current() is not None, timeout=10000)
    artifacts.register_button.click()
    pane = window.panes["Models"]
    assert window.current_pane() is pane
    dialog = pane.model_actions.dialog
    assert dialog.run_edit.text() == registered
    assert dialog.artifact_edit.text() == "model.joblib"
    dialog.close()
    window.navigator.show_model("wine-clf", 1)
    wait_card(qtbot, pane, 1)
    window.shutdown()
