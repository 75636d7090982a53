"""A machine sampled in this process at a steady rate: the local machine's live source.

:class:`PollingSource` calls a sampler on a daemon thread every ``interval`` seconds, on a
fixed schedule (a slow sample does not shift the ones after it), and reports each result as a
:class:`HostUpdate`. A sampler that raises gives a gap and a problem sentence, and the next tick
tries again: one bad reading never stops the stream.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from mlops_desktop.core.hardware import HostSample, HostUpdate

_log = logging.getLogger(__name__)


class PollingSource:
    """Samples one machine in this process.

    Args:
        host: the machine's name in the app.
        sample: takes one sample (blocking for at most a fraction of ``interval``).
        interval: seconds between samples.
        on_update: called from the source's thread with every update.
    """

    def __init__(
        self,
        host: str,
        sample: Callable[[], HostSample],
        interval: float,
        on_update: Callable[[HostUpdate], None],
    ) -> None:
        self.host = host
        self._sample = sample
        self.interval = max(0.1, float(interval))
        self._on_update = on_update
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"hw-{host}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def set_interval(self, seconds: float) -> None:
        self.interval = max(0.1, float(seconds))
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout)
        self._on_update(HostUpdate(self.host, time.time(), state="stopped"))

    def _loop(self) -> None:
        next_at = time.monotonic()
        failing = False
        while not self._stop.is_set():
            try:
                update = HostUpdate(self.host, time.time(), sample=self._sample())
                failing = False
            except Exception as exc:  # a sampler bug must not end the stream: say it, go on
                if not failing:
                    _log.warning("Sampling %s failed", self.host, exc_info=True)
                failing = True
                update = HostUpdate(
                    self.host, time.time(), problem=f"{self.host}: sampling failed: {exc}"
                )
            if self._stop.is_set():
                break
            self._on_update(update)
            next_at += self.interval
            delay = next_at - time.monotonic()
            if delay < 0:  # fell behind (a suspended laptop): restart the schedule
                next_at, delay = time.monotonic(), 0.0
            self._wake.wait(delay)
            if self._wake.is_set():
                self._wake.clear()
                next_at = time.monotonic()
