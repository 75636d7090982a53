"""``import mlflow PATH_OR_URI``: an MLflow store's history into the catalog, idempotently.

Sources: an ``mlruns`` folder (the file store), a SQLite file (``mlflow.db``) or a
``sqlite:///path`` URI, or a ``file:`` URI of a folder. Experiments keep their names (with
``experiment_prefix`` in front when given); runs keep MLflow's run ids, so importing again adds
only what is new (see :mod:`mlflow_run_writer`), and links (a model version's run, the
``mlflow.parentRunId`` tag) hold. Registered models follow in :mod:`mlflow_model_writer`.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select

from mlops_desktop.catalog.schema import experiment_t
from mlops_desktop.core.errors import MlflowImportError
from mlops_desktop.services.import_progress import (
    ImportCancelled,
    ImportProgress,
    ImportReport,
    ProgressCallback,
    StopCheck,
)
from mlops_desktop.services.mlflow_file_store import MlflowFileStore, is_file_store
from mlops_desktop.services.mlflow_model_writer import ModelWriter
from mlops_desktop.services.mlflow_records import MlflowStore, local_path
from mlops_desktop.services.mlflow_run_writer import RunWriter
from mlops_desktop.services.mlflow_sql_store import MlflowSqlStore

if TYPE_CHECKING:
    from mlops_desktop.services.bundle import Services

_SQLITE_MAGIC = b"SQLite format 3\x00"
_WHAT = "give an mlruns folder, an mlflow.db file or a sqlite:///path URI"


def open_store(source: str) -> MlflowStore:
    """The reader of ``source``.

    Raises:
        MlflowImportError: ``source`` is not a store this app reads (one sentence why).
    """
    text = source.strip()
    scheme = text.split(":", 1)[0].lower() if "://" in text else ""
    if scheme.startswith("sqlite"):
        # sqlite:///relative/path or sqlite:////absolute/path, as SQLAlchemy writes them
        name = text.split(":///", 1)[1] if ":///" in text else ""
        if not name:
            raise MlflowImportError(f"{source} names no database file: {_WHAT}.")
        return _sql_store(Path(name).expanduser(), source)
    if scheme and scheme != "file":
        raise MlflowImportError(
            f"{source} is a {scheme} store: only MLflow file stores (mlruns folders) and SQLite"
            " files are read; export it with `mlflow.db` (SQLite) or point at an mlruns folder."
        )
    path = Path(local_path(text) or text).expanduser()
    if path.is_dir():
        if not is_file_store(path) and (path / "mlruns").is_dir():
            path = path / "mlruns"
        if not is_file_store(path):
            raise MlflowImportError(
                f"{path} is not an MLflow file store (no experiment folder with a meta.yaml):"
                f" {_WHAT}."
            )
        return MlflowFileStore(path.resolve())
    if path.is_file():
        return _sql_store(path, source)
    raise MlflowImportError(f"{path} does not exist: {_WHAT}.")


def _sql_store(path: Path, source: str) -> MlflowSqlStore:
    try:
        with open(path, "rb") as fh:
            magic = fh.read(len(_SQLITE_MAGIC))
    except OSError as exc:
        raise MlflowImportError(f"{path} cannot be read ({exc.strerror}): {_WHAT}.") from exc
    if magic != _SQLITE_MAGIC:
        raise MlflowImportError(f"{source} is not a SQLite file: {_WHAT}.")
    try:
        return MlflowSqlStore(path)
    except sqlite3.Error as exc:
        raise MlflowImportError(
            f"{source} is a SQLite file but not an MLflow tracking database ({exc}): {_WHAT}."
        ) from exc


def import_mlflow(
    services: Services,
    source: str,
    *,
    experiment_prefix: str | None = None,
    on_progress: ProgressCallback | None = None,
    should_stop: StopCheck | None = None,
) -> ImportReport:
    """Import the MLflow store at ``source`` into the services' catalog.

    Raises:
        MlflowImportError: ``source`` is not a store this app reads.
        ImportCancelled: ``should_stop`` said so; what was written is kept (its ``report``).
    """
    store = open_store(source)
    report = ImportReport()
    progress = on_progress or (lambda _p: None)
    stop = should_stop or (lambda: False)
    try:
        experiments = store.experiments()
        names = {e.id: f"{experiment_prefix or ''}{e.name}" for e in experiments}
        progress(ImportProgress("experiments", len(experiments), len(experiments)))
        with services.catalog.session_scope() as s:
            before = set(s.execute(select(experiment_t.c.name)).scalars())

        def runs_progress(done: int, total: int) -> None:
            progress(
                ImportProgress("runs", done, total, f"{report.metrics_points:,} metric points")
            )

        writer = RunWriter(
            services.catalog, services.home, store, names, report, stop, runs_progress
        )
        try:
            writer.run_all()
        finally:
            with services.catalog.session_scope() as s:
                after = set(s.execute(select(experiment_t.c.name)).scalars())
            report.experiments = len((after - before) & set(names.values()))
            report.problems.extend(getattr(store, "problems", []))
        models = list(store.models())
        logged = getattr(store, "logged_model_folder", lambda _id: None)
        model_writer = ModelWriter(services.catalog, services.home, store, report, logged)
        for done, model in enumerate(models):
            progress(ImportProgress("models", done, len(models), model.name))
            model_writer.import_model(model)
            if stop():
                raise ImportCancelled(report)
        progress(ImportProgress("models", len(models), len(models)))
    finally:
        store.close()
    return report
