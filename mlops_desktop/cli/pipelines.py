"""The ``pipelines`` commands: run a pipeline file (ours or DVC's ``dvc.yaml``), say what
would run and why, list pipelines and their runs, approve or reject a gate, show triggers.

``pipelines run --json`` and ``pipelines show --json`` print a PipelineRunInfo document
({run_id, pipeline, path, state, ..., stages: [{stage, state, run_id, source_run_id, reasons,
...}], gates: [...]}); ``pipelines status --json`` prints {pipeline, path, stages: [{stage,
state, reasons, fingerprint, source_run_id}]}. ``pipelines run`` exits 3 when a stage failed
or the run was cancelled (the document still says everything), 2 for a mistake in the file
(nothing ran). ``pipelines watch`` is the app's trigger loop on its own
(:mod:`.pipelines_watch`).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from mlops_desktop.cli import pipelines_output as out
from mlops_desktop.cli.commands import Arg, Commands
from mlops_desktop.cli.exit_codes import ExitCode
from mlops_desktop.cli.output import dumps, printable_lines
from mlops_desktop.cli.session import open_services
from mlops_desktop.core.pipelines import (
    GateResult,
    PipelineInfo,
    PipelineRunInfo,
    StageRun,
    TriggerEvent,
)

if TYPE_CHECKING:
    from mlops_desktop.services.bundle import Services

PIPELINES = Commands("pipelines", help="run pipelines (pipeline.yaml or dvc.yaml), gates, triggers")
FILE_ARG = Arg(
    "file",
    nargs="?",
    default=".",
    help="the pipeline file, or a folder holding pipeline.yaml or dvc.yaml (default: here)",
)


@PIPELINES.handler(
    "run",
    help="run what changed: cached stages are skipped, deleted outs restored",
    json=True,
    arguments=(
        FILE_ARG,
        Arg("--target", default=None, help="run every stage there: local, ssh:NAME, slurm:NAME"),
        Arg("--force", action="append", default=[], metavar="STAGE", help="rerun this stage"),
        Arg(
            "--from",
            dest="from_stage",
            default=None,
            metavar="STAGE",
            help="rerun this stage and everything downstream of it",
        ),
    ),
)
def run_pipeline(args: argparse.Namespace) -> int:
    """Run the pipeline to its end, telling each stage's change as it happens (not with
    ``--json``); Ctrl-C cancels the running stages and ends the run "cancelled"."""
    with open_services(args) as services, _cancel_on_interrupt() as stop:
        path = services.pipelines.path_of(args.file)

        def told(stage: StageRun) -> None:
            if not args.json and stage.state != "queued":
                print(out.stage_line(stage), flush=True)

        run = services.pipelines.run(
            path,
            target=args.target,
            force=args.force,
            from_stage=args.from_stage,
            cancelled=stop.is_set,
            on_stage=told,
        )
    if args.json:
        print(dumps(out.run_document(run)))
    else:
        print()
        print(out.run_text(run))
    if stop.is_set():
        return ExitCode.INTERRUPTED
    return ExitCode.OK if run.state == "done" else ExitCode.FAILED


@contextmanager
def _cancel_on_interrupt() -> Iterator[threading.Event]:
    """An event set by Ctrl-C (instead of KeyboardInterrupt) while the block runs."""
    stop = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def interrupted(_signum: int, _frame: Any) -> None:
        if not stop.is_set():
            print("cancelling the running stages...", file=sys.stderr, flush=True)
        stop.set()

    old = signal.signal(signal.SIGINT, interrupted)
    try:
        yield stop
    finally:
        signal.signal(signal.SIGINT, old)


@PIPELINES.handler(
    "status",
    help="which stages would run, and why (a changed dep, param or code)",
    json=True,
    arguments=(
        FILE_ARG,
        Arg("--force", action="append", default=[], metavar="STAGE", help="as `run --force`"),
        Arg("--from", dest="from_stage", default=None, metavar="STAGE", help="as `run --from`"),
    ),
)
def pipeline_status(args: argparse.Namespace) -> int:
    with open_services(args) as services:
        path = services.pipelines.path_of(args.file)
        pipeline = services.pipelines.load(path)
        statuses = services.pipelines.status(path, args.force, args.from_stage)
    if args.json:
        print(dumps(out.status_document(pipeline, statuses)))
    else:
        print(printable_lines(out.status_text(pipeline, statuses)))
    return ExitCode.OK


@PIPELINES.reply(
    "list",
    help="pipelines the catalog knows, with their last run",
    document=out.pipelines_document,
    text=out.pipelines_text,
)
def list_pipelines(args: argparse.Namespace, services: Services) -> list[PipelineInfo]:
    return services.pipelines.list()


@PIPELINES.reply(
    "runs",
    help="pipeline runs, newest first",
    document=out.runs_document,
    text=out.runs_text,
    arguments=(
        Arg("name", nargs="?", default=None, help="of this pipeline only"),
        Arg("--limit", type=int, default=50, help="at most this many (default 50)"),
    ),
)
def list_runs(args: argparse.Namespace, services: Services) -> list[PipelineRunInfo]:
    return services.pipelines.runs(args.name, args.limit)


@PIPELINES.reply(
    "show",
    help="one pipeline run: its stages, gates and the log of a failed stage",
    document=out.run_document,
    text=out.run_text,
    arguments=(Arg("run", help="the pipeline run's id (or a unique prefix)"),),
)
def show_run(args: argparse.Namespace, services: Services) -> PipelineRunInfo:
    return services.pipelines.show(args.run)


STAGE_OPTION = Arg("--stage", default=None, help="the gate's stage, when the run has several")


@PIPELINES.reply(
    "approve",
    help="make the model a gate registered champion",
    document=out.gate_document,
    text=out.decided_text,
    arguments=(Arg("run", help="the pipeline run's id (or a unique prefix)"), STAGE_OPTION),
)
def approve_gate(args: argparse.Namespace, services: Services) -> GateResult:
    return services.pipelines.approve(args.run, args.stage)


@PIPELINES.reply(
    "reject",
    help="refuse the model a gate registered (the champion stays)",
    document=out.gate_document,
    text=out.decided_text,
    arguments=(Arg("run", help="the pipeline run's id (or a unique prefix)"), STAGE_OPTION),
)
def reject_gate(args: argparse.Namespace, services: Services) -> GateResult:
    return services.pipelines.reject(args.run, args.stage)


@PIPELINES.reply(
    "triggers",
    help="triggers that fired (new data, alerts, schedules) and what they started",
    document=out.triggers_document,
    text=out.triggers_text,
    arguments=(Arg("name", nargs="?", default=None, help="of this pipeline only"),),
)
def list_triggers(args: argparse.Namespace, services: Services) -> list[TriggerEvent]:
    return services.pipelines.triggers(args.name)


@PIPELINES.handler(
    "watch",
    help="check the triggers every minute and run what they start (the app's loop, no GUI)",
    arguments=(
        Arg(
            "--interval",
            default="60",
            metavar="SECONDS",
            help='how often to check: seconds, or "5m", "1h" (at least a minute; default 60)',
        ),
        Arg("--once", action="store_true", help="check once, wait for what it started, exit"),
    ),
)
def watch_triggers(args: argparse.Namespace) -> int:
    """Ctrl-C cancels the runs going, waits for them to end, and exits 130."""
    from mlops_desktop.cli.pipelines_watch import watch

    with _cancel_on_interrupt() as stop:
        return watch(args, stop)
