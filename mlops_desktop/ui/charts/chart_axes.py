"""Axis tick labels that read well from 1e-3 to 1e21, linear or log, with no SI-prefix label."""

from __future__ import annotations

import math
from datetime import datetime

import pyqtgraph as pg

_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
_PLAIN_DECADES = range(-3, 5)  # 0.001 .. 10000 read better written out than as 10ⁿ


def compact_number(value: float, digits: int = 4) -> str:
    """``value`` in ``digits`` significant digits at most: ``0.0123``, ``1.5e21``, ``nan``."""
    if not math.isfinite(value):
        return str(value)  # "nan", "inf", "-inf"
    text = f"{value:.{digits}g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}e{int(exponent)}"
    return text


def decade_label(exponent: float) -> str:
    """A log-axis tick at ``10 ** exponent``: ``0.01``, ``100``, ``10²¹``, or ``3e5`` between."""
    nearest = round(exponent)
    if abs(exponent - nearest) < 1e-6:
        if nearest in _PLAIN_DECADES:
            return compact_number(10.0**nearest)
        return "10" + str(nearest).translate(_SUPERSCRIPT)
    return compact_number(10.0**exponent, 2)


def x_text(mode: str, x: float) -> str:
    """The x under the crosshair: ``step 1,200``, ``12.5 s`` or a date and time."""
    if mode == "time":
        return datetime.fromtimestamp(x).strftime("%Y-%m-%d %H:%M:%S")
    if mode == "relative":
        return f"{compact_number(x)} s"
    return f"step {x:,.0f}" if abs(x) < 1e15 else f"step {compact_number(x)}"


class ReadableAxis(pg.AxisItem):
    """An AxisItem without the "(x1e+21)" SI-prefix label and with compact tick labels.

    Linear ticks of large or tiny values are written as ``2.5e21`` with just enough digits to
    tell neighbouring ticks apart; log ticks are decades (``0.001``, ``1``, ``10¹²``).
    """

    def __init__(self, orientation: str, **kwargs: object) -> None:
        super().__init__(orientation, **kwargs)  # type: ignore[arg-type]
        self.enableAutoSIPrefix(False)

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        if self.logMode:
            return [decade_label(v) for v in values]
        if not values:
            return []
        biggest = max(abs(v * scale) for v in values)
        step = abs(spacing * scale)
        if 1e-3 <= biggest < 1e5 or biggest == 0.0 or step == 0.0:
            return super().tickStrings(values, scale, spacing)
        digits = max(1, min(12, math.ceil(math.log10(biggest / step)) + 1))
        return [compact_number(v * scale, digits) for v in values]
