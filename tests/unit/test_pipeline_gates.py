"""The register gate against a real model registry on a temp home: a worse model is refused
(nothing registered, the evidence says why), a better one becomes challenger, approval moves
the champion (the audit names the user), auto-promotion, rejection, and approvals that come
after the aliases moved."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import mlops_desktop as mlops
from mlops_desktop.core.errors import PipelineError
from mlops_desktop.core.pipelines import GateResult, RegisterGate
from mlops_desktop.services.bundle import Services
from mlops_desktop.services.models import ModelService, local_user
from mlops_desktop.services.pipeline_gates import approve, evaluate_gate, reject

WHEN = ("metrics.val/acc >= champion + 0.005", "metrics.val/acc >= 0.5")
GATE = RegisterGate("wine", "model.joblib", when=WHEN)


@pytest.fixture
def services(temp_home: Path) -> Iterator[Services]:
    with Services.open(temp_home) as opened:
        yield opened


def _gate(
    models: ModelService, tmp: Path, acc: float, run: str, gate: RegisterGate = GATE
) -> GateResult:
    model = tmp / run / "model.joblib"
    model.parent.mkdir(parents=True, exist_ok=True)
    model.write_bytes(f"model of {run}".encode())
    metrics = {"val/acc": acc, "loss": 1 - acc}
    return evaluate_gate(
        models, gate, metrics, model, None, f"{run}-pipeline-run", "register", pipeline="wine-p"
    )


def test_worse_refused_better_challenger_approval_moves_champion(
    services: Services, tmp_path: Path
) -> None:
    models = services.models
    first = _gate(models, tmp_path, 0.9, "r1")
    assert first.passed and first.version == 1 and first.approval == "waiting"
    assert first.evidence == (
        "no champion yet: wine has no version with alias 'champion'",
        "metrics.val/acc 0.9 >= champion + 0.005: holds (no champion yet)",
        "metrics.val/acc 0.9 >= 0.5: holds",
        "passed: registered wine:1 with alias challenger; waiting for a person to approve it "
        "as champion",
    )
    v1 = models.get("wine:1")
    assert v1.aliases == ["challenger"]
    assert v1.tags == {
        "pipeline": "wine-p",
        "pipeline_run": "r1-pipeline-run",
        "pipeline.stage": "register",
        "pipeline.champion": "none",
        "metrics.val/acc": "0.9",
    }
    approved = approve(models, first)
    assert (approved.approval, approved.decided_by) == ("approved", local_user())
    assert approved.evidence[-1] == f"approved by {local_user()}: wine:1 is now champion"
    assert models.get("wine@champion").version == 1
    assert models.get("wine:1").aliases == ["champion"]  # no longer a challenger

    worse = _gate(models, tmp_path, 0.902, "r2")
    assert not worse.passed and worse.version is None and worse.approval == "none"
    assert worse.evidence == (
        "champion wine:1 (metrics from its tags)",
        "metrics.val/acc 0.902 >= champion 0.9 + 0.005 = 0.905: fails",
        "metrics.val/acc 0.902 >= 0.5: holds",
        "refused: 1 of 2 conditions failed; nothing was registered",
    )
    assert worse.checks == ((worse.evidence[1], False), (worse.evidence[2], True))
    assert [v.version for v in models.versions("wine")] == [1]
    with pytest.raises(PipelineError, match="refused the model of wine, so there is nothing"):
        approve(models, worse)

    better = _gate(models, tmp_path, 0.93, "r3")
    assert better.passed and better.version == 2 and better.approval == "waiting"
    assert "metrics.val/acc 0.93 >= champion 0.9 + 0.005 = 0.905: holds" in better.evidence
    assert models.get("wine@champion").version == 1  # waits for a person
    assert models.get("wine@challenger").version == 2
    assert approve(models, better, by="alice").checks == better.checks  # kept with the approval
    assert models.get("wine@champion").version == 2
    moved = next(e for e in models.history("wine") if e.action == "alias_moved")
    assert moved.user == local_user() and moved.version == 2
    assert moved.detail == {
        "alias": "champion",
        "from": 1,
        "to": 2,
        "pipeline_run": "r3-pipeline-run",
        "stage": "register",
        "approved_by": "alice",
    }
    assert models.get("wine:2").tags["pipeline.approval"] == "approved by alice"
    with pytest.raises(PipelineError, match="was promoted already by alice"):
        approve(models, approve(models, _gate(models, tmp_path, 0.99, "r4"), by="alice"))


def test_auto_promote_and_champion_metrics_from_its_run(services: Services, tmp_path: Path) -> None:
    models = services.models
    with mlops.start_run("train", name="hand-made") as run:
        run.log_metric("val/acc", 0.95)
    services.experiments.ingest()
    (tmp_path / "hand.joblib").write_bytes(b"by hand")
    models.register("wine", run_id=run.id, path=tmp_path / "hand.joblib")
    models.set_alias("wine", 1, "champion")  # no metrics.* tags: the gate reads its run
    auto = RegisterGate("wine", "model.joblib", when=WHEN, promote="auto")
    refused = _gate(models, tmp_path, 0.951, "r1", auto)
    assert not refused.passed
    assert refused.evidence[0] == f"champion wine:1 (metrics from its run {run.id[:8]})"
    assert refused.evidence[1].endswith("champion 0.95 + 0.005 = 0.955: fails")
    promoted = _gate(models, tmp_path, 0.96, "r2", auto)
    assert (promoted.passed, promoted.version, promoted.approval) == (True, 2, "auto")
    assert promoted.alias == "champion" and promoted.decided_by == local_user()
    assert promoted.evidence[-1] == "passed: registered wine:2 and made it champion (promote: auto)"
    assert models.get("wine@champion").version == 2
    assert models.get("wine:2").aliases == ["champion"]  # never a challenger
    entry = models.history("wine")[0]
    assert (entry.action, entry.detail["gate"], entry.user) == ("alias_moved", "auto", local_user())
    # the next gate reads the new champion's tags (its run is a pipeline's, maybe gone)
    assert _gate(models, tmp_path, 0.962, "r3", auto).evidence[:2] == (
        "champion wine:2 (metrics from its tags)",
        "metrics.val/acc 0.962 >= champion 0.96 + 0.005 = 0.965: fails",
    )


def test_reject_and_approvals_after_the_aliases_moved(services: Services, tmp_path: Path) -> None:
    models = services.models
    approve(models, _gate(models, tmp_path, 0.8, "r1"))
    second = _gate(models, tmp_path, 0.85, "r2")
    rejected = reject(models, second, by="bob")
    assert (rejected.approval, rejected.decided_by) == ("rejected", "bob")
    assert rejected.evidence[-1] == "rejected by bob: alias challenger removed from wine:2"
    assert models.get("wine:2").aliases == [] and models.get("wine@champion").version == 1
    assert models.get("wine:2").tags["pipeline.approval"] == "rejected by bob"
    assert models.history("wine", 2)[1].detail["rejected_by"] == "bob"
    with pytest.raises(PipelineError, match="was rejected by bob; to promote it anyway"):
        approve(models, rejected)
    with pytest.raises(PipelineError, match="was rejected by bob"):
        reject(models, rejected)

    # wine:3 waits; then a newer run's wine:4 takes the challenger alias and someone moves the
    # champion by hand: the person who approves wine:3 gets wine:3, and is told what moved
    third = _gate(models, tmp_path, 0.9, "r3")
    fourth = _gate(models, tmp_path, 0.95, "r4")
    assert (third.version, fourth.version) == (3, 4)
    models.set_alias("wine", 2, "champion")
    late = approve(models, third, by="carol")
    assert models.get("wine@champion").version == 3
    assert models.get("wine@challenger").version == 4  # still waiting for its own answer
    assert late.evidence[-3:] == (
        "note: alias challenger is on wine:4 now; wine:3 was approved as asked",
        "note: the champion moved since the gate compared with wine:1 (now wine:2); wine:3 "
        "was approved as asked, without comparing it again",
        "approved by carol: wine:3 is now champion",
    )
    # a champion without the metric: the condition fails and says how to give it one
    loss_gate = RegisterGate("wine", "model.joblib", when=("metrics.loss <= champion",))
    no_loss = _gate(models, tmp_path, 0.99, "r5", loss_gate)
    assert (
        no_loss.evidence[0]
        == "champion wine:3 (metrics from nowhere: no tag or run of it has loss)"
    )
    assert not no_loss.passed and no_loss.evidence[1] == (
        "metrics.loss <= champion: fails, the champion has no metric loss; tag it with this "
        "metric (`models tag wine:3 metrics.loss=VALUE`) to compare with it"
    )
    models.archive("wine", 4)
    with pytest.raises(PipelineError, match=r"wine:4 is archived; unarchive it first"):
        approve(models, fourth)
    models.delete("wine", 4, force=True)
    with pytest.raises(PipelineError, match=r"wine:4 no longer exists .* nothing was moved"):
        approve(models, fourth)
    gone = reject(models, fourth)
    assert gone.evidence[-1].endswith("wine:4 had been deleted already")
    assert models.get("wine@champion").version == 3
