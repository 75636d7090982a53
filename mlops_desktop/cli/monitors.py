"""The ``monitors`` commands: add, list, show, check, ack, remove; retrain, scores, promote.

``monitors add NAME --reference wine@v1 --current-folder incoming/ --retrain -- python train.py``:
everything after ``--retrain`` (and its ``--``) is the retrain command.
"""

from __future__ import annotations

import argparse
import re
from typing import TYPE_CHECKING, Any

from mlops_desktop.cli import monitors_output as out
from mlops_desktop.cli import retrain_output as rout
from mlops_desktop.cli.commands import Arg, Commands, key_value_pairs
from mlops_desktop.core.compute import JobInfo
from mlops_desktop.core.drift import Alert, DriftWindow, ModelScore, MonitorInfo, RetrainSpec
from mlops_desktop.core.errors import MonitorError
from mlops_desktop.core.models import ModelVersion
from mlops_desktop.core.pipelines import PipelineRunInfo

if TYPE_CHECKING:
    from mlops_desktop.services.bundle import Services

MONITORS = Commands("monitors", help="drift monitors of models and datasets, their alerts")
_TIME = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)?\s*$")
_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, None: 1.0}


def parse_duration(text: str) -> float:
    """ "30m", "1h", "90s", "2d" or seconds -> seconds.

    Raises:
        MonitorError: not a duration.
    """
    match = _TIME.match(text)
    if not match or float(match.group(1)) <= 0:
        raise MonitorError(f"--window {text!r}: give a time such as 90s, 30m, 1h or 2d.")
    return float(match.group(1)) * _UNITS[match.group(2)]


def split_retrain(argv: list[str]) -> tuple[list[str], list[str]]:
    """``monitors add ... --retrain -- CMD...``: (the arguments up to ``--retrain``, CMD).

    argparse cannot take a ``--`` tail after a positional and options, so the command line is
    cut here before parsing; everything after ``--retrain`` (and its ``--``) is the command.
    """
    if "monitors" not in argv or "--retrain" not in argv:
        return argv, []
    i = argv.index("--retrain")
    tail = argv[i + 1 :]
    return argv[: i + 1], tail[1:] if tail[:1] == ["--"] else tail


def _retrain(args: argparse.Namespace) -> RetrainSpec | None:
    command = list(getattr(args, "retrain_command", None) or [])
    if args.retrain and not command:
        raise MonitorError("--retrain needs a command after it, e.g. --retrain -- python train.py")
    if not command:
        return None
    return RetrainSpec(
        tuple(command),
        target=args.retrain_target or "local",
        gpus=args.retrain_gpus,
        dataset=args.retrain_dataset,
    )


@MONITORS.reply(
    "add",
    help="watch a model's or a dataset's inputs for drift against a frozen reference",
    document=out.added_document,
    text=out.added_text,
    arguments=(
        Arg("name", help="the monitor's name (letters, digits, '.', '_', '-')"),
        Arg("--model", metavar="MODEL_REF", help="a version or alias, e.g. wine-clf@champion"),
        Arg("--reference", metavar="DATASET_REF|FILE", help="e.g. wine@v3 or ref.parquet"),
        Arg("--current-folder", metavar="DIR", help="table files dropped here, once each"),
        Arg("--current-dataset", metavar="NAME", help="each new version of this dataset"),
        Arg("--predictions", action="store_true", help="rows logged with log_predictions"),
        Arg("--window-rows", type=int, metavar="N", help="windows of N rows"),
        Arg("--window", metavar="TIME", help="time windows of prediction logs: 30m, 1h, ..."),
        Arg("--alert-after", type=int, default=3, metavar="K", help="drift in K windows"),
        Arg("--alert-window", type=int, default=5, metavar="N", help="... of the last N"),
        Arg("--label", metavar="COLUMN", help="the label column (never a drift column)"),
        Arg("--prediction", metavar="COLUMN", help="the prediction column"),
        Arg("--method", action="append", default=[], metavar="COL=METHOD", help="repeatable"),
        Arg("--retrain-target", metavar="TARGET", help="where --retrain runs (default local)"),
        Arg("--retrain-gpus", type=int, default=0, metavar="N", help="GPUs of the retrain run"),
        Arg("--retrain-dataset", metavar="NAME", help="the dataset to retrain on"),
        Arg("--auto-retrain", action="store_true", help="retrain by itself when an alert fires"),
        Arg("--alert-column", metavar="COLUMN", help="also alert when this column drifts"),
        Arg("--retrain", action="store_true", help="last: -- CMD... the retrain command"),
    ),
)
def add_monitor(args: argparse.Namespace, services: Services) -> MonitorInfo:
    if args.model is None and args.reference is None:
        raise MonitorError("Give --model MODEL_REF or --reference DATASET_REF|FILE.")
    return services.monitors.add(
        args.name,
        model=args.model,
        reference=args.reference,
        current_folder=args.current_folder,
        current_dataset=args.current_dataset,
        predictions=args.predictions,
        window_rows=args.window_rows,
        window_s=parse_duration(args.window) if args.window else None,
        alert_after=args.alert_after,
        alert_window=max(args.alert_window, args.alert_after),
        retrain=_retrain(args),
        methods=key_value_pairs(args.method, MonitorError, "--method") or None,
        label_column=args.label,
        prediction_column=args.prediction,
        rules=_rules(args),
    )


def _rules(args: argparse.Namespace) -> dict[str, object] | None:
    """The optional alert rules and the opt-in to retrain automatically."""
    rules: dict[str, object] = {}
    if args.auto_retrain:
        rules["auto_retrain"] = True
    if args.alert_column:
        rules["alert_column"] = args.alert_column
    return rules or None


@MONITORS.reply(
    "list", help="monitors with their state", document=out.list_document, text=out.list_text
)
def list_monitors(args: argparse.Namespace, services: Services) -> list[MonitorInfo]:
    return services.monitors.list_monitors()


NAME = Arg("name", help="the monitor")


@MONITORS.reply(
    "show",
    help="a monitor with its windows and alerts",
    document=out.show_document,
    text=out.show_text,
    arguments=(NAME,),
)
def show_monitor(
    args: argparse.Namespace, services: Services
) -> tuple[MonitorInfo, list[DriftWindow], list[Alert]]:
    m = services.monitors
    return m.get(args.name), m.windows(args.name), m.alerts(args.name)


@MONITORS.reply(
    "check",
    help="process what arrived: prints the new windows and alerts",
    document=out.check_document,
    text=out.check_text,
    arguments=(NAME,),
)
def check_monitor(args: argparse.Namespace, services: Services) -> tuple[str, Any]:
    return args.name, services.monitors.check(args.name)


@MONITORS.reply(
    "ack",
    help="acknowledge an alert",
    document=out.alert_document,
    text=out.alert_text,
    arguments=(Arg("id", type=int, help="the alert's id (monitors show lists them)"),),
)
def acknowledge(args: argparse.Namespace, services: Services) -> Alert:
    return services.monitors.acknowledge(args.id)


@MONITORS.reply(
    "remove",
    help="delete a monitor with its windows and alerts",
    document=out.removed_document,
    text=out.removed_text,
    arguments=(NAME,),
)
def remove_monitor(args: argparse.Namespace, services: Services) -> str:
    services.monitors.remove(args.name)
    return str(args.name)


@MONITORS.reply(
    "retrain",
    help="launch the monitor's retrain run (or its pipeline) on the newest data; prints its id",
    document=rout.retrain_document,
    text=rout.retrain_text,
    arguments=(
        NAME,
        Arg("--alert", type=int, metavar="ID", help="the alert it answers (default: newest open)"),
    ),
)
def retrain_monitor(args: argparse.Namespace, services: Services) -> JobInfo | PipelineRunInfo:
    started = services.monitors.retrain(args.name, args.alert)
    if isinstance(started, PipelineRunInfo):  # walked by this process: it waits for its end
        return services.pipelines.wait(started.run_id)
    return started


@MONITORS.reply(
    "scores",
    help="the champion and the retrained challengers scored on the newest labelled window",
    document=rout.scores_document,
    text=rout.scores_text,
    arguments=(
        NAME,
        Arg(
            "--no-sandbox",
            action="store_true",
            help="load the models without isolation when no sandbox (bwrap, unshare) works here",
        ),
    ),
)
def monitor_scores(args: argparse.Namespace, services: Services) -> list[ModelScore]:
    return services.monitors.scores(args.name, allow_unsandboxed=args.no_sandbox)


@MONITORS.reply(
    "promote",
    help="move the monitored alias to a version (audited)",
    document=rout.promoted_document,
    text=rout.promoted_text,
    arguments=(NAME, Arg("version", help="the version to promote, e.g. 4")),
)
def promote(args: argparse.Namespace, services: Services) -> tuple[str, str, ModelVersion]:
    from mlops_desktop.services.monitor_retrain import watched_model

    services.monitors.promote(args.name, args.version)
    model = watched_model(services.monitors.get(args.name))
    return args.name, model.alias or "", services.models.get(model.ref)
