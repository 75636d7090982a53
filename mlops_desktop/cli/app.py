"""The ``gui`` command (the default) and ``demo``: build the demo catalog, then open the app."""

from __future__ import annotations

import argparse
import subprocess
import sys

from mlops_desktop.cli.commands import Arg, Commands
from mlops_desktop.cli.exit_codes import ExitCode
from mlops_desktop.cli.output import dumps
from mlops_desktop.entry import GUI_OPTIONS, request_from
from mlops_desktop.single_instance import instance_address

APP = Commands()
LIVE_STOP_GRACE_S = 10


@APP.handler(
    "gui",
    help="open the app (the default); when it already runs on this home, bring its window "
    "forward and show what is asked there",
    arguments=tuple(Arg(*flags, **options) for flags, options in GUI_OPTIONS),
)
def open_app(args: argparse.Namespace) -> int:
    """Open the desktop app on ``--home`` and ``--catalog``; its exit status."""
    from mlops_desktop.ui.app import run_gui  # Qt loads only for the app

    return run_gui(
        args.home,
        args.catalog,
        sys.argv,
        settings=args.settings,
        request=request_from(args),
        address=instance_address(args.home, getattr(args, "catalog_option", None)),
    )


@APP.handler(
    "demo",
    help="build the demo catalog by real trainings, then open the app",
    arguments=(
        Arg("--no-gui", action="store_true", help="build only; do not open the app"),
        Arg("--json", action="store_true", help="print counts as JSON (with --no-gui)"),
    ),
)
def build_demo(args: argparse.Namespace) -> int:
    """Build the demo catalog (once), then open the app with a live training, or print counts."""
    from mlops_desktop.demo.build import build_demo as build

    def progress(message: str) -> None:
        if not args.json:
            print(message, file=sys.stderr)

    counts = build(args.home, args.catalog, progress=progress)
    if not args.no_gui:
        return _open_app_with_live_training(args)
    print(dumps(counts) if args.json else ", ".join(f"{v} {k}" for k, v in counts.items()))
    return ExitCode.OK


def _open_app_with_live_training(args: argparse.Namespace) -> int:
    from mlops_desktop.demo.live import start_live_training

    live = start_live_training(args.home)
    try:
        return open_app(args)
    finally:
        _stop(live)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate ``process`` if it still runs; kill it when it does not end in time."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=LIVE_STOP_GRACE_S)
    except subprocess.TimeoutExpired:
        process.kill()
