"""The read side of the content-addressed artifact store.

A blob with digest ``sha256:<hex>`` lives at ``HOME/artifacts/sha256/<hex[:2]>/<hex>``. Digests
come from spools, which a script wrote: they are validated so that no path leaves the store.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from mlops_desktop.tracking.home import artifact_root

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

_DIGEST = re.compile(r"sha256:([0-9a-f]{64})")


class BadDigest(ValueError):
    """A digest that is not ``sha256:`` and 64 lowercase hex digits."""


def blob_path(home: Path, digest: str) -> Path:
    """Where the blob of ``digest`` is (or would be) stored.

    Raises:
        BadDigest: the digest is malformed, so it cannot name a file inside the store.
    """
    m = _DIGEST.fullmatch(digest)
    if m is None:
        raise BadDigest(f"not a sha256 digest: {digest[:80]!r}")
    hexd = m.group(1)
    return artifact_root(Path(home)) / "sha256" / hexd[:2] / hexd


def blob_path_or_none(home: Path, digest: str) -> Path | None:
    """:func:`blob_path`, or None for a malformed digest."""
    try:
        return blob_path(home, digest)
    except BadDigest:
        return None


def run_artifact_digests(session: Session, run_ids: Iterable[str]) -> list[str]:
    """The digests of the artifacts the runs ``run_ids`` logged (each once)."""
    from sqlalchemy import select

    from mlops_desktop.catalog.schema import artifact_t

    ids = sorted(set(run_ids))
    found: set[str] = set()
    for start in range(0, len(ids), 500):
        rows = session.execute(
            select(artifact_t.c.digest).where(artifact_t.c.run_id.in_(ids[start : start + 500]))
        )
        found.update(str(digest) for (digest,) in rows)
    return sorted(found)
