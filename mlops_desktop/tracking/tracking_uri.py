"""MLflow's tracking URI: here always a ``file:`` URI of the home runs are written to.

``set_tracking_uri("file:/path")`` (or a plain path) makes later runs of this process use that
folder as their home; any other URI (a server, ``sqlite:``, ``databricks``) leaves runs in the
current home, with a warning. A process the app launched keeps the launch's home.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

from mlops_desktop.tracking.catalog_peek import home_from_uri
from mlops_desktop.tracking.home import RUN_ID_ENV, resolve_home

_home: Path | None = None


def tracking_home() -> Path | None:
    """The home ``set_tracking_uri`` chose for this process, or None (the usual one)."""
    return _home


def get_tracking_uri() -> str:
    """The ``file:`` URI of the home runs are written to (``urlparse(uri).scheme == "file"``)."""
    return resolve_home(_home).as_uri()


def set_tracking_uri(uri: str | os.PathLike[str] | None) -> None:
    """Write the runs started after this call under the home ``uri`` names.

    A ``file:`` URI or a plain path is a home folder (created when a run starts); None or
    ``""`` returns to the usual home (``MLOPS_DESKTOP_HOME`` or the platform's). Other URIs
    cannot be written to from here: runs stay in the current home, with a warning.
    """
    global _home
    if uri is None or os.fspath(uri) == "":
        _home = None
        return
    text = os.fspath(uri)
    folder = home_from_uri(text)
    if folder is None:
        warnings.warn(
            f"Tracking URI {text!r} is not a local folder: runs stay in the local home "
            f"{resolve_home(_home)} (open it with mlops-desktop, or set a file: URI).",
            UserWarning,
            stacklevel=2,
        )
        return
    if os.environ.get(RUN_ID_ENV, "").strip():
        warnings.warn(
            f"This process was launched by the app: its runs stay in the launch's home "
            f"{resolve_home(None)}, not {text!r}.",
            UserWarning,
            stacklevel=2,
        )
        return
    _home = folder.resolve()
