"""DatasetService: register, version, diff, profile, preview and restore datasets.

Every method is synchronous and may be slow: the GUI calls them on worker threads only.
``progress(done, total, message)`` and ``cancelled()`` let long work report and stop.
Registering writes a version and all its file rows in one transaction, after every file was
hashed (and, with ``snapshot``, copied into the store): a cancel or a failure leaves nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlops_desktop.catalog import dataset_repo
from mlops_desktop.core.datasets import (
    AddResult,
    DatasetDiff,
    DatasetSummary,
    DatasetUse,
    DatasetVersion,
    ManifestEntry,
    TablePreview,
    TableProfile,
)
from mlops_desktop.core.errors import DatasetError, OperationCancelled
from mlops_desktop.services import dataset_tables
from mlops_desktop.services.catalog_open import CatalogService
from mlops_desktop.services.dataset_sources import (
    check_name,
    modified_since,
    source_file,
)
from mlops_desktop.tracking.validate import refuse_bad_tag_keys
from mlops_desktop.tracking.who import host_name, os_user

if TYPE_CHECKING:
    from mlops_desktop.datasets.manifest import ManifestResult

Progress = Callable[[int, int, str], None]
Cancelled = Callable[[], bool]


class DatasetService(CatalogService):
    """Facade over the catalog and the dataset engine for the Datasets pane and ``data`` commands.

    Thread-safe: every method opens its own catalog session.
    """

    def _store(self) -> Any:
        from mlops_desktop.datasets.store import SnapshotStore

        return SnapshotStore.for_home(self.home)

    def _upload_snapshot(self, entries: list[ManifestEntry]) -> None:
        """Upload a snapshot's files to the lab store when one is set (else, or when it cannot
        be reached, they wait for ``store sync``)."""
        from mlops_desktop.store.blobs import DATASETS, BlobKey

        keys = {BlobKey(DATASETS, e.hash) for e in entries}
        self._lab_store().upload_quietly(sorted(keys, key=lambda k: k.hex))

    def _prefetch(self, entries: list[ManifestEntry]) -> None:
        """Fetch the snapshot files this home lacks from the lab store in one go."""
        from mlops_desktop.store.blobs import DATASETS, BlobKey

        names: dict[BlobKey, str] = {}
        for e in entries:
            try:
                names.setdefault(BlobKey(DATASETS, e.hash), e.path)
            except ValueError:
                continue  # checkout refuses it with its own sentence
        self._lab_store().prefetch(list(names), names=names)

    def _read_store(self) -> Any:
        """The snapshot store for reading: a blob this home lacks comes from the home's cache
        of the lab store, fetched from the lab store when one is set."""
        from mlops_desktop.services.lab_store import store_backed_snapshots

        return store_backed_snapshots(self._lab_store())

    def _lab_store(self) -> Any:
        """The lab store of this catalog (imported here: most commands never need it)."""
        from mlops_desktop.services.lab_store import LabStoreService

        return LabStoreService(self.catalog, self.home)

    # -- registering ------------------------------------------------------------------------

    def add(
        self,
        path: str | Path,
        name: str,
        message: str = "",
        tags: dict[str, str] | None = None,
        snapshot: bool = False,
        progress: Progress | None = None,
        cancelled: Cancelled | None = None,
    ) -> AddResult:
        """Register ``path`` (file or folder) as a new version of ``name`` if its content changed.

        Raises:
            DatasetError: bad name, missing path, no readable file, or a snapshot failed.
            OperationCancelled: ``cancelled()`` became true (nothing is written).
        """
        from mlops_desktop.datasets.manifest import fingerprint

        check_name(name)
        refuse_bad_tag_keys(tags or {}, DatasetError)
        t0 = time.perf_counter()
        root = Path(path).expanduser()
        if not root.exists():
            raise DatasetError(f"{root} does not exist: give an existing file or folder.")
        root = root.resolve()
        built = self._build_manifest(root, progress, cancelled)
        entries = built.entries
        if not entries:
            why = f" ({'; '.join(built.skipped[:3])})" if built.skipped else ""
            raise DatasetError(f"{root} holds no readable file to register{why}.")
        fp = fingerprint(entries)
        with self.catalog.session_scope() as s:
            latest = dataset_repo.latest_version(s, name)
        if snapshot:
            self._snapshot_files(root, entries, cancelled)
        if latest is not None and latest.fingerprint == fp:
            version, new = latest, False
        else:
            version, new = self._register(name, root, entries, fp, message, tags, snapshot)
        if not new and snapshot and not version.snapshot:
            with self.catalog.session_scope(write=True) as s:
                vid, _ = dataset_repo.find_version(s, name, version.number)
                dataset_repo.mark_snapshot(s, vid)
        if snapshot:
            self._upload_snapshot(entries)
        return AddResult(
            dataset=name,
            version=version.version,
            fingerprint=version.fingerprint,
            files=version.files,
            bytes=version.bytes,
            new_version=new,
            skipped=list(built.skipped),
            hashed_bytes=built.hashed_bytes,
            seconds=time.perf_counter() - t0,
            user=version.user,
            host=version.host,
        )

    def _build_manifest(
        self, root: Path, progress: Progress | None, cancelled: Cancelled | None
    ) -> ManifestResult:
        """The manifest of ``root``, hashing only files the stat cache does not vouch for."""
        from mlops_desktop.datasets.manifest import build_manifest
        from mlops_desktop.datasets.statcache import StatCache

        cache = StatCache.for_home(self.home)
        try:
            return build_manifest(root, cache=cache, progress=progress, cancelled=cancelled)
        finally:
            cache.close()

    def _register(
        self,
        name: str,
        root: Path,
        entries: list[ManifestEntry],
        fp: str,
        message: str,
        tags: dict[str, str] | None,
        snapshot: bool,
    ) -> tuple[DatasetVersion, bool]:
        """Write a new version of ``name`` unless a concurrent add wrote the same one first."""
        from mlops_desktop.datasets.tables import dataset_kind

        kind = dataset_kind([e.path for e in entries])
        with self.catalog.session_scope(write=True) as s:
            return dataset_repo.register_version(
                s,
                name,
                entries,
                fp,
                message=message,
                tags=dict(tags or {}),
                source_path=str(root),
                snapshot=snapshot,
                kind=kind,
                user=os_user(),
                host=host_name(),
            )

    def _snapshot_files(
        self, root: Path, entries: list[ManifestEntry], cancelled: Cancelled | None
    ) -> None:
        store = self._store()
        for e in entries:
            if cancelled is not None and cancelled():
                raise OperationCancelled("Registering was cancelled; nothing was recorded.")
            if store.has(e.hash):
                continue
            try:
                store.put(source_file(str(root), e.path), e.hash)
            except OSError as exc:
                raise DatasetError(
                    f"{e.path} could not be copied into the snapshot store ({exc.strerror or exc});"
                    " nothing was recorded."
                ) from exc

    # -- reading ----------------------------------------------------------------------------

    def list_datasets(self) -> list[DatasetSummary]:
        with self.catalog.session_scope() as s:
            return dataset_repo.list_summaries(s)

    def versions(self, name: str) -> list[DatasetVersion]:
        """Versions of a dataset, newest first. Raises DatasetNotFound."""
        with self.catalog.session_scope() as s:
            return dataset_repo.list_versions(s, name)

    def get_version(self, name: str, version: str | None = None) -> DatasetVersion:
        """``version`` is "v2", "2", "latest" or None (latest). Raises DatasetNotFound."""
        number = dataset_repo.parse_version(version)
        with self.catalog.session_scope() as s:
            return dataset_repo.find_version(s, name, number)[1]

    def _version_and_files(
        self, name: str, version: str | None
    ) -> tuple[int, DatasetVersion, list[ManifestEntry]]:
        number = dataset_repo.parse_version(version)
        with self.catalog.session_scope() as s:
            vid, found = dataset_repo.find_version(s, name, number)
            return vid, found, dataset_repo.manifest(s, vid)

    def manifest(self, name: str, version: str | None = None) -> list[ManifestEntry]:
        return self._version_and_files(name, version)[2]

    def diff(self, name: str, old: str, new: str) -> DatasetDiff:
        """Files added, removed and changed from ``old`` to ``new``, and row and schema changes
        of the table files changed between them (read from snapshots or unchanged sources)."""
        return dataset_tables.diff_versions(self, name, old, new)

    def checkout(
        self,
        name: str,
        version: str | None,
        dest: str | Path,
        progress: Progress | None = None,
        cancelled: Cancelled | None = None,
    ) -> Path:
        """Restore a snapshotted version into ``dest`` byte for byte, verified."""
        from mlops_desktop.datasets.checkout import checkout

        _, found, entries = self._version_and_files(name, version)
        if not found.snapshot:
            raise DatasetError(
                f"{name}@{found.version} was registered without a snapshot, so it cannot be "
                f"restored; add it with --snapshot to keep a restorable copy."
            )
        self._prefetch(entries)
        return checkout(
            entries,
            self._read_store(),
            Path(dest).expanduser(),
            found.fingerprint,
            progress=progress,
            cancelled=cancelled,
        )

    def profile(
        self,
        name: str,
        version: str | None = None,
        path: str | None = None,
        progress: Progress | None = None,
        cancelled: Cancelled | None = None,
    ) -> list[TableProfile]:
        """Profiles of the version's table files (or one), computed once and cached."""
        return dataset_tables.profiles(self, name, version, path, progress, cancelled)

    def table_files(self, name: str, version: str | None = None) -> list[tuple[Path, str]]:
        """A version's CSV, TSV, Parquet and JSON Lines files as (readable path, path in the
        dataset), in path order; a DatasetError when one cannot be read."""
        return dataset_tables.table_files(self, name, version)

    def preview(self, name: str, version: str | None, path: str, rows: int = 200) -> TablePreview:
        """The first ``rows`` rows of a table file of a version (source or snapshot)."""
        return dataset_tables.preview(self, name, version, path, rows)

    def used_by(self, name: str, version: str | None = None) -> list[DatasetUse]:
        """Runs that used the dataset (one version, or any), newest first."""
        number = dataset_repo.parse_version(version)
        with self.catalog.session_scope() as s:
            label = None
            if number is not None:
                label = dataset_repo.find_version(s, name, number)[1].version
            elif version not in (None, ""):  # "latest"
                label = dataset_repo.find_version(s, name, None)[1].version
            elif dataset_repo.dataset_id(s, name) is None:
                dataset_repo.list_versions(s, name)  # raises DatasetNotFound
            return dataset_repo.uses(s, name, label)

    def changed_datasets(self) -> list[tuple[str, str]]:
        """(dataset, sentence) for each dataset whose source path changed since its latest
        version (cheap: stat only, through the stat cache)."""
        from mlops_desktop.datasets.manifest import quick_change_check
        from mlops_desktop.datasets.statcache import StatCache

        out: list[tuple[str, str]] = []
        cache = StatCache.for_home(self.home)
        try:
            for summary in self.list_datasets():
                if summary.latest is None:
                    continue
                _, found, entries = self._version_and_files(summary.name, summary.latest)
                root = Path(found.source_path)
                if not root.exists():
                    out.append((summary.name, f"source {root} no longer exists"))
                    continue
                sentence = quick_change_check(root, entries, cache) or modified_since(
                    root, entries, found.created_at
                )
                if sentence:
                    out.append((summary.name, f"{sentence} since {found.version}"))
        finally:
            cache.close()
        return out
