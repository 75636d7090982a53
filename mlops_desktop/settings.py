"""Typed, versioned settings stored as JSON in the home, with paths from platformdirs."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import platformdirs

from mlops_desktop.tracking.home import APP_NAME, HOME_ENV, resolve_home

SCHEMA_VERSION = 1
SETTINGS_FILENAME = "settings.json"


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
        runs_columns: extra param/metric columns shown in the runs table, e.g. "params.lr".
    """

    schema_version: int = SCHEMA_VERSION
    catalog_url: str = ""
    theme: str = "system"
    chart_smoothing: float = 0.0
    ingest_interval_s: float = 1.0
    runs_columns: list[str] | None = None
    problems: list[str] = field(default_factory=list, compare=False, repr=False)

    @classmethod
    def load(cls, home: Path) -> Settings:
        """Read settings from the home; a missing or unreadable file gives the defaults."""
        path = home / SETTINGS_FILENAME
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls()
        except (OSError, ValueError):
            broken = path.with_suffix(".json.broken")
            try:
                path.replace(broken)
            except OSError:
                pass
            return cls()
        return cls.from_dict(_migrate(raw) if isinstance(raw, dict) else {})

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Settings:
        known = {f.name for f in fields(cls)} - {"problems"}
        return cls(**{k: v for k, v in raw.items() if k in known})

    def save(self, home: Path) -> None:
        """Write atomically (temp file, then rename)."""
        home.mkdir(parents=True, exist_ok=True)
        path = home / SETTINGS_FILENAME
        tmp = path.with_suffix(".json.tmp")
        doc = {k: v for k, v in asdict(self).items() if k != "problems"}
        tmp.write_text(json.dumps(doc, indent=2), encoding="utf-8")
        os.replace(tmp, path)


def _migrate(raw: dict[str, Any]) -> dict[str, Any]:
    """Bring an older settings layout up to ``SCHEMA_VERSION``."""
    version = raw.get("schema_version", 0)
    if version < 1:
        # Layout 0 (never released) called the catalog URL "catalog".
        if "catalog" in raw and "catalog_url" not in raw:
            raw["catalog_url"] = raw.pop("catalog")
        raw["schema_version"] = 1
    return raw
