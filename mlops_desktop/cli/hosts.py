"""The ``hosts`` commands: add SSH hosts and Slurm login nodes, list them, check, remove one,
and accept a host's new key (``rekey``) once the person has checked its fingerprint."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from mlops_desktop.cli.commands import Arg, Commands, key_value_pairs
from mlops_desktop.cli.exit_codes import ExitCode
from mlops_desktop.cli.output import dumps, key_value_text, printable, printable_lines
from mlops_desktop.cli.session import open_services
from mlops_desktop.core.compute import HostInfo, HostKeyChange, host_origin
from mlops_desktop.core.errors import HostError, HostKeyChanged, HostKeyUnconfirmed, JobError

if TYPE_CHECKING:
    from mlops_desktop.services.bundle import Services

HOSTS = Commands("hosts", help="SSH hosts and Slurm clusters")
SLURM_ENV_HELP = "environment of the cluster's Slurm commands, e.g. SLURM_CONF=/etc/slurm/x.conf"


def host_document(host: HostInfo) -> dict[str, Any]:
    return {
        "name": host.name,
        "kind": host.kind,
        "address": host.address,
        "identity": host.identity,
        "remote_root": host.remote_root,
        "from_ssh_config": host.from_ssh_config,
        "host_key": host.host_key,
        "origin": host_origin(host),
    }


def hosts_document(hosts: list[HostInfo]) -> list[dict[str, Any]]:
    return [host_document(h) for h in hosts]


def added_text(host: HostInfo) -> str:
    return f"Added {host.kind} host {printable(host.name)}."


def hosts_text(hosts: list[HostInfo]) -> str:
    if not hosts:
        return "No hosts yet. Add one with `mlops-desktop hosts add NAME --ssh USER@HOST`."
    rows = ((h.name, h.kind, h.address, host_origin(h)) for h in hosts)
    return "\n".join("\t".join(map(printable, row)) for row in rows)


@HOSTS.reply(
    "add",
    help="add an SSH host (or a Slurm login node with --slurm)",
    document=host_document,
    text=added_text,
    arguments=(
        Arg("name"),
        Arg("--ssh", required=True, metavar="[USER@]HOST[:PORT]"),
        Arg("--identity", default=None, metavar="FILE"),
        Arg("--accept-host-key", default=None, metavar="SHA256:..."),
        Arg("--slurm", action="store_true", help="the host is a Slurm login node"),
        Arg("--env", action="append", default=[], metavar="K=V", help=SLURM_ENV_HELP),
    ),
)
def add_host(args: argparse.Namespace, services: Services) -> HostInfo:
    """Add the host after checking it; a new host key must be confirmed first.

    Raises:
        HostError: unreachable, or its key is not confirmed yet (the sentence says how).
    """
    try:
        return services.jobs.add_host(
            args.name,
            args.ssh,
            identity=args.identity,
            accept_host_key=args.accept_host_key,
            kind="slurm" if args.slurm else "ssh",
            env=key_value_pairs(args.env, JobError) or None,
        )
    except HostKeyUnconfirmed as exc:
        raise HostError(
            f"{args.name} ({args.ssh}) offers the host key {exc.fingerprint}. "
            f"If that is right, confirm it with: mlops-desktop hosts add {args.name} "
            f"--ssh {args.ssh} --accept-host-key {exc.fingerprint}"
        ) from exc


@HOSTS.reply("list", help="hosts and clusters", document=hosts_document, text=hosts_text)
def list_hosts(_args: argparse.Namespace, services: Services) -> list[HostInfo]:
    return services.jobs.hosts()


@HOSTS.handler(
    "check",
    help="reachability, Python, GPUs, disk, rsync",
    arguments=(Arg("name"),),
    json=True,
)
def check_host(args: argparse.Namespace) -> int:
    """Print what checking the host found; exit status 2 when it cannot be reached."""
    with open_services(args) as services:
        info = services.jobs.check_host(args.name)
    print(dumps(info) if args.json else printable_lines(key_value_text(info)))
    return ExitCode.OK if info.get("reachable", True) else ExitCode.USER_ERROR


def removed_text(doc: dict[str, Any]) -> str:
    lost = doc["jobs_lost"]
    extra = f"; {len(lost)} active job(s) recorded as lost" if lost else ""
    return (
        f"Removed host {doc['name']} ({doc['address']}) and {doc['known_hosts_removed']} "
        f"known_hosts entr{'y' if doc['known_hosts_removed'] == 1 else 'ies'}{extra}. "
        "Its runs and jobs stay in the catalog."
    )


@HOSTS.reply(
    "remove",
    help="remove a host added here and its known host keys (its runs and jobs stay)",
    document=dict,
    text=removed_text,
    arguments=(
        Arg("name"),
        Arg("--force", action="store_true", help="even while jobs run there (they become lost)"),
    ),
)
def remove_host(args: argparse.Namespace, services: Services) -> dict[str, Any]:
    """Remove the host; refused while jobs are active there unless --force."""
    return dict(services.jobs.remove_host(args.name, force=args.force))


def rekey_command(name: str, fingerprint: str) -> str:
    return f"mlops-desktop hosts rekey {name} --accept-host-key {fingerprint}"


def rekey_document(change: HostKeyChange) -> dict[str, Any]:
    return {
        "name": change.name,
        "address": change.address,
        "stored": change.stored,
        "offered": change.offered,
        "replaced": change.replaced,
    }


def rekey_text(change: HostKeyChange) -> str:
    if change.replaced:
        return (
            f"Replaced the host key of {change.name}: was {change.stored or 'none'}, "
            f"now {change.offered}."
        )
    return f"The host key of {change.name} has not changed ({change.offered})."


@HOSTS.handler(
    "rekey",
    help="accept a host's new key after checking its fingerprint",
    arguments=(Arg("name"), Arg("--accept-host-key", default=None, metavar="SHA256:...")),
    json=True,
)
def rekey_host(args: argparse.Namespace) -> int:
    """Show the stored and offered fingerprints; replace the stored key only when
    --accept-host-key is the offered one. Exit status 2 while the new key is not accepted."""
    with open_services(args) as services:
        try:
            change = services.jobs.rekey_host(args.name, args.accept_host_key)
        except HostKeyChanged as exc:
            if args.json:
                doc = rekey_document(
                    HostKeyChange(args.name, "", exc.stored or None, exc.offered, False)
                )
                doc["address"] = services.jobs.targets.host(args.name).address
                doc["command"] = rekey_command(args.name, exc.offered)
                print(dumps(doc))
            raise
    print(dumps(rekey_document(change)) if args.json else rekey_text(change))
    return ExitCode.OK
