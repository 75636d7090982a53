"""Where the app's home is, computed with the standard library only.

``settings.py`` resolves the same directory through platformdirs; a test keeps the two equal.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

APP_NAME = "mlops-desktop"
HOME_ENV = "MLOPS_DESKTOP_HOME"
RUN_ID_ENV = "MLOPS_DESKTOP_RUN_ID"
SPOOL_ENV = "MLOPS_DESKTOP_SPOOL"

SPOOL_DIRNAME = "spool"
EVENTS_FILENAME = "events.jsonl"
LOG_FILENAME = "output.log"
SYSTEM_FILENAME = "system.jsonl"  # hardware samples a launcher writes (own sequence numbers)
ARTIFACTS_DIRNAME = "artifacts"
RECLAIMED_FILENAME = "reclaimed.json"  # {spool file: bytes the ingester removed from its start}


def default_home() -> Path:
    """The platform's user data directory for the app (what platformdirs returns)."""
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / APP_NAME
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / APP_NAME
    xdg = os.environ.get("XDG_DATA_HOME", "").strip()
    base = Path(xdg) if xdg else Path.home() / ".local" / "share"
    return base / APP_NAME


def resolve_home(home: str | os.PathLike[str] | None = None) -> Path:
    """The home to use: an explicit one, else ``MLOPS_DESKTOP_HOME``, else the default."""
    if home is not None:
        return Path(home).expanduser().resolve()
    env = os.environ.get(HOME_ENV)
    if env:
        return Path(env).expanduser().resolve()
    return default_home()


def spool_root(home: Path) -> Path:
    """The folder that holds one spool folder per run."""
    return home / SPOOL_DIRNAME


def run_spool_dir(home: Path, run_id: str) -> Path:
    """The spool folder of one run: ``events.jsonl`` and ``output.log``."""
    return spool_root(home) / run_id


def artifact_root(home: Path) -> Path:
    """The content-addressed artifact store."""
    return home / ARTIFACTS_DIRNAME


def reclaimed_bytes(spool_dir: Path) -> dict[str, int]:
    """Bytes removed from the start of each spool file of ``spool_dir`` once ingested ({}
    when none): a mirror adds them to the local size to get the remote offset."""
    try:
        raw = json.loads((spool_dir / RECLAIMED_FILENAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(raw, dict):
        return {}
    return {k: v for k, v in raw.items() if type(v) is int and v >= 0}
