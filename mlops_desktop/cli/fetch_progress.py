"""One updating line on stderr while a blob is fetched from the lab store, e.g.
``Fetching model/weights.pt from the lab store: 45 % of 1.0 GB`` (the file's name; a hash
prefix only where no name is known): only when stderr is a terminal, so pipes and ``--json``
readers stay clean."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from mlops_desktop.cli.output import human_bytes

MIN_INTERVAL_S = 0.1


class FetchLine:
    """A fetch reporter (bytes done, bytes in all, the file's name or hex hash) drawing one
    line that is redrawn in place and finished with a newline when the blob is complete."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self._last = 0.0
        self._width = 0

    def __call__(self, done: int, total: int, what: str) -> None:
        finished = done >= total
        now = time.monotonic()
        if not finished and now - self._last < MIN_INTERVAL_S:
            return
        self._last = now
        name = f"{what[:8]}…" if len(what) == 64 else what
        percent = 100 * done // total if total else 100
        text = f"Fetching {name} from the lab store: {percent} % of {human_bytes(total)}"
        pad = " " * max(0, self._width - len(text))
        self._width = 0 if finished else len(text)
        self.stream.write(f"\r{text}{pad}" + ("\n" if finished else ""))
        self.stream.flush()


def report_fetches_on_terminal(stream: TextIO | None = None) -> bool:
    """Draw a :class:`FetchLine` on ``stream`` (stderr) for every fetch of this process when
    it is a terminal; True when it does."""
    stream = stream if stream is not None else sys.stderr
    try:
        interactive = stream.isatty()
    except (AttributeError, ValueError):
        interactive = False
    if not interactive:
        return False
    from mlops_desktop.services.lab_store import set_fetch_reporter

    set_fetch_reporter(FetchLine(stream))
    return True
