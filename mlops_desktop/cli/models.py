"""The ``models`` commands: register, alias, tag, describe, show, compare, export and import.

JSON keys follow ../shared/INTERFACES.md: ``register`` prints {name, version, run, fingerprint};
``show`` prints {name, version, aliases, tags, fingerprint, lineage: {run, datasets, code},
history} plus the card's fields; ``list`` prints [{name, latest, versions, aliases, updated_at}].
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from mlops_desktop.core.errors import ModelError


def add_models_parser(sub: Any) -> None:
    """Add ``models`` and its actions to the subparsers ``sub``."""
    models = sub.add_parser("models", help="the model registry: versions, aliases, cards")
    ms = models.add_subparsers(dest="models_command", metavar="ACTION", required=True)
    reg = ms.add_parser("register", help="a new version from a run's artifact or from a path")
    reg.add_argument("run", nargs="?", help="the run that logged the artifact")
    reg.add_argument("artifact", nargs="?", help="artifact name, or a folder prefix like model/")
    reg.add_argument("--name", "-n", required=True, help="the model's name")
    reg.add_argument("--path", help="register this file or folder instead of an artifact")
    reg.add_argument("--run", dest="run_opt", help="link a --path version to this run")
    reg.add_argument("--description", "-d", default="", help="Markdown text")
    reg.add_argument("--tag", action="append", default=[], metavar="K=V", help="repeatable")
    alias = ms.add_parser("alias", help="point an alias at a version (or --remove it)")
    alias.add_argument("name")
    alias.add_argument("version", nargs="?", help="the version (not needed with --remove)")
    alias.add_argument("alias")
    alias.add_argument("--remove", action="store_true", help="remove the alias")
    ms.add_parser("list", help="models with their latest version and aliases")
    versions = ms.add_parser("versions", help="versions of a model, newest first")
    versions.add_argument("name")
    show = ms.add_parser("show", help="one version's card")
    show.add_argument("ref", metavar="N[@ALIAS|:VERSION]")
    tag = ms.add_parser("tag", help="set KEY=VALUE on a version (or --remove KEY)")
    tag.add_argument("ref", metavar="N:V")
    tag.add_argument("pairs", nargs="+", metavar="K=V or K")
    tag.add_argument("--remove", action="store_true", help="remove the keys")
    desc = ms.add_parser("describe", help="set a version's description (Markdown)")
    desc.add_argument("ref", metavar="N:V")
    desc.add_argument("text", help="the text, or - to read it from stdin")
    arch = ms.add_parser("archive", help="archive a version (or --undo)")
    arch.add_argument("ref", metavar="N:V")
    arch.add_argument("--undo", action="store_true", help="unarchive")
    dele = ms.add_parser("delete", help="delete a version (refused while an alias uses it)")
    dele.add_argument("ref", metavar="N:V")
    dele.add_argument("--force", action="store_true", help="also remove its aliases")
    hist = ms.add_parser("history", help="the audit trail, newest first")
    hist.add_argument("ref", metavar="N[:V]")
    comp = ms.add_parser("compare", help="two versions side by side")
    comp.add_argument("name")
    comp.add_argument("a")
    comp.add_argument("b")
    exp = ms.add_parser("export", help="one archive with the files, card and lineage")
    exp.add_argument("ref", metavar="N:V")
    exp.add_argument("file")
    imp = ms.add_parser("import", help="import an exported archive as a new version")
    imp.add_argument("file")
    imp.add_argument("--name", "-n", default=None, help="register under this name")
    ins = ms.add_parser("inspect", help="load the model in a separate process and describe it")
    ins.add_argument("ref")
    ins.add_argument("--timeout", type=float, default=30.0, help="seconds (default 30)")
    gc = ms.add_parser("gc", help="free artifacts nothing references (a dry run unless --yes)")
    gc.add_argument("--yes", action="store_true", help="really delete")
    gc.add_argument("--grace", type=float, default=3600.0, help="keep blobs younger (seconds)")
    for p in ms.choices.values():
        p.add_argument("--json", action="store_true")


def _tags(pairs: list[str]) -> dict[str, str]:
    tags = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ModelError(f"{pair!r} is not KEY=VALUE.")
        tags[key] = value
    return tags


def _name_version(ref: str) -> tuple[str, int]:
    """ "name:3" (or "name@3", "name@alias") -> (name, version number)."""
    from mlops_desktop.services.models import parse_ref

    name, number, alias = parse_ref(ref)
    if number is None and alias is None:
        raise ModelError(f"{ref!r} names no version: write NAME:VERSION, e.g. {ref}:1.")
    return name, number if number is not None else -1


def cmd_models(args: argparse.Namespace, home: Path) -> int:
    from mlops_desktop.cli import format as fmt
    from mlops_desktop.services.bundle import Services

    with Services.open(home, args.catalog or None) as services:
        fmt.ingest_first(services.experiments)
        doc, text = _run(args, services.models, fmt)
    print(fmt.dumps(doc) if args.json else text)
    return 0


def _version(service: Any, ref: str) -> tuple[str, int]:
    name, number = _name_version(ref)
    if number < 0:
        found = service.get(ref)
        return found.name, found.version
    return name, number


def _run(args: argparse.Namespace, service: Any, fmt: Any) -> tuple[Any, str]:  # noqa: C901, PLR0911, PLR0912
    action = args.models_command
    doc: Any
    if action == "register":
        if args.path is not None:
            if args.artifact is not None:
                raise ModelError("Give a run and an artifact, or --path, not both.")
            run = args.run_opt or args.run
            v = service.register(
                args.name,
                run_id=run,
                path=args.path,
                description=args.description,
                tags=_tags(args.tag),
            )
        else:
            if args.run is None or args.artifact is None:
                raise ModelError(
                    "Give RUN ARTIFACT (e.g. `models register 1a2b model.joblib "
                    "--name clf`) or --path PATH."
                )
            v = service.register(
                args.name,
                run_id=args.run,
                artifact=args.artifact,
                description=args.description,
                tags=_tags(args.tag),
            )
        doc = {"name": v.name, "version": v.version, "run": v.run_id, "fingerprint": v.fingerprint}
        return doc, f"{v.name}:{v.version} registered ({len(v.files)} files, {v.fingerprint[:19]})"
    if action == "alias":
        if args.remove:
            alias = args.alias
            service.remove_alias(args.name, alias)
            return {"name": args.name, "alias": alias, "removed": True}, f"alias {alias} removed"
        if args.version is None:
            raise ModelError("Give NAME VERSION ALIAS, e.g. `models alias clf 3 champion`.")
        from mlops_desktop.services.models import parse_version

        number = parse_version(args.version)
        service.set_alias(args.name, number, args.alias)
        doc = {"name": args.name, "version": number, "alias": args.alias}
        return doc, f"{args.name}@{args.alias} -> {number}"
    if action == "list":
        items = service.list_models()
        doc = [fmt.model_summary_doc(m) for m in items]
        if not items:
            return doc, (
                "No models yet. Log a model file in a run (run.log_artifact('model.joblib')), "
                "then `mlops-desktop models register RUN model.joblib --name NAME`."
            )
        return doc, "\n".join(fmt.model_summary_line(m) for m in items)
    if action == "versions":
        vs = service.versions(args.name)
        return [fmt.model_version_doc(v) for v in vs], "\n".join(
            fmt.model_version_line(v) for v in vs
        )
    if action == "show":
        from mlops_desktop.services.model_cards import card_dict

        card = service.card(args.ref)
        return fmt.model_show_doc(card, card_dict(card)), fmt.model_card_text(card)
    if action == "tag":
        name, number = _version(service, args.ref)
        if args.remove:
            for key in args.pairs:
                service.remove_tag(name, number, key)
        else:
            for key, value in _tags(args.pairs).items():
                service.set_tag(name, number, key, value)
        v = service.get(f"{name}:{number}")
        return {"name": name, "version": number, "tags": v.tags}, fmt.kv_text(v.tags)
    if action == "describe":
        name, number = _version(service, args.ref)
        text = sys.stdin.read() if args.text == "-" else args.text
        service.describe(name, number, text)
        return {"name": name, "version": number, "description": text}, "description saved"
    if action == "archive":
        name, number = _version(service, args.ref)
        service.archive(name, number, not args.undo)
        word = "unarchived" if args.undo else "archived"
        return {
            "name": name,
            "version": number,
            "archived": not args.undo,
        }, f"{name}:{number} {word}"
    if action == "delete":
        name, number = _version(service, args.ref)
        service.delete(name, number, force=args.force)
        return {"name": name, "version": number, "deleted": True}, f"{name}:{number} deleted"
    if action == "history":
        from mlops_desktop.services.models import parse_ref

        name, at, alias = parse_ref(args.ref)
        entries = service.history(name, service.get(args.ref).version if alias else at)
        return [fmt.audit_doc(e) for e in entries], "\n".join(fmt.audit_line(e) for e in entries)
    if action == "compare":
        from mlops_desktop.services.models import parse_version

        c = service.compare(args.name, parse_version(args.a), parse_version(args.b))
        return fmt.comparison_doc(c), fmt.comparison_text(c)
    if action == "export":
        found = service.get(args.ref)
        out = service.export(f"{found.name}:{found.version}", args.file)
        doc = {"name": found.name, "version": found.version, "file": str(out)}
        return doc, f"{found.name}:{found.version} exported to {out}"
    if action == "import":
        v = service.import_archive(args.file, args.name)
        doc = {"name": v.name, "version": v.version, "run": v.run_id, "fingerprint": v.fingerprint}
        return doc, f"imported as {v.name}:{v.version}"
    if action == "inspect":
        r = service.inspect(args.ref, args.timeout)
        doc = {
            "type": r.type,
            "module": r.module,
            "params": r.params,
            "summary": r.summary,
            "seconds": r.seconds,
        }
        return doc, f"{r.module}.{r.type}\n{r.summary}\n" + fmt.kv_text(r.params)
    r = service.gc(dry_run=not args.yes, grace_s=args.grace)
    doc = {
        "dry_run": r.dry_run,
        "blobs": r.blobs,
        "bytes": r.bytes,
        "paths": r.paths,
        "kept": r.kept,
    }
    verb = "would free" if r.dry_run else "freed"
    text = f"{verb} {r.blobs} blobs, {fmt.human_bytes(r.bytes)} ({r.kept} referenced kept)"
    if r.dry_run and r.blobs:
        text += "\nrun `mlops-desktop models gc --yes` to delete them"
    return doc, text
