"""Live across desktops on a real PostgreSQL: two desktops (two homes, two Services) on one
catalog hear each other's ingests, model versions, alias moves, dataset versions, run edits, job
state changes and monitor changes through LISTEN/NOTIFY, never their own; a dropped listener
connection comes back. On one SQLite file, a second desktop hears the same edits by its poll."""

from __future__ import annotations

import queue
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlops_desktop.catalog import job_repo, monitor_repo
from mlops_desktop.catalog.change_listen import PgChangeListener
from mlops_desktop.catalog.writes import apply_events
from mlops_desktop.core.catalog_changes import (
    ALIAS,
    DATASET_VERSION,
    JOBS,
    MODEL_VERSION,
    MONITORS,
    RUNS,
    CatalogChange,
)
from mlops_desktop.core.compute import JobInfo
from mlops_desktop.services.bundle import Services

pytestmark = pytest.mark.system


class Desktop:
    """One desktop: its own home and Services on the shared catalog, and what it heard."""

    def __init__(self, home: Path, url: str) -> None:
        self.services = Services.open(home, url)
        self.heard: queue.Queue[CatalogChange] = queue.Queue()
        self.problems: queue.Queue[str] = queue.Queue()
        watch = self.services.changes.watch(self.heard.put, self.problems.put)
        assert isinstance(watch, PgChangeListener)
        assert watch.wait_listening(10), "the listener did not connect"
        self.listener = watch

    def next_change(self, timeout: float = 5.0) -> CatalogChange:
        return self.heard.get(timeout=timeout)


@pytest.fixture
def desktops(tmp_path: Path, pg_url: str) -> Iterator[tuple[Desktop, Desktop]]:
    a = Desktop(tmp_path / "home-a", pg_url)
    b = Desktop(tmp_path / "home-b", pg_url)
    yield a, b
    a.services.close()
    b.services.close()


def _start(run_id: str) -> dict[str, object]:
    return {
        "v": 1,
        "type": "start",
        "run": run_id,
        "seq": 0,
        "n": 1,
        "experiment": "shared",
        "name": run_id,
        "started_at": time.time(),
    }


def _ingest_run(services: Services, run_id: str) -> None:
    with services.catalog.session_scope(write=True) as s:
        apply_events(s, run_id, [_start(run_id)])


def test_another_desktop_hears_an_ingest_with_its_run_ids(
    desktops: tuple[Desktop, Desktop],
) -> None:
    a, b = desktops
    started = time.perf_counter()
    _ingest_run(a.services, "run-from-a")
    change = b.next_change()
    assert time.perf_counter() - started < 1.0  # the speed target, with room to spare
    assert change.kind == RUNS
    assert change.ids == {"run-from-a"} and change.new_ids == {"run-from-a"}
    assert change.sender == a.services.catalog.desktop_id
    _ingest_run(b.services, "run-from-b")  # and the other way round
    heard_by_a = a.next_change()
    assert heard_by_a.kind == RUNS and heard_by_a.ids == {"run-from-b"}


def test_own_changes_are_not_echoed(desktops: tuple[Desktop, Desktop]) -> None:
    a, b = desktops
    _ingest_run(a.services, "mine")
    assert b.next_change().ids == {"mine"}  # delivered: so A's echo, if any, was sent too
    _ingest_run(b.services, "marker")
    assert a.next_change().ids == {"marker"}  # after its own echo would have come
    with pytest.raises(queue.Empty):
        b.heard.get_nowait()


def test_a_rolled_back_change_is_never_told(desktops: tuple[Desktop, Desktop]) -> None:
    a, b = desktops
    with pytest.raises(RuntimeError), a.services.catalog.session_scope(write=True) as s:
        apply_events(s, "lost", [_start("lost")])
        raise RuntimeError("the transaction fails")
    _ingest_run(a.services, "kept")
    assert b.next_change().ids == {"kept"}


def test_model_versions_alias_moves_and_dataset_versions_are_told(
    desktops: tuple[Desktop, Desktop], tmp_path: Path
) -> None:
    a, b = desktops
    models = a.services.models
    model_file = tmp_path / "model.bin"
    model_file.write_bytes(b"first")
    models.register("clf", path=model_file)
    assert b.next_change().kind == MODEL_VERSION
    model_file.write_bytes(b"second")
    models.register("clf", path=model_file)
    assert b.next_change().kind == MODEL_VERSION
    models.set_alias("clf", 1, "champion")
    assert b.next_change().kind == ALIAS
    models.set_alias("clf", 2, "champion")  # a move
    change = b.next_change()
    assert change.kind == ALIAS and change.areas == {"models"}
    data = tmp_path / "data"
    data.mkdir()
    (data / "rows.csv").write_text("a,b\n1,2\n")
    a.services.datasets.add(data, "iris")
    change = b.next_change()
    assert change.kind == DATASET_VERSION and change.areas == {"datasets"}


def test_a_dropped_listener_connection_reconnects(
    desktops: tuple[Desktop, Desktop], pg_url: str
) -> None:
    import psycopg

    a, b = desktops
    old_pid = b.listener.backend_pid
    dsn = pg_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s)", [old_pid]).fetchone() == (True,)
    assert b.problems.get(timeout=5).startswith("Live updates from other desktops paused")
    assert b.next_change().kind is None  # back: what it may have missed, reload everything
    assert b.problems.get(timeout=5) == ""
    assert b.listener.backend_pid != old_pid and b.listener.connections == 2
    _ingest_run(a.services, "after-reconnect")
    assert b.next_change().ids == {"after-reconnect"}


def _end(run_id: str) -> dict[str, object]:
    return {"v": 1, "type": "end", "run": run_id, "seq": 1, "status": "finished",
            "ended_at": time.time(), "error": None}  # fmt: skip


def _edit_job_and_monitor(services: Services, run_id: str) -> None:
    """What the tests below do on the desktop that makes the changes, one commit each."""
    experiments = services.experiments
    experiments.rename_run(run_id, "renamed on A")
    experiments.tag_run(run_id, {"reviewed": "yes"})
    experiments.tag_run(run_id, remove=["reviewed"])
    experiments.trash_runs([run_id])
    experiments.restore_runs([run_id])
    with services.catalog.session_scope(write=True) as s:
        job_repo.insert_job(s, JobInfo(run_id, "local", "queued", time.time()), {})
    with services.catalog.session_scope(write=True) as s:
        job_repo.update_job(s, run_id, state="running", started_at=time.time())
    record = monitor_repo.MonitorRecord("drift", "clf@champion", "ref", "cur", {}, time.time())
    monitor_repo.add_monitor(services.catalog, record, "")
    monitor_repo.set_config(services.catalog, "drift", {"window": 100})
    monitor_repo.remove_monitor(services.catalog, "drift")


def test_run_edits_job_states_and_monitor_changes_are_told(
    desktops: tuple[Desktop, Desktop],
) -> None:
    a, b = desktops
    with a.services.catalog.session_scope(write=True) as s:
        apply_events(s, "edited", [_start("edited"), _end("edited")])
    assert b.next_change().ids == {"edited"}
    _edit_job_and_monitor(a.services, "edited")
    heard = [b.next_change() for _ in range(10)]
    told = [(c.kind, set(c.ids)) for c in heard]
    assert told == [
        (RUNS, {"edited"}),  # rename: the run is reloaded
        (RUNS, {"edited"}),  # a tag set
        (RUNS, {"edited"}),  # a tag removed
        (RUNS, set()),  # to the trash: the listing is reloaded
        (RUNS, set()),  # restored
        (JOBS, {"edited"}),  # submitted
        (JOBS, {"edited"}),  # running
        (MONITORS, {"drift"}),  # added
        (MONITORS, {"drift"}),  # set
        (MONITORS, {"drift"}),  # removed
    ]
    assert {area for c in heard for area in c.areas} == {"runs", "jobs", "monitors"}
    assert a.heard.empty()  # never its own


def test_a_second_desktop_on_one_sqlite_file_hears_the_same_edits(
    temp_home: Path, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'lab.db'}"
    with Services.open(temp_home, url) as a, Services.open(tmp_path / "home-b", url) as b:
        heard: queue.Queue[CatalogChange] = queue.Queue()
        assert b.changes.watch(heard.put, poll_interval_s=0.05) is not None
        with a.catalog.session_scope(write=True) as s:
            apply_events(s, "edited", [_start("edited"), _end("edited")])
        heard.get(timeout=5)
        experiments = a.experiments
        for edit in (
            lambda: experiments.rename_run("edited", "renamed on A"),
            lambda: experiments.tag_run("edited", {"reviewed": "yes"}),
            lambda: experiments.trash_runs(["edited"]),
            lambda: monitor_repo.add_monitor(
                a.catalog,
                monitor_repo.MonitorRecord("drift", "clf@1", "ref", "cur", {}, time.time()),
                "",
            ),
        ):
            while not heard.empty():
                heard.get_nowait()
            edit()
            assert heard.get(timeout=5).kind is None  # SQLite tells that, not what: reload all
        with a.catalog.session_scope(write=True) as s:
            job_repo.insert_job(s, JobInfo("edited", "local", "queued", time.time()), {})
        assert heard.get(timeout=5).kind is None
