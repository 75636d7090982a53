"""Counts with their noun in the right number: "1 run", "2 runs", "1,204 files"."""

from __future__ import annotations


def count_noun(count: int, noun: str, plural: str | None = None, *, thousands: bool = True) -> str:
    """``count`` and ``noun``, plural unless the count is one.

    Args:
        count: how many.
        noun: the singular ("run", "GPU").
        plural: an irregular plural ("entries"); by default ``noun + "s"``.
        thousands: group digits with commas ("1,204"); off for columns read by scripts.
    """
    word = noun if count == 1 else (plural or f"{noun}s")
    number = f"{count:,}" if thousands else str(count)
    return f"{number} {word}"
