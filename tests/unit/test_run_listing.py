"""A filtered run listing reads only what its filter needs, and lists exactly what filtering
every run would (``ExperimentService.list_runs(query=...)``, behind ``runs list --filter``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import event, insert

from mlops_desktop.catalog.schema import experiment_t, latest_t, param_t, run_t, tag_t
from mlops_desktop.core.query import filter_runs
from mlops_desktop.services.experiments import ExperimentService

NAMES = ["run-1", "Run-10", "\u212aelvin", "a%b", "a_b", "é-run", "x\ny", ""]
QUERIES = [
    "",
    "name like 'run-1%'",
    "name like 'RUN-1%'",
    "name like 'kel%'",
    "name like 'a\\%%'",
    "name like '%1%' or status = 'failed'",
    "status = 'finished' and experiment = 'b'",
    "started_at > 1005 and not status = 'killed'",
    "metrics.acc > 0.5",
    "metrics.acc != 0.5",
    "metrics.acc is null",
    "metrics.loss = nan or metrics.loss > 1e300",
    "params.lr = 0.01",
    "params.lr = '0.01'",
    "params.opt like 'ad%'",
    "params.bad like '{%'",
    "params.opt is null and tags.team = 'vision'",
    "tags.team in ('nlp', 'audio') or tags.seed like '%3'",
    "tags.`odd key` = 'v'",
    "not tags.team like 'v%'",
    "duration > 50 and params.depth >= 4",
    "id like '0000%'",
]


def _fill(svc: ExperimentService, runs: int = 48) -> None:
    exps = [{"id": 1, "name": "a", "created_at": 0.0}, {"id": 2, "name": "b", "created_at": 0.0}]
    rows, params, tags, latest = [], [], [], []
    for i in range(runs):
        rid = f"{i:04d}" + "0" * 28
        started = 1000.0 + (i * 7) % 13  # ties in started_at: order by id decides
        rows.append(
            {
                "id": rid,
                "experiment_id": 1 + i % 2,
                "name": NAMES[i % len(NAMES)] + str(i % 3),
                "status": ["finished", "failed", "killed", "running"][i % 4],
                "started_at": started,
                "ended_at": None if i % 4 == 3 else started + i * 3,
                "target": "local",
                "has_start": True,
            }
        )
        for key, value in (
            ("lr", json.dumps([0.1, 0.01, "0.01", True][i % 4])),
            ("opt", json.dumps(["adam", "sgd", None][i % 3])),
            ("depth", json.dumps(i % 9)),
            ("bad", "{not json" if i % 5 == 0 else json.dumps({"a": i})),
        ):
            if not (key == "opt" and i % 7 == 0):
                params.append({"run_id": rid, "key": key, "value": value})
        for key, value in (("team", ["vision", "nlp", "audio"][i % 3]), ("seed", str(i))):
            tags.append({"run_id": rid, "key": key, "value": value})
        if i % 6 == 0:
            tags.append({"run_id": rid, "key": "odd key", "value": "v"})
        for key, value, nonfinite in (
            ("acc", (i % 10) / 10, None),
            ("loss", None, ["nan", "inf", "-inf"][i % 3]) if i % 2 else ("loss", 1.5, None),
        ):
            if key == "acc" and i % 8 == 0:
                continue
            latest.append(
                {
                    "run_id": rid,
                    "key": key,
                    "seq": 1,
                    "step": 1,
                    "timestamp": started,
                    "value": value,
                    "nonfinite": nonfinite,
                    "count": 1,
                }
            )
    with svc.catalog.session_scope(write=True) as s:
        s.execute(insert(experiment_t), exps)
        s.execute(insert(run_t), rows)
        s.execute(insert(param_t), params)
        s.execute(insert(tag_t), tags)
        s.execute(insert(latest_t), latest)


@pytest.fixture
def service(temp_home: Path) -> Iterator[ExperimentService]:
    svc = ExperimentService.open(temp_home)
    _fill(svc)
    yield svc
    svc.close()


def test_filtered_listing_equals_filtering_every_run(
    temp_home: Path, catalog_url: str | None
) -> None:
    svc = ExperimentService.open(temp_home, catalog_url)
    try:
        _fill(svc)
        for experiment in (None, "b"):
            everything = svc.list_runs(experiment)
            assert len(everything) == (48 if experiment is None else 24)
            for query in QUERIES:
                listed = svc.list_runs(experiment, query)
                expected = filter_runs(everything, query)
                assert repr(listed) == repr(expected), (experiment, query)  # NaN equals NaN
    finally:
        svc.close()


def _statements(service: ExperimentService) -> list[str]:
    seen: list[str] = []

    def record(conn: object, cursor: object, statement: str, *args: object) -> None:
        seen.append(statement)

    event.listen(service.catalog.engine, "before_cursor_execute", record)
    return seen


def test_a_filter_on_run_fields_reads_no_params_tags_or_metrics_of_runs_it_leaves_out(
    service: ExperimentService,
) -> None:
    seen = _statements(service)
    assert service.list_runs(query="name like 'nothing-is-called-this%'") == []
    children = [q for q in seen if any(f"FROM {t}" in q for t in ("param", "tag", "metric"))]
    assert children == []


def test_a_filter_on_one_tag_reads_only_that_key_before_matching(
    service: ExperimentService,
) -> None:
    seen = _statements(service)
    assert service.list_runs(query="tags.team = 'nobody'") == []
    tag_reads = [q for q in seen if "FROM tag" in q]
    assert tag_reads and all('tag."key" IN' in q for q in tag_reads), tag_reads
    assert not [q for q in seen if "FROM param" in q or "FROM metric_latest" in q]
