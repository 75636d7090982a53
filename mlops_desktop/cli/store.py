"""The ``store`` commands: where the lab store is (recorded in the catalog), what it holds,
uploading what this home has that it lacks, and this home's cache of fetched blobs."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from mlops_desktop.cli.commands import Arg, Commands
from mlops_desktop.cli.exit_codes import ExitCode
from mlops_desktop.cli.output import dumps, human_bytes, printable_lines, progress_on_terminal
from mlops_desktop.cli.session import open_services
from mlops_desktop.store.cache import parse_size

if TYPE_CHECKING:
    from mlops_desktop.services.bundle import Services

__all__ = ["STORE", "parse_size"]

STORE = Commands("store", help="the lab store shared by every desktop on the catalog")


def location_text(doc: dict[str, Any]) -> str:
    return f"The lab store is now {doc['location']}; every desktop on this catalog uses it."


@STORE.reply(
    "set",
    help="record the lab store in the catalog: a folder, or ssh://HOST/path of a known host",
    document=lambda loc: {"location": str(loc)},
    text=lambda loc: location_text({"location": str(loc)}),
    arguments=(Arg("location", metavar="LOCATION"),),
)
def set_store(args: argparse.Namespace, services: Services) -> Any:
    return services.store.set_location(args.location)


def show_text(doc: dict[str, Any]) -> str:
    cache = doc["cache"]
    lines = [f"location\t{doc['location']}" + (" (this home)" if doc["in_home"] else "")]
    if not doc["reachable"]:
        lines.append(f"reachable\tno: {doc['problem']}")
    else:
        lines.append("reachable\tyes")
        lines.append(f"blobs\t{doc['blobs']:,} ({human_bytes(doc['bytes'])})")
        pending = doc["not_uploaded"]
        lines.append(
            f"not uploaded\t{pending['blobs']:,} ({human_bytes(pending['bytes'])})"
            + ("; run `mlops-desktop store sync`" if pending["blobs"] else "")
        )
    lines.append(
        f"cache\t{cache['blobs']:,} ({human_bytes(cache['bytes'])} of "
        f"{human_bytes(cache['limit'])})"
    )
    return "\n".join(lines)


@STORE.reply(
    "show",
    help="location, reachable, blobs, bytes, what this home has not uploaded yet",
    document=lambda doc: doc,
    text=show_text,
)
def show_store(_args: argparse.Namespace, services: Services) -> dict[str, Any]:
    return services.store.show()


@STORE.handler("sync", help="upload the blobs this home has and the store lacks", json=True)
def sync_store(args: argparse.Namespace) -> int:
    with open_services(args) as services, progress_on_terminal("uploading") as progress:
        doc = services.store.sync(progress)
    if args.json:
        print(dumps(doc))
    else:
        print(
            printable_lines(
                f"Uploaded {doc['uploaded']:,} blob(s) ({human_bytes(doc['bytes'])}) to "
                f"{doc['location']}."
            )
        )
    return ExitCode.OK


def cache_text(doc: dict[str, Any]) -> str:
    freed = f"Freed {human_bytes(doc['freed'])}. " if doc["freed"] else ""
    return (
        f"{freed}The cache holds {doc['blobs']:,} blob(s), {human_bytes(doc['bytes'])} of "
        f"{human_bytes(doc['limit'])}."
    )


@STORE.reply(
    "cache",
    help="this home's cache of blobs fetched from the store: size, limit, clear",
    document=lambda doc: doc,
    text=cache_text,
    arguments=(
        Arg("--limit", metavar="SIZE", help="the most the cache keeps, e.g. 20G (LRU goes first)"),
        Arg("--clear", action="store_true", help="remove every cached blob"),
    ),
)
def cache_store(args: argparse.Namespace, services: Services) -> dict[str, Any]:
    limit = parse_size(args.limit) if args.limit is not None else None
    return services.store.cache_report(limit, args.clear)
