"""User text made safe to show: control characters escaped, never sent raw to a terminal.

Names, params, tags and the like are stored exactly as given (and ``--json`` prints them
exactly); a terminal or a table cell gets :func:`printable` text instead, where ESC, the other
C0 and C1 controls, DEL and the Unicode bidirectional overrides are written as escapes
(``\\x1b``, ``\\n``, ``\\t``, ``\\x9b``, ``\\u202e``), so a run name cannot change colours,
clear the screen, write the clipboard (OSC 52) or reorder what follows it.
"""

from __future__ import annotations

import re

_NAMED = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}
_BIDI = "\u202a-\u202e\u2066-\u2069"
_CONTROLS = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI}]")
_CONTROLS_BUT_LAYOUT = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI}]")


def _escape(match: re.Match[str]) -> str:
    ch = match.group()
    named = _NAMED.get(ch)
    if named is not None:
        return named
    code = ord(ch)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` with every control character escaped (newlines and tabs too): one line, safe
    to print and to put in a table cell. Text without controls comes back as it is."""
    return _CONTROLS.sub(_escape, text)


def printable_lines(text: str) -> str:
    """``text`` with every control character but newline and tab escaped: what a command
    prints, its own line breaks and tab-separated columns kept."""
    return _CONTROLS_BUT_LAYOUT.sub(_escape, text)
