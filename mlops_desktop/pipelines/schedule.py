"""The ``schedule`` trigger of a pipeline: how often it runs while the app is open.

Written as a number of seconds (``3600``) or with units, alone or combined: ``30m``, ``6h``,
``1d``, ``1h30m``, ``90s``, ``2 hours``. The app checks schedules once a minute, so an interval
shorter than a minute is refused rather than silently stretched.
"""

from __future__ import annotations

import math
import re

from mlops_desktop.core.errors import PipelineError

MIN_INTERVAL_S = 60.0
_UNITS = {
    "s": 1.0,
    "sec": 1.0,
    "secs": 1.0,
    "second": 1.0,
    "seconds": 1.0,
    "m": 60.0,
    "min": 60.0,
    "mins": 60.0,
    "minute": 60.0,
    "minutes": 60.0,
    "h": 3600.0,
    "hr": 3600.0,
    "hrs": 3600.0,
    "hour": 3600.0,
    "hours": 3600.0,
    "d": 86400.0,
    "day": 86400.0,
    "days": 86400.0,
    "w": 604800.0,
    "week": 604800.0,
    "weeks": 604800.0,
}
_PART = re.compile(r"\s*(\d+(?:\.\d+)?|\.\d+)\s*([A-Za-z]*)")
_EXAMPLES = '"30m", "6h", "1d", "1h30m" or a number of seconds'


def parse_interval(value: str | int | float) -> float:
    """The interval ``value`` names, in seconds.

    Raises:
        PipelineError: not an interval, zero, or shorter than a minute (one sentence that
            says what to write instead).
    """
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise PipelineError(f"schedule {value!r} is not an interval: write {_EXAMPLES}.")
    seconds = float(value) if isinstance(value, (int, float)) else _parse_text(value)
    if not math.isfinite(seconds) or seconds <= 0:
        raise PipelineError(f"schedule {value!r} is not a positive interval: write {_EXAMPLES}.")
    if seconds < MIN_INTERVAL_S:
        raise PipelineError(
            f"schedule {value!r} is shorter than a minute, the app's check interval; "
            'write "1m" or more.'
        )
    return seconds


def _parse_text(text: str) -> float:
    rest = text.strip().lower()
    if not rest:
        raise PipelineError(f"schedule is empty: write {_EXAMPLES}.")
    total = 0.0
    pos = 0
    last_unit = None
    while pos < len(rest):
        m = _PART.match(rest, pos)
        if m is None or not m.group(0).strip():
            raise PipelineError(f"schedule {text!r} is not an interval: write {_EXAMPLES}.")
        number, unit = m.group(1), m.group(2)
        if not unit and (pos > 0 or m.end() < len(rest.rstrip())):
            raise PipelineError(
                f"schedule {text!r}: the number {number} has no unit (s, m, h, d or w)."
            )
        if unit and unit not in _UNITS:
            raise PipelineError(
                f"schedule {text!r}: unknown unit {unit!r}; use s, m, h, d or w (e.g. {_EXAMPLES})."
            )
        if unit and last_unit == _UNITS[unit]:
            raise PipelineError(f"schedule {text!r} names the unit {unit!r} twice.")
        last_unit = _UNITS.get(unit)
        total += float(number) * _UNITS.get(unit, 1.0)
        pos = m.end()
        while pos < len(rest) and rest[pos] in " ,":
            pos += 1
    return total


def describe_interval(seconds: float) -> str:
    """A short text for an interval in seconds: 21600 -> "every 6 h", 5400 -> "every 90 min"."""
    for size, unit in ((604800, "w"), (86400, "d"), (3600, "h"), (60, "min")):
        if seconds >= size and seconds % size == 0:
            return f"every {int(seconds // size)} {unit}"
    if seconds >= 60 and seconds % 60 == 0:
        return f"every {int(seconds // 60)} min"
    return f"every {seconds:g} s"
