"""The Lab store window and the lab store in the GUI: two desktops (two homes) on one SQLite
catalog file and one store folder, as the command-line test of the store does.

The window shows the store's state, Set location… checks and records it, Sync now uploads with
progress and can be cancelled, a read-only window disables set and sync with the reason; an
artifact logged on desktop A previews on desktop B from the store, and an unreachable store
gives one sentence; run artifacts go up after ingest."""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import mlops_desktop as mlops
from mlops_desktop.core.access import CatalogAccess
from mlops_desktop.core.errors import OperationCancelled
from mlops_desktop.services.bundle import Services
from mlops_desktop.store.blobs import walk_blobs
from mlops_desktop.ui.dialogs.lab_store import EMPTY_TEXT, LabStoreDialog
from mlops_desktop.ui.panes.experiments.artifact_preview import FETCHING, readable_path
from mlops_desktop.ui.panes.experiments.run_artifacts import ArtifactsView
from mlops_desktop.ui.read_only import WriteGuard
from mlops_desktop.ui.store_uploads import ArtifactUploader
from mlops_desktop.ui.tasks import TaskState

REASON = "Your catalog role bo may read but not change the catalog: ask its owner."


@pytest.fixture
def lab(tmp_path: Path, home: Path) -> Iterator[tuple[Services, Services]]:
    """Desktop A (the test's home) and desktop B on one SQLite catalog file."""
    url = f"sqlite:///{tmp_path / 'lab.db'}"
    a = Services.open(home, url)
    b = Services.open(tmp_path / "desktop-b", url)
    yield a, b
    b.close()
    a.close()


def log_run(a: Services, tmp_path: Path, files: dict[str, bytes]) -> str:
    """A run on desktop A that logged ``files`` as artifacts, ingested."""
    folder = tmp_path / "files"
    folder.mkdir(exist_ok=True)
    run = mlops.start_run("lab", "with-files", home=a.home, capture_env=False, capture_output=False)
    with run:
        for name, data in files.items():
            (folder / name).write_bytes(data)
            run.log_artifact(folder / name)
    a.experiments.ingest()
    return run.id


def open_window(qtbot: Any, a: Services, runner: Any, guard: WriteGuard) -> LabStoreDialog:
    window = LabStoreDialog(a, runner, guard)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.state is not None, timeout=5000)
    return window


def test_the_window_shows_the_state_and_set_location_checks_and_records(
    qtbot: Any, lab: tuple[Services, Services], runner: Any, tmp_path: Path
) -> None:
    a, b = lab
    log_run(a, tmp_path, {"notes.txt": b"from A\n"})
    window = open_window(qtbot, a, runner, WriteGuard(a.access))
    assert window.empty_label.isVisibleTo(window) and window.empty_label.text() == EMPTY_TEXT
    assert window.location_label.text().startswith("This home")
    assert not window.sync_button.isEnabled()  # nothing to sync to yet
    assert window.set_button.isEnabled()

    store = tmp_path / "lab-store"
    dialog = window.open_set_location()
    dialog.folder.setText(str(store))
    dialog.submit()
    qtbot.waitUntil(lambda: "does not exist" in dialog.message.text(), timeout=5000)
    assert dialog.isVisible() and b.store.location() is None  # nothing recorded
    assert not store.exists()  # never created on the local disk

    store.mkdir()
    with qtbot.waitSignal(dialog.locationSet, timeout=5000):
        dialog.submit()
    assert str(b.store.location()) == str(store)  # B finds it in the catalog
    qtbot.waitUntil(lambda: window.location_label.text() == str(store), timeout=5000)
    qtbot.waitUntil(lambda: window.pending_label.text().startswith("1 blob"), timeout=5000)
    assert window.reachable_label.text() == "Yes"
    assert window.blobs_label.text().startswith("0 blobs")
    assert not window.empty_label.isVisibleTo(window) and window.sync_button.isEnabled()
    assert "every desktop" in window.message.text()

    window.limit_edit.setText("lots")
    window.apply_limit()
    assert "is not a size" in window.message.text()
    window.limit_edit.setText("5M")
    window.apply_limit()
    qtbot.waitUntil(lambda: "at most 5.0 MiB" in window.message.text(), timeout=5000)
    assert a.store.cache.limit == 5 << 20


def test_sync_uploads_with_progress_and_can_be_cancelled(
    qtbot: Any,
    lab: tuple[Services, Services],
    runner: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    a, _b = lab
    files = {f"part-{i:02}.bin": os.urandom(256 << 10) for i in range(40)}
    log_run(a, tmp_path, files)
    store = tmp_path / "lab-store"
    store.mkdir()
    a.store.set_location(str(store))
    window = open_window(qtbot, a, runner, WriteGuard(a.access))
    assert window.pending_label.text().startswith("40 blobs")

    # The worker waits after its first blob until Cancel was clicked: however slow the
    # machine, the sync cannot finish before the click.
    clicked = threading.Event()
    real_sync = a.store.sync

    def sync_held_after_one_blob(progress: Any, cancelled: Any = None) -> Any:
        def report(*args: Any) -> None:
            progress(*args)
            clicked.wait(10)

        return real_sync(report, cancelled)

    monkeypatch.setattr(a.store, "sync", sync_held_after_one_blob)
    handle = window.sync_now()
    assert handle is not None and window.cancel_button.isVisibleTo(window)
    window.cancel_sync()
    clicked.set()
    with qtbot.waitSignal(handle.finished, timeout=10000):
        pass
    assert "Sync was cancelled" in window.message.text()
    assert len(dict(walk_blobs(store))) < 40  # stopped between blobs
    assert not window.cancel_button.isVisibleTo(window)

    fractions: list[float] = []
    messages: list[str] = []
    handle = window.sync_now()
    assert handle is not None
    handle.progress.connect(
        lambda fraction, message: (fractions.append(fraction), messages.append(message))
    )
    with qtbot.waitSignal(handle.finished, timeout=20000):
        pass
    assert window.message.text().startswith("Uploaded ")
    assert fractions and fractions[-1] == 1.0
    # each file is named as the run knows it, with the bytes sent so far
    named = r"Uploading part-\d\d\.bin: \S+ \S+ of \S+ MiB sent"
    assert any(re.fullmatch(named, m) for m in messages), messages[-3:]
    assert len(dict(walk_blobs(store))) == 40
    qtbot.waitUntil(lambda: window.pending_label.text().startswith("Nothing"), timeout=5000)


def test_the_service_stops_a_sync_between_blobs(
    lab: tuple[Services, Services], tmp_path: Path
) -> None:
    a, _b = lab
    log_run(a, tmp_path, {f"f{i}.bin": os.urandom(1000) for i in range(5)})
    store = tmp_path / "lab-store"
    store.mkdir()
    a.store.set_location(str(store))
    done: list[str] = []
    with pytest.raises(OperationCancelled, match="after 2 blob"):
        a.store.sync(lambda _d, _t, rel: done.append(rel), lambda: len(done) >= 2)
    assert len(dict(walk_blobs(store))) == 2
    assert a.store.sync()["uploaded"] == 3  # the rest go with the next sync


def test_a_read_only_window_disables_set_and_sync_with_the_reason(
    qtbot: Any, lab: tuple[Services, Services], runner: Any, tmp_path: Path
) -> None:
    a, _b = lab
    store = tmp_path / "lab-store"
    store.mkdir()
    a.store.set_location(str(store))
    log_run(a, tmp_path, {"notes.txt": b"from A\n"})
    window = open_window(qtbot, a, runner, WriteGuard(CatalogAccess.read_only(REASON)))
    assert window.pending_label.text().startswith("1 blob")  # browsable
    for button in (window.set_button, window.sync_button):
        assert not button.isEnabled() and button.toolTip() == REASON
    window.refresh()  # the answer enables Sync on a writable window: the guard wins
    qtbot.wait(200)
    assert not window.sync_button.isEnabled()
    assert window.clear_button.isEnabled()  # this home's cache is not the catalog's


def test_an_artifact_of_desktop_a_previews_on_desktop_b_from_the_store(
    qtbot: Any, lab: tuple[Services, Services], runner: Any, tmp_path: Path
) -> None:
    a, b = lab
    store = tmp_path / "lab-store"
    store.mkdir()
    a.store.set_location(str(store))
    uploader = ArtifactUploader(a.store, runner)
    run = mlops.start_run("lab", "from-a", home=a.home, capture_env=False, capture_output=False)
    with run:
        for name, text in (("notes.txt", "logged on A\n"), ("later.txt", "also on A\n")):
            (tmp_path / name).write_text(text)
            run.log_artifact(tmp_path / name)
    report = a.experiments.ingest()
    uploader.on_ingest_changes(report.changes)  # what the main window does after each ingest
    assert uploader.handle is not None
    qtbot.waitUntil(lambda: uploader.handle is None, timeout=10000)
    assert len(dict(walk_blobs(store))) == 2  # uploaded after ingest, without store sync

    view = ArtifactsView(runner, store=b.store)
    qtbot.addWidget(view)
    view.resize(1000, 400)
    view.show()
    artifacts = b.experiments.get_run(run.id).artifacts
    assert not any(Path(x.path).is_file() for x in artifacts)  # B's home lacks them
    notes = next(x for x in artifacts if x.name == "notes.txt")
    seen: list[tuple[float, str]] = []
    state = TaskState(lambda f, m: seen.append((f, m)))
    assert readable_path(b.store, notes.path, notes.digest, state)
    # the preview says "Fetching … from the lab store…", then how far the fetch got
    assert seen[0] == (0.0, FETCHING) and seen[-1] == (1.0, FETCHING)
    view.set_artifacts([notes])
    qtbot.waitUntil(lambda: view.preview.text.toPlainText() == "logged on A\n", timeout=5000)
    assert view.preview.current_page() is view.preview.text
    assert b.store.cache.usage()[0] == 1  # in B's cache now
    view.preview._on_progress(0.45, FETCHING)  # what the runner reports halfway through a fetch
    assert view.preview.message.text() == "Fetching notes.txt from the lab store… 45 %"

    store.rename(tmp_path / "unmounted")  # the share goes away
    later = next(x for x in artifacts if x.name == "later.txt")
    view.set_artifacts([later])
    qtbot.waitUntil(lambda: "cannot be reached" in view.preview.message.text(), timeout=5000)
    sentence = view.preview.message.text()
    assert len(sentence.splitlines()) == 1 and "still work" in sentence
    view.set_artifacts([notes])  # cached: still previews offline
    qtbot.waitUntil(lambda: view.preview.text.toPlainText() == "logged on A\n", timeout=5000)


def test_a_model_card_on_desktop_b_reads_its_files_from_the_store(
    lab: tuple[Services, Services], tmp_path: Path
) -> None:
    a, b = lab
    store = tmp_path / "lab-store"
    store.mkdir()
    a.store.set_location(str(store))
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "MLmodel").write_text('{"flavor": "sklearn", "loader": "mlops_desktop.sklearn"}')
    (folder / "model.joblib").write_bytes(b"not read by a card")
    a.models.register("wine", path=folder)  # uploaded at once: a store is set
    on_a = a.models.card("wine:1").model_description
    on_b = b.models.card("wine:1")
    assert on_a and on_b.model_description == on_a  # B has no copy: read from the store
    assert on_b.files_problem == ""

    b.store.cache_report(clear=True)
    store.rename(tmp_path / "unmounted")
    card = b.models.card("wine:1")  # still shown, without what only the store has
    assert card.model_description == {} and "cannot be reached" in card.files_problem


def test_file_menu_and_command_palette_open_the_lab_store(
    qtbot: Any, services: Services, home: Path
) -> None:
    from mlops_desktop.settings import Settings
    from mlops_desktop.ui.app import build_main_window
    from mlops_desktop.ui.command_palette.menu_actions import menu_actions

    win = build_main_window(services, Settings.load(home), start_ingest=False)
    qtbot.addWidget(win)
    try:
        found = [m for m in menu_actions(win.menuBar()) if "Lab store" in m.action.text()]
        assert len(found) == 1 and found[0].path[0] == "File"  # the palette lists menu actions
        found[0].action.trigger()
        window = win.lab_store_dialog
        assert window is not None and window.isVisible()
        qtbot.waitUntil(lambda: window.state is not None, timeout=5000)
        assert window.location_label.text().startswith("This home")
        found[0].action.trigger()
        assert win.lab_store_dialog is window  # one window, raised again
    finally:
        win.shutdown()
