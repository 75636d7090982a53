"""One converter of runs to plain data, one time format: ``runs list|show --json`` and cards."""

from __future__ import annotations

import math

from mlops_desktop.core.model_documents import CARD_RUN_KEYS, card_dict
from mlops_desktop.core.models import AuditEntry, Lineage, ModelCard, ModelVersion
from mlops_desktop.core.run_documents import (
    RUN_SUMMARY_KEYS,
    iso_time,
    run_detail_dict,
    run_summary_dict,
)
from mlops_desktop.core.runs import GitInfo, RunDetail, RunSummary

T0 = 1_700_000_000.25


def _run() -> RunSummary:
    return RunSummary(
        id="a" * 32,
        experiment="exp",
        name="r1",
        status="finished",
        started_at=T0,
        ended_at=T0 + 61.5,
        params={"lr": 0.1},
        metrics={"acc": 0.9, "odd": math.nan},
        tags={"team": "x"},
    )


def test_iso_time_is_utc_with_milliseconds() -> None:
    assert iso_time(0.0) == "1970-01-01T00:00:00.000+00:00"
    assert iso_time(T0) == "2023-11-14T22:13:20.250+00:00"
    assert iso_time(None) is None


def test_run_summary_keys_order_and_values() -> None:
    doc = run_summary_dict(_run())
    assert tuple(doc) == RUN_SUMMARY_KEYS
    assert doc["started_at"] == iso_time(T0) and doc["ended_at"] == iso_time(T0 + 61.5)
    assert math.isnan(doc["metrics"]["odd"]), "non-finite floats are left to the JSON writer"
    assert tuple(run_summary_dict(_run(), ("status", "id"))) == ("status", "id")


def test_run_detail_adds_to_the_summary() -> None:
    git = GitInfo("c0ffee", "main", True, "diff", 4, False, 1000)
    detail = RunDetail(_run(), "python t.py", "", {"acc": 1}, git, {}, [], [], None)
    doc = run_detail_dict(detail)
    assert tuple(doc)[: len(RUN_SUMMARY_KEYS)] == RUN_SUMMARY_KEYS
    assert doc["git"] == {
        "commit": "c0ffee",
        "branch": "main",
        "dirty": True,
        "diff_bytes": 4,
        "diff_truncated": False,
    }


def test_a_card_writes_times_like_runs_show() -> None:
    version = ModelVersion("clf", 1, "blake3:00", "a" * 32, "/m", T0 + 5, "me")
    history = [AuditEntry(T0 + 6, "me", "clf", 1, "created")]
    card = ModelCard(version, _run(), [], None, {}, [], "", Lineage([], []), history)
    doc = card_dict(card)
    assert tuple(doc["run_summary"]) == CARD_RUN_KEYS
    assert doc["run_summary"]["started_at"] == run_summary_dict(_run())["started_at"]
    assert doc["created_at"] == iso_time(T0 + 5)
    assert doc["history"][0]["at"] == iso_time(T0 + 6)
