"""The change feed's payloads and SQLite's ``PRAGMA data_version`` poll (real catalog files)."""

from __future__ import annotations

import json
import queue
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from mlops_desktop.catalog.writes import apply_events
from mlops_desktop.core.catalog_changes import (
    ALL_AREAS,
    MAX_PAYLOAD_BYTES,
    RUNS,
    CatalogChange,
    decode_payload,
    encode_payload,
)
from mlops_desktop.services.bundle import Services


def test_a_payload_round_trips_and_names_its_area() -> None:
    text = encode_payload(RUNS, ["b", "a"], ["a"], "desk1")
    assert len(text) < 100
    change = decode_payload(text)
    assert change == CatalogChange(RUNS, frozenset({"a", "b"}), frozenset({"a"}), "desk1")
    assert change.areas == {"runs"}
    assert decode_payload(encode_payload("alias", ["3"], [], "d")).areas == {"models"}
    assert decode_payload(encode_payload("dataset_version", ["1"], [], "d")).areas == {"datasets"}
    assert decode_payload(encode_payload("pipeline", ["wine"], [], "d")).areas == {"pipelines"}


def test_too_many_ids_are_left_out_and_the_whole_area_reloads() -> None:
    ids = [f"{i:032x}" for i in range(1000)]
    text = encode_payload(RUNS, ids, ids, "desk1")
    assert len(text.encode()) <= MAX_PAYLOAD_BYTES
    change = decode_payload(text)
    assert change.kind == RUNS and change.ids == frozenset() and change.sender == "desk1"


@pytest.mark.parametrize("text", ["", "not json", "[1, 2]", json.dumps({"kind": "weird"})])
def test_an_unreadable_payload_is_an_unknown_change(text: str) -> None:
    change = decode_payload(text)
    assert change.kind is None and change.areas == ALL_AREAS


def _start_event(run_id: str) -> dict[str, object]:
    return {
        "v": 1,
        "type": "start",
        "run": run_id,
        "seq": 0,
        "n": 1,
        "experiment": "exp",
        "name": run_id,
        "started_at": time.time(),
    }


def _poller(services: Services) -> tuple[object, queue.Queue[CatalogChange]]:
    heard: queue.Queue[CatalogChange] = queue.Queue()
    watch = services.changes.watch(heard.put, poll_interval_s=0.05)
    assert watch is not None
    return watch, heard


def test_sqlite_poll_hears_another_connections_commit(temp_home: Path, tmp_path: Path) -> None:
    with Services.open(temp_home) as ours:
        watch, heard = _poller(ours)
        db = temp_home / "catalog.db"
        other = Services.open(tmp_path / "other-home", f"sqlite:///{db}")  # another desktop
        try:
            with other.catalog.session_scope(write=True) as s:
                apply_events(s, "r-other", [_start_event("r-other")])
            change = heard.get(timeout=5)
            assert change.kind is None and change.areas == ALL_AREAS
        finally:
            other.close()
        # the command line or any other program: a plain sqlite3 connection
        conn = sqlite3.connect(db)
        with conn:
            conn.execute("UPDATE run SET name = 'renamed' WHERE id = 'r-other'")
        conn.close()
        assert heard.get(timeout=5).kind is None
        assert watch is not None


def _quiet_poller(services: Services) -> object:
    """A poller whose thread never looks by itself: the test asks ``changed()``."""
    watch = services.changes.watch(lambda _change: None, poll_interval_s=3600)
    assert watch is not None
    return watch


def test_sqlite_poll_ignores_our_own_commits_and_no_ops(temp_home: Path) -> None:
    with Services.open(temp_home) as ours:
        watch = _quiet_poller(ours)
        for i in range(5):  # our own writes (an ingest) are told by the ingest loop, not here
            with ours.catalog.session_scope(write=True) as s:
                apply_events(s, f"r{i}", [_start_event(f"r{i}")])
        with ours.catalog.session_scope() as s:  # a write in a transaction not marked so
            apply_events(s, "deferred", [_start_event("deferred")])
        conn = sqlite3.connect(temp_home / "catalog.db")  # another connection, reading only
        with conn:
            assert conn.execute("SELECT count(*) FROM run").fetchone() == (6,)
            conn.execute("UPDATE run SET name = 'x' WHERE id = 'no such run'")  # no change
        conn.close()
        assert not watch.changed()  # type: ignore[attr-defined]


def test_another_commit_just_before_our_own_is_not_swallowed(temp_home: Path) -> None:
    with Services.open(temp_home) as ours:
        watch = _quiet_poller(ours)
        with ours.catalog.session_scope(write=True) as s:
            apply_events(s, "first", [_start_event("first")])
        assert not watch.changed()  # type: ignore[attr-defined]
        conn = sqlite3.connect(temp_home / "catalog.db")
        with conn:
            conn.execute("UPDATE run SET name = 'renamed' WHERE id = 'first'")  # another program
        conn.close()
        with ours.catalog.session_scope(write=True) as s:  # then ours, before any poll
            apply_events(s, "mine", [_start_event("mine")])
        assert watch.changed()  # type: ignore[attr-defined]
        assert not watch.changed()  # type: ignore[attr-defined]


def test_closing_the_services_stops_the_poll(temp_home: Path) -> None:
    services = Services.open(temp_home)
    _poller(services)
    services.close()
    assert not [t for t in threading.enumerate() if t.name == "catalog-change-poll"]
