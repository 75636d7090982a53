"""Writing MLflow's registered models into the model registry.

A version keeps MLflow's number when it is free in this registry (else it gets the next one)
and is found again on the next import by its ``source``, ``mlflow:models:/NAME/VERSION`` with
the store's location. Its files are, in this order: the run's imported artifacts under the
path of a ``runs:/RUN/PATH`` source, the folder of a local ``storage_location`` or ``source``,
or an MLflow 3 logged model's folder; a version whose files are not on this disk is registered
without files (and said so). The registered model's tags go onto each version (the version's
own tag wins); a stage other than None becomes the tag ``mlflow.stage`` (Archived also archives
the version). Aliases are set unless this registry already has the alias.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path, PurePosixPath

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from mlops_desktop.catalog import blob_refs, model_labels, model_repo
from mlops_desktop.catalog.engine import Catalog
from mlops_desktop.catalog.model_schema import (
    model_alias_t,
    model_audit_t,
    model_file_t,
    model_tag_t,
    model_version_t,
)
from mlops_desktop.catalog.schema import run_t
from mlops_desktop.core.datasets import ManifestEntry
from mlops_desktop.core.errors import ModelError
from mlops_desktop.core.models import ModelFile
from mlops_desktop.services.import_progress import ImportReport
from mlops_desktop.services.mlflow_records import (
    MlflowModel,
    MlflowModelVersion,
    MlflowStore,
    local_path,
)
from mlops_desktop.services.model_transfer import store_path

_V = model_version_t.c
IMPORT_USER = "mlflow-import"


def version_source(location: str, name: str, version: int) -> str:
    return f"mlflow:models:/{name}/{version} ({location})"


class ModelWriter:
    """Imports the registered models of one store."""

    def __init__(
        self,
        catalog: Catalog,
        home: Path,
        store: MlflowStore,
        report: ImportReport,
        logged_model_folder: Callable[[str], str | None],
    ) -> None:
        self.catalog = catalog
        self.home = home
        self.store = store
        self.report = report
        self.logged_model_folder = logged_model_folder

    def import_model(self, model: MlflowModel) -> None:
        with self.catalog.session_scope() as s:
            existed = model_repo.model_id(s, model.name) is not None
        added = 0
        for version in model.versions:
            added += self._version(model, version)
        self.report.versions += added
        if added and not existed:
            self.report.models += 1
        with self.catalog.session_scope(write=True) as s:
            self._aliases(s, model)

    def _version(self, model: MlflowModel, version: MlflowModelVersion) -> int:
        source = version_source(self.store.location, model.name, version.version)
        with self.catalog.session_scope() as s:
            mid = model_repo.model_id(s, model.name)
            if (
                mid is not None
                and s.execute(select(_V.id).where(_V.model_id == mid, _V.source == source)).first()
            ):
                return 0
            run_id = version.run_id
            if run_id and not s.execute(select(run_t.c.id).where(run_t.c.id == run_id)).first():
                run_id = None
            files = self._files(s, model.name, version, run_id)
        from mlops_desktop.datasets.manifest import fingerprint

        entries = [ManifestEntry(f.path, f.size, f.digest.split(":", 1)[-1]) for f in files]
        tags = {**model.tags, **version.tags}
        if version.stage and version.stage != "None":
            tags["mlflow.stage"] = version.stage
        with self.catalog.session_scope(write=True) as s:
            mid = model_repo.lock_model(s, model.name, create=True)
            top = s.execute(select(func.max(_V.number)).where(_V.model_id == mid)).scalar()
            gone = s.execute(
                select(func.max(model_audit_t.c.version)).where(model_audit_t.c.model_id == mid)
            ).scalar()
            number = version.version
            taken = (
                s.execute(select(_V.id).where(_V.model_id == mid, _V.number == number)).first()
                or s.execute(  # a deleted version's number is never given again
                    select(model_audit_t.c.id).where(
                        model_audit_t.c.model_id == mid, model_audit_t.c.version == number
                    )
                ).first()
            )
            if taken is not None:
                number = max(int(top or 0), int(gone or 0)) + 1
            created = version.creation_time / 1000.0 if version.creation_time else time.time()
            vid = s.execute(
                insert(model_version_t)
                .values(
                    model_id=mid,
                    number=number,
                    fingerprint=fingerprint(entries),
                    run_id=run_id,
                    source=source,
                    created_at=created,
                    created_by=version.user or IMPORT_USER,
                    description=version.description or model.description,
                    archived=version.stage == "Archived",
                )
                .returning(_V.id)
            ).scalar_one()
            if files:
                s.execute(
                    insert(model_file_t),
                    [
                        {"version_id": vid, "path": f.path, "size": f.size, "digest": f.digest}
                        for f in files
                    ],
                )
            if tags:
                s.execute(
                    insert(model_tag_t),
                    [{"version_id": vid, "key": k, "value": str(v)} for k, v in tags.items()],
                )
            detail = {"source": source, "mlflow_version": version.version}
            if run_id:
                detail["run"] = run_id
            model_repo.add_audit(s, mid, number, "imported", IMPORT_USER, detail)
        return 1

    def _files(
        self, s: Session, name: str, version: MlflowModelVersion, run_id: str | None
    ) -> list[ModelFile]:
        for where in (version.storage_location, version.source):
            if where.startswith("runs:/") and run_id:
                prefix = where[len("runs:/") :].split("/", 1)[1:]
                files = _run_files(s, run_id, prefix[0] if prefix else "")
                if files:
                    return files
            folder = None
            if where.startswith("models:/m-"):
                folder = self.logged_model_folder(where[len("models:/") :].split("/", 1)[0])
            elif local_path(where):
                folder = local_path(where)
            if folder and Path(folder).exists():
                try:
                    return store_path(self.home, folder)[0]
                except ModelError as exc:
                    self.report.problems.append(str(exc))
        self.report.problems.append(
            f"The files of version {version.version} of model {name!r} are at"
            f" {version.storage_location or version.source or 'no known place'}, not on this"
            " disk: the version was imported without files."
        )
        return []

    def _aliases(self, s: Session, model: MlflowModel) -> None:
        mid = model_repo.model_id(s, model.name)
        if mid is None:
            return
        have = set(
            s.execute(
                select(model_alias_t.c.alias).where(model_alias_t.c.model_id == mid)
            ).scalars()
        )
        for alias, number in sorted(model.aliases.items()):
            if alias in have:
                continue
            source = version_source(self.store.location, model.name, number)
            ours = s.execute(
                select(_V.number).where(_V.model_id == mid, _V.source == source)
            ).scalar()
            if ours is not None:
                model_labels.set_alias(s, model.name, int(ours), alias, IMPORT_USER)


def _run_files(s: Session, run_id: str, path: str) -> list[ModelFile]:
    """The run's artifacts under ``path`` (a folder) or named ``path``, relative to it."""
    arts = blob_refs.run_artifacts(s, run_id)
    wanted = path.strip("/")
    exact = [a for a in arts if a.path == wanted]
    if exact:
        return [ModelFile(PurePosixPath(wanted).name, exact[0].size, exact[0].digest)]
    prefix = wanted + "/" if wanted else ""
    return [
        ModelFile(a.path[len(prefix) :], a.size, a.digest)
        for a in arts
        if a.path.startswith(prefix)
    ]
