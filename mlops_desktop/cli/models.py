"""The ``models`` commands: register, alias, tag, describe, show, compare, export and import.

The reference forms follow the registry: ``NAME`` (the latest version), ``NAME:3``, ``NAME@3``
and ``NAME@ALIAS``; the parsing lives with the service (imported when a command runs, since the
service pulls in the catalog).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlops_desktop.cli import models_output as out
from mlops_desktop.cli.commands import TAG_OPTION, Arg, Commands, key_value_pairs
from mlops_desktop.core.errors import ModelError
from mlops_desktop.core.models import (
    AuditEntry,
    GcReport,
    InspectResult,
    ModelCard,
    ModelSummary,
    ModelVersion,
    VersionComparison,
)
from mlops_desktop.tracking.model_folder import DESCRIPTION_FILE
from mlops_desktop.tracking.validate import refuse_bad_tag_keys

if TYPE_CHECKING:
    from mlops_desktop.services.bundle import Services
    from mlops_desktop.services.models import ModelService

MODELS = Commands("models", help="the model registry: versions, aliases, cards")
VERSION_REF = Arg("ref", metavar="N:V")


def _name_and_number(models: ModelService, ref: str) -> tuple[str, int]:
    """``"name:3"``, ``"name@3"`` or ``"name@alias"`` -> (name, version number)."""
    from mlops_desktop.services.models import parse_ref

    name, number, alias = parse_ref(ref)
    if number is not None:
        return name, number
    if alias is None:
        raise ModelError(f"{ref!r} names no version: write NAME:VERSION, e.g. {ref}:1.")
    found = models.get(ref)
    return found.name, found.version


@MODELS.reply(
    "register",
    help="a new version from a run's artifact or from a path",
    document=out.registered_document,
    text=out.registered_text,
    arguments=(
        Arg("run", nargs="?", help="the run that logged the artifact"),
        Arg("artifact", nargs="?", help="artifact name, or a folder prefix like model/"),
        Arg("--name", "-n", required=True, help="the model's name"),
        Arg("--path", help="register this file or folder instead of an artifact"),
        Arg("--run", dest="run_opt", help="link a --path version to this run"),
        Arg("--description", "-d", default="", help="Markdown text"),
        TAG_OPTION,
    ),
)
def register_version(args: argparse.Namespace, services: Services) -> ModelVersion:
    """A new version from ``RUN ARTIFACT`` or from ``--path`` (linked to ``--run``)."""
    from_path = args.path is not None
    if from_path and args.artifact is not None:
        raise ModelError("Give a run and an artifact, or --path, not both.")
    if not from_path and (args.run is None or args.artifact is None):
        raise ModelError(
            "Give RUN ARTIFACT (e.g. `models register 1a2b model.joblib --name clf`) "
            "or --path PATH."
        )
    return services.models.register(
        args.name,
        run_id=(args.run_opt or args.run) if from_path else args.run,
        artifact=args.artifact,
        path=args.path,
        description=args.description,
        tags=key_value_pairs(args.tag, ModelError),
    )


@MODELS.reply(
    "alias",
    help="point an alias at a version (or --remove it)",
    document=dict,
    text=out.alias_text,
    arguments=(
        Arg("name"),
        Arg("version", nargs="?", help="the version (not needed with --remove)"),
        Arg("alias"),
        Arg("--remove", action="store_true", help="remove the alias"),
    ),
)
def move_alias(args: argparse.Namespace, services: Services) -> dict[str, Any]:
    """Point ``args.alias`` at a version, or remove it with ``--remove``."""
    from mlops_desktop.services.models import parse_version

    if args.remove:
        services.models.remove_alias(args.name, args.alias)
        return {"name": args.name, "alias": args.alias, "removed": True}
    if args.version is None:
        raise ModelError("Give NAME VERSION ALIAS, e.g. `models alias clf 3 champion`.")
    number = parse_version(args.version)
    services.models.set_alias(args.name, number, args.alias)
    return {"name": args.name, "version": number, "alias": args.alias}


@MODELS.reply(
    "list",
    help="models with their latest version and aliases",
    document=out.models_document,
    text=out.models_text,
)
def list_models(_args: argparse.Namespace, services: Services) -> list[ModelSummary]:
    return services.models.list_models()


@MODELS.reply(
    "versions",
    help="versions of a model, newest first",
    document=out.versions_document,
    text=out.versions_text,
    arguments=(Arg("name"),),
)
def list_versions(args: argparse.Namespace, services: Services) -> list[ModelVersion]:
    return services.models.versions(args.name)


@MODELS.reply(
    "show",
    help="one version's card",
    document=out.card_document,
    text=out.card_text,
    arguments=(Arg("ref", metavar="N[@ALIAS|:VERSION]"),),
)
def show_card(args: argparse.Namespace, services: Services) -> ModelCard:
    return services.models.card(args.ref)


@MODELS.reply(
    "tag",
    help="set KEY=VALUE on a version (or --remove KEY)",
    document=dict,
    text=out.tags_text,
    arguments=(
        VERSION_REF,
        Arg("pairs", nargs="+", metavar="K=V or K"),
        Arg("--remove", action="store_true", help="remove the keys"),
    ),
)
def tag_version(args: argparse.Namespace, services: Services) -> dict[str, Any]:
    """Set ``K=V`` tags on a version, or remove keys with ``--remove``; its tags after."""
    name, number = _name_and_number(services.models, args.ref)
    if args.remove:
        for key in args.pairs:
            services.models.remove_tag(name, number, key)
    else:
        pairs = key_value_pairs(args.pairs, ModelError)
        refuse_bad_tag_keys(pairs, ModelError)  # all or none are set
        for key, value in pairs.items():
            services.models.set_tag(name, number, key, value)
    tags = services.models.get(f"{name}:{number}").tags
    return {"name": name, "version": number, "tags": tags}


@MODELS.reply(
    "describe",
    help="set a version's description (Markdown)",
    document=dict,
    text=out.described_text,
    arguments=(VERSION_REF, Arg("text", help="the text, or - to read it from stdin")),
)
def describe_version(args: argparse.Namespace, services: Services) -> dict[str, Any]:
    """Replace a version's description (``-`` reads it from stdin)."""
    name, number = _name_and_number(services.models, args.ref)
    text = sys.stdin.read() if args.text == "-" else args.text
    services.models.describe(name, number, text)
    return {"name": name, "version": number, "description": text}


@MODELS.reply(
    "archive",
    help="archive a version (or --undo)",
    document=dict,
    text=out.archived_text,
    arguments=(VERSION_REF, Arg("--undo", action="store_true", help="unarchive")),
)
def archive_version(args: argparse.Namespace, services: Services) -> dict[str, Any]:
    name, number = _name_and_number(services.models, args.ref)
    services.models.archive(name, number, not args.undo)
    return {"name": name, "version": number, "archived": not args.undo}


@MODELS.reply(
    "delete",
    help="delete a version (refused while an alias uses it)",
    document=dict,
    text=out.deleted_text,
    arguments=(VERSION_REF, Arg("--force", action="store_true", help="also remove its aliases")),
)
def delete_version(args: argparse.Namespace, services: Services) -> dict[str, Any]:
    name, number = _name_and_number(services.models, args.ref)
    services.models.delete(name, number, force=args.force)
    return {"name": name, "version": number, "deleted": True}


@MODELS.reply(
    "history",
    help="the audit trail, newest first",
    document=out.history_document,
    text=out.history_text,
    arguments=(Arg("ref", metavar="N[:V]"),),
)
def read_history(args: argparse.Namespace, services: Services) -> list[AuditEntry]:
    """The audit trail of a model, or of one version (``N:V`` or ``N@ALIAS``)."""
    from mlops_desktop.services.models import parse_ref

    name, number, alias = parse_ref(args.ref)
    if alias:
        number = services.models.get(args.ref).version
    return services.models.history(name, number)


@MODELS.reply(
    "compare",
    help="two versions side by side",
    document=out.comparison_document,
    text=out.comparison_text,
    arguments=(Arg("name"), Arg("a"), Arg("b")),
)
def compare_versions(args: argparse.Namespace, services: Services) -> VersionComparison:
    from mlops_desktop.services.models import parse_version

    return services.models.compare(args.name, parse_version(args.a), parse_version(args.b))


@MODELS.reply(
    "export",
    help="one archive with the files, card and lineage (a zip for FILE.zip, else a tar.gz)",
    document=dict,
    text=out.exported_text,
    arguments=(VERSION_REF, Arg("file")),
)
def export_version(args: argparse.Namespace, services: Services) -> dict[str, Any]:
    """Write the archive of ``args.ref`` to ``args.file``."""
    found = services.models.get(args.ref)
    written = services.models.export(f"{found.name}:{found.version}", args.file)
    return {
        "name": found.name,
        "version": found.version,
        "file": str(written),
        "format": services.models.export_format(written),
    }


@MODELS.reply(
    "import",
    help="import an exported archive as a new version",
    document=out.registered_document,
    text=out.imported_text,
    arguments=(
        Arg("file"),
        Arg("--name", "-n", default=None, help="register under this name"),
    ),
)
def import_archive(args: argparse.Namespace, services: Services) -> ModelVersion:
    return services.models.import_archive(args.file, args.name)


@MODELS.reply(
    "inspect",
    help="load the model in a separate process and describe it",
    document=out.inspect_document,
    text=out.inspect_text,
    arguments=(
        Arg("ref", help="N[@ALIAS|:VERSION], or a model file or folder"),
        Arg("--timeout", type=float, default=30.0, help="seconds (default 30)"),
        Arg(
            "--no-sandbox",
            action="store_true",
            help="load it without isolation when no sandbox (bwrap, unshare) works here",
        ),
    ),
)
def inspect_model(args: argparse.Namespace, services: Services) -> InspectResult:
    """A registered version, or a model file or folder on disk (a path with a separator, a
    model file's suffix, or a folder with an ``MLmodel`` file)."""
    if _is_model_path(args.ref):
        return services.models.inspect_path(
            args.ref, args.timeout, allow_unsandboxed=args.no_sandbox
        )
    return services.models.inspect(args.ref, args.timeout, allow_unsandboxed=args.no_sandbox)


def _is_model_path(ref: str) -> bool:
    path = Path(ref).expanduser()
    if not path.exists():
        return False
    suffixes = (".joblib", ".pkl", ".pickle", ".pt", ".pth")
    return (
        os.sep in ref
        or "/" in ref
        or ref.lower().endswith(suffixes)
        or (path / DESCRIPTION_FILE).is_file()
    )


@MODELS.reply(
    "gc",
    help="free artifacts nothing references (a dry run unless --yes)",
    document=out.gc_document,
    text=out.gc_text,
    arguments=(
        Arg("--yes", action="store_true", help="really delete"),
        Arg("--grace", type=float, default=3600.0, help="keep blobs younger (seconds)"),
    ),
)
def collect_garbage(args: argparse.Namespace, services: Services) -> GcReport:
    return services.models.gc(dry_run=not args.yes, grace_s=args.grace)
