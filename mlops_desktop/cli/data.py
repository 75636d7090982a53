"""The ``data`` commands: register, list, diff, profile and restore dataset versions.

Progress of long work (hashing, restoring) is a percentage line on stderr when stderr is a
terminal.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from mlops_desktop.cli import data_output as out
from mlops_desktop.cli.commands import TAG_OPTION, Arg, Commands, key_value_pairs
from mlops_desktop.cli.output import printable_lines, progress_on_terminal
from mlops_desktop.core.datasets import (
    AddResult,
    DatasetDiff,
    DatasetSummary,
    DatasetVersion,
    TableProfile,
)
from mlops_desktop.core.errors import DatasetError

if TYPE_CHECKING:
    from mlops_desktop.services.bundle import Services

DATA = Commands("data", help="register and compare dataset versions")
MAX_SKIPPED_SHOWN = 20


def split_ref(ref: str) -> tuple[str, str | None]:
    """``"name@v2"`` -> ("name", "v2"); ``"name"`` -> ("name", None)."""
    name, _, version = ref.partition("@")
    return name, version or None


@DATA.reply(
    "add",
    help="register a file or folder; a new version if it changed",
    document=out.added_document,
    text=out.added_text,
    arguments=(
        Arg("path"),
        Arg("--name", "-n", required=True, help="the dataset's name"),
        Arg("--message", "-m", default="", help="what this version is"),
        TAG_OPTION,
        Arg("--snapshot", action="store_true", help="copy the files into the store (restorable)"),
    ),
)
def add_version(args: argparse.Namespace, services: Services) -> AddResult:
    """Register ``args.path`` as a new version of ``--name`` (when its content changed)."""
    tags = key_value_pairs(args.tag, DatasetError, "--tag")
    with progress_on_terminal("hashing") as progress:
        result = services.datasets.add(
            args.path, args.name, args.message, tags, args.snapshot, progress
        )
    for sentence in result.skipped[:MAX_SKIPPED_SHOWN]:
        print(f"skipped: {printable_lines(sentence)}", file=sys.stderr)
    return result


@DATA.reply(
    "list",
    help="datasets with their latest version",
    document=out.datasets_document,
    text=out.datasets_text,
)
def list_datasets(_args: argparse.Namespace, services: Services) -> list[DatasetSummary]:
    return services.datasets.list_datasets()


@DATA.reply(
    "versions",
    help="versions of a dataset, newest first",
    document=out.versions_document,
    text=out.versions_text,
    arguments=(Arg("name"),),
)
def list_versions(args: argparse.Namespace, services: Services) -> list[DatasetVersion]:
    return services.datasets.versions(args.name)


@DATA.reply(
    "diff",
    help="what changed between two versions",
    document=out.diff_document,
    text=out.diff_text,
    arguments=(Arg("name"), Arg("old"), Arg("new")),
)
def diff_versions(args: argparse.Namespace, services: Services) -> DatasetDiff:
    return services.datasets.diff(args.name, args.old, args.new)


@DATA.reply(
    "checkout",
    help="restore a snapshotted version into a folder",
    document=dict,
    text=out.checkout_text,
    arguments=(Arg("ref", metavar="N@V"), Arg("dest")),
)
def checkout_version(args: argparse.Namespace, services: Services) -> dict[str, Any]:
    """Restore ``args.ref`` into ``args.dest``; ``data checkout --json``'s document."""
    name, version = split_ref(args.ref)
    found = services.datasets.get_version(name, version)
    with progress_on_terminal("restoring") as progress:
        dest = services.datasets.checkout(name, found.version, args.dest, progress=progress)
    return {
        "dataset": name,
        "version": found.version,
        "dest": str(dest),
        "files": found.files,
        "bytes": found.bytes,
    }


@DATA.reply(
    "profile",
    help="column statistics of a version's tables",
    document=out.profiles_document,
    text=out.profiles_text,
    arguments=(
        Arg("ref", metavar="N[@V]"),
        Arg("--file", dest="file", default=None, help="only this table (relative path)"),
    ),
)
def profile_version(args: argparse.Namespace, services: Services) -> list[TableProfile]:
    name, version = split_ref(args.ref)
    return services.datasets.profile(name, version, args.file)


@DATA.reply(
    "used-by",
    help="runs that used a dataset (version)",
    document=out.used_by_document,
    text=out.used_by_text,
    arguments=(Arg("ref", metavar="N[@V]"),),
)
def runs_using(args: argparse.Namespace, services: Services) -> out.UsedBy:
    name, version = split_ref(args.ref)
    return out.UsedBy(args.ref, services.datasets.used_by(name, version))
