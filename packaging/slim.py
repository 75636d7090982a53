"""Make a PyInstaller app folder smaller without changing what runs: ``python slim.py APP_DIR``.

- Strips symbols from the shared libraries (``strip --strip-unneeded``), except those the wheels
  vendor in ``*.libs`` folders: auditwheel rewrote them with patchelf, and strip breaks their
  layout (numpy's OpenBLAS then fails to load).
- Replaces identical copies (the same library in numpy.libs and scipy.libs, a library under its
  three version names) by relative symbolic links.

Prints how many bytes each step saved.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

MIN_DEDUP_BYTES = 100_000


def _size(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file() and not p.is_symlink())


def strip_libraries(internal: Path) -> None:
    strip = shutil.which("strip")
    if strip is None:
        print("slim: no strip (binutils) here; libraries left as they are", file=sys.stderr)
        return
    libs = [
        str(p)
        for p in internal.rglob("*.so*")
        if p.is_file() and not p.is_symlink() and not any(x.endswith(".libs") for x in p.parts)
    ]
    for start in range(0, len(libs), 200):
        subprocess.run([strip, "--strip-unneeded", *libs[start : start + 200]], check=True)


def link_duplicates(internal: Path) -> None:
    groups: dict[tuple[int, str], list[Path]] = defaultdict(list)
    for path in sorted(internal.rglob("*")):
        if path.is_symlink() or not path.is_file() or path.stat().st_size < MIN_DEDUP_BYTES:
            continue
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        groups[(path.stat().st_size, digest)].append(path)
    for paths in groups.values():
        keep, *copies = sorted(paths, key=lambda p: (len(p.name), str(p)))
        for copy in copies:
            copy.unlink()
            copy.symlink_to(os.path.relpath(keep, copy.parent))


def main() -> int:
    app = Path(sys.argv[1])
    internal = app / "_internal"
    before = _size(app)
    strip_libraries(internal)
    stripped = _size(app)
    link_duplicates(internal)
    after = _size(app)
    mb = 1e6
    print(
        f"slim: symbols {(before - stripped) / mb:.1f} MB, duplicates "
        f"{(stripped - after) / mb:.1f} MB; {after / mb:.1f} MB left"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
