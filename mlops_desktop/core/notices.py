"""What the app tells a person while they work in another window: notices and their kinds.

A :class:`Notice` is plain data (no Qt): the services build them from what the app observed
(a run that ended, a job that was lost, an alert), and the GUI delivers them as desktop
notifications or an in-app banner, with an action that opens :attr:`Notice.target`.
"""

from __future__ import annotations

from dataclasses import dataclass

NOTICE_KINDS = ("run_finished", "run_failed", "job_lost", "gpu_idle", "monitor_alert")
"""The kinds a person can turn on or off in Preferences, in the order they are listed there."""

NOTICE_KIND_LABELS = {
    "run_finished": "A run finishes",
    "run_failed": "A run fails",
    "job_lost": "A launched job is lost",
    "gpu_idle": "GPUs stay idle under a run",
    "monitor_alert": "A monitor raises an alert",
}

MESSAGE_KIND = "message"
"""A notice of no particular kind (always shown); also the kind of a burst's summary."""

TARGET_KINDS = ("run", "job", "model", "monitor", "pipeline")


@dataclass(frozen=True, slots=True)
class NoticeTarget:
    """The thing a notice's "Open" action shows.

    Attributes:
        kind: "run", "job" (the Jobs pane on a run's job), "model", "monitor" or "pipeline".
        ref: a run id, a model "NAME" or "NAME:VERSION", a monitor's name, or a pipeline
            "NAME" or "NAME:PIPELINE_RUN_ID".
    """

    kind: str
    ref: str


@dataclass(frozen=True, slots=True)
class Notice:
    """One thing to tell a person.

    Attributes:
        kind: one of :data:`NOTICE_KINDS`, or :data:`MESSAGE_KIND`.
        title: a few words ("Run finished: digits-3").
        body: one or two sentences.
        target: what "Open" shows (None: only the window is raised).
        key: notices of one key are told once (a run's end reported by the ingest and by its
            job, say); "" never repeats a check.
        at: when the thing happened (seconds since the epoch; None: now); what happened before
            the app started is not told.
    """

    kind: str
    title: str
    body: str
    target: NoticeTarget | None = None
    key: str = ""
    at: float | None = None
