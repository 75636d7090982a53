"""Live across desktops in the window: a run that desktop B ingests into the shared catalog
appears in desktop A's Experiments pane with no refresh; a model B registers and an alias it
moves appear in A's Models pane (on SQLite through the data_version poll, on PostgreSQL
through LISTEN/NOTIFY)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from gui_spools import write_run

from mlops_desktop.services.bundle import Services
from mlops_desktop.settings import Settings
from mlops_desktop.ui.app import build_main_window


@pytest.fixture
def shared_url(home: Path, catalog_url: str | None) -> str:
    """The catalog both desktops open: A's home's SQLite file, or a PostgreSQL database."""
    return catalog_url or f"sqlite:///{home / 'catalog.db'}"


@pytest.fixture
def desktop_a(qtbot: Any, home: Path, shared_url: str) -> Iterator[Any]:
    services = Services.open(home, shared_url)
    write_run(home, "shared", "a-run")
    services.experiments.ingest()
    window = build_main_window(services, Settings.load(home), start_ingest=False)
    qtbot.addWidget(window)
    assert window.catalog_live is not None
    window.catalog_live.start()  # only the feed: A's own ingest loop stays off
    window.show()
    yield window
    window.shutdown()
    services.close()


@pytest.fixture
def desktop_b(tmp_path: Path, shared_url: str) -> Iterator[Services]:
    home_b = tmp_path / "home-b"
    services = Services.open(home_b, shared_url)
    yield services
    services.close()


def test_a_run_ingested_by_another_desktop_appears_without_a_refresh(
    qtbot: Any, desktop_a: Any, desktop_b: Services
) -> None:
    pane = desktop_a.show_pane("Experiments")
    qtbot.waitUntil(lambda: pane.model.rowCount() == 1 and not pane.is_loading(), timeout=5000)
    run_id = write_run(desktop_b.home, "shared", "b-run")
    desktop_b.experiments.ingest()
    qtbot.waitUntil(lambda: pane.model.row_of(run_id) is not None, timeout=5000)
    assert desktop_a.catalog_live.changes_heard >= 1
    assert pane.model.rowCount() == 2


def test_a_model_and_alias_of_another_desktop_appear_in_the_models_pane(
    qtbot: Any, desktop_a: Any, desktop_b: Services, tmp_path: Path
) -> None:
    pane = desktop_a.show_pane("Models")
    qtbot.waitUntil(lambda: pane.loaded, timeout=5000)
    model_file = tmp_path / "model.bin"
    model_file.write_bytes(b"weights")
    desktop_b.models.register("shared-clf", path=model_file)
    qtbot.waitUntil(lambda: pane.list.summary("shared-clf") is not None, timeout=5000)
    model_file.write_bytes(b"better weights")
    desktop_b.models.register("shared-clf", path=model_file)
    desktop_b.models.set_alias("shared-clf", 1, "champion")
    qtbot.waitUntil(lambda: pane.list.summary("shared-clf").versions == 2, timeout=5000)
    qtbot.waitUntil(
        lambda: pane.list.summary("shared-clf").aliases == {"champion": 1}, timeout=5000
    )
    desktop_b.models.set_alias("shared-clf", 2, "champion")  # a move
    qtbot.waitUntil(
        lambda: pane.list.summary("shared-clf").aliases == {"champion": 2}, timeout=5000
    )
    qtbot.waitUntil(lambda: pane.detail.aliases() == {"champion": 2}, timeout=5000)  # the shown


def test_a_burst_of_changes_is_one_reload(
    qtbot: Any, home: Path, shared_url: str, desktop_b: Services, catalog_url: str | None
) -> None:
    from mlops_desktop.ui.catalog_live import CatalogLive

    services_a = Services.open(home, shared_url)
    live = CatalogLive(services_a.changes, coalesce_ms=1500)  # wide: the burst fits in it
    told: list[tuple[str, frozenset[str]]] = []
    live.newRuns.connect(lambda ids: told.append(("new", ids)))
    live.runsChanged.connect(lambda ids: told.append(("changed", ids)))
    live.runsReload.connect(lambda: told.append(("reload", frozenset())))
    live.start()
    try:
        if catalog_url:  # the listener connects on its thread: wait until it listens
            watch = live._watch
            assert watch is not None and watch.wait_listening(10)  # type: ignore[attr-defined]
        ids = []
        for i in range(10):  # ten ingests, ten commits, ten notifications on PostgreSQL
            ids.append(write_run(desktop_b.home, "shared", f"burst-{i}"))
            desktop_b.experiments.ingest()
        qtbot.waitUntil(lambda: bool(told), timeout=5000)
        if catalog_url:
            assert told[0][0] == "new" and set(ids) <= told[0][1]
            assert told[1][0] == "changed" and set(ids) <= told[1][1]
            assert len(told) == 2
        else:  # SQLite cannot tell what changed: one reload
            assert told == [("reload", frozenset())]
        assert live.changes_heard >= 1
    finally:
        live.stop()
        services_a.close()


def test_job_and_monitor_changes_of_another_desktop_reach_their_panes(
    qtbot: Any, desktop_a: Any, desktop_b: Services
) -> None:
    import time

    from PySide6.QtCore import SIGNAL

    from mlops_desktop.catalog import job_repo, monitor_repo
    from mlops_desktop.core.compute import JobInfo

    live = desktop_a.catalog_live
    watch = live._watch
    if hasattr(watch, "wait_listening"):  # PostgreSQL: the listener connects on its thread
        assert watch.wait_listening(10)
    with (
        qtbot.waitSignal(live.jobsChanged, timeout=5000),
        desktop_b.catalog.session_scope(write=True) as s,
    ):
        job_repo.insert_job(s, JobInfo("job-of-b", "local", "queued", time.time()), {})
    record = monitor_repo.MonitorRecord("drift-b", "clf@1", "ref", "cur", {}, time.time())
    with qtbot.waitSignal(live.monitorsChanged, timeout=5000):
        monitor_repo.add_monitor(desktop_b.catalog, record, "")
    desktop_a.show_pane("Jobs")
    desktop_a.show_pane("Monitors")
    # both panes reload on them (besides the Jobs pane's own one-second refresh)
    assert live.receivers(SIGNAL("jobsChanged()")) >= 1
    assert live.receivers(SIGNAL("monitorsChanged()")) >= 1


def test_a_pipeline_run_of_another_desktop_reloads_pipelines(
    qtbot: Any, home: Path, shared_url: str, desktop_b: Services, catalog_url: str | None
) -> None:
    from mlops_desktop.catalog.pipeline_repo import create_pipeline_run
    from mlops_desktop.ui.catalog_live import CatalogLive

    services_a = Services.open(home, shared_url)
    live = CatalogLive(services_a.changes)
    models: list[bool] = []
    live.modelsChanged.connect(lambda: models.append(True))
    live.start()
    try:
        if catalog_url:
            watch = live._watch
            assert watch is not None and watch.wait_listening(10)  # type: ignore[attr-defined]
        with (
            qtbot.waitSignal(live.pipelinesChanged, timeout=5000),
            desktop_b.catalog.session_scope(write=True) as s,
        ):
            create_pipeline_run(s, pipeline="wine", path="p", experiment="e")
        # PostgreSQL tells what changed; SQLite cannot, so every area reloads
        assert models == ([] if catalog_url else [True])
    finally:
        live.stop()
        services_a.close()
