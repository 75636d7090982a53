"""Where a pipeline's outs are kept: the engine's ``BlobStore`` over the home's
content-addressed store and the lab store.

Out files are BLAKE3-keyed, like dataset snapshot files, so they live beside them in
``HOME/datasets/blobs`` and travel to the lab store the same way (``store sync``, and an upload
after each pipeline run when a store is set). A blob this home lacks is read from the home's
cache of the lab store, fetched on demand: a second desktop restores an out that the first one
made without running the stage.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from mlops_desktop.core.errors import StoreError
from mlops_desktop.datasets.store import SnapshotStore
from mlops_desktop.services.lab_store import LabStoreService
from mlops_desktop.store.blobs import DATASETS, BlobKey


class PipelineBlobs:
    """A BlobStore (``has``, ``put``, ``path_of`` by BLAKE3 hex) for one status or run call.

    The lab store's listing is read at most once per instance, and only when a blob is in
    neither the home nor its cache.
    """

    def __init__(self, home: Path, lab: LabStoreService) -> None:
        self.own = SnapshotStore.for_home(Path(home))
        self.lab = lab
        self._listing: set[str] | None = None
        self._added: list[BlobKey] = []

    def has(self, digest: str, /) -> bool:
        """Whether the home, its cache or the lab store holds the blob ``digest``."""
        key = _key(digest)
        if key is None:
            return False
        if self.own.has(digest) or self.lab.cache.get(key) is not None:
            return True
        return digest in self._lab_listing()

    def put(self, path: Path, digest: str, /) -> object:
        """Copy ``path`` into the home's store (verified; reflinked where the disk can)."""
        done = self.own.put(path, digest)
        key = _key(digest)
        if key is not None and done != "present":
            self._added.append(key)
        return done

    def path_of(self, digest: str, /) -> Path:
        """A readable local copy of the blob: the home's, else the cache's, else fetched."""
        own = self.own.path_of(digest)
        if own.is_file():
            return own
        return self.lab.dataset_blob_path(digest) or own

    def upload(self) -> int:
        """Send what :meth:`put` added to the lab store when one is set (a failure is logged
        once and left for ``store sync``); how many blobs were added."""
        added, self._added = self._added, []
        if added:
            self.lab.upload_quietly(added)
        return len(added)

    def _lab_listing(self) -> set[str]:
        if self._listing is None:
            self._listing = set()
            with contextlib.suppress(StoreError):
                loc = self.lab.location()
                if loc is not None:
                    listing = self.lab.backend(loc).listing()
                    self._listing = {k.hex for k in listing if k.kind == DATASETS}
        return self._listing


def _key(digest: str) -> BlobKey | None:
    try:
        return BlobKey(DATASETS, digest)
    except ValueError:
        return None
