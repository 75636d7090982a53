"""Stage status on a real four-stage scikit-learn pipeline: the stages' commands are run as
subprocesses (as the runner would launch them), their outs recorded into a real folder store,
and the status checked after each change: nothing changed, a param, a code file, a deleted
out, a data file (the last only as status: the runner's tests run it). The tests of this file
run in order on one project. Needs scikit-learn (test extra)."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

pytest.importorskip("sklearn")

from pipeline_project import STAGES, set_param, write_project  # noqa: E402

from mlops_desktop.core.pipelines import Pipeline  # noqa: E402
from mlops_desktop.datasets.statcache import StatCache  # noqa: E402
from mlops_desktop.pipelines.fingerprint import PathHasher, stage_inputs  # noqa: E402
from mlops_desktop.pipelines.outs import FolderBlobStore, record_outs, restore_outs  # noqa: E402
from mlops_desktop.pipelines.records import CachedStage, MemoryStageCache  # noqa: E402
from mlops_desktop.pipelines.spec import load_pipeline  # noqa: E402
from mlops_desktop.pipelines.status import pipeline_status  # noqa: E402


class Lab:
    """The pipeline, a stage cache, a folder store and a stat cache: what the runner holds."""

    def __init__(self, root: Path, home: Path) -> None:
        self.root = root
        self.cache = MemoryStageCache()
        self.blobs = FolderBlobStore(home / "blobs")
        self.stat_path = home / "stat-cache.db"
        self.ran: list[str] = []
        self.restored: list[str] = []

    def pipeline(self) -> Pipeline:
        return load_pipeline(self.root)

    def hasher(self) -> PathHasher:
        return PathHasher(StatCache(self.stat_path))

    def status(self, **kw: object) -> dict[str, tuple[str, tuple[str, ...]]]:
        with self.hasher() as hasher:
            found = pipeline_status(self.pipeline(), self.cache, hasher, {}, self.blobs, **kw)  # type: ignore[arg-type]
        return {s.name: (s.state, s.reasons) for s in found}

    def run(self) -> None:
        """Run what is stale, restore what is restorable, as the runner does."""
        self.ran, self.restored = [], []
        p = self.pipeline()
        with self.hasher() as hasher:
            states = pipeline_status(p, self.cache, hasher, {}, self.blobs)
        for st in states:
            stage = p.stage(st.name)
            if st.state == "cached":
                continue
            with self.hasher() as hasher:
                if st.state == "restorable":
                    rec = self.cache.lookup(p.name, st.name, st.fingerprint)
                    assert rec is not None
                    restore_outs(p, rec.outs, self.blobs)
                    self.restored.append(st.name)
                    continue
                for line in stage.cmd:
                    subprocess.run(["sh", "-c", line], cwd=p.root / stage.wdir, check=True)
                self.ran.append(st.name)
                outs = record_outs(p, stage, hasher, self.blobs)
                inputs = stage_inputs(p, stage, hasher, {})
                self.cache.add(
                    CachedStage(
                        p.name,
                        st.name,
                        inputs.digest(),
                        inputs,
                        outs,
                        f"run-{st.name}",
                        time.time(),
                    )
                )


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Lab:
    base = tmp_path_factory.mktemp("wine")
    write_project(base / "project", kind="mlops")
    return Lab(base / "project", base)


def test_first_status_says_every_stage_never_ran(lab: Lab) -> None:
    assert lab.status() == {s: ("stale", ("never ran",)) for s in ("prepare",)} | {
        s: ("stale", ("upstream prepare will run",)) for s in ("train", "evaluate", "register")
    }


def test_run_then_rerun_starts_nothing(lab: Lab) -> None:
    lab.run()
    assert lab.ran == ["prepare", "train", "evaluate", "register"]
    assert (lab.root / "model.joblib").is_file() and (lab.root / "metrics.json").is_file()
    assert {s: st for s, (st, _) in lab.status().items()} == dict.fromkeys(
        ("prepare", "train", "evaluate", "register"), "cached"
    )
    lab.run()
    assert lab.ran == [] and lab.restored == []


def test_param_change_reruns_only_downstream_with_the_reason(lab: Lab) -> None:
    set_param(lab.root, "train", "C", 0.05)
    status = lab.status()
    assert status["prepare"] == ("cached", ())
    assert status["train"] == ("stale", ("param train.C changed: 1.0 -> 0.05",))
    assert status["evaluate"] == ("stale", ("upstream train will run",))
    assert status["register"][0] == "stale"
    lab.run()
    assert lab.ran == ["train", "evaluate", "register"]
    # a param of a section the stage does not read changes nothing
    set_param(lab.root, "evaluate", "threshold", 0.7)
    assert {st for st, _ in lab.status().values()} == {"cached"}


def test_reverting_a_param_reuses_the_older_result(lab: Lab) -> None:
    set_param(lab.root, "train", "C", 1.0)
    status = lab.status()
    assert status["train"][0] == "restorable"  # model.joblib of C=1.0 is in the store
    assert status["train"][1] == ("out model.joblib changed",)
    lab.run()
    assert lab.ran == [] and "train" in lab.restored
    set_param(lab.root, "train", "C", 0.05)
    lab.run()


def test_code_change_reruns_the_stage_that_runs_it(lab: Lab) -> None:
    script = lab.root / "evaluate.py"
    script.write_text(script.read_text() + "# a comment\n")
    status = lab.status()
    assert status["train"] == ("cached", ())
    assert status["evaluate"] == ("stale", ("code evaluate.py changed",))
    lab.run()
    assert lab.ran == ["evaluate", "register"]


def test_deleted_out_is_restorable_and_restored_not_rerun(lab: Lab) -> None:
    model = lab.root / "model.joblib"
    before = model.read_bytes()
    model.unlink()
    for f in (lab.root / "data" / "prepared").iterdir():
        f.unlink()
    status = lab.status()
    assert status["prepare"] == ("restorable", ("out data/prepared changed",))
    assert status["train"] == ("restorable", ("out model.joblib missing",))
    assert status["evaluate"] == ("cached", ())
    lab.run()
    assert lab.ran == [] and lab.restored == ["prepare", "train"]
    assert model.read_bytes() == before
    assert os.access(model, os.W_OK)
    assert {st for st, _ in lab.status().values()} == {"cached"}


def test_force_and_from_stage(lab: Lab) -> None:
    status = lab.status(force=["train"])
    assert status["prepare"] == ("cached", ())
    assert status["train"] == ("stale", ("forced",))
    assert status["evaluate"] == ("stale", ("upstream train will run",))
    status = lab.status(from_stage="evaluate")
    assert status["train"] == ("cached", ())
    assert status["evaluate"][1] == ("forced",)
    assert status["register"][1] == ("forced", "upstream evaluate will run")


def test_data_change_reruns_everything_downstream(lab: Lab) -> None:
    csv = lab.root / "data" / "wine.csv"
    lines = csv.read_text().splitlines()
    csv.write_text("\n".join(lines[:-5]) + "\n")  # five rows fewer
    status = lab.status()
    assert status["prepare"] == ("stale", ("dep data/wine.csv changed",))
    assert all(status[s] == ("stale", ("upstream prepare will run",)) for s in STAGES[1:])


def test_the_same_pipeline_as_dvc_yaml(tmp_path: Path) -> None:
    write_project(tmp_path / "p", kind="dvc")
    lab = Lab(tmp_path / "p", tmp_path)
    p = lab.pipeline()
    assert (p.kind, [s.name for s in p.stages]) == ("dvc", ["prepare", "train", "evaluate"])
    assert p.stage("evaluate").outs[0].cache is False
    assert lab.status() == {
        "prepare": ("stale", ("never ran",)),
        "train": ("stale", ("upstream prepare will run",)),
        "evaluate": ("stale", ("upstream prepare will run",)),
    }
