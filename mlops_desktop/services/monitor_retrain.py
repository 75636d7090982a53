"""The retraining loop of a monitor: retrain, register the challenger, score, promote.

"Retrain" launches the monitor's :class:`~mlops_desktop.core.drift.RetrainSpec` (or one
prefilled from the monitored model's source run) through the job service, on the newest version
of its dataset (a ``pipeline:NAME`` command starts that pipeline instead:
:mod:`~mlops_desktop.services.monitor_pipeline`), as a run named
``retrain-<monitor>-alert<id>`` whose tags name the monitor and the alert
(``MLOPS_DESKTOP_RUN_TAGS``, recorded by the launcher). When such a run has finished with a
model artifact, :meth:`RetrainLoop.collect` registers it as a new version of the
monitored model (tags ``monitor``, ``alert``), so the lineage reads alert → run → version.
:meth:`RetrainLoop.scores` scores the champion and each challenger on the newest labelled
window (in a child process, :mod:`~mlops_desktop.services.monitor_scores`), and
:meth:`RetrainLoop.promote` moves the monitored alias (audited by the registry).
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, replace
from typing import Any

from mlops_desktop.core.compute import RunSpec
from mlops_desktop.core.drift import Alert, ModelScore, MonitorInfo, RetrainSpec
from mlops_desktop.core.errors import JobError, ModelError, MonitorError, UserFacingError
from mlops_desktop.core.models import ModelVersion
from mlops_desktop.services import monitor_scores
from mlops_desktop.services.model_refs import parse_ref
from mlops_desktop.services.monitor_pipeline import retrain_pipeline_of, retrain_through_pipeline

RUN_TAGS_ENV = "MLOPS_DESKTOP_RUN_TAGS"  # mlops_desktop.tracking.launcher.RUN_TAGS_ENV
MODEL_ARTIFACTS = ("model.joblib", "model.pkl", "model.pickle", "model")
MODEL_SUFFIXES = (".joblib", ".pkl", ".pickle")


@dataclass(frozen=True, slots=True)
class WatchedModel:
    """The model a monitor watches: ``name`` and the alias (or the fixed version)."""

    name: str
    alias: str | None
    version: int | None

    @property
    def ref(self) -> str:
        return f"{self.name}@{self.alias}" if self.alias else f"{self.name}:{self.version}"


def watched_model(info: MonitorInfo) -> WatchedModel:
    """The model of a "model:NAME@ALIAS" monitor (MonitorError for a dataset monitor)."""
    if not info.target.startswith("model:"):
        raise MonitorError(
            f"Monitor {info.name!r} watches {info.target.removeprefix('dataset:')!r}, a dataset, "
            "not a registered model; there is no model to retrain or promote."
        )
    name, number, alias = parse_ref(info.target.removeprefix("model:"))
    return WatchedModel(name, alias, number)


def retrain_name(monitor: str, alert_id: int | None) -> str:
    """The name of a retrain run: "retrain-<monitor>-alert<id>" (or without the alert)."""
    return f"retrain-{monitor}" + (f"-alert{alert_id}" if alert_id is not None else "")


class RetrainLoop:
    """Retrain, challengers, scores and promotion of monitors; blocking, thread-safe.

    Args:
        monitors: the :class:`~mlops_desktop.services.monitors.MonitorService`.
        jobs, models, datasets, experiments: the bundle's other services.
    """

    def __init__(self, monitors: Any, jobs: Any, models: Any, datasets: Any, experiments: Any):
        self.monitors = monitors
        self.jobs = jobs
        self.models = models
        self.datasets = datasets
        self.experiments = experiments

    # -- retraining -------------------------------------------------------------------------

    def retrain(self, name: str, alert_id: int | None = None) -> Any:
        """Launch the monitor's retrain run (for ``alert_id``, else its newest open alert);
        returns the job. The alert records the run. A retrain command ``pipeline:NAME`` starts
        that pipeline instead and returns its pipeline run (:mod:`.monitor_pipeline`).

        Raises:
            MonitorError: no retrain command known, or the alert is not this monitor's.
            JobError, HostError, DatasetNotFound: the launch was refused.
        """
        info = self.monitors.get(name)
        pipeline = retrain_pipeline_of(info)
        if pipeline is not None:
            return retrain_through_pipeline(
                self.monitors, info, pipeline, self._alert(name, alert_id)
            )
        model = watched_model(info)
        alert = self._alert(name, alert_id)
        spec = info.retrain or self.prefilled(info, model)
        run_spec = self._run_spec(info, model, spec, alert)
        job = self.jobs.launch(run_spec)
        if alert is not None:
            self.monitors.record_retrain(alert.id, job.run_id)
        return job

    def _alert(self, name: str, alert_id: int | None) -> Alert | None:
        alerts = self.monitors.alerts(name)
        if alert_id is None:
            open_ones = [a for a in alerts if a.acknowledged_at is None]
            return max(open_ones, key=lambda a: a.id) if open_ones else None
        found = next((a for a in alerts if a.id == alert_id), None)
        if found is None:
            raise MonitorError(
                f"Monitor {name!r} has no alert {alert_id}; `monitors show {name}` lists its "
                "alerts."
            )
        return found

    def prefilled(self, info: MonitorInfo, model: WatchedModel | None = None) -> RetrainSpec:
        """A retrain spec from the monitored version's source run: the job's spec when it was
        launched, else the run's command line (run again in the current folder)."""
        model = model or watched_model(info)
        version = self.models.get(model.ref)
        if not version.run_id:
            raise MonitorError(
                f"Monitor {info.name!r} has no retrain command and {model.ref} was not made by "
                "a run; add one with `monitors add ... --retrain -- python train.py`."
            )
        try:
            spec = self.jobs.spec(version.run_id)
        except JobError:
            spec = None
        if spec is not None:
            names = [d.partition("@")[0] for d in spec.datasets]
            return RetrainSpec(
                command=tuple(spec.command),
                target=spec.target,
                gpus=spec.gpus,
                dataset=names[0] if names else self._run_dataset(version.run_id),
                experiment=spec.experiment,
                workdir=spec.workdir,
            )
        run = self.experiments.get_run(version.run_id)
        command = _split(run.command)
        if not command:
            raise MonitorError(
                f"Monitor {info.name!r} has no retrain command and the run of {model.ref} "
                "recorded none; add one with `monitors add ... --retrain -- python train.py`."
            )
        return RetrainSpec(
            command=tuple(command),
            dataset=self._run_dataset(version.run_id),
            experiment=run.summary.experiment,
        )

    def _run_dataset(self, run_id: str) -> str | None:
        try:
            run = self.experiments.get_run(run_id)
        except UserFacingError:
            return None
        names = [str(d["name"]) for d in run.datasets if d.get("name")]
        return names[0] if names else None

    def _run_spec(
        self, info: MonitorInfo, model: WatchedModel, spec: RetrainSpec, alert: Alert | None
    ) -> RunSpec:
        datasets = []
        if spec.dataset:
            newest = max(self.datasets.versions(spec.dataset), key=lambda v: v.number)
            datasets.append(f"{spec.dataset}@{newest.version}")
        experiment = spec.experiment or self._source_experiment(model) or "Default"
        tags = {"monitor": info.name, "retrain_of": model.ref}
        if alert is not None:
            tags["alert"] = str(alert.id)
        return RunSpec(
            command=list(spec.command),
            target=spec.target,
            workdir=spec.workdir,
            gpus=spec.gpus,
            experiment=experiment,
            name=retrain_name(info.name, alert.id if alert else None),
            datasets=datasets,
            env={RUN_TAGS_ENV: json.dumps(tags)},
            code="none" if spec.target == "local" else "cwd",
        )

    def _source_experiment(self, model: WatchedModel) -> str | None:
        try:
            version = self.models.get(model.ref)
            if version.run_id:
                return str(self.experiments.get_run(version.run_id).summary.experiment)
        except UserFacingError:
            pass
        return None

    # -- challengers ------------------------------------------------------------------------

    def collect(self, name: str) -> list[ModelVersion]:
        """Register the model of each finished retrain run of the monitor not registered yet
        (tags monitor, alert, run); returns the new versions."""
        info = self.monitors.get(name)
        model = watched_model(info)
        self.jobs.refresh()
        self.experiments.ingest()
        prefix = retrain_name(name, None)
        done = [
            j
            for j in self.jobs.jobs()
            if j.state == "finished" and (j.name == prefix or j.name.startswith(prefix + "-alert"))
        ]
        if not done:
            return []
        have = {v.run_id for v in self._versions(model.name)}
        added = []
        for job in sorted(done, key=lambda j: j.submitted_at):
            if job.run_id in have:
                continue
            try:
                run = self.experiments.get_run(job.run_id)
            except UserFacingError:
                continue  # not ingested yet
            if run.summary.tags.get("monitor") != name:
                continue
            artifact = _model_artifact([a.name for a in run.artifacts])
            if artifact is None:
                continue
            tags = {"monitor": name, "retrain": "true"}
            if run.summary.tags.get("alert"):
                tags["alert"] = run.summary.tags["alert"]
            added.append(
                self.models.register(
                    model.name,
                    run_id=job.run_id,
                    artifact=artifact,
                    description=f"Retrained for monitor {name!r} on its newest data.",
                    tags=tags,
                )
            )
        return added

    def _versions(self, name: str) -> list[ModelVersion]:
        try:
            return list(self.models.versions(name))
        except UserFacingError:
            return []

    def scores(self, name: str, allow_unsandboxed: bool = False) -> list[ModelScore]:
        """The champion and each challenger of the monitor scored on its newest labelled
        window (challengers of finished retrain runs are registered first; a version the gate of
        a pipeline run started by an alert registered is a challenger too).

        Raises:
            SandboxUnavailableError: no sandbox works here and ``allow_unsandboxed`` is false.
        """
        self.collect(name)
        info = self.monitors.get(name)
        model = watched_model(info)
        champion = self.models.get(model.ref)
        # a retrain through a pipeline: its gate registered the version, tagged pipeline_run
        by_pipeline = {a.retrain_run: a.id for a in self.monitors.alerts(name) if a.retrain_run}
        challengers = [
            v
            for v in self._versions(model.name)
            if v.version != champion.version
            and (v.tags.get("monitor") == name or v.tags.get("pipeline_run") in by_pipeline)
        ]
        window = monitor_scores.newest_labelled_window(self, info)
        scores = []
        for v in [champion, *sorted(challengers, key=lambda v: -v.version)]:
            score = monitor_scores.score_version(self, info, v, window, allow_unsandboxed)
            if score.alert_id is None and v.tags.get("pipeline_run") in by_pipeline:
                score = replace(score, alert_id=by_pipeline[v.tags["pipeline_run"]])
            scores.append(score)
        return scores

    def promote(self, name: str, version: str | int) -> ModelVersion:
        """Move the monitored alias to ``version`` (audited by the registry)."""
        info = self.monitors.get(name)
        model = watched_model(info)
        if not model.alias:
            raise MonitorError(
                f"Monitor {name!r} watches {model.ref}, a fixed version, not an alias; there "
                "is no alias to move."
            )
        number = str(version).strip().lstrip("v")
        if not number.isdigit():
            raise ModelError(f"{version!r} is not a version number (1, 2, ...).")
        self.models.set_alias(model.name, int(number), model.alias)
        return self.models.get(model.ref)


def _model_artifact(paths: list[str]) -> str | None:
    """The artifact a retrain run logged its model as (a file, or a "model/" folder)."""
    for wanted in MODEL_ARTIFACTS:
        if wanted in paths or any(p.startswith(wanted + "/") for p in paths):
            return wanted
    return next((p for p in paths if p.lower().endswith(MODEL_SUFFIXES)), None)


def _split(command: str) -> list[str]:
    try:
        return shlex.split(command)
    except ValueError:
        return command.split()
