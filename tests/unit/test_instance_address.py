"""The single-instance address, request format and the early parse of a ``gui`` start."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mlops_desktop.entry import hand_over_early, parse_gui_start
from mlops_desktop.single_instance import (
    ShowRequest,
    StartClaim,
    claim_or_hand_over,
    instance_address,
)
from mlops_desktop.tracking.home import resolve_home


def test_request_round_trips_and_bad_lines_are_refused() -> None:
    request = ShowRequest(show_run="3f2a", show_model="clf@prod", pane="Models")
    line = request.to_line()
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert ShowRequest.from_line(line) == request
    assert ShowRequest.from_line(b'{"protocol": 1}') == ShowRequest()
    for bad in (b"[1, 2]", b'{"show_run": 5}', b"not json"):
        with pytest.raises(ValueError):
            ShowRequest.from_line(bad)


def test_address_is_one_per_home_and_catalog(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (tmp_path / "link").symlink_to(a)
    assert instance_address(a) == instance_address(tmp_path / "link")  # the resolved home
    assert instance_address(a) != instance_address(b)
    assert instance_address(a) != instance_address(a, "postgresql+psycopg://lab/db")
    assert f"-{os.getuid()}-" in os.path.basename(instance_address(a))
    assert len(instance_address(a).encode()) < 100


def test_only_a_gui_start_is_parsed_early(tmp_path: Path) -> None:
    home = str(tmp_path)
    start = parse_gui_start(["--home", home, "gui", "--show-run", "3f2a", "--pane", "Jobs"])
    assert start == (resolve_home(home), None, ShowRequest(show_run="3f2a", pane="Jobs"))
    assert parse_gui_start(["--home", home]) == (resolve_home(home), None, ShowRequest())
    assert parse_gui_start(["--catalog", "sqlite:///x.db"])[1] == "sqlite:///x.db"  # type: ignore[index]
    for other in (["runs", "list"], ["--version"], ["gui", "--help"], ["gui", "--nope"], ["-h"]):
        assert parse_gui_start(other) is None
        assert hand_over_early(other) is None


def test_first_start_claims_the_home_until_it_listens(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    address = instance_address(tmp_path / "home")
    Path(address).write_text("")  # a file where the socket would be: refuses connections
    claim = claim_or_hand_over(address, ShowRequest())
    assert isinstance(claim, StartClaim) and claim.locked
    assert claim_or_hand_over(address, ShowRequest()) is claim  # the GUI reuses the early claim
    claim.release()
    assert not claim.locked
    again = claim_or_hand_over(address, ShowRequest(), lock_timeout_s=0.1)
    assert again is not None and again is not claim and again.locked  # the lock was let go
    again.release()
