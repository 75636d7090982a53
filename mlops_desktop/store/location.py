"""Where a lab store is: a folder (a shared filesystem) or ``ssh://HOST/path``."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from mlops_desktop.core.errors import StoreError

SSH_PREFIX = "ssh://"


@dataclass(frozen=True)
class StoreLocation:
    """A parsed store location.

    Attributes:
        host: the name of one of the app's SSH hosts, or None for a folder.
        path: the folder (absolute), on this machine or on ``host``.
    """

    host: str | None
    path: str

    def __str__(self) -> str:
        return f"{SSH_PREFIX}{self.host}{self.path}" if self.host else self.path


def parse_location(text: str, cwd: Path | None = None) -> StoreLocation:
    """The location ``text`` names; a relative folder is made absolute against ``cwd``.

    Raises:
        StoreError: the text names no folder, or an ``ssh://`` location has no host or path.
    """
    text = text.strip()
    if not text:
        raise StoreError("Give the store's location: a folder, or ssh://HOST/path.")
    if "\x00" in text or "\n" in text:
        raise StoreError("A store location cannot hold control characters.")
    if text.startswith(SSH_PREFIX):
        host, slash, path = text[len(SSH_PREFIX) :].partition("/")
        if not host or not slash:
            raise StoreError(
                f"{text!r} names no host and folder: write ssh://HOST/path, where HOST is one "
                "of `mlops-desktop hosts list`."
            )
        path = "/" + path.strip("/")
        if path == "/" or ".." in path.split("/"):
            raise StoreError(f"{text!r}: give the store its own folder on {host}, e.g. /srv/lab.")
        return StoreLocation(host, path)
    folder = Path(os.path.expanduser(text))
    if not folder.is_absolute():
        folder = (cwd or Path.cwd()) / folder
    return StoreLocation(None, os.path.normpath(folder))
