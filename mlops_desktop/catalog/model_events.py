"""``model`` spool events: a model folder logged with ``registered_model_name=`` becomes a new
version of that model when its run is ingested, as ``models register RUN NAME --name N`` does.

The version's files are the run's artifacts under the folder; its lineage is the run's (run,
datasets, code). Applying the same event twice adds nothing: a version of that model with the
same run, source and fingerprint is the one the event made.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mlops_desktop.catalog import model_repo
from mlops_desktop.catalog.model_schema import model_t, model_version_t
from mlops_desktop.catalog.schema import artifact_t, run_t
from mlops_desktop.core.datasets import ManifestEntry
from mlops_desktop.core.models import ModelFile
from mlops_desktop.tracking.who import who_fields

MODEL_NAME = re.compile(r"^[A-Za-z0-9._-]{1,100}$")  # services.model_refs.NAME_RE


def _folder_files(s: Session, run_id: str, folder: str) -> list[ModelFile]:
    prefix = folder.strip("/") + "/"
    rows = s.execute(
        select(artifact_t.c.name, artifact_t.c.size, artifact_t.c.digest)
        .where(artifact_t.c.run_id == run_id)
        .order_by(artifact_t.c.name)
    ).all()
    return [
        ModelFile(str(n)[len(prefix) :], int(size or 0), str(d))
        for n, size, d in rows
        if str(n).startswith(prefix)
    ]


def _exists(s: Session, name: str, run_id: str, source: str, fingerprint: str) -> bool:
    found = s.execute(
        select(model_version_t.c.id)
        .join(model_t, model_t.c.id == model_version_t.c.model_id)
        .where(
            model_t.c.name == name,
            model_version_t.c.run_id == run_id,
            model_version_t.c.source == source,
            model_version_t.c.fingerprint == fingerprint,
        )
        .limit(1)
    ).scalar()
    return found is not None


def register_logged_model(s: Session, run_id: str, event: dict[str, Any]) -> str | None:
    """Add the version an event asks for; a sentence saying why not, or None when done."""
    from mlops_desktop.datasets.manifest import fingerprint

    name = str(event["registered_model_name"])
    folder = str(event["name"]).strip("/")
    if not MODEL_NAME.match(name) or name in (".", ".."):
        return f"run {run_id[:8]}: {name!r} is not a model name; {folder}/ was not registered"
    files = _folder_files(s, run_id, folder)
    if not files:
        return f"run {run_id[:8]}: no artifacts under {folder}/; nothing was registered as {name}"
    fp = fingerprint([ManifestEntry(f.path, f.size, f.digest.split(":", 1)[-1]) for f in files])
    source = f"run:{run_id}:{folder}"
    if _exists(s, name, run_id, source, fp):
        return None
    user, host = who_fields(event)
    if host is None:  # a spool older than hosts in model events: the run's machine
        host = s.execute(select(run_t.c.host).where(run_t.c.id == run_id)).scalar()
    flavor = event.get("flavor") if isinstance(event.get("flavor"), str) else ""
    model_repo.add_version(
        s,
        name,
        files,
        fp,
        run_id=run_id,
        source=source,
        user=user or "unknown",
        host=host or "",
        detail={"logged_model": folder, "flavor": flavor},
    )
    return None
