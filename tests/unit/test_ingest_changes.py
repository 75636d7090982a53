"""The ingest report says, per run, which keys a pass stored and each key's new seq range."""

from __future__ import annotations

from pathlib import Path

from catalog_spools import SpoolBuilder
from sqlalchemy import select

from mlops_desktop.catalog.schema import chunk_t
from mlops_desktop.core.run_changes import SeqRange
from mlops_desktop.services.experiments import ExperimentService


def _new_points(svc: ExperimentService, run_id: str, key: str, first_seq: int) -> int:
    """Points of the chunks a reader starting at ``first_seq`` reads."""
    with svc.catalog.session_scope() as s:
        rows = s.execute(
            select(chunk_t.c.n).where(
                chunk_t.c.run_id == run_id, chunk_t.c.key == key, chunk_t.c.seq_first >= first_seq
            )
        ).all()
    return sum(n for (n,) in rows)


def test_report_tells_keys_and_seq_ranges_per_run_for_two_passes(
    temp_home: Path, catalog_url: str | None
) -> None:
    a = SpoolBuilder(temp_home).start(experiment="digits", name="a")  # seq 0
    a.params(lr=0.1).tags(team="vision")  # seq 1, 2
    a.series("loss", [0.9, 0.8, 0.7]).series("acc", [0.1, 0.2])  # seq 3-5, 6-7
    a.write()
    other = SpoolBuilder(temp_home).start(experiment="cifar", name="b").end()
    other.write()
    svc = ExperimentService.open(temp_home, catalog_url)
    try:
        first = svc.ingest().changes
        assert first.run_ids == {a.run_id, other.run_id}
        assert first.new_runs == {a.run_id, other.run_id}
        change = first.runs[a.run_id]
        assert change.new and change.status and change.summary_changed
        assert dict(change.metrics) == {"loss": SeqRange(3, 5), "acc": SeqRange(6, 7)}
        assert change.params == {"lr"} and change.tags == {"team"}
        assert not first.runs[other.run_id].metrics

        a.series("loss", [0.6, 0.5], first_step=3).tags(stage="2")  # seq 8-9, 10
        a.series("loss", [0.4], first_step=5)  # seq 11
        a.end()  # seq 12
        a.write()
        second = svc.ingest().changes
        assert second.run_ids == {a.run_id} and not second.new_runs
        change = second.runs[a.run_id]
        assert not change.new and change.status
        assert dict(change.metrics) == {"loss": SeqRange(8, 11)}
        assert change.tags == {"stage"} and not change.params
        # a reader of the chunks from the range's first seq on gets exactly the new points
        assert _new_points(svc, a.run_id, "loss", change.metrics["loss"].first) == 3
        assert _new_points(svc, a.run_id, "loss", 0) == 6

        assert not svc.ingest().changes  # nothing new: an empty report
    finally:
        svc.close()


def test_run_summaries_reads_only_the_given_runs(temp_home: Path, catalog_url: str | None) -> None:
    builders = [SpoolBuilder(temp_home).start(experiment="e", name=f"r{i}") for i in range(3)]
    for b in builders:
        b.series("acc", [0.5]).end().write()
    svc = ExperimentService.open(temp_home, catalog_url)
    try:
        svc.ingest()
        wanted = [builders[0].run_id, builders[2].run_id, "no-such-run"]
        got = svc.run_summaries(wanted)
        assert {r.id for r in got} == {builders[0].run_id, builders[2].run_id}
        assert all(r.metrics == {"acc": 0.5} for r in got)
        assert svc.run_summaries([]) == []
        svc.trash_runs([builders[2].run_id])  # listings leave runs in the trash out
        assert [r.id for r in svc.run_summaries(wanted)] == [builders[0].run_id]
    finally:
        svc.close()
