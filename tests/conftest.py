"""Fixtures for every test: a temp home, offscreen Qt, and the rule for system services."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.pop("MLOPS_DESKTOP_RUN_ID", None)
os.environ.pop("MLOPS_DESKTOP_SPOOL", None)

REQUIRE_SYSTEM = os.environ.get("MLOPS_DESKTOP_REQUIRE_SYSTEM") == "1"


def system_missing(what: str) -> None:
    """Skip the test because a system service is missing, or fail when CI requires it."""
    if REQUIRE_SYSTEM:
        pytest.fail(f"{what} (MLOPS_DESKTOP_REQUIRE_SYSTEM=1 makes this a failure)")
    pytest.skip(what)


@pytest.fixture(autouse=True)
def temp_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every test gets its own app home; the user's real data is never touched."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("MLOPS_DESKTOP_HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    yield home


@pytest.fixture(autouse=True)
def _no_leaked_threads() -> Iterator[None]:
    """Fail a test that leaves non-daemon threads running."""
    before = set(threading.enumerate())
    yield
    leaked = [t for t in threading.enumerate() if t not in before and t.is_alive() and not t.daemon]
    for t in leaked:
        t.join(timeout=5)
    still = [t.name for t in leaked if t.is_alive()]
    assert not still, f"threads leaked by the test: {still}"
