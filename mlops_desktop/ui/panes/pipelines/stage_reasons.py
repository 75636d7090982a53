"""Why a stage runs, worded for the moment it is shown.

The engine words a stage's reasons before a run ("upstream prepare will run", "never ran");
once the stage ran, or runs now, the same reasons read in the past: "Ran because: upstream
prepare ran". A stage still to run (stale, queued) keeps them as they are.
"""

from __future__ import annotations

import re

RAN_STATES = frozenset({"done", "failed", "cancelled"})
LABELS = {
    "done": "Ran because",
    "failed": "Ran because",
    "cancelled": "Was run because",
    "running": "Runs because",
    "queued": "Will run because",
    "restored": "Restored because",
}
_UPSTREAM = re.compile(r"^upstream (?P<stage>.+) will run$")


def reasons_for(state: str, reasons: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
    """The label ("Why", "Ran because", ...) and the reasons worded for ``state``."""
    label = LABELS.get(state, "Why")
    if state not in RAN_STATES and state not in ("running", "restored"):
        return label, reasons
    return label, tuple(_past(reason) for reason in reasons)


def _past(reason: str) -> str:
    if reason == "never ran":
        return "it had never run"
    found = _UPSTREAM.match(reason)
    return f"upstream {found['stage']} ran" if found else reason
