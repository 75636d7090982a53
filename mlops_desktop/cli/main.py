"""The ``mlops-desktop`` command: the parser, assembled from one module per command group, and
:func:`main`, which runs the chosen command under the one exit-status convention.

Exit statuses (:class:`~mlops_desktop.cli.exit_codes.ExitCode`): 0 success; 1 a bug, told in
one sentence that names the log holding its traceback (``HOME/logs/app.log``); 2 a person's
mistake (unknown run, malformed filter, locked catalog), told in one sentence that says what to
do, never with a traceback; 3 the work ran and failed (a pipeline stage); 130 interrupted.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from mlops_desktop import __version__
from mlops_desktop.app_log import bug_sentence, log_bug, setup_logging
from mlops_desktop.cli.app import APP, open_app
from mlops_desktop.cli.commands import Subcommands
from mlops_desktop.cli.data import DATA
from mlops_desktop.cli.drift import DRIFT
from mlops_desktop.cli.exit_codes import EXIT_STATUS_HELP, ExitCode
from mlops_desktop.cli.experiments import EXPERIMENTS
from mlops_desktop.cli.fetch_progress import report_fetches_on_terminal
from mlops_desktop.cli.hosts import HOSTS
from mlops_desktop.cli.hw import HW
from mlops_desktop.cli.importing import IMPORT
from mlops_desktop.cli.jobs import JOBS
from mlops_desktop.cli.launch import LAUNCH
from mlops_desktop.cli.models import MODELS
from mlops_desktop.cli.monitors import MONITORS, split_retrain
from mlops_desktop.cli.pipelines import PIPELINES
from mlops_desktop.cli.runs import RUNS
from mlops_desktop.cli.store import STORE
from mlops_desktop.core.errors import UserFacingError
from mlops_desktop.core.text import printable_lines
from mlops_desktop.settings import Settings, home_from
from mlops_desktop.tracking.home import HOME_ENV

PROG = "mlops-desktop"
COMMAND_GROUPS = (
    APP,
    RUNS,
    EXPERIMENTS,
    DATA,
    DRIFT,
    MODELS,
    LAUNCH,
    JOBS,
    HOSTS,
    HW,
    MONITORS,
    PIPELINES,
    IMPORT,
    STORE,
)
"""The commands of each module, in the order ``--help`` lists them."""


def build_parser() -> argparse.ArgumentParser:
    """The whole command line; each command's parser carries its ``handler``."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="MLOps Desktop: datasets, experiments, models and monitors on your machines.",
        epilog=EXIT_STATUS_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--home", help="the app's home (catalog, artifacts, spools, settings)")
    parser.add_argument("--catalog", help="SQLAlchemy URL of the catalog (default HOME/catalog.db)")
    parser.set_defaults(handler=open_app, command_name="gui")  # no command: open the app
    commands: Subcommands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for group in COMMAND_GROUPS:
        group.add_to(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``mlops-desktop``; returns the exit status."""
    argv, retrain_command = split_retrain(list(sys.argv[1:] if argv is None else argv))
    args = build_parser().parse_args(argv)
    args.retrain_command = retrain_command
    home = home_from(args.home)
    try:
        home.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        print(f"{PROG}: cannot create the home {home}: {exc.strerror}", file=sys.stderr)
        return ExitCode.USER_ERROR
    setup_logging(home)
    os.environ[HOME_ENV] = str(home)  # runs this process starts log into the same home
    args.home = home
    report_fetches_on_terminal()  # one updating line per fetch from the lab store
    return run_command(args)


def run_command(args: argparse.Namespace) -> int:
    """Run the parsed command under the exit-status convention.

    A person's mistake (:class:`UserFacingError`) is its sentence on stderr, status 2. Any
    other exception is a bug: its traceback goes to the app's log (``HOME/logs/app.log``) and
    stderr gets one sentence naming that file, status 1. Ctrl-C is 130; a closed stdout (a
    pipe into ``head``) ends quietly with 0.
    """
    try:
        args.settings = _load_settings(args.home)
        args.catalog_option = args.catalog  # as given: the GUI's one-app-per-home key
        args.catalog = _catalog_url(args.settings, args.catalog)
        status: int = args.handler(args)
        return status
    except UserFacingError as exc:
        print(f"{PROG}: {printable_lines(str(exc))}", file=sys.stderr)
        return ExitCode.USER_ERROR
    except KeyboardInterrupt:
        return ExitCode.INTERRUPTED
    except BrokenPipeError:  # the reader of stdout went away (| head): nothing left to say
        return ExitCode.OK
    except Exception as exc:
        where = f"running the `{args.command_name}` command"
        log_bug(exc, where)
        print(f"{PROG}: {printable_lines(bug_sentence(exc, where))}", file=sys.stderr)
        return ExitCode.BUG


def _load_settings(home: Path) -> Settings:
    """The home's settings, loaded once per command; a value that was not used is said on stderr."""
    settings = Settings.load(home)
    for problem in settings.problems:
        print(f"{PROG}: warning: {printable_lines(problem)}", file=sys.stderr)
    return settings


def _catalog_url(settings: Settings, given: str | None) -> str | None:
    """``--catalog``, else the catalog chosen in Preferences, else None (``HOME/catalog.db``)."""
    if given is not None:
        return given or None
    return settings.catalog_url or None
