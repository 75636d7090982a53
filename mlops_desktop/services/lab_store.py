"""The lab store as the commands and the other services use it: where it is (recorded in the
catalog, so every desktop opening the catalog finds it), what it holds, uploading what this
home has that it lacks, and reading a blob this home lacks through the home's cache.

With nothing recorded the home is its own store: blobs stay in ``HOME/artifacts`` and
``HOME/datasets/blobs`` exactly as before, and nothing is fetched or uploaded.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mlops_desktop.catalog.lab_settings import STORE_KEY, get_setting, set_setting
from mlops_desktop.core.errors import (
    HostError,
    OperationCancelled,
    StoreError,
    StoreUnreachable,
)
from mlops_desktop.core.plural import count_noun
from mlops_desktop.services.catalog_open import CatalogService
from mlops_desktop.store.blobs import DATASETS, BlobKey, hash_of, walk_blobs
from mlops_desktop.store.cache import BlobCache
from mlops_desktop.store.folder import FolderStore
from mlops_desktop.store.location import StoreLocation, parse_location
from mlops_desktop.store.progress import FetchProgress
from mlops_desktop.store.ssh_store import SshStore

Progress = Callable[[int, int, str], None]
Cancelled = Callable[[], bool]
Backend = FolderStore | SshStore
CACHE_DIR = ("cache", "store")
log = logging.getLogger(__name__)
_warned: set[str] = set()  # upload problems logged already (each is logged once)
_default_fetch_progress: list[Progress] = []  # set by the command line on a terminal


def set_fetch_reporter(progress: Progress | None) -> None:
    """Report every fetch of this process that is given no ``progress`` of its own to
    ``progress`` (bytes done, bytes in all, what is fetched: the file's name where the caller
    gave one, else the blob's hex hash), or to nothing again with
    None: the command line sets one when stderr is a terminal, wherever the fetch comes from."""
    _default_fetch_progress[:] = [progress] if progress is not None else []


def _fetch_progress(progress: Progress | None, what: str) -> FetchProgress | None:
    """The store's (bytes done, bytes in all) callback telling ``progress`` (else the
    process's reporter) about the blob(s) ``what``; None when nobody listens."""
    report = progress or (_default_fetch_progress[0] if _default_fetch_progress else None)
    if report is None:
        return None
    return lambda done, total: report(done, total, what)


def sync_cancelled(uploaded: int) -> OperationCancelled:
    """The sentence of a sync stopped by the person who started it."""
    return OperationCancelled(
        f"Sync was cancelled after {uploaded:,} blob(s); the rest go up with the next sync."
    )


class LabStoreService(CatalogService):
    """The lab store of the catalog, seen from this home."""

    @property
    def cache(self) -> BlobCache:
        """This home's cache of blobs fetched from the store."""
        return BlobCache(self.home.joinpath(*CACHE_DIR))

    def location(self) -> StoreLocation | None:
        """The store the catalog records, or None (the home keeps its own blobs)."""
        with self.catalog.session_scope() as s:
            text = get_setting(s, STORE_KEY)
        return parse_location(text) if text else None

    def set_location(self, text: str) -> StoreLocation:
        """Check ``text`` (a folder, or ``ssh://HOST/path`` of a known host), create the
        store's folders there and record it in the catalog.

        Raises:
            StoreError: malformed, unknown host, or the folder cannot be created or written.
            StoreUnreachable: the host or folder cannot be reached now.
        """
        loc = parse_location(text)
        backend = self.backend(loc)
        if isinstance(backend, SshStore):
            backend.check()
        backend.prepare()
        from mlops_desktop.tracking.who import host_name, os_user

        with self.catalog.session_scope(write=True) as s:
            set_setting(s, STORE_KEY, str(loc), f"{os_user()}@{host_name()}")
        return loc

    def backend(self, loc: StoreLocation) -> Backend:
        """The folder or SSH store at ``loc`` (StoreError for a host this home does not know)."""
        if loc.host is None:
            return FolderStore(Path(loc.path), str(loc))
        from mlops_desktop.compute.hosts import HostInventory
        from mlops_desktop.compute.ssh import SshClient

        try:
            host = HostInventory(self.home).get(loc.host)
        except HostError as exc:
            raise StoreError(
                f"The lab store is on {loc.host!r}, which this home does not know: add it with "
                f"`mlops-desktop hosts add {loc.host} --ssh USER@HOST`. ({exc})"
            ) from None
        return SshStore(SshClient(host, self.home), loc.path, str(loc))

    # -- what is where ------------------------------------------------------------------------

    def show(self) -> dict[str, Any]:
        """Location, reachability, the store's blobs and bytes, what this home has not
        uploaded yet, and the cache."""
        loc = self.location()
        local = dict(walk_blobs(self.home))
        cached, cached_bytes = self.cache.usage()
        doc: dict[str, Any] = {
            "location": str(loc) if loc else str(self.home),
            "in_home": loc is None,
            "reachable": True,
            "problem": None,
            "blobs": len(local),
            "bytes": sum(local.values()),
            "not_uploaded": {"blobs": 0, "bytes": 0},
            "cache": {"blobs": cached, "bytes": cached_bytes, "limit": self.cache.limit},
        }
        if loc is None:
            return doc
        try:
            remote = self.backend(loc).listing()
        except StoreUnreachable as exc:
            doc.update(reachable=False, problem=str(exc), blobs=None, bytes=None)
            doc["not_uploaded"] = None
            return doc
        missing = {k: n for k, n in local.items() if k not in remote}
        doc.update(blobs=len(remote), bytes=sum(remote.values()))
        doc["not_uploaded"] = {"blobs": len(missing), "bytes": sum(missing.values())}
        return doc

    def cache_report(self, limit: int | None = None, clear: bool = False) -> dict[str, Any]:
        """Set the cache's limit (evicting the least recently used down to it) and/or clear
        it; then its blobs, bytes, limit and the bytes freed."""
        cache = self.cache
        _, before = cache.usage()
        if clear:
            cache.clear()
        if limit is not None:
            cache.set_limit(limit)
        blobs, size = cache.usage()
        return {"blobs": blobs, "bytes": size, "limit": cache.limit, "freed": before - size}

    def sync(
        self, progress: Progress | None = None, cancelled: Cancelled | None = None
    ) -> dict[str, Any]:
        """Upload every blob of this home the store lacks.

        Args:
            progress: called with (bytes done, bytes in all, the blob just uploaded).
            cancelled: asked between blobs; once it says True the sync stops (what went up
                stays up) and raises OperationCancelled.

        Raises:
            StoreError: no store is set (the home is its own store), or an upload failed.
            StoreUnreachable: the store cannot be reached (nothing is lost: sync again later).
            OperationCancelled: ``cancelled()`` became true.
        """
        loc = self.location()
        if loc is None:
            raise StoreError(
                "No lab store is set, so this home keeps its own blobs; set one with "
                "`mlops-desktop store set FOLDER_OR_SSH_URL`."
            )
        backend = self.backend(loc)
        stored = backend.listing()  # once: a round trip to the host for an SSH store
        missing = {k: n for k, n in walk_blobs(self.home) if k not in stored}
        uploaded = self._upload(backend, missing, progress, cancelled)
        return {"location": str(loc), "uploaded": uploaded, "bytes": sum(missing.values())}

    def _upload(
        self,
        backend: Backend,
        keys: dict[BlobKey, int],
        progress: Progress | None,
        cancelled: Cancelled | None = None,
    ) -> int:
        if isinstance(backend, SshStore):
            return backend.put_many(self.home, keys, progress, cancelled)
        total, done, uploaded = sum(keys.values()), 0, 0
        for key, size in sorted(keys.items(), key=lambda kv: kv[0].rel):
            if cancelled is not None and cancelled():
                raise sync_cancelled(uploaded)
            uploaded += backend.put(self.home / key.rel, key)
            done += size
            if progress is not None:
                progress(done, total, key.rel)
        return uploaded

    def upload_quietly(self, keys: list[BlobKey]) -> None:
        """Upload these blobs of this home when a store is set and reachable; a failure is
        logged and left for ``store sync`` (what the home wrote is safe in the home)."""
        try:
            loc = self.location()
            if loc is None:
                return
            backend = self.backend(loc)
            sizes = {}
            for key in keys:
                path = self.home / key.rel
                if path.is_file() and not (isinstance(backend, FolderStore) and backend.has(key)):
                    sizes[key] = path.stat().st_size
            self._upload(backend, sizes, None)
        except StoreError as exc:
            if str(exc) not in _warned:  # a store down for an hour is one line, not hundreds
                _warned.add(str(exc))
                log.warning("not uploaded to the lab store yet (store sync will): %s", exc)

    def upload_run_artifacts(self, run_ids: list[str]) -> None:
        """Upload the artifacts of these runs (just ingested) when a store is set; a failure
        is logged once and left for ``store sync``."""
        if not run_ids or self.location() is None:
            return
        from mlops_desktop.catalog.artifacts import run_artifact_digests

        with self.catalog.session_scope() as s:
            digests = run_artifact_digests(s, run_ids)
        keys = []
        for digest in digests:
            with contextlib.suppress(ValueError):
                keys.append(BlobKey.of_digest(digest))
        self.upload_quietly(keys)

    def blob_name(self, rel: str) -> str | None:
        """The name people know the blob at ``rel`` (a store-relative path) by: the model
        file, artifact or dataset file it holds (for progress), else None."""
        from mlops_desktop.catalog.blob_refs import name_of_blob

        key = BlobKey.of_rel(rel)
        if key is None:
            return None
        with self.catalog.session_scope() as s:
            if key.kind == DATASETS:
                return name_of_blob(s, None, key.hex)
            return name_of_blob(s, f"sha256:{key.hex}", None)

    # -- reading ------------------------------------------------------------------------------

    def local_path(
        self, key: BlobKey, progress: Progress | None = None, name: str | None = None
    ) -> Path:
        """Where the blob can be read here: the home, else the cache, else fetched from the
        store into the cache. Without a store, or when the store lacks it too, the home's path
        (which does not exist: the caller says what is missing). ``progress`` hears (bytes
        done, bytes in all, ``name`` -- the file as people know it, an artifact path or a
        dataset file -- else the blob's hex hash) while it is fetched.

        Raises:
            StoreUnreachable: the blob is neither here nor cached, and the store cannot be
                reached (one sentence; what is here or cached still works).
        """
        own = self.home / key.rel
        if own.is_file():
            return own
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        loc = self.location()
        if loc is None:
            return own
        return self._fetch(self.backend(loc), key, progress, name) or own

    def prefetch(
        self,
        keys: list[BlobKey],
        progress: Progress | None = None,
        names: dict[BlobKey, str] | None = None,
    ) -> None:
        """Bring the blobs this home lacks into its cache ahead of reading them: one rsync for
        an SSH store instead of one per blob. ``progress`` hears (bytes done, bytes in all,
        the file's name from ``names`` (else its hex hash), or "N files" for one rsync of
        several).

        Raises:
            StoreUnreachable: some are missing here and the store cannot be reached.
        """
        cache = self.cache
        missing = [k for k in keys if not (self.home / k.rel).is_file() and cache.get(k) is None]
        loc = self.location() if missing else None
        if loc is None:
            return
        backend = self.backend(loc)
        names = names or {}
        if not isinstance(backend, SshStore):
            for key in missing:
                self._fetch(backend, key, progress, names.get(key))
            return
        staging = cache.root / ".incoming" / uuid.uuid4().hex
        staging.mkdir(parents=True)
        try:
            one = missing[0]
            what = (
                names.get(one, one.hex) if len(missing) == 1 else count_noun(len(missing), "file")
            )
            backend.fetch_many(missing, staging, _fetch_progress(progress, what))
            for key in missing:
                got = staging / key.rel
                if got.is_file() and hash_of(key.kind, got) == key.hex:
                    cache.admit(got, key)  # a damaged one is fetched (and refused) on reading
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def _fetch(
        self,
        backend: Backend,
        key: BlobKey,
        progress: Progress | None = None,
        name: str | None = None,
    ) -> Path | None:
        cache = self.cache
        tmp = cache.temp_path(key)
        try:
            if not backend.fetch(key, tmp, _fetch_progress(progress, name or key.hex)):
                return None
            if hash_of(key.kind, tmp) != key.hex:
                what = "dataset file" if key.kind == DATASETS else "file"
                raise StoreError(
                    f"The lab store's copy of {what} {key.hex[:12]} is damaged (its hash does not "
                    "match); ask whoever has it to run `mlops-desktop store sync`."
                )
            return cache.admit(tmp, key)
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()

    def artifact_path(
        self, digest: str, progress: Progress | None = None, name: str | None = None
    ) -> Path:
        """:meth:`local_path` of an artifact or model file digest ``sha256:<hex>`` (``name``:
        its path in the run or model, for progress)."""
        from mlops_desktop.catalog.artifacts import blob_path

        try:
            key = BlobKey.of_digest(digest)
        except ValueError:
            return blob_path(self.home, digest)  # raises BadDigest as before
        return self.local_path(key, progress, name)

    def dataset_blob_path(self, file_hash: str, name: str | None = None) -> Path | None:
        """:meth:`local_path` of a dataset snapshot file's BLAKE3 hash (None if malformed);
        ``name``: the file's path in the version, for progress."""
        try:
            key = BlobKey(DATASETS, file_hash)
        except ValueError:
            return None
        return self.local_path(key, name=name)


def store_backed_snapshots(lab: LabStoreService) -> Any:
    """The home's :class:`~mlops_desktop.datasets.store.SnapshotStore` for reading: a blob
    the home lacks is read from the cache, fetched from the lab store when a store is set."""
    from mlops_desktop.datasets.store import SnapshotStore

    class StoreBackedSnapshots(SnapshotStore):
        def path_of(self, file_hash: str) -> Path:
            own = super().path_of(file_hash)  # validates the hash
            if own.is_file():
                return own
            return lab.dataset_blob_path(file_hash) or own

    return StoreBackedSnapshots.for_home(lab.home)
