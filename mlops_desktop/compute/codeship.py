"""Stage a run's code into a folder that an executor ships to its target.

``code="cwd"``: the git-tracked files of the working folder plus uncommitted changes (the
working-tree contents of tracked files, and new files git does not ignore). ``code="folder"``:
every file of the folder with ``.gitignore`` respected (git's own rules in a repository, a small
matcher elsewhere). ``code="none"``: nothing is staged; the run uses the folder in place.
Symbolic links are copied as links only when they stay inside the folder; a link that points
out of it is refused, and no staged path ever leaves ``dest``.
"""

from __future__ import annotations

import fnmatch
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from mlops_desktop.core.compute import RunSpec
from mlops_desktop.core.errors import JobError

CODE_MODES = ("cwd", "folder", "none")
_ALWAYS_SKIPPED = {".git"}


@dataclass(frozen=True, slots=True)
class StagedCode:
    """What :func:`stage` copied: the folder, its number of files and bytes."""

    path: Path
    files: int
    bytes: int


def stage_code(spec: RunSpec, dest: Path) -> Path | None:
    """Copy the code ``spec.code`` asks for from ``spec.workdir`` into ``dest``.

    Returns:
        ``dest``, or None when ``spec.code`` is "none".

    Raises:
        JobError: an unknown mode, a missing folder, "cwd" outside a git repository, or a link
            pointing outside the folder.
    """
    staged = stage(spec, dest)
    return None if staged is None else staged.path


def stage(spec: RunSpec, dest: Path) -> StagedCode | None:
    """Like :func:`stage_code`, also reporting the number of files and bytes copied."""
    if spec.code not in CODE_MODES:
        raise JobError(f"Unknown code source {spec.code!r}: use cwd, folder or none.")
    if spec.code == "none":
        return None
    root = Path(spec.workdir or os.getcwd()).resolve()
    if not root.is_dir():
        raise JobError(f"The code folder {root} does not exist.")
    if spec.code == "cwd":
        files = git_files(root)
        if files is None:
            raise JobError(
                f"{root} is not in a git repository: launch with --code folder to ship it all."
            )
    else:
        files = git_files(root)
        if files is None:
            files = walk_with_gitignore(root)
    return _copy(root, files, Path(dest))


def git_files(root: Path) -> list[str] | None:
    """Tracked plus untracked-but-not-ignored files under ``root`` (posix, relative), or None
    when ``root`` is not inside a git work tree (or git is missing)."""
    try:
        proc = subprocess.run(
            [
                "git",
                "-C",
                str(root),
                "ls-files",
                "-z",
                "--cached",
                "--others",
                "--exclude-standard",
            ],
            capture_output=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if proc.returncode != 0:
        return None
    names = {n for n in proc.stdout.decode("utf-8", "surrogateescape").split("\0") if n}
    # Deleted-but-tracked files are listed by --cached; only what exists is shipped.
    return sorted(n for n in names if os.path.lexists(root / n))


def _ignore_rules(folder: Path) -> list[tuple[str, bool, bool]]:
    """(pattern, negated, dir_only) rules of ``folder/.gitignore``."""
    try:
        text = (folder / ".gitignore").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    rules = []
    for line in text.splitlines():
        line = line.rstrip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        if negated:
            line = line[1:]
        dir_only = line.endswith("/")
        rules.append((line.strip("/") if dir_only else line, negated, dir_only))
    return rules


def _ignored(rel: str, is_dir: bool, rules: list[tuple[str, bool, bool]]) -> bool:
    """Whether ``rel`` (relative to the .gitignore's folder) is ignored; the last match wins."""
    name = rel.rsplit("/", 1)[-1]
    result = False
    for pattern, negated, dir_only in rules:
        if dir_only and not is_dir:
            continue
        anchored = "/" in pattern  # a leading or middle slash: relative to the .gitignore
        pat = pattern.lstrip("/")
        hit = fnmatch.fnmatchcase(rel, pat) if anchored else fnmatch.fnmatchcase(name, pat)
        if hit:
            result = not negated
    return result


def walk_with_gitignore(root: Path) -> list[str]:
    """Files under ``root`` with every folder's ``.gitignore`` respected (outside git)."""
    out: list[str] = []
    stack: list[tuple[Path, list[tuple[Path, list[tuple[str, bool, bool]]]]]] = [(root, [])]
    while stack:
        folder, inherited = stack.pop()
        rules = [*inherited, (folder, _ignore_rules(folder))]
        for entry in sorted(os.scandir(folder), key=lambda e: e.name):
            if entry.name in _ALWAYS_SKIPPED:
                continue
            path = Path(entry.path)
            is_dir = entry.is_dir(follow_symlinks=False)
            if any(
                _ignored(path.relative_to(base).as_posix(), is_dir, r) for base, r in rules if r
            ):
                continue
            if is_dir:
                stack.append((path, rules))
            else:
                out.append(path.relative_to(root).as_posix())
    return sorted(out)


def _copy(root: Path, files: list[str], dest: Path) -> StagedCode:
    dest.mkdir(parents=True, exist_ok=True)
    dest_root = dest.resolve()
    count = size = 0
    for rel in files:
        pure = PurePosixPath(rel)
        if pure.is_absolute() or ".." in pure.parts:
            raise JobError(f"Refusing to ship {rel!r}: it is not inside {root}.")
        src = root / rel
        target = dest_root / rel
        if not target.resolve().is_relative_to(dest_root):
            raise JobError(f"Refusing to ship {rel!r}: it would land outside the staging folder.")
        target.parent.mkdir(parents=True, exist_ok=True)
        if src.is_symlink():
            resolved = src.resolve()
            if not resolved.is_relative_to(root):
                raise JobError(
                    f"Refusing to ship {rel}: it is a link to {resolved}, outside {root}."
                )
            os.symlink(os.readlink(src), target)
            count += 1
            continue
        if not src.is_file():
            continue  # a submodule folder or a special file
        shutil.copy2(src, target)
        count += 1
        size += target.stat().st_size
    return StagedCode(dest, count, size)
