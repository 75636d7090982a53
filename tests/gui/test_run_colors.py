"""Each run keeps one colour, and runs of one experiment seen one after another all differ."""

from __future__ import annotations

from pathlib import Path

from gui_spools import write_run

from mlops_desktop.services.experiments import ExperimentService
from mlops_desktop.ui.charts.palette import PIN_COLOR_TAG, STABLE_COLORS, color_of_run


def test_runs_of_an_experiment_get_distinct_colours_that_never_change(
    home: Path, service: ExperimentService
) -> None:
    first = [write_run(home, experiment="sweep", started_at=100.0 + i) for i in range(3)]
    service.ingest()
    for i in range(12):
        write_run(home, experiment="sweep", started_at=200.0 + i)
    other = write_run(home, experiment="other")
    service.ingest()
    runs = {run.id: run for run in service.list_runs("sweep")}
    assert sorted(run.color_index for run in runs.values()) == list(range(15))
    assert {runs[i].color_index for i in first} == {0, 1, 2}  # the first seen come first
    colors = [color_of_run(run).name() for run in runs.values()]
    assert len(set(colors)) == 15 == len(runs)  # twenty colours before any repeats
    assert service.list_runs("other")[0].color_index == 0  # numbered per experiment
    assert other not in runs

    before = {run.id: color_of_run(run).name() for run in runs.values()}
    write_run(home, experiment="sweep")
    service.ingest()
    after = {run.id: color_of_run(run).name() for run in service.list_runs("sweep")}
    assert {k: after[k] for k in before} == before  # a new run changes no one's colour
    assert len(STABLE_COLORS) == 20


def test_a_pinned_colour_wins(home: Path, service: ExperimentService) -> None:
    write_run(home, tags={PIN_COLOR_TAG: "#123456"})
    service.ingest()
    (run,) = service.list_runs()
    assert run.color_index == 0 and color_of_run(run).name() == "#123456"
