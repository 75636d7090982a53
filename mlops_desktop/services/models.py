"""ModelService: the model registry (versions, aliases, tags, audit), cards, lineage, archives.

Synchronous and possibly slow: the GUI calls it on worker threads only. ``ref`` arguments
accept "name" (the latest version that is not archived), "name:3" and "name@champion".
Every change is written with its audit entry in one write transaction. The service never
loads (unpickles) a model in this process: :meth:`inspect` does it in a child process.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path, PurePosixPath
from typing import Any

from mlops_desktop.catalog import blob_refs, model_labels, model_repo, run_queries
from mlops_desktop.catalog.artifacts import BadDigest
from mlops_desktop.core.datasets import ManifestEntry
from mlops_desktop.core.errors import ModelError, StoreError
from mlops_desktop.core.models import (
    AuditEntry,
    GcReport,
    InspectResult,
    Lineage,
    ModelCard,
    ModelFile,
    ModelSummary,
    ModelVersion,
    VersionComparison,
)
from mlops_desktop.services import model_cards, model_transfer
from mlops_desktop.services.catalog_open import CatalogService
from mlops_desktop.services.lab_store import LabStoreService
from mlops_desktop.services.model_archive_cards import card_with_archive, lineage_with_archive
from mlops_desktop.services.model_refs import (
    check_alias,
    check_model_name,
    parse_ref,
    parse_version,
)
from mlops_desktop.store.blobs import BlobKey
from mlops_desktop.tracking.model_folder import DESCRIPTION_FILE
from mlops_desktop.tracking.validate import refuse_bad_tag_keys
from mlops_desktop.tracking.who import os_user

# the ``models`` commands read refs and versions with the service's own grammar
__all__ = ["ModelService", "local_user", "parse_ref", "parse_version"]

MODEL_SUFFIXES = (".joblib", ".pkl", ".pickle", ".pt", ".pth")


def local_user() -> str:
    """The OS user running this process, or "unknown" (see :func:`tracking.who.os_user`)."""
    return os_user()


class ModelService(CatalogService):
    """Facade over the catalog and the artifact store for the Models pane and ``models``.

    Thread-safe: every method opens its own catalog session.
    """

    # -- registering ------------------------------------------------------------------------

    def register(
        self,
        name: str,
        run_id: str | None = None,
        artifact: str | None = None,
        path: str | Path | None = None,
        description: str = "",
        tags: dict[str, str] | None = None,
    ) -> ModelVersion:
        """A new version from a run's artifact (file or folder prefix) or from a path.

        With ``artifact``, the files are the run's artifact of that name, or every artifact
        under it when it names a folder ("model/" or "model"); they are in the artifact store
        already. With ``path`` (a file or a folder), each file is copied into the store and the
        version is linked to ``run_id`` when given.

        Raises:
            ModelError: bad name, no such artifact or path, or both or neither source given.
            RunNotFound: ``run_id`` names no run.
        """
        check_model_name(name)
        refuse_bad_tag_keys(tags or {}, ModelError)
        if (artifact is None) == (path is None):
            raise ModelError("Give either a run's artifact or a path to register, not both.")
        rid = None
        if run_id:
            with self.catalog.session_scope() as s:
                rid = run_queries.resolve_run_id(s, run_id)
        if artifact is not None:
            if rid is None:
                raise ModelError("Registering an artifact needs the run that logged it.")
            files = self._run_files(rid, artifact)
            source = f"run:{rid}:{artifact}"
        else:
            assert path is not None
            files, root = model_transfer.store_path(self.home, path)
            source = str(root)
        return self._add(name, files, rid, source, description, tags or {})

    def run_model_files(self, run_id: str, artifact: str) -> list[ModelFile]:
        """The files of a run's artifact (a file, or a folder such as a logged model)."""
        with self.catalog.session_scope() as s:
            rid = run_queries.resolve_run_id(s, run_id)
        return self._run_files(rid, artifact)

    def _run_files(self, rid: str, artifact: str) -> list[ModelFile]:
        with self.catalog.session_scope() as s:
            arts = blob_refs.run_artifacts(s, rid)
        wanted = artifact.strip().replace("\\", "/")
        exact = [a for a in arts if a.path == wanted]
        if exact:
            files = [ModelFile(PurePosixPath(wanted).name, exact[0].size, exact[0].digest)]
        else:
            prefix = wanted.rstrip("/") + "/"
            files = [
                ModelFile(a.path[len(prefix) :], a.size, a.digest)
                for a in arts
                if a.path.startswith(prefix)
            ]
        if not files:
            names = ", ".join(a.path for a in arts[:20]) or "none"
            raise ModelError(
                f"Run {rid[:8]} has no artifact {artifact!r} (its artifacts: {names})."
            )
        for f in files:
            if not self.blob(f.digest, f.path).is_file():
                raise ModelError(
                    f"The file of artifact {f.path!r} of run {rid[:8]} is not in this home's "
                    "artifact store (was the run made on another machine?); nothing was registered."
                )
        return files

    def _add(
        self,
        name: str,
        files: list[ModelFile],
        rid: str | None,
        source: str,
        description: str,
        tags: dict[str, str],
        action: str = "created",
        detail: dict[str, Any] | None = None,
    ) -> ModelVersion:
        from mlops_desktop.datasets.manifest import fingerprint

        fp = fingerprint([ManifestEntry(f.path, f.size, f.digest.split(":", 1)[-1]) for f in files])
        with self.catalog.session_scope(write=True) as s:
            added = model_repo.add_version(
                s,
                name,
                files,
                fp,
                run_id=rid,
                source=source,
                user=local_user(),
                description=description,
                tags=tags,
                action=action,
                detail=detail,
            )
        self._lab_store().upload_quietly(_blob_keys(files))
        return added

    def _lab_store(self) -> LabStoreService:
        return LabStoreService(self.catalog, self.home)

    def blob(self, digest: str, name: str | None = None) -> Path:
        """Where the file of ``digest`` can be read here: the home's artifact store, else the
        cache of the lab store, else fetched from the lab store into that cache (``name``, the
        file's path, names it in fetch progress); a path that does not exist when nobody has it.

        Raises:
            StoreUnreachable: only the lab store has it, and it cannot be reached now.
        """
        return self._lab_store().artifact_path(digest, name=name)

    # -- reading ----------------------------------------------------------------------------

    def list_models(self) -> list[ModelSummary]:
        with self.catalog.session_scope() as s:
            return model_repo.list_summaries(s)

    def versions(self, name: str, include_archived: bool = True) -> list[ModelVersion]:
        """Newest first (raises ModelNotFound)."""
        with self.catalog.session_scope() as s:
            return model_repo.list_versions(s, name, include_archived)

    def get(self, ref: str) -> ModelVersion:
        """The version ``ref`` names (raises ModelNotFound with what exists)."""
        name, number, alias = parse_ref(ref)
        with self.catalog.session_scope() as s:
            return model_repo.find(s, name, number, alias)[1]

    def history(self, name: str, version: int | None = None) -> list[AuditEntry]:
        """The audit trail, newest first."""
        with self.catalog.session_scope() as s:
            return model_repo.history(s, name, version)

    # -- changing ---------------------------------------------------------------------------

    def set_alias(
        self, name: str, version: int, alias: str, note: dict[str, Any] | None = None
    ) -> None:
        """Point ``alias`` at ``version``, moving it from the version it is on; ``note`` is
        added to the audit entry's detail (why it moved: {"pipeline_run": ...})."""
        check_alias(alias)
        with self.catalog.session_scope(write=True) as s:
            model_labels.set_alias(s, name, int(version), alias, local_user(), note)

    def remove_alias(self, name: str, alias: str, note: dict[str, Any] | None = None) -> None:
        with self.catalog.session_scope(write=True) as s:
            model_labels.remove_alias(s, name, alias, local_user(), note)

    def set_tag(self, name: str, version: int, key: str, value: str) -> None:
        refuse_bad_tag_keys([key], ModelError)
        with self.catalog.session_scope(write=True) as s:
            model_labels.set_tag(s, name, int(version), key, str(value), local_user())

    def remove_tag(self, name: str, version: int, key: str) -> None:
        with self.catalog.session_scope(write=True) as s:
            if not model_labels.remove_tag(s, name, int(version), key, local_user()):
                raise ModelError(f"{name}:{version} has no tag {key!r}.")

    def describe(self, name: str, version: int, text: str) -> None:
        """Replace the version's description (Markdown)."""
        with self.catalog.session_scope(write=True) as s:
            model_labels.describe(s, name, int(version), text, local_user())

    def archive(self, name: str, version: int, archived: bool = True) -> None:
        with self.catalog.session_scope(write=True) as s:
            model_labels.set_archived(s, name, int(version), archived, local_user())

    def users_of(self, name: str, version: int) -> list[str]:
        """What uses a version besides aliases: monitors, once they exist (a hook)."""
        return []

    def delete(self, name: str, version: int, force: bool = False) -> None:
        """Refused while an alias (or a monitor) uses the version, unless ``force``, which
        also removes its aliases (each with an audit entry). The files stay in the artifact
        store until garbage collection finds nothing else references them."""
        users = self.users_of(name, int(version))
        with self.catalog.session_scope(write=True) as s:
            found = model_repo.find(s, name, int(version))[1]
            if (found.aliases or users) and not force:
                what = [f"alias {a!r}" for a in found.aliases] + users
                raise ModelError(
                    f"{name}:{version} is in use by {', '.join(what)}; move or remove "
                    "them first, or delete with force (--force) to remove them too."
                )
            model_repo.delete_version(s, name, int(version), local_user())

    # -- cards, lineage, comparison ---------------------------------------------------------

    def card(self, ref: str) -> ModelCard:
        from mlops_desktop.services.datasets import DatasetService

        name, number, alias = parse_ref(ref)
        with self.catalog.session_scope() as s:
            version = model_repo.find(s, name, number, alias)[1]
            run = model_cards.run_of(s, self.home, version)
            history = model_repo.history(s, name, version.version)
            kept = None if run else model_repo.archived_card(s, name, version.version)
        blob_of, problems = self._card_blobs({f.digest: f.path for f in version.files})
        description = model_cards.description_of(blob_of, version)
        signature, sig_source = model_cards.signature_of(
            blob_of, version, run, DatasetService(self.catalog, self.home), description
        )
        card = ModelCard(
            version=version,
            run=run.summary if run is not None else None,
            datasets=[dict(d) for d in run.datasets] if run is not None else [],
            code=model_cards.code_of(run),
            environment=model_cards.environment_of(run),
            signature=signature,
            signature_source=sig_source,
            lineage=model_cards.lineage_of(version, run),
            history=history,
            model_description=description,
            files_problem=problems[0] if problems else "",
        )
        return card_with_archive(card, kept)

    def _card_blobs(self, names: dict[str, str]) -> tuple[model_cards.BlobOf, list[str]]:
        """A card's way to its files (``names``: digest to the file's path, for fetch
        progress): the home, the cache, else fetched from the lab store; a store that cannot be
        reached leaves the file out and its sentence in the list."""
        lab = self._lab_store()
        problems: list[str] = []

        def blob_of(digest: str) -> Path | None:
            if problems:
                return None  # asked once: the store stays unreachable for this card
            try:
                return lab.artifact_path(digest, name=names.get(digest))
            except BadDigest:
                return None
            except StoreError as exc:  # unreachable, or its copy is damaged
                problems.append(str(exc))
                return None

        return blob_of, problems

    def lineage(self, ref: str) -> Lineage:
        name, number, alias = parse_ref(ref)
        with self.catalog.session_scope() as s:
            version = model_repo.find(s, name, number, alias)[1]
            run = model_cards.run_of(s, self.home, version)
            lineage = model_cards.lineage_of(version, run)
            kept = None if run else model_repo.archived_card(s, name, version.version)
        return lineage if kept is None else lineage_with_archive(lineage, kept)

    def compare(self, name: str, a: int, b: int) -> VersionComparison:
        with self.catalog.session_scope() as s:
            va = model_repo.find(s, name, int(a))[1]
            vb = model_repo.find(s, name, int(b))[1]
            ra = model_cards.run_of(s, self.home, va)
            rb = model_cards.run_of(s, self.home, vb)
        return model_cards.compare_versions(va, vb, ra, rb)

    # -- archives, inspection, garbage collection ---------------------------------------------

    def export(self, ref: str, file: str | Path) -> Path:
        """One archive with the files, the card and the lineage: a zip when ``file`` ends in
        ``.zip``, a gzip-compressed tar otherwise (:meth:`export_format`)."""
        return model_transfer.export_version(self, ref, Path(file))

    @staticmethod
    def export_format(file: str | Path) -> str:
        """What :meth:`export` writes to ``file``: "zip" or "tar.gz"."""
        return model_transfer.export_format(file)

    def import_archive(self, file: str | Path, name: str | None = None) -> ModelVersion:
        """Import an exported archive as a new version (of ``name`` or its own).

        Raises:
            ArchiveError: the archive is unsafe or damaged; nothing was written to the catalog
                or the artifact store.
        """
        return model_transfer.import_version(self, Path(file), name)

    def inspect(
        self, ref: str, timeout_s: float = 30.0, *, allow_unsandboxed: bool = False
    ) -> InspectResult:
        """Load the model in a separate process (never in this one) and describe it.

        Warning: loading a pickle runs code from the file; it happens only in a sandboxed child
        process with a timeout, and only when a person asks for it.

        Raises:
            SandboxUnavailableError: no sandbox works here and ``allow_unsandboxed`` is false
                (ask the person, then call again with it true).
        """
        from mlops_desktop.models.inspect import inspect_model
        from mlops_desktop.services.model_uris import link_files

        version = self.get(ref)
        if not version.files:
            raise ModelError(f"{version.name}:{version.version} has no files to inspect.")
        if any(f.path == DESCRIPTION_FILE for f in version.files):  # a model folder
            names = {f.digest: f.path for f in version.files}
            scratch = self.home / "tmp"
            scratch.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryDirectory(prefix="inspect-", dir=scratch) as tmp:
                folder = link_files(
                    self.home,
                    list(version.files),
                    Path(tmp) / "model",
                    blob_of=lambda digest: self.blob(digest, names.get(digest)),
                )
                return inspect_model(folder, timeout_s, allow_unsandboxed=allow_unsandboxed)
        main = next(
            (f for f in version.files if f.path.lower().endswith(MODEL_SUFFIXES)), version.files[0]
        )
        blob = self.blob(main.digest, main.path)
        if not blob.is_file():
            raise ModelError(f"The file {main.path} is missing from the artifact store.")
        with tempfile.TemporaryDirectory(prefix="mlops-inspect-") as tmp:
            target = Path(tmp) / PurePosixPath(main.path).name
            try:
                os.symlink(blob, target)
            except OSError:
                import shutil

                shutil.copyfile(blob, target)
            return inspect_model(target, timeout_s, allow_unsandboxed=allow_unsandboxed)

    def inspect_path(
        self, path: str | Path, timeout_s: float = 30.0, *, allow_unsandboxed: bool = False
    ) -> InspectResult:
        """:meth:`inspect` of a model file or folder on disk (not registered)."""
        from mlops_desktop.models.inspect import inspect_model

        return inspect_model(Path(path), timeout_s, allow_unsandboxed=allow_unsandboxed)

    def gc(self, dry_run: bool = True, grace_s: float = 3600.0) -> GcReport:
        """Artifacts no run, dataset or model version references (deleted unless a dry run).

        Local spools are ingested first, so artifacts of runs not yet in the catalog count as
        referenced; blobs younger than ``grace_s`` are kept (a script may be logging them).
        """
        from mlops_desktop.models.gc import collect
        from mlops_desktop.services.experiments import ExperimentService

        ExperimentService(self.catalog, self.home).ingest()
        with self.catalog.session_scope() as s:
            artifacts, blobs = blob_refs.gc_references(s)
        return collect(self.home, artifacts, blobs, dry_run=dry_run, grace_s=grace_s)


def _blob_keys(files: list[ModelFile]) -> list[BlobKey]:
    """The store keys of a version's files (malformed digests are skipped)."""
    keys = []
    for f in files:
        try:
            keys.append(BlobKey.of_digest(f.digest))
        except ValueError:
            continue
    return keys
