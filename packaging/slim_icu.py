"""Shrink the ICU data that Qt carries (``libicudata.so.NN``, 32 MB) to what the app uses.

Qt uses ICU for collation (``QCollator``: sorting names in the user's language), text
boundaries, case mapping, normalization and a few text codecs. Its data library also holds
what the app never asks ICU for: names of units, currencies, languages, regions and time zones
in every language (Qt has its own CLDR data for ``QLocale``), transliterators, number spell-out
rules, the Thai/CJK/Khmer/Lao/Burmese word dictionaries and the big East Asian and EBCDIC
codepages. This script takes the data blob out of the library (the one exported symbol
``icudtNN_dat``), removes those items with ICU's own ``icupkg``, and links a new library with
the same soname around the smaller blob. Collation for every language, break rules,
normalization and the common codepages stay. A lookup of a removed item falls back as ICU
does for a missing locale (to root), it does not fail.

Usage: ``python slim_icu.py APP_DIR``. Needs ``icupkg`` (Debian's icu-devtools), ``nm`` and
``readelf`` (binutils) and a C compiler; without them the library is left whole (said once).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

# Items dropped, by their name inside the ICU package (as ``icupkg -l`` lists them).
DROPPED_ITEMS = re.compile(
    r"""^(
        (unit|curr|lang|region|zone|translit|rbnf)/   # display names, transliteration, spell-out
      | brkitr/\w+\.dict$                             # word dictionaries of Thai, CJK, Khmer...
      | unames\.icu$                                  # character names (u_charName)
    )""",
    re.VERBOSE,
)
BIG_CODEPAGE_BYTES = 60_000  # .cnv tables over this: East Asian, EBCDIC, ISO-2022 compounds
TOOLS = ("icupkg", "nm", "readelf", "cc")


def _data_symbol(lib: Path) -> tuple[str, int, int]:
    """(symbol, file offset, size) of the ``icudtNN_dat`` blob in ``lib``."""
    listing = subprocess.run(["nm", "-S", "-D", str(lib)], capture_output=True, text=True)
    match = re.search(r"^([0-9a-f]+) ([0-9a-f]+) R (icudt\d+_dat)$", listing.stdout, re.M)
    if match is None:
        raise RuntimeError(f"{lib.name}: no icudtNN_dat symbol")
    address, size, symbol = int(match[1], 16), int(match[2], 16), match[3]
    segments = subprocess.run(["readelf", "-lW", str(lib)], capture_output=True, text=True)
    for line in segments.stdout.splitlines():
        parts = line.split()
        if parts[:1] == ["LOAD"]:
            offset, vaddr, filesz = int(parts[1], 16), int(parts[2], 16), int(parts[4], 16)
            if vaddr <= address < vaddr + filesz:
                return symbol, address - vaddr + offset, size
    raise RuntimeError(f"{lib.name}: {symbol} is in no loaded segment")


def _dropped(data: Path, work: Path) -> list[str]:
    names = subprocess.run(
        ["icupkg", "-l", str(data)], capture_output=True, text=True, check=True
    ).stdout.split()
    extracted = work / "items"
    extracted.mkdir()
    codepages = [n for n in names if n.endswith(".cnv")]
    (work / "codepages.txt").write_text("\n".join(codepages) + "\n")
    subprocess.run(
        ["icupkg", "-x", str(work / "codepages.txt"), "-d", str(extracted), str(data)],
        check=True,
        capture_output=True,
    )
    big = {n for n in codepages if (extracted / n).stat().st_size > BIG_CODEPAGE_BYTES}
    return [n for n in names if DROPPED_ITEMS.search(n) or n in big]


def _link(blob: Path, symbol: str, soname: str, out: Path) -> None:
    source = blob.with_suffix(".S")
    source.write_text(
        f"\t.section .rodata\n\t.globl {symbol}\n\t.type {symbol}, @object\n\t.balign 16\n"
        f'{symbol}:\n\t.incbin "{blob}"\n\t.size {symbol}, .-{symbol}\n'
        '\t.section .note.GNU-stack,"",@progbits\n'
    )
    subprocess.run(
        ["cc", "-shared", "-nostdlib", f"-Wl,-soname,{soname}", "-o", str(out), str(source)],
        check=True,
    )


def slim(lib: Path) -> tuple[int, int]:
    """Replace ``lib`` by a library holding the smaller blob; returns (bytes before, after)."""
    symbol, offset, size = _data_symbol(lib)
    before = lib.stat().st_size
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        # icupkg takes the package's name (icudt73l: version and byte order) from the file's.
        package = symbol.removesuffix("_dat") + ("l" if sys.byteorder == "little" else "b")
        data = work / f"{package}.dat"
        with lib.open("rb") as fh:
            fh.seek(offset)
            data.write_bytes(fh.read(size))
        dropped = _dropped(data, work)
        (work / "dropped.txt").write_text("\n".join(dropped) + "\n")
        (work / "small").mkdir()
        small = work / "small" / data.name
        subprocess.run(
            ["icupkg", "--ignore-deps", "-r", str(work / "dropped.txt"), str(data), str(small)],
            check=True,
            capture_output=True,
        )
        new = work / lib.name
        _link(small, symbol, lib.name, new)
        shutil.copyfile(new, lib)
    return before, lib.stat().st_size


def main() -> int:
    app = Path(sys.argv[1])
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    libs = sorted(app.glob("_internal/PySide6/Qt/lib/libicudata.so.*"))
    if missing or not libs:
        why = f"{', '.join(missing)} not found" if missing else "no libicudata in the bundle"
        print(f"slim-icu: ICU data left whole ({why})", file=sys.stderr)
        return 0
    for lib in libs:
        before, after = slim(lib)
        print(f"slim-icu: {lib.name} {before / 1e6:.1f} MB -> {after / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
