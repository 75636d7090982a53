"""The ``runs`` commands: list runs (filtered), show one in full, read one metric series."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from mlops_desktop.cli.commands import Arg, Commands
from mlops_desktop.cli.runs_output import (
    metric_document,
    metric_text,
    run_detail_text,
    runs_document,
    runs_table,
)
from mlops_desktop.core.run_documents import run_detail_dict
from mlops_desktop.core.runs import MetricSeries, RunDetail, RunSummary

if TYPE_CHECKING:
    from mlops_desktop.services.bundle import Services

RUNS = Commands("runs", help="list, show and read runs")
RUN = Arg("run", help="run id or a unique prefix of at least 4 characters")


@RUNS.reply(
    "list",
    help="runs, newest first",
    document=runs_document,
    text=runs_table,
    arguments=(
        Arg("--experiment", "-e", help="only runs of this experiment"),
        Arg("--filter", "-f", dest="query", help='e.g. "metrics.acc > 0.9 and params.lr = 0.01"'),
        Arg("--limit", type=int, default=None, help="at most this many runs"),
    ),
)
def list_runs(args: argparse.Namespace, services: Services) -> list[RunSummary]:
    """Runs of ``--experiment`` matching ``--filter``, newest first, at most ``--limit``."""
    runs = services.experiments.list_runs(args.experiment, args.query)
    return runs if args.limit is None else runs[: max(args.limit, 0)]


@RUNS.reply(
    "show",
    help="one run in full",
    document=run_detail_dict,
    text=run_detail_text,
    arguments=(RUN,),
)
def show_run(args: argparse.Namespace, services: Services) -> RunDetail:
    return services.experiments.get_run(args.run)


@RUNS.reply(
    "metric",
    help="one metric series of a run",
    document=metric_document,
    text=metric_text,
    arguments=(RUN, Arg("key", help="the metric's key, e.g. val/acc")),
)
def read_metric(args: argparse.Namespace, services: Services) -> MetricSeries:
    """The whole series ``args.key`` of the run ``args.run``."""
    run_id = services.experiments.resolve_run_id(args.run)
    return services.experiments.metric_series(run_id, args.key)
