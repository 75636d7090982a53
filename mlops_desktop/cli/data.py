"""The ``data`` commands: register, list, diff, profile and restore dataset versions.

JSON keys follow ../shared/INTERFACES.md. Progress of long work is a percentage line on
stderr when stderr is a terminal.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from mlops_desktop.core.errors import DatasetError


def add_data_parser(sub: Any) -> None:
    """Add ``data`` and its actions to the subparsers ``sub``."""
    data = sub.add_parser("data", help="register and compare dataset versions")
    ds = data.add_subparsers(dest="data_command", metavar="ACTION", required=True)
    add = ds.add_parser("add", help="register a file or folder; a new version if it changed")
    add.add_argument("path")
    add.add_argument("--name", "-n", required=True, help="the dataset's name")
    add.add_argument("--message", "-m", default="", help="what this version is")
    add.add_argument("--tag", action="append", default=[], metavar="K=V", help="repeatable")
    add.add_argument(
        "--snapshot", action="store_true", help="copy the files into the store (restorable)"
    )
    ds.add_parser("list", help="datasets with their latest version")
    versions = ds.add_parser("versions", help="versions of a dataset, newest first")
    versions.add_argument("name")
    diff = ds.add_parser("diff", help="what changed between two versions")
    diff.add_argument("name")
    diff.add_argument("old")
    diff.add_argument("new")
    co = ds.add_parser("checkout", help="restore a snapshotted version into a folder")
    co.add_argument("ref", metavar="N@V")
    co.add_argument("dest")
    prof = ds.add_parser("profile", help="column statistics of a version's tables")
    prof.add_argument("ref", metavar="N[@V]")
    prof.add_argument("--file", dest="file", default=None, help="only this table (relative path)")
    used = ds.add_parser("used-by", help="runs that used a dataset (version)")
    used.add_argument("ref", metavar="N[@V]")
    for p in (add, versions, diff, co, prof, used, ds.choices["list"]):
        p.add_argument("--json", action="store_true")


def split_ref(ref: str) -> tuple[str, str | None]:
    """``"name@v2"`` -> ("name", "v2"); ``"name"`` -> ("name", None)."""
    name, _, version = ref.partition("@")
    return name, version or None


def _tags(pairs: list[str]) -> dict[str, str]:
    tags = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise DatasetError(f"--tag {pair!r} is not KEY=VALUE.")
        tags[key] = value
    return tags


class _TerminalProgress:
    """``progress(done, total, message)`` printing a percentage line, about 5 times a second."""

    def __init__(self, verb: str) -> None:
        self.verb = verb
        self.last = 0.0
        self.shown = False

    def __call__(self, done: int, total: int, _message: str) -> None:
        now = time.monotonic()
        if now - self.last < 0.2 and done < total:
            return
        self.last = now
        pct = 100.0 * done / total if total else 100.0
        print(f"\r{self.verb} {pct:5.1f}%", end="", file=sys.stderr, flush=True)
        self.shown = True

    def finish(self) -> None:
        if self.shown:
            print(file=sys.stderr)


def cmd_data(args: argparse.Namespace, home: Path) -> int:
    from mlops_desktop.cli import format as fmt
    from mlops_desktop.services.bundle import Services

    with Services.open(home, args.catalog or None) as services:
        fmt.ingest_first(services.experiments)
        doc, text = _run(args, services.datasets, fmt)
    print(fmt.dumps(doc) if args.json else text)
    return 0


def _run(args: argparse.Namespace, service: Any, fmt: Any) -> tuple[Any, str]:  # noqa: C901, PLR0911
    action = args.data_command
    doc: Any
    if action == "add":
        progress = _TerminalProgress("hashing") if sys.stderr.isatty() else None
        try:
            r = service.add(
                args.path, args.name, args.message, _tags(args.tag), args.snapshot, progress
            )
        finally:
            if progress is not None:
                progress.finish()
        for sentence in r.skipped[:20]:
            print(f"skipped: {sentence}", file=sys.stderr)
        doc = {
            "dataset": r.dataset,
            "version": r.version,
            "fingerprint": r.fingerprint,
            "files": r.files,
            "bytes": r.bytes,
            "new_version": r.new_version,
        }
        if r.new_version:
            text = (
                f"{r.dataset} {r.version} registered ({r.files} files, {fmt.human_bytes(r.bytes)})"
            )
        else:
            text = f"unchanged: same content as {r.version}, no new version"
        return doc, text
    if action == "list":
        items = service.list_datasets()
        doc = [
            {
                "name": d.name,
                "latest": d.latest,
                "versions": d.versions,
                "bytes": d.bytes,
                "files": d.files,
            }
            for d in items
        ]
        if not items:
            return doc, "No datasets yet. Register one with `mlops-desktop data add PATH --name N`."
        lines = [
            f"{d.name}\t{d.latest}\t{d.versions} versions\t{d.files} files\t"
            f"{fmt.human_bytes(d.bytes)}"
            for d in items
        ]
        return doc, "\n".join(lines)
    if action == "versions":
        vs = service.versions(args.name)
        doc = [fmt.dataset_version_doc(v) for v in vs]
        lines = [
            f"{v.version}\t{fmt.iso(v.created_at)}\t{v.files} files\t{fmt.human_bytes(v.bytes)}\t"
            f"{v.fingerprint[:19]}\t{v.message}"
            for v in vs
        ]
        return doc, "\n".join(lines)
    if action == "diff":
        d = service.diff(args.name, args.old, args.new)
        return fmt.dataset_diff_doc(d), _diff_text(d)
    if action == "checkout":
        name, version = split_ref(args.ref)
        found = service.get_version(name, version)
        progress = _TerminalProgress("restoring") if sys.stderr.isatty() else None
        try:
            dest = service.checkout(name, found.version, args.dest, progress=progress)
        finally:
            if progress is not None:
                progress.finish()
        doc = {
            "dataset": name,
            "version": found.version,
            "dest": str(dest),
            "files": found.files,
            "bytes": found.bytes,
        }
        return doc, f"{name}@{found.version} restored into {dest} ({found.files} files, verified)"
    if action == "profile":
        name, version = split_ref(args.ref)
        profiles = service.profile(name, version, args.file)
        doc = [fmt.profile_doc(p) for p in profiles]
        return doc, _profile_text(profiles)
    name, version = split_ref(args.ref)
    uses = service.used_by(name, version)
    doc = [fmt.dataset_use_doc(u) for u in uses]
    if not uses:
        return doc, f"No run used {args.ref} yet."
    return doc, "\n".join(
        f"{u.run_id[:8]}\t{u.experiment}\t{u.run_name}\t{u.status}\t{u.dataset}@{u.version}"
        for u in uses
    )


def _diff_text(d: Any) -> str:
    lines = [f"{d.dataset}: {d.old} -> {d.new}"]
    for title, items in (("added", d.added), ("removed", d.removed), ("changed", d.changed)):
        lines += [f"  {title[0].upper() if title != 'changed' else 'M'} {p}" for p in items]
    if not (d.added or d.removed or d.changed):
        lines.append("  no file changed")
    for t in d.tables:
        lines.append(
            f"  table {t.path}: {t.rows_old} -> {t.rows_new} rows "
            f"(+{t.rows_added} -{t.rows_removed})"
        )
        for c in t.columns:
            types = f" {c.old_type} -> {c.new_type}" if c.change == "retyped" else ""
            moved = ", ".join(
                f"{k} {_short(a)} -> {_short(b)}" for k, (a, b) in list(c.stats.items())[:3]
            )
            lines.append(
                f"    column {c.column}: {c.change}{types}{f' ({moved})' if moved else ''}"
            )
    lines += [f"  note: {p}" for p in d.problems]
    return "\n".join(lines)


def _short(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _profile_text(profiles: list[Any]) -> str:
    if not profiles:
        return "No table files in this version."
    lines = []
    for p in profiles:
        lines.append(f"{p.path} ({p.format}, {p.rows} rows, {len(p.columns)} columns)")
        for c in p.columns:
            extra = f" mean={c.mean:.4g}" if isinstance(c.mean, float) else ""
            lines.append(
                f"  {c.name}\t{c.type}\tmissing {c.missing_share:.1%}\t"
                f"distinct {c.distinct if c.distinct is not None else '?'}{extra}"
            )
        lines += [f"  note: {s}" for s in p.problems]
    return "\n".join(lines)
