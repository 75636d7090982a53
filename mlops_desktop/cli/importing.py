"""The ``import`` commands: history kept by other tools, brought into the catalog."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlops_desktop.cli.commands import Arg, Commands
from mlops_desktop.cli.output import printable_lines
from mlops_desktop.core.plural import count_noun

if TYPE_CHECKING:
    from mlops_desktop.services.bundle import Services
    from mlops_desktop.services.import_progress import ImportReport

IMPORT = Commands("import", help="bring TensorBoard logs into the catalog")


def import_document(report: ImportReport) -> dict[str, Any]:
    """``import tensorboard --json``: {experiments, runs, metrics_points, models, versions}."""
    return {
        "experiments": report.experiments,
        "runs": report.runs,
        "metrics_points": report.metrics_points,
        "models": report.models,
        "versions": report.versions,
    }


def import_text(report: ImportReport) -> str:
    """What was added, or that everything was already there."""
    if report.runs or report.metrics_points:
        return (
            f"Imported {count_noun(report.runs, 'new run')} and"
            f" {count_noun(report.metrics_points, 'metric point')}."
        )
    return "Nothing new: these logs are already in the catalog."


@IMPORT.reply(
    "tensorboard",
    help="import TensorBoard event files, one run per folder holding them; idempotent",
    document=import_document,
    text=import_text,
    arguments=(
        Arg("dir", metavar="DIR", help="the folder you give `tensorboard --logdir`"),
        Arg(
            "--experiment", metavar="NAME", help="the experiment of the runs (default: DIR's name)"
        ),
    ),
)
def import_tensorboard_logs(args: argparse.Namespace, services: Services) -> ImportReport:
    from mlops_desktop.services.tensorboard_import import import_tensorboard

    report = import_tensorboard(services.catalog, Path(args.dir), args.experiment)
    for problem in report.problems:  # damaged records: said, skipped, the rest imported
        print(f"warning: {printable_lines(problem)}", file=sys.stderr)
    return report
