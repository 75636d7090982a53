"""Line-based text outputs (monitors, drift, jobs, hosts) show each user field escaped: a name
holding a newline and a screen clear stays on its own line."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from mlops_desktop.cli import jobs, monitors_output
from mlops_desktop.cli.hosts import added_text
from mlops_desktop.core.compute import HostInfo, JobInfo
from mlops_desktop.core.drift import Alert, ColumnPlan, DriftWindow, MonitorInfo

HOSTILE = "\x1b[2J\nX"
SHOWN = "\\x1b[2J\\nX"

MONITOR = MonitorInfo(
    name="m" + HOSTILE,
    target="dataset:d" + HOSTILE,
    reference="r" + HOSTILE,
    current="folder:/in" + HOSTILE,
    plans=(ColumnPlan("col" + HOSTILE, "numeric", "ks", 0.05),),
)
WINDOW = DriftWindow("m", 1, 10, 0.0, 1.0, source="batch" + HOSTILE, problem="bad" + HOSTILE)
ALERT = Alert(1, "m", 1, "why" + HOSTILE, 0.0)
JOB = JobInfo("r" * 32, "ssh:h" + HOSTILE, "running", 0.0, command=["python", "t" + HOSTILE])

CASES: list[tuple[str, Callable[[], str]]] = [
    ("monitors added", lambda: monitors_output.added_text(MONITOR)),
    ("monitors list", lambda: monitors_output.list_text([MONITOR])),
    ("monitors show", lambda: monitors_output.show_text((MONITOR, [WINDOW], [ALERT]))),
    ("monitors check", lambda: monitors_output.check_text(("m" + HOSTILE, _Result()))),
    ("monitors removed", lambda: monitors_output.removed_text("m" + HOSTILE)),
    ("jobs list", lambda: jobs.jobs_text([JOB])),
    ("hosts add", lambda: added_text(HostInfo("h" + HOSTILE, "ssh", "u@h"))),
]


class _Result:
    windows: list[Any] = [WINDOW]
    alerts: list[Any] = [ALERT]


@pytest.mark.parametrize(("what", "text"), CASES, ids=[what for what, _ in CASES])
def test_user_fields_stay_on_their_line(what: str, text: Callable[[], str]) -> None:
    out = text()
    assert "\x1b" not in out, out
    assert not [line for line in out.splitlines() if line.startswith("X")], out
    assert SHOWN in out, out
