"""Pipeline triggers on a real catalog with real dataset versions, monitors and alerts: a new
version of a dataset a stage reads starts the pipeline once (however often it is heard, by this
desktop or another); versions older than the pipeline never do; while a run is going a new
version waits for the next check; a monitor's alert and a due schedule slot start it once; a
start that fails is recorded with its sentence. ``start`` here records a pipeline run in the
catalog, as the runner's does, and leaves it running until the test ends it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mlops_desktop.catalog import monitor_repo, pipeline_records, pipeline_repo
from mlops_desktop.catalog.monitor_repo import MonitorRecord
from mlops_desktop.core.errors import PipelineError
from mlops_desktop.pipelines.spec import load_pipeline
from mlops_desktop.services.bundle import Services
from mlops_desktop.services.pipeline_triggers import PipelineTriggerService, interval_words

PIPELINE_YAML = """\
name: wine
triggers:
  datasets: [iris]
  monitors: [drift]
  schedule: 1h
stages:
  train:
    cmd: echo trained > model.txt
    datasets: [wine]
    outs: [model.txt]
  pinned:
    cmd: echo other > other.txt
    datasets: [red@v1]
    outs: [other.txt]
"""
HOUR = 3600.0


class Lab:
    """Services on a temp home, the wine pipeline added, and the starts the triggers made."""

    def __init__(self, home: Path, root: Path) -> None:
        self.services = Services.open(home)
        self.root = root
        self.started: list[tuple[str, str, str]] = []
        self.refuse: str | None = None
        self.triggers = self.trigger_service()

    def trigger_service(self) -> PipelineTriggerService:
        s = self.services
        return PipelineTriggerService(s.catalog, s.datasets, s.monitors, self.start)

    def start(self, path: str, kind: str, detail: str) -> str:
        if self.refuse:
            raise PipelineError(self.refuse)
        self.started.append((path, kind, detail))
        with self.services.catalog.session_scope(write=True) as s:
            run = pipeline_repo.create_pipeline_run(
                s,
                pipeline="wine",
                path=path,
                experiment="wine",
                trigger=kind,
                trigger_detail=detail,
            )
        return run.run_id

    def add_pipeline(self, at: float | None = None) -> None:
        with self.services.catalog.session_scope(write=True) as s:
            pipeline_repo.save_pipeline(s, load_pipeline(self.root), at=at)

    def add_version(self, dataset: str, content: str) -> int:
        folder = self.root.parent / f"data-{dataset}"
        folder.mkdir(exist_ok=True)
        (folder / "rows.csv").write_text(f"a,b\n{content}\n")
        version = self.services.datasets.add(folder, dataset).version
        return int(version.lstrip("v"))

    def end_runs(self) -> None:
        with self.services.catalog.session_scope(write=True) as s:
            for run in pipeline_repo.list_pipeline_runs(s, "wine", state="running"):
                pipeline_repo.end_pipeline_run(s, run.run_id, "done")


@pytest.fixture
def lab(temp_home: Path, tmp_path: Path) -> Iterator[Lab]:
    root = tmp_path / "project"
    root.mkdir()
    (root / "pipeline.yaml").write_text(PIPELINE_YAML)
    made = Lab(temp_home, root)
    yield made
    made.services.close()


def test_a_new_version_of_a_dataset_a_stage_reads_starts_the_pipeline_once(lab: Lab) -> None:
    lab.add_version("iris", "1,2")  # before the pipeline was added: never a trigger
    lab.add_version("red", "1,2")  # pinned as red@v1 by its stage: never a trigger
    lab.add_pipeline()
    assert lab.triggers.check() == []
    number = lab.add_version("wine", "1,2")
    (event,) = lab.triggers.on_dataset_version("wine", number)
    assert (event.kind, event.detail, event.outcome) == ("dataset", "wine v1", "started")
    assert lab.started == [(str(lab.root / "pipeline.yaml"), "dataset", "wine v1")]
    assert lab.triggers.on_dataset_version("wine", number) == []  # heard again
    other_desktop = lab.trigger_service()
    assert other_desktop.check_datasets() == []  # the same event: recorded once
    assert lab.triggers.on_dataset_version("red", 2) == []  # no pipeline reads red's newest
    with lab.services.catalog.session_scope() as s:
        (recorded,) = pipeline_records.list_triggers(s, "wine")
        (run,) = pipeline_repo.list_pipeline_runs(s, "wine")
    assert recorded.pipeline_run_id == run.run_id == event.pipeline_run_id
    assert (run.trigger, run.trigger_detail) == ("dataset", "wine v1")

    lab.add_version("wine", "3,4")  # while the first run is going: left for later
    lab.add_version("iris", "5,6")  # a dataset of the pipeline's triggers
    assert lab.triggers.check_datasets() == []
    lab.end_runs()
    fired = lab.triggers.check_datasets()
    assert [e.detail for e in fired] == ["iris v2"]  # one started; wine v2 waits for it
    lab.end_runs()
    assert [e.detail for e in lab.triggers.check_datasets()] == ["wine v2"]
    assert len(lab.started) == 3


def test_a_monitor_alert_starts_the_pipeline_once(lab: Lab) -> None:
    catalog = lab.services.catalog
    retrain = {"retrain": {"command": ["pipeline:wine"]}}
    monitor_repo.add_monitor(catalog, MonitorRecord("drift", "dataset:wine", "", "", {}, 1.0), "")
    monitor_repo.add_monitor(
        catalog, MonitorRecord("other", "dataset:wine", "", "", retrain, 1.0), ""
    )
    monitor_repo.add_monitor(catalog, MonitorRecord("quiet", "dataset:wine", "", "", {}, 1.0), "")
    monitor_repo.add_alert(catalog, "drift", 0, "dataset_drift", "before the pipeline", {})
    lab.add_pipeline()
    assert lab.triggers.check_alerts() == []  # an alert older than the pipeline
    alert = monitor_repo.add_alert(catalog, "drift", 1, "dataset_drift", "drift", {})
    monitor_repo.add_alert(catalog, "quiet", 1, "dataset_drift", "names no pipeline", {})
    (event,) = lab.triggers.on_alert("drift", alert.id)
    assert (event.kind, event.detail) == ("monitor", f"alert {alert.id} of drift")
    assert lab.triggers.check_alerts() == [] and lab.triggers.on_alert("quiet", 99) == []
    lab.end_runs()
    named = monitor_repo.add_alert(catalog, "other", 1, "dataset_drift", "retrain names it", {})
    (by_retrain,) = lab.triggers.check_alerts()
    assert by_retrain.detail == f"alert {named.id} of other"
    assert [kind for _, kind, _ in lab.started] == ["monitor", "monitor"]


def test_a_schedule_fires_once_per_slot_and_skips_a_slot_while_a_run_goes(lab: Lab) -> None:
    added = 1000 * HOUR + 10.0
    lab.add_pipeline(at=added)
    assert lab.triggers.due(added + 100.0) == []  # the slot it was added in
    (first,) = lab.triggers.due(1001 * HOUR + 5.0)
    assert (first.kind, first.detail, first.outcome) == ("schedule", "every 1 h", "started")
    assert lab.triggers.due(1001 * HOUR + 600.0) == []
    assert lab.trigger_service().due(1001 * HOUR + 5.0) == []  # another desktop, same slot
    (skipped,) = lab.triggers.due(1002 * HOUR + 1.0)  # the first run still goes
    assert skipped.pipeline_run_id is None and skipped.outcome.startswith(
        "a run of this pipeline was already going"
    )
    assert len(lab.started) == 1


def test_a_refused_start_is_recorded_with_its_sentence(lab: Lab) -> None:
    lab.add_pipeline()
    lab.refuse = "Stage train needs 1 GPU and this machine has none."
    (event,) = lab.triggers.on_dataset_version("wine", lab.add_version("wine", "1"))
    assert event.pipeline_run_id is None
    assert event.outcome == "not started: Stage train needs 1 GPU and this machine has none."
    with lab.services.catalog.session_scope() as s:
        assert pipeline_records.list_triggers(s)[0].outcome == event.outcome
    with pytest.raises(PipelineError, match="No pipeline is called 'nope'"):
        lab.triggers.fire("nope", "manual", "")


def test_interval_words() -> None:
    assert [interval_words(s) for s in (21600, 1800, 86400, 90)] == [
        "every 6 h",
        "every 30 min",
        "every 1 d",
        "every 90 s",
    ]
