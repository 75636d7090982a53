"""What another desktop (or program) changed in a shared catalog: the events of the change feed.

A desktop hears changes made elsewhere (another desktop on the same PostgreSQL catalog, the
command line on the same SQLite file) through a feed (``catalog/change_listen.py`` on PostgreSQL,
``catalog/change_poll.py`` on SQLite) and reloads the parts of its panes they touch. No Qt, no SQL.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

# Kinds of change a notification names, and the part of the app each one touches.
RUNS = "runs"  # an ingest stored events of runs (new ones included), or a run's status changed
MODEL_VERSION = "model_version"  # a new model version
ALIAS = "alias"  # an alias set, moved or removed
MODEL = "model"  # any other change of a model (tags, description, archive, delete)
DATASET_VERSION = "dataset_version"  # a new dataset version
JOBS = "jobs"  # a job was submitted or changed state
MONITORS = "monitors"  # a monitor was added, set, checked or removed, or an alert changed
PIPELINE = "pipeline"  # a pipeline added, a pipeline run or stage, a trigger, a gate decision

AREA_RUNS = "runs"
AREA_MODELS = "models"
AREA_DATASETS = "datasets"
AREA_JOBS = "jobs"
AREA_MONITORS = "monitors"
AREA_PIPELINES = "pipelines"
ALL_AREAS = frozenset(
    {AREA_RUNS, AREA_MODELS, AREA_DATASETS, AREA_JOBS, AREA_MONITORS, AREA_PIPELINES}
)
_AREA_OF_KIND = {
    RUNS: AREA_RUNS,
    MODEL_VERSION: AREA_MODELS,
    ALIAS: AREA_MODELS,
    MODEL: AREA_MODELS,
    DATASET_VERSION: AREA_DATASETS,
    JOBS: AREA_JOBS,
    MONITORS: AREA_MONITORS,
    PIPELINE: AREA_PIPELINES,
}

# PostgreSQL refuses a payload of 8000 bytes or more; past this, the ids are left out.
MAX_PAYLOAD_BYTES = 7000


@dataclass(frozen=True, slots=True)
class CatalogChange:
    """One change heard from elsewhere.

    Attributes:
        kind: one of the kinds above, or None when unknown (SQLite's poll, a reconnect after
            notifications may have been missed): then every area is to be reloaded.
        ids: what changed (run ids; model or dataset ids as text; pipeline names), empty when
            not told.
        new_ids: of ``ids``, those seen for the first time (new runs).
        sender: the desktop id of the catalog connection that made it ("" when unknown).
    """

    kind: str | None
    ids: frozenset[str] = frozenset()
    new_ids: frozenset[str] = frozenset()
    sender: str = ""

    @property
    def areas(self) -> frozenset[str]:
        """The parts of the app to reload: runs, models, datasets, pipelines."""
        area = _AREA_OF_KIND.get(self.kind or "")
        return ALL_AREAS if area is None else frozenset({area})

    @classmethod
    def unknown(cls) -> CatalogChange:
        """Something changed, nobody knows what: reload everything."""
        return cls(None)


def encode_payload(kind: str, ids: Iterable[str], new_ids: Iterable[str], sender: str) -> str:
    """The notification's payload: small JSON, its ids dropped when they make it too long."""
    body: dict[str, Any] = {"v": 1, "kind": kind, "desktop": sender}
    body["ids"] = sorted(ids)
    body["new"] = sorted(new_ids)
    text = json.dumps(body, separators=(",", ":"))
    if len(text.encode()) > MAX_PAYLOAD_BYTES:
        body["ids"] = None  # too many to tell: the receiver reloads the whole area
        body["new"] = None
        text = json.dumps(body, separators=(",", ":"))
    return text


def decode_payload(text: str) -> CatalogChange:
    """The change a payload tells; an unreadable one is an unknown change (never an error)."""
    try:
        body = json.loads(text)
    except ValueError:
        return CatalogChange.unknown()
    if not isinstance(body, dict):
        return CatalogChange.unknown()
    kind = body.get("kind")
    sender = body.get("desktop")
    ids, new = body.get("ids"), body.get("new")
    if not isinstance(kind, str) or kind not in _AREA_OF_KIND:
        kind = None
    if not isinstance(ids, list):  # too many ids, or none told: the whole area
        ids, new = [], []
    new = new if isinstance(new, list) else []
    return CatalogChange(
        kind,
        frozenset(str(i) for i in ids),
        frozenset(str(i) for i in new),
        sender if isinstance(sender, str) else "",
    )
