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

IMPORT = Commands("import", help="bring MLflow stores and TensorBoard logs into the catalog")


def import_document(report: ImportReport) -> dict[str, Any]:
    """``import ... --json``: {experiments, runs, metrics_points, models, versions}."""
    return {
        "experiments": report.experiments,
        "runs": report.runs,
        "metrics_points": report.metrics_points,
        "models": report.models,
        "versions": report.versions,
    }


def import_text(report: ImportReport) -> str:
    """What was added, or that everything was already there."""
    if report.runs or report.metrics_points or report.versions or report.artifacts:
        text = (
            f"Imported {count_noun(report.runs, 'new run')} and"
            f" {count_noun(report.metrics_points, 'metric point')}"
        )
        if report.versions:
            text += f", {count_noun(report.versions, 'model version')}"
        return text + "."
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


@IMPORT.reply(
    "mlflow",
    help="import an MLflow store (mlruns folder, mlflow.db or sqlite:///path); idempotent",
    document=import_document,
    text=import_text,
    arguments=(
        Arg("source", metavar="PATH_OR_URI", help="an mlruns folder, an mlflow.db file or a URI"),
        Arg(
            "--experiment-prefix",
            metavar="P",
            help="put P in front of every imported experiment's name",
        ),
    ),
)
def import_mlflow_store(args: argparse.Namespace, services: Services) -> ImportReport:
    from mlops_desktop.services.import_progress import ImportProgress
    from mlops_desktop.services.mlflow_import import import_mlflow

    tty = sys.stderr.isatty()
    phases: set[str] = set()

    def show(progress: ImportProgress) -> None:
        if tty:
            total = f"/{progress.total:,}" if progress.total is not None else ""
            note = f" ({progress.message})" if progress.message else ""
            print(
                f"\r{progress.phase}: {progress.done:,}{total}{note}\033[K", end="", file=sys.stderr
            )
        elif progress.phase not in phases:
            phases.add(progress.phase)
            print(f"importing {progress.phase}...", file=sys.stderr)

    report = import_mlflow(
        services, args.source, experiment_prefix=args.experiment_prefix, on_progress=show
    )
    if tty:
        print(file=sys.stderr)
    for problem in report.problems:
        print(f"warning: {printable_lines(problem)}", file=sys.stderr)
    return report
