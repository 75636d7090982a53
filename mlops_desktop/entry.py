"""The ``mlops-desktop`` console script's entry point, and the ``gui`` command's options.

:func:`main` first tries :func:`hand_over_early`: when the command opens the app and an app
already runs on the same home, it hands the request over and the process exits, having imported
only the standard library (see :mod:`mlops_desktop.single_instance`); otherwise it runs the
command line (:func:`mlops_desktop.cli.main`), imported only then. Standard library imports
only, here.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from mlops_desktop.single_instance import (
    InstanceNotAnswering,
    ShowRequest,
    claim_or_hand_over,
    instance_address,
)
from mlops_desktop.tracking.home import HOME_ENV, default_home, resolve_home

GUI_OPTIONS: tuple[tuple[tuple[str, ...], dict[str, Any]], ...] = (
    (("--show-run",), {"metavar": "RUN", "help": "select this run (id or id prefix)"}),
    (
        ("--show-model",),
        {"metavar": "REF", "help": "show this model version: NAME, NAME@ALIAS or NAME:VERSION"},
    ),
    (("--pane",), {"metavar": "NAME", "help": "show this pane (Experiments, Jobs, ...)"}),
)
"""``(flags, add_argument options)`` of the ``gui`` command (also built into its parser)."""

_log = logging.getLogger(__name__)


class _NotTheGui(Exception):
    """The command line is not a plain ``gui`` start (another command, help, a mistake)."""


class _QuietParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _NotTheGui(message)


def request_from(args: argparse.Namespace) -> ShowRequest:
    """The :class:`ShowRequest` of parsed ``gui`` options."""
    return ShowRequest(
        show_run=getattr(args, "show_run", None),
        show_model=getattr(args, "show_model", None),
        pane=getattr(args, "pane", None),
    )


def parse_gui_start(argv: Sequence[str]) -> tuple[Path, str | None, ShowRequest] | None:
    """(home, ``--catalog`` given, request) when ``argv`` opens the app; None otherwise."""
    parser = _QuietParser(add_help=False, allow_abbrev=False)
    parser.add_argument("--home")
    parser.add_argument("--catalog")
    commands = parser.add_subparsers(dest="command", parser_class=_QuietParser)
    gui = commands.add_parser("gui", add_help=False, allow_abbrev=False)
    for flags, options in GUI_OPTIONS:
        gui.add_argument(*flags, **options)
    try:
        args = parser.parse_args(list(argv))
    except _NotTheGui:
        return None
    if args.home is not None or os.environ.get(HOME_ENV):
        home = resolve_home(args.home)
    else:
        home = default_home()  # what platformdirs gives (settings.home_from)
    return home, args.catalog, request_from(args)


def hand_over_early(argv: Sequence[str]) -> int | None:
    """Exit status 0 when an app on the same home took this start's request; None to go on
    (not a ``gui`` start, or this is the first app: it then holds the home's start claim)."""
    start = parse_gui_start(argv)
    if start is None:
        return None
    home, catalog_option, request = start
    try:
        claim = claim_or_hand_over(instance_address(home, catalog_option), request)
    except InstanceNotAnswering as exc:
        print(f"mlops-desktop: {exc}", file=sys.stderr)
        return 2
    except Exception:  # the single-instance layer never stops the app from starting
        _log.exception("The check for a running app failed; starting a new one")
        return None
    return 0 if claim is None else None


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``mlops-desktop`` and ``python -m mlops_desktop``; the exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    handed_over = hand_over_early(args)
    if handed_over is not None:
        return handed_over
    from mlops_desktop.cli import main as run_command_line

    return run_command_line(args)
