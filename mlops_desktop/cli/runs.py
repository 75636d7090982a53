"""The ``runs`` commands: list runs (filtered), show one in full, read one metric series, and
manage runs: rename, tag, move to the trash, restore, list and empty the trash."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from mlops_desktop.cli.commands import Arg, Commands, key_value_pairs
from mlops_desktop.cli.runs_output import (
    RunsMoved,
    RunTags,
    emptied_document,
    emptied_text,
    metric_document,
    metric_text,
    moved_document,
    moved_text,
    renamed_text,
    run_detail_text,
    run_tags_document,
    run_tags_text,
    runs_document,
    runs_table,
    trash_document,
    trash_text,
)
from mlops_desktop.core.errors import RunEditError, UserFacingError
from mlops_desktop.core.query import runs_of_user
from mlops_desktop.core.run_documents import run_detail_dict
from mlops_desktop.core.run_edits import EmptiedTrash, TrashedRun
from mlops_desktop.core.runs import MetricSeries, RunDetail, RunSummary
from mlops_desktop.tracking.who import os_user

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
        Arg("--user", "-u", default=None, metavar="NAME", help="only runs of this OS user"),
        Arg("--mine", action="store_true", help="only runs of the OS user running this command"),
    ),
)
def list_runs(args: argparse.Namespace, services: Services) -> list[RunSummary]:
    """Runs of ``--experiment`` matching ``--filter`` (of ``--user`` or ``--mine``), newest
    first, at most ``--limit``."""
    if args.mine and args.user is not None:
        raise UserFacingError("Give --user NAME or --mine, not both.")
    user = os_user() if args.mine else args.user
    query = args.query if user is None else runs_of_user(args.query, user)
    runs = services.experiments.list_runs(args.experiment, query)
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


@RUNS.reply(
    "rename",
    help="give a run a new name",
    document=run_tags_document,
    text=renamed_text,
    arguments=(RUN, Arg("name", help="the new name")),
)
def rename_run(args: argparse.Namespace, services: Services) -> RunTags:
    run_id = services.experiments.rename_run(args.run, args.name)
    return _tags_of(services, run_id)


@RUNS.reply(
    "tag",
    help="set tags of a run (KEY=VALUE), or remove them (--remove KEY)",
    document=run_tags_document,
    text=run_tags_text,
    arguments=(
        RUN,
        Arg("tags", nargs="*", metavar="KEY=VALUE", help="tags to add or replace"),
        Arg("--remove", action="append", default=[], metavar="KEY", help="repeatable"),
    ),
)
def tag_run(args: argparse.Namespace, services: Services) -> RunTags:
    if not args.tags and not args.remove:
        raise RunEditError("Give tags as KEY=VALUE, or --remove KEY to remove a tag.")
    tags = key_value_pairs(args.tags, RunEditError)
    run_id = services.experiments.tag_run(args.run, tags, args.remove)
    return _tags_of(services, run_id)


def _tags_of(services: Services, run_id: str) -> RunTags:
    summary = services.experiments.get_run(run_id).summary
    return RunTags(summary.id, summary.name, dict(summary.tags))


@RUNS.reply(
    "delete",
    help="move runs, with their child runs, to the trash (runs restore brings them back)",
    document=moved_document,
    text=moved_text,
    arguments=(Arg("runs", nargs="+", metavar="RUN", help="run ids or unique prefixes"),),
)
def delete_runs(args: argparse.Namespace, services: Services) -> RunsMoved:
    """Trash the runs named, and their child runs with them (said in the reply)."""
    return _moved("trashed", services.experiments.trash_runs(args.runs), args.runs, services)


def _moved(action: str, ids: list[str], asked: list[str], services: Services) -> RunsMoved:
    named = {services.experiments.resolve_run_id(run) for run in asked}
    return RunsMoved(action, ids, [rid for rid in ids if rid not in named])


@RUNS.reply(
    "restore",
    help="take runs out of the trash",
    document=moved_document,
    text=moved_text,
    arguments=(Arg("runs", nargs="+", metavar="RUN", help="run ids or unique prefixes"),),
)
def restore_runs(args: argparse.Namespace, services: Services) -> RunsMoved:
    return _moved("restored", services.experiments.restore_runs(args.runs), args.runs, services)


def _trash_document(result: list[TrashedRun] | EmptiedTrash) -> object:
    if isinstance(result, EmptiedTrash):
        return emptied_document(result)
    return trash_document(result)


def _trash_text(result: list[TrashedRun] | EmptiedTrash) -> str:
    if isinstance(result, EmptiedTrash):
        return emptied_text(result)
    return trash_text(result)


@RUNS.reply(
    "trash",
    help="runs in the trash; --empty deletes them for good",
    document=_trash_document,
    text=_trash_text,
    arguments=(Arg("--empty", action="store_true", help="delete the trashed runs for good"),),
)
def trash(args: argparse.Namespace, services: Services) -> list[TrashedRun] | EmptiedTrash:
    if args.empty:
        return services.experiments.empty_trash()
    return services.experiments.trashed_runs()
