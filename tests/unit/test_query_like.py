"""The ``like`` matcher: SQL semantics, linear time on hostile patterns, size limits."""

from __future__ import annotations

import time

import pytest

from mlops_desktop.core.errors import QueryError
from mlops_desktop.core.query import MAX_CONDITIONS, MAX_PATTERN, parse_query
from mlops_desktop.core.query_like import like_matcher
from mlops_desktop.core.runs import RunSummary


@pytest.mark.parametrize(
    ("pattern", "text", "expected"),
    [
        ("", "", True),
        ("", "a", False),
        ("%", "", True),
        ("%", "anything at all", True),
        ("%%%", "", True),
        ("_", "", False),
        ("_", "x", True),
        ("_", "xy", False),
        ("__", "xy", True),
        ("a%", "abc", True),
        ("a%", "ba", False),
        ("%c", "abc", True),
        ("%c", "cab", False),
        ("%b%", "abc", True),
        ("%b%", "ac", False),
        ("a%c", "ac", True),
        ("a%c", "abbbc", True),
        ("a%c", "abcd", False),
        ("a%b%c", "aXbYc", True),
        ("a%b%c", "acb", False),
        ("%ab%ab%", "abab", True),
        ("%ab%ab%", "aba", False),
        ("%aa", "aaa", True),
        ("aa%aa", "aaa", False),
        ("aa%aa", "aaaa", True),
        ("a_c", "abc", True),
        ("a_c", "ac", False),
        ("%a_c%", "xxabcxx", True),
        ("%_%", "", False),
        ("%_%", "z", True),
        ("ADAM", "adam", True),
        ("adam", "ADAM", True),
        ("Ä%", "äpfel", True),
        ("100\\%", "100%", True),
        ("100\\%", "1000", False),
        ("a\\_b", "a_b", True),
        ("a\\_b", "axb", False),
        ("a\\\\b", "a\\b", True),
        ("\\a", "a", True),
        ("ab\\", "ab\\", True),
        ("line%two", "Line\nTwo", True),
        ("%.%", "a.b", True),
        ("%.%", "ab", False),
        ("%[a-z]*%", "x[a-z]*y", True),
        ("%[a-z]*%", "xby", False),
    ],
)
def test_like_semantics(pattern: str, text: str, expected: bool) -> None:
    assert like_matcher(pattern)(text) is expected


@pytest.mark.parametrize(
    "pattern",
    [
        "%" * 30 + "x",
        "%a" * 40 + "%b",
        "%_" * 40 + "%b",
        "_%" * 40 + "x",
    ],
)
def test_hostile_patterns_finish_quickly(pattern: str) -> None:
    """The old regex (each ``%`` a ``.*``) took minutes or more on these; the matcher is
    linear-ish."""
    run = RunSummary(
        "abc123", "e", "a" * 200, "finished", 0.0, 1.0, "local", {}, {}, {"t": "a" * 2000}
    )
    query = parse_query(f"name like '{pattern}' or tags.t like '{pattern}'")
    start = time.perf_counter()
    assert not query.matches(run)
    assert time.perf_counter() - start < 1.0


def test_a_too_long_pattern_is_refused() -> None:
    with pytest.raises(QueryError, match="pattern"):
        parse_query("name like '" + "a" * (MAX_PATTERN + 1) + "'")
    parse_query("name like '" + "a" * MAX_PATTERN + "'")


def test_too_many_conditions_are_refused() -> None:
    ok = " or ".join(["name like '%x%'"] * MAX_CONDITIONS)
    parse_query(ok)
    with pytest.raises(QueryError, match="conditions") as info:
        parse_query(ok + " or name = 'y'")
    assert "\n" not in info.value.reason
