"""Opening the app's services for a command, the one way every command does it.

Local spools are ingested first, so points from a killed script are never stranded; a spool
line that had to be skipped is a warning on stderr. When the catalog takes no writes (a full
disk, a read-only catalog) the ingest steps aside with one warning line and the command shows
what is already stored. :func:`~mlops_desktop.cli.main.main` has
resolved ``args.home`` (a Path) and ``args.catalog`` (the URL in use, or None) by then.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from mlops_desktop.cli.exit_codes import ExitCode
from mlops_desktop.cli.output import dumps, printable_lines
from mlops_desktop.core.errors import CatalogNotWritable

if TYPE_CHECKING:
    from mlops_desktop.services.bundle import Services

MAX_SPOOL_WARNINGS = 20
Result = TypeVar("Result")
Handler = Callable[[argparse.Namespace], int]
"""Runs one command with its parsed arguments; returns the exit status."""


@contextmanager
def open_services(args: argparse.Namespace) -> Iterator[Services]:
    """The services on ``--home`` and ``--catalog``, after ingesting local spools; closed after.

    Raises:
        CatalogUnavailable: the catalog cannot be created, read or reached.
    """
    from mlops_desktop.services.bundle import Services  # the catalog's imports are slow
    from mlops_desktop.services.experiments import ingest_blocked_sentence

    with Services.open(args.home, args.catalog) as services:
        settings = getattr(args, "settings", None)
        services.experiments.keep_spools = bool(getattr(settings, "keep_spools", False))
        try:
            report = services.experiments.ingest()
        except CatalogNotWritable as exc:  # a full disk: reading still works, so step aside
            print(f"warning: {ingest_blocked_sentence(exc)}", file=sys.stderr)
        else:
            for problem in report.problems[:MAX_SPOOL_WARNINGS]:
                print(f"warning: {printable_lines(problem)}", file=sys.stderr)
        yield services


def replying(
    action: Callable[[argparse.Namespace, Services], Result],
    document: Callable[[Result], Any],
    text: Callable[[Result], str],
) -> Handler:
    """A handler that runs ``action`` on open services, then prints what it returned.

    Args:
        action: does the command's work and returns what it found or did.
        document: that result as the JSON document ``--json`` prints.
        text: that result as text for a person.
    """

    def handler(args: argparse.Namespace) -> int:
        with open_services(args) as services:
            result = action(args, services)
        print(dumps(document(result)) if args.json else printable_lines(text(result)))
        return ExitCode.OK

    return handler
