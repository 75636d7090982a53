"""Settings: typed, versioned, migrated, and the home resolved the same with and without Qt."""

from __future__ import annotations

import dataclasses
import json
import logging
import re
from pathlib import Path

import pytest

from mlops_desktop import settings as settings_module
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
        catalog_url="postgresql+psycopg://u@h/db",
        theme="dark",
        runs_columns=["params.lr"],
        keep_spools=True,
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


# -- every value checked on load ----------------------------------------------------------


def _load_with(home: Path, **values: object) -> Settings:
    (home / "settings.json").write_text(json.dumps({"schema_version": 1, **values}))
    return Settings.load(home)


def test_interval_given_as_text_falls_back_with_a_sentence(temp_home: Path) -> None:
    s = _load_with(temp_home, ingest_interval_s="2", theme="dark")
    assert s.ingest_interval_s == 1.0
    assert s.theme == "dark"  # the good values of the file are kept
    assert s.problems == [
        'settings.json: ingest_interval_s is "2", not a number of seconds from 0.2 to 3600; '
        "using 1.0."
    ]


@pytest.mark.parametrize(
    ("key", "bad"),
    [
        ("schema_version", "1"),
        ("schema_version", 1.0),
        ("schema_version", True),
        ("catalog_url", 5),
        ("catalog_url", None),
        ("theme", "blue"),
        ("theme", "Dark"),
        ("theme", ["dark"]),
        ("chart_smoothing", -0.1),
        ("chart_smoothing", 1),
        ("chart_smoothing", True),
        ("chart_smoothing", "0.5"),
        ("ingest_interval_s", 0.1),
        ("ingest_interval_s", 3600.5),
        ("ingest_interval_s", False),
        ("ingest_interval_s", None),
        ("runs_columns", "params.lr"),
        ("runs_columns", ["params.lr", 3]),
        ("runs_columns", {"params.lr": True}),
        ("hw_history_days", 0),
        ("hw_history_days", 366),
        ("hw_history_days", 7.0),
        ("hw_history_days", True),
        ("keep_spools", "yes"),
        ("keep_spools", 1),
    ],
)
def test_a_bad_value_gives_the_default_and_names_file_field_value_and_default(
    temp_home: Path, key: str, bad: object
) -> None:
    s = _load_with(temp_home, **{key: bad})
    default = getattr(Settings(), key)
    assert getattr(s, key) == default
    assert len(s.problems) == 1
    sentence = s.problems[0]
    assert sentence.startswith(f"settings.json: {key} is {json.dumps(bad)}, not ")
    assert sentence.endswith(f"; using {json.dumps(default)}.")


@pytest.mark.parametrize("text", ["NaN", "Infinity", "-Infinity", "1e400", "1" + "0" * 400])
def test_non_finite_numbers_are_out_of_range(temp_home: Path, text: str) -> None:
    (temp_home / "settings.json").write_text(
        f'{{"chart_smoothing": {text}, "ingest_interval_s": {text}}}'
    )
    s = Settings.load(temp_home)
    assert (s.chart_smoothing, s.ingest_interval_s) == (0.0, 1.0)
    assert [p.split(" is ")[0] for p in s.problems] == [
        "settings.json: chart_smoothing",
        "settings.json: ingest_interval_s",
    ]


def test_values_at_the_ends_of_the_ranges_and_ints_for_floats_are_used(temp_home: Path) -> None:
    s = _load_with(temp_home, chart_smoothing=0, ingest_interval_s=3600, runs_columns=[])
    assert (s.chart_smoothing, s.ingest_interval_s, s.runs_columns) == (0.0, 3600.0, [])
    assert isinstance(s.chart_smoothing, float) and isinstance(s.ingest_interval_s, float)
    s = _load_with(temp_home, chart_smoothing=0.99, ingest_interval_s=0.2, runs_columns=None)
    assert (s.chart_smoothing, s.ingest_interval_s, s.runs_columns) == (0.99, 0.2, None)
    assert s.problems == []
    assert _load_with(temp_home, hw_history_days=1).hw_history_days == 1
    assert _load_with(temp_home, hw_history_days=365).hw_history_days == 365


def test_every_bad_value_is_told_and_logged(
    temp_home: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="mlops_desktop.settings")
    s = _load_with(temp_home, theme=3, chart_smoothing=2, ingest_interval_s="2", extra=1)
    assert s == Settings()
    assert [p.split(" is ")[0] for p in s.problems] == [
        "settings.json: theme",
        "settings.json: chart_smoothing",
        "settings.json: ingest_interval_s",
    ]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == s.problems
    infos = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert infos == ["settings.json: ignoring unknown settings extra"]


def test_a_text_schema_version_is_told_not_raised(temp_home: Path) -> None:
    s = _load_with(temp_home, schema_version="1", catalog_url="sqlite:///x.db")
    assert (s.schema_version, s.catalog_url) == (SCHEMA_VERSION, "sqlite:///x.db")
    assert s.problems == ['settings.json: schema_version is "1", not a whole number; using 1.']


def test_unknown_keys_are_not_problems(temp_home: Path) -> None:
    assert _load_with(temp_home, future=3, problems=["old"]).problems == []


def test_problems_are_not_saved_compared_or_shown(temp_home: Path) -> None:
    s = _load_with(temp_home, theme="blue")
    assert s.problems and s == Settings()
    assert "problems" not in repr(s)
    s.save(temp_home)
    saved = json.loads((temp_home / "settings.json").read_text())
    assert "problems" not in saved
    assert saved == {
        "schema_version": 1,
        "catalog_url": "",
        "theme": "system",
        "chart_smoothing": 0.0,
        "ingest_interval_s": 1.0,
        "runs_columns": None,
        "hw_history_days": 7,
        "keep_spools": False,
        "notifications_off": [],
        "keep_in_tray": False,
        "runs_mine": False,
    }
    assert Settings.load(temp_home).problems == []


def test_every_saved_field_has_a_rule() -> None:
    saved = [f.name for f in dataclasses.fields(Settings) if f.compare]
    assert list(settings_module._RULES) == saved


def test_a_loaded_list_is_not_shared_with_the_file_object() -> None:
    raw = {"runs_columns": ["params.lr"]}
    s = Settings.from_dict(raw)
    assert s.runs_columns == ["params.lr"] and s.runs_columns is not raw["runs_columns"]
    assert raw == {"runs_columns": ["params.lr"]}  # from_dict leaves its argument alone


def test_a_long_bad_value_is_cut_short_in_the_sentence(temp_home: Path) -> None:
    s = _load_with(temp_home, catalog_url=["x" * 500])
    assert len(s.problems[0]) < 300
    assert "…" in s.problems[0]


# -- a file that is not a JSON object ------------------------------------------------------


def test_corrupt_file_is_told_and_where_it_was_kept(temp_home: Path) -> None:
    (temp_home / "settings.json").write_text('{"theme": "dark",}')
    s = Settings.load(temp_home)
    assert s == Settings()
    broken = temp_home / "settings.json.broken"
    assert len(s.problems) == 1
    # json's own reason (its wording differs between Python versions), then where it stopped
    assert re.fullmatch(
        r"settings\.json is not valid JSON \(.+ at line 1, column 18\); "
        rf"it was renamed {re.escape(str(broken))} so that nothing in it is lost; "
        r"using the default settings\.",
        s.problems[0],
    )
    assert broken.read_text() == '{"theme": "dark",}'
    assert not (temp_home / "settings.json").exists()


@pytest.mark.parametrize("text", ["[1, 2]", "null", '"dark"', "3"])
def test_a_file_that_is_not_an_object_is_kept_aside_and_told(temp_home: Path, text: str) -> None:
    (temp_home / "settings.json").write_text(text)
    s = Settings.load(temp_home)
    assert s == Settings()
    assert s.problems[0].startswith(f"settings.json holds {text}, not a JSON object; it was")
    assert (temp_home / "settings.json.broken").read_text() == text


def test_a_file_that_is_not_utf8_is_told(temp_home: Path) -> None:
    (temp_home / "settings.json").write_bytes(b'{"theme": "d\xe4rk"}')
    s = Settings.load(temp_home)
    assert s == Settings()
    assert s.problems[0].startswith("settings.json is not UTF-8 text; it was renamed")


def test_deeply_nested_json_is_told_not_raised(temp_home: Path) -> None:
    (temp_home / "settings.json").write_text("[" * 100_000 + "]" * 100_000)
    s = Settings.load(temp_home)
    assert s == Settings()
    assert s.problems[0].startswith("settings.json is not valid JSON")


def test_a_file_that_cannot_be_kept_aside_is_told(
    temp_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (temp_home / "settings.json").write_text("{not json")

    def refuse(self: Path, target: Path) -> Path:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "replace", refuse)
    s = Settings.load(temp_home)
    assert s == Settings()
    assert (
        "it could not be renamed (Permission denied), so saving will replace it" in (s.problems[0])
    )
