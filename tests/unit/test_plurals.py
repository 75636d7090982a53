"""Counts read "1 run", "2 runs": the helper, and a scan for counts that skip it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mlops_desktop.core.plural import count_noun
from mlops_desktop.ui.formatting import count_noun as ui_count_noun

PACKAGE = Path(__file__).resolve().parents[2] / "mlops_desktop"
SCANNED = ("ui", "cli", "services", "demo", "monitoring")
NOUNS = (
    "runs|jobs|files|experiments|datasets|models|versions|monitors|alerts|rows|columns|hosts|"
    "GPUs|cores|windows|entries|tags|aliases|points|metrics|params|artifacts|items|bytes|keys|"
    "values|processes|samples|chunks|lines|features|predictions|labels|changes|errors|problems"
)
# "{n} runs" in an f-string: a count that reads "1 runs" when n is one
BARE_COUNT = re.compile(r"\{[^{}]+\}(?: (?:logical|feature|labelled))? (?:" + NOUNS + r")\b")
# a spin box's fixed plural suffix reads "1 days" at one: count_suffix follows the value
PLURAL_SUFFIX = re.compile(r"setSuffix\(\" (?:" + NOUNS + r"|days|hours|minutes)\"\)")
ALLOWED = (
    "runs selected",  # shown only for two runs or more
    "{title} files",  # "Added files (3)": a title, not a count
    "of columns drifted",  # a percentage
    "longer than {MAX_LINE} bytes",  # a limit in the thousands
)


@pytest.mark.parametrize(
    ("count", "noun", "plural", "expected"),
    [
        (0, "run", None, "0 runs"),
        (1, "run", None, "1 run"),
        (2, "job", None, "2 jobs"),
        (1204, "file", None, "1,204 files"),
        (1, "entry", "entries", "1 entry"),
        (3, "entry", "entries", "3 entries"),
    ],
)
def test_count_noun(count: int, noun: str, plural: str | None, expected: str) -> None:
    assert count_noun(count, noun, plural) == expected
    assert ui_count_noun is count_noun


def test_count_noun_without_thousands_for_scripts() -> None:
    assert count_noun(12345, "byte", thousands=False) == "12345 bytes"


def test_no_count_is_shown_without_count_noun() -> None:
    found = []
    for package in SCANNED:
        for path in sorted((PACKAGE / package).rglob("*.py")):
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                bare = BARE_COUNT.search(line) or PLURAL_SUFFIX.search(line)
                if bare and not any(a in line for a in ALLOWED):
                    found.append(f"{path.relative_to(PACKAGE)}:{number}: {line.strip()}")
    assert not found, "use count_noun(n, noun) or count_suffix:\n" + "\n".join(found)
