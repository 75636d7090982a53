"""The ``hw`` command: hardware now, on this machine, one host or every machine the app knows.

``hw --json`` prints one document (``--all``: a list); ``hw --watch --json`` prints one
document per line and sample until ``--count`` samples of every machine or Ctrl-C. A machine
that cannot be reached is ``{host, error}`` with the reason in one sentence.
"""

from __future__ import annotations

import argparse
import queue
import sys
import time
from typing import TYPE_CHECKING

from mlops_desktop.cli.commands import Arg, Commands
from mlops_desktop.cli.exit_codes import ExitCode
from mlops_desktop.cli.hw_output import (
    all_document,
    all_text,
    sample_document,
    sample_text,
    update_document,
)
from mlops_desktop.cli.output import dumps, printable_lines
from mlops_desktop.cli.session import open_services
from mlops_desktop.core.errors import HostError
from mlops_desktop.core.hardware import HostUpdate

if TYPE_CHECKING:
    from mlops_desktop.services.hardware import HardwareService

HW = Commands()


@HW.handler(
    "hw",
    help="hardware use now: CPU, memory, each GPU (power, energy), processes and their runs",
    json=True,
    arguments=(
        Arg("--host", default="local", help="a machine of `hw --all` (default: this one)"),
        Arg("--all", action="store_true", help="every machine the app knows"),
        Arg("--watch", action="store_true", help="keep sampling until Ctrl-C or --count"),
        Arg("--interval", type=float, default=1.0, metavar="S", help="seconds (default 1)"),
        Arg("--count", type=int, default=None, metavar="N", help="stop after N samples"),
    ),
)
def hardware(args: argparse.Namespace) -> int:
    if args.interval < 0.1 or args.interval > 3600:
        raise HostError(f"--interval {args.interval:g}: give 0.1 to 3600 seconds.")
    if args.count is not None and args.count < 1:
        raise HostError(f"--count {args.count}: give at least 1.")
    with open_services(args) as services:
        hw = services.hardware
        if args.watch:
            return _watch(args, hw)
        if args.all:
            results = hw.sample_all()
            print(dumps(all_document(results)) if args.json else printable_lines(all_text(results)))
            return ExitCode.OK
        sample = hw.sample(args.host)
        print(dumps(sample_document(sample)) if args.json else printable_lines(sample_text(sample)))
    return ExitCode.OK


def _watch(args: argparse.Namespace, hw: HardwareService) -> int:
    hosts = None if args.all else [hw.host(args.host).name]  # an unknown name: an error now
    updates: queue.Queue[HostUpdate] = queue.Queue()
    watch = hw.watch(updates.put, interval=args.interval, hosts=hosts)
    counts: dict[str, int] = {}
    lost: set[str] = set()
    try:
        while True:
            update = updates.get()
            if update.state == "stopped":
                continue
            if update.sample is not None:
                counts[update.host] = counts.get(update.host, 0) + 1
                lost.discard(update.host)
            elif update.state == "unreachable" and not counts.get(update.host):
                lost.add(update.host)
            _print_update(update, args.json)
            if args.count is not None and _all_done(watch.hosts(), counts, lost, args.count):
                return ExitCode.OK
    finally:
        watch.stop()


def _all_done(hosts: list[str], counts: dict[str, int], lost: set[str], count: int) -> bool:
    return bool(hosts) and all(counts.get(h, 0) >= count or h in lost for h in hosts)


def _print_update(update: HostUpdate, as_json: bool) -> None:
    if as_json:
        doc = update_document(update)
        if doc is not None:
            print(dumps(doc), flush=True)
        return
    if update.sample is not None:
        stamp = time.strftime("%H:%M:%S", time.localtime(update.sample.time))
        print(f"--- {stamp}\n{printable_lines(sample_text(update.sample))}", flush=True)
    elif update.problem:
        print(printable_lines(f"{update.host}: {update.problem}"), file=sys.stderr, flush=True)
