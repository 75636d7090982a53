"""Settings: typed, versioned, migrated, and the home resolved the same with and without Qt."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlops_desktop.settings import SCHEMA_VERSION, Settings, home_from, platform_home
from mlops_desktop.tracking.home import default_home, resolve_home


def test_tracking_default_home_matches_platformdirs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MLOPS_DESKTOP_HOME")
    assert default_home() == platform_home()
    assert resolve_home() == home_from()


def test_env_and_explicit_home(temp_home: Path, tmp_path: Path) -> None:
    assert home_from() == temp_home.resolve()
    assert resolve_home() == temp_home.resolve()
    assert home_from(tmp_path / "x") == (tmp_path / "x").resolve()


def test_round_trip(temp_home: Path) -> None:
    s = Settings(
        catalog_url="postgresql+psycopg://u@h/db", theme="dark", runs_columns=["params.lr"]
    )
    s.save(temp_home)
    loaded = Settings.load(temp_home)
    assert loaded == s


def test_missing_file_gives_defaults(temp_home: Path) -> None:
    assert Settings.load(temp_home) == Settings()


def test_migrates_layout_zero(temp_home: Path) -> None:
    (temp_home / "settings.json").write_text(json.dumps({"catalog": "sqlite:///x.db"}))
    s = Settings.load(temp_home)
    assert s.catalog_url == "sqlite:///x.db"
    assert s.schema_version == SCHEMA_VERSION


def test_corrupt_file_is_kept_aside_not_lost(temp_home: Path) -> None:
    (temp_home / "settings.json").write_text("{not json")
    assert Settings.load(temp_home) == Settings()
    assert (temp_home / "settings.json.broken").read_text() == "{not json"


def test_unknown_keys_are_ignored(temp_home: Path) -> None:
    (temp_home / "settings.json").write_text(json.dumps({"schema_version": 1, "future": 3}))
    assert Settings.load(temp_home) == Settings()
