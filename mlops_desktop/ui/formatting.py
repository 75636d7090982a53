"""How values read on screen: times, durations, numbers with 4 significant digits, sizes, counts
with their noun (:func:`count_noun`: "1 run", "2 runs"), and user text with its control
characters escaped (:func:`shown_text`, :func:`shown_lines`)."""

from __future__ import annotations

import html
import math
import time
from typing import Any

from mlops_desktop.core.plural import count_noun
from mlops_desktop.core.text import printable, printable_lines

__all__ = [
    "count_noun",
    "format_duration",
    "format_number",
    "format_time",
    "format_value",
    "human_bytes",
    "short_id",
    "shown_html",
    "shown_lines",
    "shown_text",
]


def format_time(ts: float | None) -> str:
    """Local date and time to the second, or an empty string."""
    if ts is None:
        return ""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts))


def format_duration(seconds: float | None) -> str:
    """``850ms``, ``12.3s``, ``4m 05s``, ``2h 03m``, ``3d 04h``; empty for None."""
    if seconds is None or math.isnan(seconds):
        return ""
    if seconds < 0:
        seconds = 0.0
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    if seconds < 60:
        return f"{seconds:.1f}s"
    whole = int(seconds)
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h {minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours:02d}h"


def format_number(value: float) -> str:
    """A float with 4 significant digits; NaN and infinities spelled out."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return f"{value:.4g}"


def format_value(value: Any) -> str:
    """A logged param, metric or tag value as a short text (control characters escaped)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return format_number(value)
    return printable(str(value))


def shown_text(value: Any) -> Any:
    """A cell's display text with its control characters escaped (anything else as it is)."""
    return printable(value) if isinstance(value, str) else value


def shown_html(value: Any) -> str:
    """User text for a rich-text label: control characters escaped, then HTML-escaped."""
    return html.escape(printable(str(value)))


def shown_lines(value: Any) -> Any:
    """A tooltip's text with control characters but its line breaks escaped."""
    return printable_lines(value) if isinstance(value, str) else value


def human_bytes(size: int | float | None) -> str:
    """``512 B``, ``1.5 KiB``, ``3.2 MiB`` ..."""
    if size is None:
        return ""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(value) < 1024 or unit == "TiB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TiB"  # pragma: no cover - loop always returns


def short_id(run_id: str, length: int = 8) -> str:
    """The first characters of a run id, enough to tell runs apart on screen."""
    return run_id[:length]
