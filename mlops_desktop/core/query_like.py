"""SQL ``like`` matching in linear-ish time, without backtracking over ``%``.

A pattern is split on its unescaped ``%`` into segments of fixed length (literal characters and
``_``, which stands for any one character). The first segment must match at the start, the last
at the end, and each middle one is found leftmost, in order, in between: since every segment
has a fixed length, the leftmost place is always as good as any later one, so no choice is ever
revisited. Each segment is a regular expression without repetition (``_`` is ``.``) searched
from its first literal character, so a search costs about the text's length. ``\\`` makes the
next character literal (a trailing ``\\`` is itself). Case is ignored by lower-casing pattern
and text character by character (a character whose lower case is longer stays as it is).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

_FINAL_SIGMA = "\u03c2"  # what str.lower() makes of a word-final capital sigma: not per character


@dataclass(frozen=True, slots=True)
class Segment:
    """Part of a pattern between two ``%``: ``wildcards`` leading ``_`` then ``regex``
    (lower-case, no repetition) matching ``length`` characters in all."""

    wildcards: int
    regex: str
    length: int
    literal: str | None = None  # the text ``regex`` matches when it has no ``_``


def fold(text: str) -> str:
    """``text`` lower-cased character by character, so its length stays (``_`` still counts
    characters) and a character's case never depends on its neighbours (a final sigma)."""
    low = text.lower()
    if len(low) == len(text) and _FINAL_SIGMA not in low:
        return low
    return "".join(c if len(c.lower()) != 1 else c.lower() for c in text)


def like_segments(pattern: str) -> list[Segment]:
    """The ``%``-separated segments of a pattern; one when it has no unescaped ``%``."""
    segments: list[Segment] = []
    current: list[str | None] = []  # folded characters, None for ``_``
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            current.append(fold(pattern[i + 1]))
            i += 1
        elif ch == "%":
            segments.append(_segment(current))
            current = []
        else:
            current.append(None if ch == "_" else fold(ch))
        i += 1
    segments.append(_segment(current))
    return segments


def _segment(chars: list[str | None]) -> Segment:
    lead = 0
    while lead < len(chars) and chars[lead] is None:
        lead += 1
    rest = chars[lead:]
    regex = "".join("." if c is None else re.escape(c) for c in rest)
    literal = None if None in rest else "".join(c for c in rest if c is not None)
    return Segment(lead, regex, len(chars), literal)


def like_matcher(pattern: str) -> Callable[[str], bool]:
    """A test of whether a whole text matches the SQL ``like`` ``pattern`` (case ignored)."""
    parts = like_segments(pattern)
    if len(parts) == 1:
        whole = re.compile("." * parts[0].wildcards + parts[0].regex, re.DOTALL).fullmatch
        return lambda text: whole(fold(text)) is not None
    return _matcher(parts)


def _matcher(parts: list[Segment]) -> Callable[[str], bool]:
    """The matcher of two or more segments (the pattern has a ``%``)."""
    head, tail = parts[0], parts[-1]
    first = re.compile("." * head.wildcards + head.regex, re.DOTALL).match
    last = re.compile("." * tail.wildcards + tail.regex, re.DOTALL).fullmatch
    middle = tuple(
        (
            seg.wildcards,
            seg.literal or None,  # found with str.find, quicker than a regular expression
            re.compile(seg.regex, re.DOTALL).search if seg.regex else None,
        )
        for seg in parts[1:-1]
        if seg.length
    )
    if head.length == 0 and tail.length == 0 and not middle:
        return lambda text: True  # only "%"s
    first_len, last_len = head.length, tail.length

    def matches(text: str) -> bool:
        low = text.lower()
        if len(low) != len(text) or _FINAL_SIGMA in low:
            low = fold(text)
        end = len(low) - last_len
        if end < first_len:
            return False
        if first_len and first(low) is None:
            return False
        if last_len and last(low, end) is None:
            return False
        pos = first_len
        for wildcards, literal, search in middle:
            pos += wildcards
            if literal is not None:
                at = low.find(literal, pos, end)
                if at < 0:
                    return False
                pos = at + len(literal)
            elif search is not None:
                found = search(low, pos, end)
                if found is None:
                    return False
                pos = found.end()
            elif pos > end:
                return False
        return True

    return matches
