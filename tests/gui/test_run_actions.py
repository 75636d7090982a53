"""Run management in the Experiments pane: the context menu's actions, keys, and the Trash."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from gui_spools import write_run
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QKeySequence

from mlops_desktop.settings import Settings
from mlops_desktop.ui.charts.palette import PIN_COLOR_TAG, stable_run_color
from mlops_desktop.ui.live import IngestLoop
from mlops_desktop.ui.navigation import OpenLaunchDialog
from mlops_desktop.ui.panes.experiments import run_actions, run_trash
from mlops_desktop.ui.panes.experiments.pane import ExperimentsPane


@pytest.fixture
def pane(qtbot: Any, service: Any, runner: Any, home: Path, three_experiments: Any) -> Any:
    ingest = IngestLoop(service, runner, 60)
    widget = ExperimentsPane(service, runner, Settings(), home, ingest=ingest)
    widget.ingest_loop = ingest
    qtbot.addWidget(widget)
    widget.resize(1100, 700)
    widget.show()
    choose(qtbot, widget, "digits", 6)
    yield widget
    widget.shutdown()


def choose(qtbot: Any, pane: Any, name: str | None, rows: int) -> None:
    qtbot.waitUntil(lambda: pane.experiments_list.topLevelItemCount() > 1, timeout=5000)
    assert pane.experiments_list.choose(name)
    qtbot.waitUntil(lambda: pane.model.rowCount() == rows and not pane.is_loading(), timeout=5000)


def select(qtbot: Any, pane: Any, *run_ids: str) -> None:
    pane.table.select_run_ids(list(run_ids))
    qtbot.waitUntil(lambda: {r.id for r in pane.selected_runs()} == set(run_ids), timeout=5000)


def row_run(pane: Any, run_id: str) -> Any:
    row = pane.model.row_of(run_id)
    return None if row is None else pane.model.run_at(row)


def statuses(pane: Any) -> list[str]:
    seen: list[str] = []
    pane.events.statusMessage.connect(lambda text, _ms: seen.append(text))
    return seen


def test_rename_and_tag_show_in_the_table(
    qtbot: Any, pane: Any, three_experiments: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    rid = three_experiments["digits"][1]
    select(qtbot, pane, rid)
    actions = pane.run_actions
    assert actions.rename.isEnabled() and actions.rename.shortcut().toString() == "F2"
    monkeypatch.setattr(run_actions, "ask_text", lambda *a, **k: "best lr")
    pane.table.setFocus()
    qtbot.keyClick(pane.table, Qt.Key.Key_F2)  # the key, through the table's own action
    qtbot.waitUntil(lambda: row_run(pane, rid).name == "best lr", timeout=5000)
    monkeypatch.setattr(run_actions, "ask_text", lambda *a, **k: "stage = prod")
    actions.add_tag.trigger()
    qtbot.waitUntil(lambda: row_run(pane, rid).tags.get("stage") == "prod", timeout=5000)
    seen = statuses(pane)
    monkeypatch.setattr(run_actions, "ask_text", lambda *a, **k: "bad:key=1")
    actions.add_tag.trigger()
    assert seen and "holds ':'" in seen[-1]


def test_pin_and_unpin_a_colour(
    qtbot: Any, pane: Any, three_experiments: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = three_experiments["digits"][:2]
    select(qtbot, pane, a, b)
    actions = pane.run_actions
    assert not actions.unpin_color.isEnabled()
    monkeypatch.setattr(run_actions, "ask_color", lambda *a: QColor("#123456"))
    actions.pin_color.trigger()
    qtbot.waitUntil(lambda: row_run(pane, b).tags.get(PIN_COLOR_TAG) == "#123456", timeout=5000)
    run = row_run(pane, a)
    assert stable_run_color(run.id, run.tags).name() == "#123456"
    select(qtbot, pane, a)
    assert actions.unpin_color.isEnabled()
    actions.unpin_color.trigger()
    qtbot.waitUntil(lambda: PIN_COLOR_TAG not in row_run(pane, a).tags, timeout=5000)
    assert PIN_COLOR_TAG in row_run(pane, b).tags


def test_delete_moves_to_the_trash_and_restore_brings_back(
    qtbot: Any,
    pane: Any,
    service: Any,
    three_experiments: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    a, b = three_experiments["digits"][:2]
    select(qtbot, pane, a, b)
    seen = statuses(pane)
    actions = pane.run_actions
    assert actions.delete.shortcut() == QKeySequence(QKeySequence.StandardKey.Delete)
    actions.delete.trigger()
    qtbot.waitUntil(lambda: pane.model.rowCount() == 4, timeout=5000)
    assert any("Moved 2 runs to the trash" in text for text in seen)
    qtbot.waitUntil(lambda: pane.experiments_list.trash_item().text(1) == "2", timeout=5000)

    actions.undo.trigger()  # Ctrl+Z
    qtbot.waitUntil(lambda: pane.model.rowCount() == 6, timeout=5000)
    select(qtbot, pane, a)
    actions.delete.trigger()
    qtbot.waitUntil(lambda: pane.model.rowCount() == 5, timeout=5000)

    pane.experiments_list.choose_trash()
    trash = actions.trash_view
    assert actions.center_stack.currentWidget() is trash
    qtbot.waitUntil(lambda: trash.table.rowCount() == 1, timeout=5000)
    trash.table.selectRow(0)
    assert trash.selected_ids() == [a]
    qtbot.waitUntil(  # Detail shows the trashed run, and says where it is
        lambda: pane.detail.status_label.text() == "finished · in the trash", timeout=5000
    )
    trash.restore_button.click()
    qtbot.waitUntil(lambda: trash.table.rowCount() == 0, timeout=5000)
    assert "Restored 1 run" in trash.message.text()
    assert service.trashed_runs() == []
    choose(qtbot, pane, "digits", 6)
    assert actions.center_stack.currentWidget() is not trash


def test_empty_trash_after_confirmation(
    qtbot: Any,
    pane: Any,
    service: Any,
    three_experiments: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    a = three_experiments["digits"][0]
    service.trash_runs([a])
    pane.experiments_list.choose_trash()
    trash = pane.run_actions.trash_view
    qtbot.waitUntil(lambda: trash.table.rowCount() == 1, timeout=5000)
    monkeypatch.setattr(run_trash, "confirm", lambda *a: False)
    trash.empty_button.click()
    assert len(service.trashed_runs()) == 1
    monkeypatch.setattr(run_trash, "confirm", lambda *a: True)
    trash.empty_button.click()
    qtbot.waitUntil(lambda: trash.table.rowCount() == 0 and not trash.runs, timeout=5000)
    assert "Deleted 1 run for good" in trash.message.text()
    assert service.trashed_runs() == []


def test_a_running_run_cannot_be_deleted(qtbot: Any, pane: Any, three_experiments: Any) -> None:
    choose(qtbot, pane, "tabular", 1)
    select(qtbot, pane, three_experiments["tabular"][0])
    assert not pane.run_actions.delete.isEnabled()


def test_copy_compare_log_notes_and_menu(qtbot: Any, pane: Any, three_experiments: Any) -> None:
    a, b = three_experiments["digits"][:2]
    actions = pane.run_actions
    select(qtbot, pane, a, b)
    menu = actions.context_menu()
    texts = [action.text() for action in menu.actions() if action.text()]
    assert "Rename…" in texts and "Move to trash" in texts and "Compare" in texts
    assert not actions.rename.isEnabled() and actions.compare.isEnabled()
    actions.copy_id.trigger()
    assert QGuiApplication.clipboard().text() == "\n".join(r.id for r in pane.selected_runs())
    actions.compare.trigger()
    assert pane.tabs.currentWidget() is pane.compare
    select(qtbot, pane, a)
    actions.open_log.trigger()
    assert pane.tabs.currentWidget() is pane.detail
    assert pane.detail.tabs.currentWidget() is pane.detail.log
    actions.edit_notes.trigger()
    assert pane.detail.tabs.currentWidget() is pane.detail.notes


def test_launch_again_prefills_the_launch_dialog(
    qtbot: Any, pane: Any, three_experiments: Any
) -> None:
    class FakeDialog:
        spec: Any = None

        def prefill(self, spec: Any) -> None:
            self.spec = spec

    dialog = FakeDialog()
    pane.navigator.serve(OpenLaunchDialog, pane, lambda _request: dialog)
    select(qtbot, pane, three_experiments["digits"][3])
    pane.run_actions.launch_again.trigger()
    qtbot.waitUntil(lambda: dialog.spec is not None, timeout=5000)
    assert dialog.spec.command == ["python", "train.py", "--fast"]
    assert dialog.spec.experiment == "digits" and dialog.spec.workdir == "/tmp"


def test_detail_header_shows_a_failed_runs_error(
    qtbot: Any, pane: Any, home: Path, service: Any
) -> None:
    rid = write_run(
        home,
        "digits",
        "crashed",
        status="failed",
        log='Traceback (most recent call last):\n  File "t.py"\nValueError: lr must be > 0\n',
    )
    service.ingest()
    pane.refresh()
    qtbot.waitUntil(lambda: pane.model.row_of(rid) is not None, timeout=5000)
    select(qtbot, pane, rid)
    detail = pane.detail
    qtbot.waitUntil(
        lambda: detail.detail is not None and detail.detail.summary.id == rid,
        timeout=5000,
    )
    assert detail.error_label.isVisible()
    assert detail.error_label.text() == "ValueError: lr must be > 0"
    ok = pane.model.run_at(0).id if pane.model.run_at(0).id != rid else pane.model.run_at(1).id
    select(qtbot, pane, ok)
    qtbot.waitUntil(lambda: detail.detail.summary.id == ok, timeout=5000)
    assert not detail.error_label.isVisible()
