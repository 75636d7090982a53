"""What the command palette (Ctrl+K) can find: one entry per run, experiment, dataset, model,
model version, alias, host, monitor, pipeline or menu action."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlops_desktop.core.fuzzy import fuzzy_match
from mlops_desktop.core.fuzzy_batch import MATCHED_CHARS, FuzzyIndex

MAX_RECENT = 50

RUN = "run"
EXPERIMENT = "experiment"
DATASET = "dataset"
MODEL = "model"
MODEL_VERSION = "version"
MODEL_ALIAS = "alias"
HOST = "host"
MONITOR = "monitor"
PIPELINE = "pipeline"
ACTION = "action"

KIND_LABELS = {
    RUN: "Run",
    EXPERIMENT: "Experiment",
    DATASET: "Dataset",
    MODEL: "Model",
    MODEL_VERSION: "Model version",
    MODEL_ALIAS: "Model alias",
    HOST: "Host",
    MONITOR: "Monitor",
    PIPELINE: "Pipeline",
    ACTION: "Action",
}

# What a query may start with to look at one kind only ("run: loss", "> theme").
KIND_PREFIXES = {
    ">": (ACTION,),
    "run:": (RUN,),
    "exp:": (EXPERIMENT,),
    "experiment:": (EXPERIMENT,),
    "data:": (DATASET,),
    "dataset:": (DATASET,),
    "model:": (MODEL, MODEL_VERSION, MODEL_ALIAS),
    "host:": (HOST,),
    "monitor:": (MONITOR,),
    "pipeline:": (PIPELINE,),
}


@dataclass(frozen=True)
class PaletteEntry:
    """One thing the palette can find.

    Attributes:
        kind: one of the kind constants of this module.
        name: what the query is matched against ("digits-svc", "churn@prod", "Launch…").
        detail: shown after the name in grey (experiment and status, version, menu path).
        key: what activation needs: a run id, a dataset/model/host/monitor/experiment name.
        version: a model version number or dataset version, when the entry is one ("" else).
    """

    kind: str
    name: str
    detail: str = ""
    key: str = ""
    version: str = ""

    @property
    def identity(self) -> str:
        """Stable across reloads: remembers recent picks."""
        return f"{self.kind}\t{self.key}\t{self.version}"


def split_kind_prefix(query: str) -> tuple[tuple[str, ...] | None, str]:
    """(the kinds a leading prefix restricts to, or None; the rest of the query, stripped)."""
    stripped = query.lstrip()
    lowered = stripped.lower()
    for prefix, kinds in KIND_PREFIXES.items():
        if lowered.startswith(prefix):
            return kinds, stripped[len(prefix) :].strip()
    return None, query.strip()


@dataclass(frozen=True)
class PaletteHit:
    """One result: the entry, its score and the name's matched characters (to highlight)."""

    entry: PaletteEntry
    score: int
    positions: tuple[int, ...]


class PaletteSearch:
    """Entries prepared for fuzzy search (built on a worker: 10,000 runs take a few 10s of ms).

    Args:
        entries: in the order an empty query lists them (after recent picks).
    """

    def __init__(self, entries: list[PaletteEntry]) -> None:
        self.entries = entries
        self._index = FuzzyIndex([e.name for e in entries])
        self._rows = {e.identity: row for row, e in enumerate(entries)}
        kinds = np.array([e.kind for e in entries], dtype=object)
        self._kind_masks = {kind: kinds == kind for kind in KIND_LABELS}
        self._boosts = np.zeros(len(entries), dtype=np.int64)
        self._recent: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.entries)

    def set_recent(self, recent: list[str]) -> None:
        """Identities of recent picks, the latest first: they come first among equal scores."""
        if tuple(recent) == self._recent:
            return
        self._recent = tuple(recent)
        self._boosts[:] = 0
        for rank, identity in enumerate(recent[:MAX_RECENT]):
            row = self._rows.get(identity)
            if row is not None:
                self._boosts[row] = MAX_RECENT - rank

    def search(self, query: str, limit: int = 50) -> list[PaletteHit]:
        """The best ``limit`` entries for ``query`` (a kind prefix such as ``>`` first
        restricts the kinds), best first."""
        kinds, text = split_kind_prefix(query)
        allowed = None
        if kinds is not None:
            allowed = np.zeros(len(self.entries), dtype=bool)
            for kind in kinds:
                allowed |= self._kind_masks[kind]
        hits = []
        for row, score in self._index.rank(text, limit, self._boosts, allowed):
            entry = self.entries[row]
            match = fuzzy_match(text, entry.name[:MATCHED_CHARS]) if text else None
            positions = match.positions if match is not None else ()
            hits.append(PaletteHit(entry, score, positions))
        return hits
