"""The ``experiments`` command: experiments with their number of runs."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from mlops_desktop.cli.commands import Commands
from mlops_desktop.cli.output import iso_time, printable
from mlops_desktop.core.plural import count_noun
from mlops_desktop.core.runs import Experiment

if TYPE_CHECKING:
    from mlops_desktop.services.bundle import Services

EXPERIMENTS = Commands()


def experiments_document(experiments: list[Experiment]) -> list[dict[str, Any]]:
    """``experiments --json``: [{name, runs, created_at}]."""
    return [
        {"name": e.name, "runs": e.run_count, "created_at": iso_time(e.created_at)}
        for e in experiments
    ]


def experiments_text(experiments: list[Experiment]) -> str:
    """One ``name<TAB>N runs`` line an experiment, or how to make the first one."""
    if not experiments:
        return (
            "No experiments yet. Run `mlops-desktop demo` or log a run with"
            " mlops_desktop.start_run()."
        )
    return "\n".join(f"{printable(e.name)}\t{count_noun(e.run_count, 'run')}" for e in experiments)


@EXPERIMENTS.reply(
    "experiments", help="list experiments", document=experiments_document, text=experiments_text
)
def list_experiments(_args: argparse.Namespace, services: Services) -> list[Experiment]:
    return services.experiments.list_experiments()
