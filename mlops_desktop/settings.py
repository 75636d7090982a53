"""Typed, versioned settings stored as JSON in the home, with paths from platformdirs.

Loading never fails: a value of the wrong type or out of range falls back to its field's
default, and a file that is not a JSON object is kept aside as ``settings.json.broken``; each
fallback is logged and told in :attr:`Settings.problems`, one sentence a person can act on.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from dataclasses import MISSING, Field, dataclass, field, fields
from pathlib import Path
from typing import Any

import platformdirs

from mlops_desktop.core.notices import NOTICE_KINDS
from mlops_desktop.tracking.home import APP_NAME, HOME_ENV, resolve_home

SCHEMA_VERSION = 1
SETTINGS_FILENAME = "settings.json"
THEMES = ("system", "light", "dark")
_SHOWN_CHARS = 80  # a bad value is quoted up to this length in a problem sentence

_log = logging.getLogger(__name__)


def platform_home() -> Path:
    """The default home: the platform's user data directory."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def home_from(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The home to use: ``--home``, else ``MLOPS_DESKTOP_HOME``, else the platform default."""
    if explicit is None and not os.environ.get(HOME_ENV):
        return platform_home()
    return resolve_home(explicit)


@dataclass
class Settings:
    """What a person can change in Preferences.

    Attributes:
        schema_version: version of this file's layout; older files are migrated on load.
        catalog_url: SQLAlchemy URL of the catalog; empty means ``HOME/catalog.db``.
        theme: "system", "light" or "dark".
        chart_smoothing: default smoothing weight of metric charts, 0 to 0.99.
        ingest_interval_s: how often the app looks for new points in local spools.
        runs_columns: extra param/metric columns of the runs table, e.g. "params.lr", as
            older versions saved them for every experiment; now each experiment keeps its own
            (``HOME/runs_table.json``) and this is read as the choice of "All experiments"
            until one is made there.
        hw_history_days: how many days of per-minute hardware history the catalog keeps.
        keep_spools: keep the raw spool files of ended runs; by default their events are
            removed once they are in the catalog (the runs' logs always stay).
        notifications_off: the notice kinds (``core.notices.NOTICE_KINDS``) a person turned
            off; every kind is on by default.
        keep_in_tray: closing the window keeps the app running in the tray (where the desktop
            has one); off by default: closing quits.
        runs_mine: the runs table shows only the runs of the OS user running the app (the
            "Mine" button next to its filter).
        problems: one sentence per value :meth:`load` could not use (the default took its
            place); never saved and not part of equality.
    """

    schema_version: int = SCHEMA_VERSION
    catalog_url: str = ""
    theme: str = "system"
    chart_smoothing: float = 0.0
    ingest_interval_s: float = 1.0
    runs_columns: list[str] | None = None
    hw_history_days: int = 7
    keep_spools: bool = False
    notifications_off: list[str] = field(default_factory=list)
    keep_in_tray: bool = False
    runs_mine: bool = False
    problems: list[str] = field(default_factory=list, compare=False, repr=False)

    @classmethod
    def load(cls, home: Path) -> Settings:
        """Read settings from the home; a missing file gives the defaults.

        Never raises for what the file holds: see :attr:`problems` for what was not used.
        """
        path = home / SETTINGS_FILENAME
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls()
        except (OSError, ValueError, RecursionError) as exc:
            return cls._defaults_instead_of(path, _why_unreadable(exc))
        if not isinstance(raw, dict):
            return cls._defaults_instead_of(path, f"holds {_shown(raw)}, not a JSON object")
        return cls.from_dict(raw, source=path.name)

    @classmethod
    def from_dict(cls, raw: dict[str, Any], source: str = SETTINGS_FILENAME) -> Settings:
        """Settings from the object of a settings file: migrated, each value checked.

        Args:
            raw: the parsed JSON object (not changed).
            source: the file named in problem sentences.
        """
        raw = _migrate(dict(raw))
        values: dict[str, Any] = {}
        problems: list[str] = []
        for f in fields(cls):
            rule = _RULES.get(f.name)
            if rule is None or f.name not in raw:
                continue
            value = raw[f.name]
            if rule.accepts(value):
                values[f.name] = rule.normalise(value)
                continue
            sentence = (
                f"{source}: {f.name} is {_shown(value)}, not {rule.wanted}; "
                f"using {_shown(_default_of(f))}."
            )
            _log.warning("%s", sentence)
            problems.append(sentence)
        unknown = sorted(set(raw) - set(_RULES))
        if unknown:
            _log.info("%s: ignoring unknown settings %s", source, ", ".join(unknown))
        return cls(**values, problems=problems)

    @classmethod
    def _defaults_instead_of(cls, path: Path, why: str) -> Settings:
        """The defaults, with ``path`` renamed aside so that saving does not overwrite it."""
        broken = path.with_suffix(".json.broken")
        try:
            path.replace(broken)
        except OSError as exc:
            kept = f"it could not be renamed ({exc.strerror or exc}), so saving will replace it"
        else:
            kept = f"it was renamed {broken} so that nothing in it is lost"
        sentence = f"{path.name} {why}; {kept}; using the default settings."
        _log.warning("%s", sentence)
        return cls(problems=[sentence])

    def notifies(self, kind: str) -> bool:
        """Whether notices of ``kind`` are on (Preferences > Notifications)."""
        return kind not in self.notifications_off

    def save(self, home: Path) -> None:
        """Write atomically (temp file, then rename); :attr:`problems` is not written."""
        home.mkdir(parents=True, exist_ok=True)
        path = home / SETTINGS_FILENAME
        tmp = path.with_suffix(".json.tmp")
        saved = {name: getattr(self, name) for name in _RULES}
        tmp.write_text(json.dumps(saved, indent=2), encoding="utf-8")
        os.replace(tmp, path)


@dataclass(frozen=True)
class _Rule:
    """What a stored value of one field must be.

    Attributes:
        accepts: whether a value loaded from JSON can be used.
        wanted: what a good value is, ending the sentence "KEY is VALUE, not ...".
        normalise: turns an accepted value into the field's type (an int into a float).
    """

    accepts: Callable[[Any], bool]
    wanted: str
    normalise: Callable[[Any], Any] = lambda value: value


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number_from(low: float, high: float) -> Callable[[Any], bool]:
    """Accepts an int or a float in ``[low, high]``: never a bool, NaN or an infinity."""

    def accepts(value: Any) -> bool:
        is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
        return is_number and low <= value <= high  # False for NaN; ints of any size compare

    return accepts


def _int_from(low: int, high: int) -> Callable[[Any], bool]:
    """Accepts a whole number (never a bool) in ``[low, high]``."""
    return lambda value: _is_int(value) and low <= value <= high


def _is_column_list(value: Any) -> bool:
    return value is None or (isinstance(value, list) and all(isinstance(v, str) for v in value))


# One rule per saved field of Settings, in the order of the fields.
_RULES: dict[str, _Rule] = {
    "schema_version": _Rule(_is_int, "a whole number"),
    "catalog_url": _Rule(
        lambda value: isinstance(value, str),
        'text: a catalog URL such as "postgresql+psycopg://user@host/db", or "" for the '
        "home's own catalog",
    ),
    "theme": _Rule(lambda value: value in THEMES, 'one of "system", "light" or "dark"'),
    "chart_smoothing": _Rule(_number_from(0.0, 0.99), "a number from 0 to 0.99", float),
    "ingest_interval_s": _Rule(
        _number_from(0.2, 3600.0), "a number of seconds from 0.2 to 3600", float
    ),
    "runs_columns": _Rule(
        _is_column_list,
        'null or a list of column names such as ["params.lr"]',
        lambda value: None if value is None else list(value),
    ),
    "hw_history_days": _Rule(_int_from(1, 365), "a whole number of days from 1 to 365"),
    "keep_spools": _Rule(lambda value: isinstance(value, bool), "true or false"),
    "notifications_off": _Rule(
        lambda value: isinstance(value, list) and all(v in NOTICE_KINDS for v in value),
        "a list of notice kinds among " + ", ".join(f'"{k}"' for k in NOTICE_KINDS),
        lambda value: sorted(set(value), key=NOTICE_KINDS.index),
    ),
    "keep_in_tray": _Rule(lambda value: isinstance(value, bool), "true or false"),
    "runs_mine": _Rule(lambda value: isinstance(value, bool), "true or false"),
}


def _default_of(f: Field[Any]) -> Any:
    """The default value of a settings field (made by its factory when it has one)."""
    if f.default is MISSING and f.default_factory is not MISSING:
        return f.default_factory()
    return f.default


def _shown(value: Any) -> str:
    """``value`` as it reads in the JSON file, cut short when long."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):
        text = f"a {type(value).__name__}"
    return text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 1] + "…"


def _why_unreadable(exc: BaseException) -> str:
    """Why the settings file could not be parsed, completing "settings.json ..."."""
    if isinstance(exc, json.JSONDecodeError):
        return f"is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})"
    if isinstance(exc, UnicodeDecodeError):
        return "is not UTF-8 text"
    if isinstance(exc, RecursionError):
        return "is not valid JSON (it is nested too deeply)"
    if isinstance(exc, OSError):
        return f"cannot be read ({exc.strerror or exc})"
    return f"is not valid JSON ({exc})"


def _migrate(raw: dict[str, Any]) -> dict[str, Any]:
    """Bring an older settings layout up to ``SCHEMA_VERSION`` (in place; returns ``raw``)."""
    version = raw.get("schema_version", 0)
    if not _is_int(version):  # a hand-edited current file: the check of the field says so
        return raw
    if version < 1:
        # Layout 0 (never released) called the catalog URL "catalog".
        if "catalog" in raw and "catalog_url" not in raw:
            raw["catalog_url"] = raw.pop("catalog")
        raw["schema_version"] = 1
    return raw
