"""How a gate's evidence writes the numbers it compared: as a person reads them.

A metric such as ``0.9772727272727273`` is shown with :data:`SHOWN_DIGITS` significant digits
("0.97727"); the digits grow only when fewer would hide the decision, that is when the rounded
sides would compare otherwise than the exact ones ("0.98227 >= 0.98227: fails"), or look equal
when they are not. The decision itself is always made on the exact values.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable
from decimal import Decimal

SHOWN_DIGITS = 5  # significant digits of a value in the evidence, unless the decision needs more
# wide enough that a sum of any finite floats is exact
EXACT = decimal.Context(prec=1000, Emax=10**6, Emin=-(10**6), traps=[])
_ROUNDING = decimal.Context(prec=1000, Emax=10**6, Emin=-(10**6), traps=[])
_ROUNDING.rounding = decimal.ROUND_HALF_UP


def as_decimal(value: float) -> Decimal:
    """The decimal number a float is written as (its shortest repr), e.g. 0.1 -> 0.1."""
    return Decimal(repr(float(value)))


def rounded(value: Decimal, digits: int = SHOWN_DIGITS) -> Decimal:
    """``value`` rounded (half up) to ``digits`` significant digits; not-a-number, infinities
    and zero as they are."""
    if not value.is_finite() or value.is_zero():
        return value
    return value.quantize(Decimal(1).scaleb(value.adjusted() - digits + 1), context=_ROUNDING)


def number_text(value: Decimal, digits: int | None = None) -> str:
    """``value`` for evidence, rounded to ``digits`` significant digits (None: as it is),
    without trailing zeros or exponent noise for ordinary sizes ("0.97727", "1", "0.005")."""
    if not value.is_finite():
        return {"Infinity": "inf", "-Infinity": "-inf"}.get(str(value), "nan")
    if digits is not None:
        value = rounded(value, digits)
    value = value.normalize(EXACT)
    text = format(value, "f") if abs(value.adjusted()) < 16 else str(value)
    return "0" if text in ("-0", "") else text


def deciding_digits(
    left: Decimal, right: Decimal, compare: Callable[[Decimal, Decimal], bool]
) -> int:
    """The fewest significant digits, :data:`SHOWN_DIGITS` or more, at which ``left`` and
    ``right`` rounded still ``compare`` as the exact values do and look equal only when they
    are equal."""
    if not (left.is_finite() and right.is_finite()):
        return SHOWN_DIGITS
    decided = compare(left, right)
    enough = max(len(left.as_tuple().digits), len(right.as_tuple().digits), SHOWN_DIGITS)
    for digits in range(SHOWN_DIGITS, enough):
        a, b = rounded(left, digits), rounded(right, digits)
        if compare(a, b) is decided and (a == b) is (left == right):
            return digits
    return enough
