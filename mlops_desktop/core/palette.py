"""What the command palette (Ctrl+K) can find: one entry per run, experiment, dataset, model,
model version, alias, host, monitor or menu action."""

from __future__ import annotations

from dataclasses import dataclass

RUN = "run"
EXPERIMENT = "experiment"
DATASET = "dataset"
MODEL = "model"
MODEL_VERSION = "version"
MODEL_ALIAS = "alias"
HOST = "host"
MONITOR = "monitor"
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
