"""Control characters in user text are shown escaped, everything else as it is."""

from __future__ import annotations

import pytest

from mlops_desktop.core.text import printable, printable_lines


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("plain name-1 ünïcødé 名前", "plain name-1 ünïcødé 名前"),
        ("", ""),
        ("a\x1b]52;c;ZXZpbA==\x07b", "a\\x1b]52;c;ZXZpbA==\\x07b"),
        ("\x1b[2J\x1b[31mred", "\\x1b[2J\\x1b[31mred"),
        ("two\nlines\tand\rcr", "two\\nlines\\tand\\rcr"),
        ("nul\x00del\x7f", "nul\\x00del\\x7f"),
        ("c1 \x9b31m \x85", "c1 \\x9b31m \\x85"),
        ("bidi \u202etxt.exe\u2066\u2069", "bidi \\u202etxt.exe\\u2066\\u2069"),
        ("\\x1b stays", "\\x1b stays"),
        ("\xa0nbsp and é", "\xa0nbsp and é"),
    ],
)
def test_printable_escapes_control_characters(text: str, shown: str) -> None:
    assert printable(text) == shown


def test_printable_lines_keeps_layout_only() -> None:
    text = "NAME\tVALUE\nrun\x1b[2J\tx\r\x9b"
    assert printable_lines(text) == "NAME\tVALUE\nrun\\x1b[2J\tx\\r\\x9b"


def test_printable_text_has_no_control_characters() -> None:
    every = "".join(chr(c) for c in range(0x2070))
    shown = printable(every)
    assert all(ord(ch) >= 0xA0 or 0x20 <= ord(ch) < 0x7F for ch in shown)
    assert all(ch not in shown for ch in "\x1b\x07\n\x9b\u202e\u2066")
