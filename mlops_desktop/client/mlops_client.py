"""MlopsClient: the read API over one home's catalog, shaped like MLflow's ``MlflowClient``.

Every call first ingests the home's local spools (as every command does), so a run a script
is still logging reads as far as it got. Opening is lazy: the catalog opens on the first call.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from mlops_desktop.client import artifacts as artifact_files
from mlops_desktop.client.fields_filter import compile_filter
from mlops_desktop.client.models import VERSION_FIELDS, search_versions, version_record
from mlops_desktop.client.records import (
    ArtifactNotFoundError,
    Experiment,
    ExperimentNotFoundError,
    FileInfo,
    Metric,
    MetricNotFoundError,
    ModelVersion,
    ModelVersionNotFoundError,
    Run,
    RunNotFoundError,
    to_ms,
)
from mlops_desktop.client.runs import order_plan, parse_filter, run_record, runs_frame, sort_runs
from mlops_desktop.client.runs import translate_filter as _translate
from mlops_desktop.core.errors import (
    CatalogNotWritable,
    ExperimentNotFound,
    MetricNotFound,
    ModelNotFound,
    RunNotFound,
    UserFacingError,
)

if TYPE_CHECKING:
    from mlops_desktop.services.experiments import ExperimentService
    from mlops_desktop.services.models import ModelService

_LOOKUPS: tuple[tuple[type[UserFacingError], type[UserFacingError]], ...] = (
    (RunNotFound, RunNotFoundError),
    (ExperimentNotFound, ExperimentNotFoundError),
    (MetricNotFound, MetricNotFoundError),
    (ModelNotFound, ModelVersionNotFoundError),
)
ACTIVE_ONLY = (None, 1, "ACTIVE_ONLY", "active_only")
EXPERIMENT_FIELDS = ("name", "experiment_id", "creation_time", "last_update_time")


@contextmanager
def _as_lookup_errors() -> Iterator[None]:
    """The app's not-found errors raised as the read API's LookupError subclasses."""
    try:
        yield
    except LookupError:
        raise
    except UserFacingError as exc:
        for app_error, api_error in _LOOKUPS:
            if isinstance(exc, app_error):
                raise api_error(str(exc)) from None
        raise


class MlopsClient:
    """Reads runs, metrics, artifacts, experiments and registered models of one home.

    Args:
        home: the app's home (default: ``MLOPS_DESKTOP_HOME``, else the platform's user data
            folder), holding the catalog, the artifact store and the spools.
        catalog: a SQLAlchemy URL of the catalog (default: the one chosen in the home's
            settings, else ``HOME/catalog.db``).

    Not-found errors are :class:`LookupError` subclasses (``RunNotFoundError``, ...); a
    malformed filter raises :class:`~mlops_desktop.core.errors.QueryError`; all of them are
    :class:`~mlops_desktop.core.errors.UserFacingError` with one sentence.
    """

    def __init__(self, home: str | Path | None = None, catalog: str | None = None) -> None:
        from mlops_desktop.settings import Settings, home_from

        self.home = home_from(home)
        self.catalog_url = catalog or Settings.load(self.home).catalog_url or None
        self._experiments: ExperimentService | None = None
        self._models: ModelService | None = None

    # -- opening -----------------------------------------------------------------------------

    def _open(self) -> tuple[ExperimentService, ModelService]:
        if self._experiments is None or self._models is None:
            from mlops_desktop.services.catalog_open import open_catalog
            from mlops_desktop.services.experiments import ExperimentService
            from mlops_desktop.services.models import ModelService

            catalog = open_catalog(self.home, self.catalog_url)
            self._experiments = ExperimentService(catalog, self.home)
            self._models = ModelService(catalog, self.home)
        return self._experiments, self._models

    def _runs(self) -> ExperimentService:
        """The run service after ingesting local spools (a full disk: a warning, then reads)."""
        from mlops_desktop.services.experiments import ingest_blocked_sentence

        experiments = self._open()[0]
        try:
            experiments.ingest()
        except CatalogNotWritable as exc:
            warnings.warn(ingest_blocked_sentence(exc), RuntimeWarning, stacklevel=3)
        return experiments

    def close(self) -> None:
        """Close the catalog's connections (the next call opens them again)."""
        if self._experiments is not None:
            self._experiments.close()
        self._experiments = self._models = None

    def __enter__(self) -> MlopsClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- experiments -----------------------------------------------------------------------

    def search_experiments(
        self,
        filter_string: str | None = None,
        max_results: int | None = None,
        order_by: Sequence[str] | None = None,
    ) -> list[Experiment]:
        """Experiments by name (``filter_string`` as ``"name LIKE 'wine%'"``).

        Raises:
            QueryError: a malformed filter.
        """
        test = compile_filter(filter_string, EXPERIMENT_FIELDS)
        found = []
        for e in self._runs().list_experiments():
            record = Experiment(
                str(e.id), e.name, to_ms(e.created_at) or 0, to_ms(e.last_run_at), e.run_count
            )
            if test({f: getattr(record, f) for f in EXPERIMENT_FIELDS}):
                found.append(record)
        for item in reversed(list(order_by or [])):
            key, _, direction = item.strip().partition(" ")
            field = key.removeprefix("attributes.")
            if field not in EXPERIMENT_FIELDS:
                known = ", ".join(EXPERIMENT_FIELDS)
                raise UserFacingError(f"Cannot order experiments by {key!r}: use one of {known}.")
            present = [r for r in found if getattr(r, field) is not None]
            numeric = field == "experiment_id"
            present.sort(
                key=lambda r: int(r.experiment_id) if numeric else getattr(r, field),
                reverse=direction.strip().lower() == "desc",
            )
            found = present + [r for r in found if getattr(r, field) is None]
        return found if max_results is None else found[: max(0, int(max_results))]

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        """The experiment of that name, or None (as MLflow)."""
        return next((e for e in self.search_experiments() if e.name == name), None)

    def get_experiment(self, experiment_id: str | int) -> Experiment:
        """The experiment of that id (raises ExperimentNotFoundError)."""
        found = next(
            (e for e in self.search_experiments() if e.experiment_id == str(experiment_id)), None
        )
        if found is None:
            raise ExperimentNotFoundError(f"There is no experiment with the id {experiment_id!r}.")
        return found

    # -- runs --------------------------------------------------------------------------------

    def get_run(self, run_id: str) -> Run:
        """One run by id (or a unique prefix of 4+ characters).

        Raises:
            RunNotFoundError: no run has that id.
        """
        service = self._runs()
        with _as_lookup_errors():
            detail = service.get_run(run_id)
        ids = {e.name: e.id for e in service.list_experiments()}
        return run_record(detail.summary, ids, deleted=detail.deleted_at is not None)

    def search_runs(
        self,
        experiment_ids: str | int | Sequence[str | int] | None = None,
        filter_string: str = "",
        run_view_type: Any = None,
        max_results: int | None = 1000,
        order_by: str | Sequence[str] | None = None,
        *,
        experiment_names: str | Sequence[str] | None = None,
        experiment: str | Sequence[str] | None = None,
        output_format: str = "list",
    ) -> Any:
        """Runs (of some experiments, or all) that ``filter_string`` keeps, newest first unless
        ``order_by`` says (``["metrics.acc DESC"]``), at most ``max_results``.

        Args:
            experiment_ids: ids as MLflow gives them (text or numbers).
            experiment_names: names; ``experiment`` is the same, the app's own word.
            filter_string: the app's filter, MLflow's spellings accepted
                (``metrics.acc > 0.9 and attributes.status = 'FINISHED'``).
            run_view_type: only active runs are searched (runs in the trash are not).
            output_format: "list" (Run records) or "pandas" (a DataFrame with MLflow's
                columns, if pandas is installed).

        Raises:
            QueryError: a malformed filter (pointing at the column).
            ExperimentNotFoundError: an experiment named or numbered that does not exist.
        """
        if run_view_type not in ACTIVE_ONLY:
            raise UserFacingError("Only active runs can be searched (runs in the trash are not).")
        if output_format not in ("list", "pandas"):
            raise UserFacingError(
                f"output_format must be 'list' or 'pandas', not {output_format!r}."
            )
        query = parse_filter(filter_string)  # a malformed filter fails before any database work
        plan = order_plan(order_by)
        service = self._runs()
        ids = {e.name: e.id for e in service.list_experiments()}
        names = self._experiment_names(ids, experiment_ids, experiment_names, experiment)
        text = _translate(filter_string) if query is not None else None
        with _as_lookup_errors():
            if names is not None and len(names) == 1:
                found = service.list_runs(names[0], text)
            else:
                found = service.list_runs(None, text)
                if names is not None:
                    wanted = set(names)
                    found = [r for r in found if r.experiment in wanted]
        found = sort_runs(found, plan)
        if max_results is not None:
            found = found[: max(0, int(max_results))]
        if output_format == "pandas":
            return runs_frame(found, ids)
        return [run_record(r, ids) for r in found]

    @staticmethod
    def _experiment_names(
        ids: dict[str, int],
        experiment_ids: Any,
        experiment_names: Any,
        experiment: Any,
    ) -> list[str] | None:
        """The names of the experiments asked for (None: all)."""
        names: list[str] | None = None
        for given in (experiment_names, experiment):
            if given is not None:
                more = [given] if isinstance(given, str) else list(given)
                for name in more:
                    if name not in ids:
                        raise ExperimentNotFoundError(f"There is no experiment named {name!r}.")
                names = (names or []) + more
        if experiment_ids is not None:
            by_id = {str(i): name for name, i in ids.items()}
            single = isinstance(experiment_ids, (str, int))
            more_ids = [experiment_ids] if single else list(experiment_ids)
            for i in more_ids:
                if str(i) not in by_id:
                    raise ExperimentNotFoundError(f"There is no experiment with the id {i!r}.")
            names = (names or []) + [by_id[str(i)] for i in more_ids]
        return names

    def get_metric_history(self, run_id: str, key: str) -> list[Metric]:
        """Every point of one metric, in the order logged (timestamps in milliseconds).

        Raises:
            RunNotFoundError, MetricNotFoundError.
        """
        service = self._runs()
        with _as_lookup_errors():
            series = service.metric_series(service.resolve_run_id(run_id), key)
        millis = (series.timestamps * 1000).round().astype("int64").tolist()
        return [
            Metric(key, value, ms, step)
            for step, ms, value in zip(
                series.steps.tolist(), millis, series.values.tolist(), strict=True
            )
        ]

    # -- artifacts ---------------------------------------------------------------------------

    def list_artifacts(self, run_id: str, path: str | None = None) -> list[FileInfo]:
        """The files and folders directly under ``path`` of a run's artifacts (its top level
        when None).

        Raises:
            RunNotFoundError.
        """
        with _as_lookup_errors():
            detail = self._runs().get_run(run_id)
        return artifact_files.list_files(detail.artifacts, path)

    def download_artifacts(
        self, run_id: str, path: str = "", dst_path: str | Path | None = None
    ) -> str:
        """Copy a run's artifact file or folder ``path`` (every artifact when empty) under
        ``dst_path`` (a new temp folder when None), paths kept; the local path of ``path``.

        Raises:
            RunNotFoundError, ArtifactNotFoundError.
            ArtifactUnreadable: a file is missing from the store, or a path would leave
                ``dst_path``.
        """
        with _as_lookup_errors():
            detail = self._runs().get_run(run_id)
        return artifact_files.download(detail.summary.id, detail.artifacts, path, dst_path)

    # -- registered models -------------------------------------------------------------------

    def get_model_version(self, name: str, version: str | int) -> ModelVersion:
        """One registered version (``version`` as 3, "3" or "v3").

        Raises:
            ModelVersionNotFoundError: no such model or version.
        """
        from mlops_desktop.services.model_refs import parse_version

        models = self._models_after_ingest()
        with _as_lookup_errors():
            return version_record(models.get(f"{name}:{parse_version(version)}"))

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        """The version an alias points at (raises ModelVersionNotFoundError)."""
        models = self._models_after_ingest()
        with _as_lookup_errors():
            return version_record(models.get(f"{name}@{alias}"))

    def get_latest_version(self, name: str) -> ModelVersion:
        """The newest version that is not archived (raises ModelVersionNotFoundError)."""
        models = self._models_after_ingest()
        with _as_lookup_errors():
            return version_record(models.get(name))

    def search_model_versions(
        self, filter_string: str | None = None, max_results: int | None = None
    ) -> list[ModelVersion]:
        """Registered versions, by model name then newest first, that the filter keeps
        (``"name = 'wine'"``, ``"run_id = '...'"``, ``"tags.stage = 'prod'"``).

        Raises:
            QueryError: a malformed filter.
        """
        compile_filter(filter_string, VERSION_FIELDS)  # a malformed filter fails first
        models = self._models_after_ingest()
        every = [v for m in models.list_models() for v in models.versions(m.name)]
        return search_versions(every, filter_string, max_results)

    def _models_after_ingest(self) -> ModelService:
        self._runs()
        return self._open()[1]


__all__ = ["ArtifactNotFoundError", "MlopsClient"]
