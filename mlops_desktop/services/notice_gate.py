"""Which notices reach the person, and when: kinds turned off, repeats, what happened before
the app started, and bursts folded into one summary.

Pure logic with the time passed in, so that the GUI drives it with a timer and tests drive it
with numbers.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable, Iterable

from mlops_desktop.core.notices import MESSAGE_KIND, Notice
from mlops_desktop.core.plural import count_noun

BURST = 3
"""At most this many notices are delivered one by one within :data:`WINDOW_S`."""
WINDOW_S = 10.0
EARLY_TOLERANCE_S = 5.0
"""A thing that happened this little before the app started still counts as seen live (the
clocks of a remote host and this one may differ by a few seconds)."""

_SUMMARY_WORDS = {
    "run_finished": ("run", "finished"),
    "run_failed": ("run", "failed"),
    "job_lost": ("job", "lost"),
    "gpu_idle": ("run", "with idle GPUs"),
    "monitor_alert": ("monitor alert", ""),
    MESSAGE_KIND: ("message", ""),
}


class NoticeGate:
    """Filters notices and folds bursts: see the module docstring.

    Args:
        enabled: whether a kind is on (asked at each offer, so Preferences apply at once);
            notices of :data:`MESSAGE_KIND` are always on.
        started_at: when the app started; notices of things that happened earlier are dropped.
        burst, window_s: at most ``burst`` deliveries (a summary counts as one) per
            ``window_s`` seconds; more notices wait and leave as one summary.
    """

    def __init__(
        self,
        enabled: Callable[[str], bool],
        started_at: float,
        burst: int = BURST,
        window_s: float = WINDOW_S,
    ) -> None:
        self._enabled = enabled
        self.started_at = started_at
        self.burst = max(1, burst)
        self.window_s = window_s
        self._seen: set[str] = set()
        self._sent: deque[float] = deque()
        self._held: list[Notice] = []

    @property
    def held(self) -> int:
        """How many notices wait for the next delivery."""
        return len(self._held)

    def offer(self, notices: Iterable[Notice], now: float) -> list[Notice]:
        """Take ``notices``; returns what to deliver now (each, or one summary)."""
        for notice in notices:
            if notice.kind != MESSAGE_KIND and not self._enabled(notice.kind):
                continue
            if notice.at is not None and notice.at < self.started_at - EARLY_TOLERANCE_S:
                continue
            if notice.key:
                if notice.key in self._seen:
                    continue
                self._seen.add(notice.key)
            self._held.append(notice)
        return self._release(now)

    def due(self, now: float) -> float | None:
        """When held notices may leave (None: none are held)."""
        if not self._held:
            return None
        self._forget_old(now)
        if len(self._sent) < self.burst:
            return now
        return self._sent[0] + self.window_s

    def flush(self, now: float) -> list[Notice]:
        """What to deliver now of the held notices (call it at :meth:`due`)."""
        return self._release(now)

    def _forget_old(self, now: float) -> None:
        while self._sent and now - self._sent[0] >= self.window_s:
            self._sent.popleft()

    def _release(self, now: float) -> list[Notice]:
        self._forget_old(now)
        room = self.burst - len(self._sent)
        if not self._held or room <= 0:
            return []
        out = list(self._held) if len(self._held) <= room else [summary_notice(self._held)]
        self._held = []
        self._sent.extend([now] * len(out))
        return out


def summary_notice(notices: list[Notice]) -> Notice:
    """One notice telling many: "12 updates" with "10 runs finished, 2 runs failed."."""
    counts = Counter(n.kind for n in notices)
    parts = []
    for kind, count in counts.most_common():
        noun, verb = _SUMMARY_WORDS.get(kind, ("update", ""))
        parts.append(f"{count_noun(count, noun)} {verb}".rstrip())
    kinds = set(counts)
    if kinds <= {"run_finished", "run_failed"}:
        title = f"{count_noun(len(notices), 'run')} ended"
    else:
        title = f"{count_noun(len(notices), 'update')}"
    body = ", ".join(parts) + "."
    return Notice(MESSAGE_KIND, title, body[0].upper() + body[1:])
