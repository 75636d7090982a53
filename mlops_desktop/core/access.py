"""Whether this desktop may change the catalog it opened, and why not."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CatalogAccess:
    """What this desktop may do to its catalog, found once when the catalog is opened.

    Attributes:
        writable: changes can be stored (runs ingested, tags, versions, aliases, monitors).
        reason: when not writable, one sentence saying why and what to do; empty otherwise.
    """

    writable: bool = True
    reason: str = ""

    @classmethod
    def read_only(cls, reason: str) -> CatalogAccess:
        return cls(writable=False, reason=reason)


WRITABLE = CatalogAccess()
