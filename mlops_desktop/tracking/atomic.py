"""Files replaced all at once: a reader sees the old content or the new, never part of it.

Standard library only, like all of :mod:`mlops_desktop.tracking`.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def temp_file_in(folder: Path, prefix: str, suffix: str = "") -> Iterator[tuple[int, str]]:
    """A new temp file in ``folder`` (same file system as the target), as ``(fd, path)``.

    The block writes it (taking over ``fd``) and renames it into place; when the block raises,
    the temp file is removed.
    """
    fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=folder)
    try:
        yield fd, tmp
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_bytes_atomic(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Replace ``path`` with ``data``: written and fsync'd in a temp file beside it, given
    ``mode``, then renamed over it."""
    with temp_file_in(path.parent, prefix=f".{path.name}.") as (fd, tmp):
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)


def write_text_atomic(path: Path, text: str, mode: int = 0o600) -> None:
    """:func:`write_bytes_atomic` of ``text`` in UTF-8."""
    write_bytes_atomic(path, text.encode("utf-8"), mode)
