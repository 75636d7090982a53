"""The ``drift REF CUR`` command: does the current data drift from the reference?

REF and CUR are files or folders (CSV, TSV, Parquet, JSON Lines) or dataset versions
(``name@version``). Each column's test is chosen from the reference alone (Evidently's
defaults; ``--method COLUMN=METHOD`` overrides). By default the reference is summarised
first and the current data checked against the summary, as monitors do; ``--exact`` tests
against the whole reference for Evidently's exact numbers.
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlops_desktop.cli.commands import Arg, Commands, key_value_pairs
from mlops_desktop.cli.drift_output import report_text
from mlops_desktop.cli.exit_codes import ExitCode
from mlops_desktop.cli.output import dumps, printable_lines
from mlops_desktop.core.drift import DriftReport, report_document
from mlops_desktop.core.errors import DriftError

if TYPE_CHECKING:
    from mlops_desktop.monitoring.drift import Table

DRIFT = Commands()
TABLE_SUFFIXES = (".csv", ".tsv", ".tab", ".parquet", ".pq", ".jsonl", ".ndjson")


def _is_dataset_ref(text: str) -> bool:
    if Path(text).exists():
        return False
    looks_like_file = "/" in text or "\\" in text or text.lower().endswith(TABLE_SUFFIXES)
    return not looks_like_file


@contextlib.contextmanager
def _services_when_needed(args: argparse.Namespace, refs: list[str]) -> Iterator[Any]:
    if not any(_is_dataset_ref(r) for r in refs):
        yield None
        return
    from mlops_desktop.cli.session import open_services  # noqa: PLC0415

    with open_services(args) as services:
        yield services


def load_table(ref: str, services: Any) -> Table:
    """The table of a file, folder or dataset version ``name@version``."""
    from mlops_desktop.monitoring.drift import read_table  # noqa: PLC0415

    if not _is_dataset_ref(ref):
        if not Path(ref).exists():
            raise DriftError(f"{ref} does not exist: check the path.")
        return read_table(ref)
    name, _, version = ref.partition("@")
    return read_table(services.datasets.table_files(name, version or None))


def _thresholds(items: list[str]) -> dict[str, float]:
    out = {}
    for column, value in key_value_pairs(items, DriftError, "--threshold").items():
        try:
            out[column] = float(value)
        except ValueError:
            raise DriftError(f"--threshold {column}={value}: {value!r} is not a number.") from None
    return out


def drift_report(args: argparse.Namespace) -> DriftReport:
    """The report ``drift`` prints for its parsed arguments."""
    from mlops_desktop.monitoring import drift  # noqa: PLC0415

    methods = key_value_pairs(args.method, DriftError, "--method")
    with _services_when_needed(args, [args.ref, args.cur]) as services:
        reference = load_table(args.ref, services)
        current = load_table(args.cur, services)
    plans = drift.plan_columns(
        reference,
        methods=methods,
        thresholds=_thresholds(args.threshold),
        min_effect=args.min_effect,
    )
    if args.exact:
        return drift.compare_exact(
            reference, current, plans, args.share, correction=args.correction
        )
    summary = drift.summarize(reference, plans)
    del reference
    return drift.compare(summary, current, plans, args.share, correction=args.correction)


@DRIFT.handler(
    "drift",
    help="does the current data drift from the reference? (files or dataset versions)",
    json=True,
    arguments=(
        Arg("ref", metavar="REF", help="reference: a file, folder or dataset name@version"),
        Arg("cur", metavar="CUR", help="current data: a file, folder or dataset name@version"),
        Arg(
            "--method",
            action="append",
            default=[],
            metavar="COLUMN=METHOD",
            help="ks, chisquare, z, wasserstein, jensenshannon, psi, kl, hellinger, anderson",
        ),
        Arg(
            "--threshold",
            action="append",
            default=[],
            metavar="COLUMN=VALUE",
            help="a p-value below it, or a distance at or above it, is drift",
        ),
        Arg(
            "--min-effect",
            type=float,
            default=None,
            metavar="E",
            help="effect p-value tests also need on large samples (default 0.1 / 0.05)",
        ),
        Arg(
            "--correction",
            choices=("bonferroni", "holm", "bh"),
            default=None,
            help="adjust p-values for testing many columns",
        ),
        Arg(
            "--share",
            type=float,
            default=0.5,
            help="the share of drifting columns that is dataset drift (default 0.5)",
        ),
        Arg("--exact", action="store_true", help="test against the whole reference"),
    ),
)
def drift_command(args: argparse.Namespace) -> int:
    report = drift_report(args)
    print(dumps(report_document(report)) if args.json else printable_lines(report_text(report)))
    return ExitCode.OK
