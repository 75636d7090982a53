"""The sending side of the catalog's change feed: what a transaction changed, told to the others.

Repositories call :func:`note_change` inside their transaction (an ingest, a new model version,
an alias move, a new dataset version). On PostgreSQL, :meth:`Catalog.session_scope` then sends
one ``pg_notify`` per kind just before it commits, so the notification goes out with the commit
and never for a rolled-back change; other desktops ``LISTEN`` on :data:`CHANNEL`
(``change_listen.py``). On SQLite nothing is sent: other connections see a new
``PRAGMA data_version`` (``change_poll.py``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.orm import Session

from mlops_desktop.core.catalog_changes import encode_payload

CHANNEL = "mlops_desktop_changes"
_NOTED = "catalog_changes"  # the session.info key of the changes noted in its transaction


@dataclass
class _Noted:
    ids: set[str] = field(default_factory=set)
    new_ids: set[str] = field(default_factory=set)


def start_noting(s: Session) -> None:
    """Make ``s`` collect the changes its transaction makes (a PostgreSQL catalog's sessions)."""
    s.info[_NOTED] = {}


def note_change(
    s: Session, kind: str, ids: Iterable[str | int] = (), new_ids: Iterable[str | int] = ()
) -> None:
    """Record that this transaction made a change of ``kind`` (see ``core.catalog_changes``).

    Cheap and a no-op on a session that does not collect (SQLite, tests' own sessions).
    """
    noted: dict[str, _Noted] | None = s.info.get(_NOTED)
    if noted is None:
        return
    entry = noted.setdefault(kind, _Noted())
    entry.ids.update(str(i) for i in ids)
    entry.new_ids.update(str(i) for i in new_ids)


def send_noted_changes(s: Session, sender: str) -> int:
    """Send one notification per kind noted in ``s`` (inside its transaction); how many."""
    noted: dict[str, _Noted] | None = s.info.get(_NOTED)
    if not noted:
        return 0
    stmt = text("SELECT pg_notify(:channel, :payload)")
    for kind, entry in sorted(noted.items()):
        payload = encode_payload(kind, entry.ids, entry.new_ids, sender)
        s.execute(stmt, {"channel": CHANNEL, "payload": payload})
    count = len(noted)
    noted.clear()
    return count
